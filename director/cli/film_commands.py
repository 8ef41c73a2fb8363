"""Commands that make films: make (plan, then render) and render (a storyboard file)."""

from __future__ import annotations

from pathlib import Path

import click

from director import api
from director.cli.storyboard_commands import describe
from director.report import RenderReport
from storyboard.errors import UserError


def render_options(command):
    """Options shared by the commands that render (make, render): each is a keyword
    argument of api.render of the same name."""
    options = [
        click.option("-o", "--output", type=click.Path(dir_okay=False), default="film.mp4",
                     show_default=True, help="The film (.mp4); subtitles go beside it (.srt)."),
        click.option("--project", type=click.Path(file_okay=False), default=None,
                     help="Project folder (storyboard versions, artifact store, reports)."
                          " Default: NAME.director beside NAME.mp4."),
        click.option("--report", type=click.Path(dir_okay=False), default=None,
                     help="Also write the render report (JSON) here."),
        click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
                     help="Jobs run in parallel."),
        click.option("--animator", default="animatic", show_default=True,
                     help="Backend that makes the frames."),
        click.option("--title/--no-title", default=True, show_default=True,
                     help="Open with a title card."),
        click.option("--audio", type=click.Path(dir_okay=False), default=None,
                     help="Background audio file, trimmed and faded to the film's length."),
        click.option("--executor", type=click.Choice(["local", "ray"]), default=None,
                     help="Where jobs run: 'local' (threads here) or 'ray' (a Ray cluster)."
                          " Default: the project's director.toml, else local."),
        click.option("--ray-address", default=None,
                     help="With --executor ray: 'local' (a private cluster on this"
                          " machine, the default) or HOST:PORT of a running cluster."),
        click.option("--ray-actors", type=click.IntRange(min=1), default=None,
                     help="With --executor ray: animator workers per role."
                          " Default: --workers."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _finish(report: RenderReport, storyboard_note: str = "") -> None:
    jobs = report.jobs
    if not report.ok:
        raise UserError(report.failure_summary())
    reused = "every job reused" if jobs.run == 0 else f"{jobs.run} run, {jobs.reused} reused"
    fps_note = f"{report.frames} frames"
    click.echo(f"film -> {report.output} ({fps_note}; {jobs.total} jobs: {reused};"
               f" {report.wall_seconds:.1f} s){storyboard_note}")


@click.command()
@click.argument("request")
@render_options
@click.option("--llm", default=None,
              help="'offline' (rule-based, no network) or 'openai:MODEL'."
                   " Default: the configured one, else offline.")
@click.option("--llm-timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds the LLM may take for the whole plan.")
@click.option("--seed", type=int, default=0, show_default=True, help="Storyboard seed.")
def make(request: str, output: str, project: str | None, report: str | None, workers: int,
         animator: str, title: bool, audio: str | None, executor: str | None,
         ray_address: str | None, ray_actors: int | None, llm: str | None,
         llm_timeout: float | None, seed: int) -> None:
    """Plan a film from a plain-language REQUEST and render it."""
    project = project or str(api.default_project(output))

    def show(planned) -> None:
        for note in planned.notes:
            click.echo(f"note: {note}", err=True)
        board = planned.storyboard
        click.echo(f"planned {board.title!r}: {describe(board)}", err=True)

    outcome = api.make(request, output, project=project, llm=llm, llm_timeout=llm_timeout,
                       seed=seed, on_plan=show, report=report, workers=workers,
                       animator=animator, title=title, audio=audio, executor=executor,
                       ray_address=ray_address, ray_actors=ray_actors)
    _finish(outcome, f"\nproject: {project} (storyboard, store, reports)")


@click.command()
@click.argument("storyboard", type=click.Path(dir_okay=False))
@render_options
@click.option("--eval", "evaluate", is_flag=True,
              help="Then measure the film as `director eval` does (default CLIP model):"
                   " a JSON and an HTML report beside the render report.")
def render(storyboard: str, output: str, project: str | None, report: str | None,
           workers: int, animator: str, title: bool, audio: str | None, executor: str | None,
           ray_address: str | None, ray_actors: int | None, evaluate: bool) -> None:
    """Render a STORYBOARD JSON file into a film."""
    board = api.load(storyboard)
    if evaluate:
        from director.cli.eval import render_eval_paths

        report, eval_json, eval_html = render_eval_paths(output, project, report)
    outcome = api.render(board, output, project=project, report=report, workers=workers,
                         animator=animator, title=title, audio=audio, executor=executor,
                         ray_address=ray_address, ray_actors=ray_actors)
    _finish(outcome, f"\nproject: {project or api.default_project(Path(output))}")
    if evaluate:
        from director.cli.eval import show

        show(api.evaluate(outcome.output, storyboard=board, output=eval_json, html=eval_html))
        click.echo(f"evaluation -> {eval_json}, {eval_html}")
