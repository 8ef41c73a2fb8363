"""`director eval`: measure a film, write the JSON report and the HTML page."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import click

from director import api
from director.evaluate.clip import DEFAULT_CLIP


def default_outputs(film: str | Path) -> tuple[Path, Path]:
    """The report and page written beside a film when none are named: NAME.eval.json and
    NAME.eval.html."""
    film = Path(film)
    return film.with_name(f"{film.stem}.eval.json"), film.with_name(f"{film.stem}.eval.html")


def render_eval_paths(output: str, project: str | None, report: str | None
                      ) -> tuple[str, Path, Path]:
    """For ``render --eval``, checked before rendering (the CLIP model is on this machine):
    the render report's path (as ``render`` would choose it when not given) and the
    evaluation's JSON and HTML beside it (``eval-<time>`` for ``render-<time>``)."""
    from director.evaluate.clip import resolve_clip
    from director.project import Project

    resolve_clip(DEFAULT_CLIP)
    api.check_render_target(output, project=project, report=report)
    if report is None:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-%f")
        folder = Project(project if project is not None else api.default_project(output))
        report = str(folder.reports / f"render-{stamp}.json")
    path = Path(report)
    stem = f"eval-{path.stem[len('render-'):]}" if path.stem.startswith("render-") \
        else f"{path.stem}.eval"
    return report, path.with_name(f"{stem}.json"), path.with_name(f"{stem}.html")


def show(report) -> None:
    """One line per figure (the film's value), then the figures not computed."""
    for name, figure in report.figures.items():
        value = "-" if figure.value is None else f"{figure.value:.4f}"
        click.echo(f"{name}: {value}")
    for name, reason in report.not_computed.items():
        click.echo(f"{name}: {reason}", err=True)


@click.command("eval")
@click.argument("film", type=click.Path(dir_okay=False))
@click.option("--project", type=click.Path(file_okay=False), default=None,
              help="Project folder: its latest storyboard gives shots, prompts and boxes.")
@click.option("--storyboard", type=click.Path(dir_okay=False), default=None,
              help="The storyboard file the film was rendered from.")
@click.option("--clip-model", default=DEFAULT_CLIP, show_default=True,
              help="CLIP model: a local folder or a Hugging Face id in the local cache.")
@click.option("--reference", type=click.Path(dir_okay=False), default=None,
              help="A film of the same length and size to compare with (PSNR, SSIM).")
@click.option("--stride", type=int, default=None,
              help="Evaluate every N-th frame. Default: every frame up to 1800, then as"
                   " many as that.")
@click.option("--fvd-model", type=click.Path(dir_okay=False), default=None,
              help="An I3D checkpoint (.safetensors) to measure FVD against --reference.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="The JSON report. Default: NAME.eval.json beside the film.")
@click.option("--html", type=click.Path(dir_okay=False), default=None,
              help="The HTML report. Default: NAME.eval.html beside the film.")
def eval_command(film: str, project: str | None, storyboard: str | None, clip_model: str,
                 reference: str | None, stride: int | None, fvd_model: str | None,
                 output: str | None, html: str | None) -> None:
    """Measure FILM: frame consistency, CLIPSIM, entity consistency, layout adherence,
    PSNR/SSIM; offline. Without --project or --storyboard only the figures that need no
    storyboard are measured."""
    json_default, html_default = default_outputs(film)
    report = api.evaluate(film, project=project, storyboard=storyboard, clip_model=clip_model,
                          reference=reference, stride=stride, fvd_model=fvd_model,
                          output=output or json_default, html=html or html_default)
    show(report)
    click.echo(f"report -> {output or json_default}, {html or html_default}"
               f" ({report.frames_evaluated} of {report.frames} frames, {report.seconds:.1f} s)")
