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
    argument of api.render of the same name, but the diffusion ones (ANIMATOR_FLAGS),
    which go together as ``animator_options``."""
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
        click.option("--animator", default=None,
                     help="Backend that makes the frames: animatic (procedural previz, no"
                          " weights) or diffusion. Default: [animator] name in the project's"
                          " director.toml, else animatic."),
        click.option("--preset", default=None,
                     help="diffusion: the preset (`director models` lists them; default"
                          " sd15-gligen). Only sd15-gligen grounds boxes (GLIGEN); the others"
                          " put each entity's place into the prompt words."),
        click.option("--keyframe-model", default=None, metavar="ID_OR_PATH",
                     help="diffusion: the keyframe model, a Hugging Face id or a local folder"
                          " holding a diffusers text-to-image pipeline (model_index.json)."),
        click.option("--inbetween-model", default=None, metavar="ID_OR_PATH",
                     help="diffusion: the in-between model, a Hugging Face id or a folder of a"
                          " first/last-frame video pipeline (Wan FLF2V, Wan VACE, LTX"
                          " condition); default: the preset's (blend, or its video model)."),
        click.option("--clip-model", default=None, metavar="ID_OR_PATH",
                     help="diffusion: the image-to-video model of the clip role (Wan, LTX,"
                          " CogVideoX I2V), a Hugging Face id or a folder."),
        click.option("--video-frames", type=click.IntRange(min=3), default=None,
                     help="diffusion: at most this many frames per video call (a count the"
                          " model makes natively, e.g. 4k+1 for Wan, 8k+1 for LTX)."),
        click.option("--video-size", type=click.IntRange(min=16), default=None,
                     help="diffusion: the video models work at the area of a square of this"
                          " side, keeping the film's aspect (default: the model's class)."),
        click.option("--device", default=None, metavar="cpu|cuda|cuda:N|auto",
                     help="diffusion: where models run (default auto: cuda when visible)."),
        click.option("--dtype", type=click.Choice(["float32", "float16", "bfloat16"]),
                     default=None, help="diffusion: weights dtype (default: the preset's on a"
                                        " GPU, float32 on the CPU)."),
        click.option("--steps", type=click.IntRange(min=1), default=None,
                     help="diffusion: denoising steps of the keyframe and reference roles."),
        click.option("--guidance", type=click.FloatRange(min=0), default=None,
                     help="diffusion: guidance scale of the keyframe and reference roles."),
        click.option("--memory", default=None,
                     type=click.Choice(["full", "model-offload", "sequential-offload",
                                        "group-offload"]),
                     help="diffusion: full (all on the GPU) or an offload mode that keeps"
                          " weights on the CPU until needed (less VRAM, slower)."),
        click.option("--download", is_flag=True, default=None,
                     help="diffusion: fetch missing weights from the Hugging Face Hub (by"
                          " default nothing is downloaded)."),
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


ANIMATOR_FLAGS = ("preset", "keyframe_model", "inbetween_model", "clip_model", "video_frames",
                  "video_size", "device", "dtype", "steps", "guidance", "memory", "download")


def animator_flags(flags: dict) -> dict:
    """The animator options given on the command line (popped from ``flags``)."""
    return {k: v for k in ANIMATOR_FLAGS if (v := flags.pop(k, None)) is not None}


def _finish(report: RenderReport, storyboard_note: str = "") -> None:
    jobs = report.jobs
    if report.animator.get("backend") not in (None, "animatic"):
        for role, how in report.animator.items():
            if role != "backend":
                click.echo(f"note: {role}: {how}", err=True)
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
         animator: str | None, title: bool, audio: str | None, executor: str | None,
         ray_address: str | None, ray_actors: int | None, llm: str | None,
         llm_timeout: float | None, seed: int, **flags) -> None:
    """Plan a film from a plain-language REQUEST and render it."""
    project = project or str(api.default_project(output))

    def show(planned) -> None:
        for note in planned.notes:
            click.echo(f"note: {note}", err=True)
        board = planned.storyboard
        click.echo(f"planned {board.title!r}: {describe(board)}", err=True)

    outcome = api.make(request, output, project=project, llm=llm, llm_timeout=llm_timeout,
                       seed=seed, on_plan=show, report=report, workers=workers,
                       animator=animator, animator_options=animator_flags(flags), title=title,
                       audio=audio, executor=executor, ray_address=ray_address,
                       ray_actors=ray_actors)
    _finish(outcome, f"\nproject: {project} (storyboard, store, reports)")


@click.command()
@click.argument("storyboard", type=click.Path(dir_okay=False))
@render_options
@click.option("--eval", "evaluate", is_flag=True,
              help="Then measure the film as `director eval` does (default CLIP model):"
                   " a JSON and an HTML report beside the render report.")
def render(storyboard: str, output: str, project: str | None, report: str | None,
           workers: int, animator: str | None, title: bool, audio: str | None,
           executor: str | None, ray_address: str | None, ray_actors: int | None,
           evaluate: bool, **flags) -> None:
    """Render a STORYBOARD JSON file into a film (entities' reference pictures are read
    relative to its folder)."""
    board = api.load(storyboard)
    if evaluate:
        from director.cli.eval import render_eval_paths

        report, eval_json, eval_html = render_eval_paths(output, project, report)
    outcome = api.render(board, output, project=project, report=report, workers=workers,
                         animator=animator, animator_options=animator_flags(flags),
                         title=title, audio=audio, executor=executor,
                         ray_address=ray_address, ray_actors=ray_actors,
                         assets=Path(storyboard).parent)
    _finish(outcome, f"\nproject: {project or api.default_project(Path(output))}")
    if evaluate:
        from director.cli.eval import show

        show(api.evaluate(outcome.output, storyboard=board, output=eval_json, html=eval_html))
        click.echo(f"evaluation -> {eval_json}, {eval_html}")
