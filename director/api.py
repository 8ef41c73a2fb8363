"""The public Python API; the `director` command mirrors it function by function.

    from director import api
    board = api.plan("a two-minute film about a fox who learns to fly")
    api.sheet(board, "sheet.png")
    report = api.render(board, "fox.mp4")          # or: api.make(request, "fox.mp4")
    print(report.frames, report.jobs.run, report.jobs.reused)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import agents
from agents.llm_planner import PlanResult
from director.progress import ProgressListener
from director.report import RenderReport
from director.session import Revision, Session, Turn, remember_film
from storyboard import Storyboard, diff, json_schema, load, save, validate
from storyboard.errors import UserError

__all__ = [
    "check_render_target", "default_project", "diff", "evaluate", "history", "json_schema",
    "load", "make", "plan", "plan_with_notes", "redo", "render", "restore", "revise", "save",
    "sheet", "undo", "validate",
]


def plan(request: str, *, llm: str | None = None, seed: int = 0,
         llm_timeout: float | None = None, project: str | os.PathLike | None = None,
         ) -> Storyboard:
    """Plan a storyboard from a plain-language request (offline unless an LLM is named
    or configured: flags, then DIRECTOR_LLM, then ``<project>/director.toml``)."""
    return plan_with_notes(request, llm=llm, seed=seed, llm_timeout=llm_timeout,
                           project=project).storyboard


def plan_with_notes(request: str, *, llm: str | None = None, seed: int = 0,
                    llm_timeout: float | None = None,
                    project: str | os.PathLike | None = None):
    """Like :func:`plan`, returning the storyboard with notes on what the LLM planner
    repaired or left to the offline director (``.storyboard``, ``.notes``)."""
    return agents.plan_with_notes(request, llm=llm, seed=seed, llm_timeout=llm_timeout,
                                  project=project)


def sheet(storyboard: Storyboard, output: str | os.PathLike) -> Path:
    """Draw the storyboard's contact sheet as a PNG and return its path."""
    from storyboard.sheet import render_sheet

    return render_sheet(storyboard, output)


def default_project(output: str | os.PathLike) -> Path:
    """The project folder used for a film when none is named: ``NAME.director`` beside
    ``NAME.mp4``, so each film keeps its own storyboard versions, store and reports."""
    output = Path(output)
    return output.with_name(f"{output.stem}.director")


def check_render_target(output: str | os.PathLike, *, project: str | os.PathLike | None = None,
                        audio: str | os.PathLike | None = None, animator: str = "animatic",
                        report: str | os.PathLike | None = None) -> Path:
    """Cheap checks before any work is done, creating nothing: an .mp4 name, folders that
    can be written, an audio file that decodes, a known animator. Returns the output path;
    UserError if not."""
    from animator.registry import available
    from director.audio import check_audio
    from storyboard.io import check_creatable_dir

    output = Path(output)
    if output.name.lower() == ".mp4":
        raise UserError(f"the film needs a name before .mp4, e.g. -o film.mp4; got"
                        f" {str(output)!r}")
    if output.suffix.lower() != ".mp4":
        raise UserError(f"the film must be an .mp4 file, e.g. -o film.mp4; got {str(output)!r}")
    if output.is_dir():
        raise UserError(f"cannot write the film as {str(output)!r}: it is a folder")
    if animator not in available():
        raise UserError(f"unknown animator {animator!r}: choose one of {', '.join(available())}")
    check_creatable_dir(output.parent)
    check_creatable_dir(project if project is not None else default_project(output))
    if report is not None:
        check_creatable_dir(Path(report).parent)
    if audio is not None:
        check_audio(audio)
    return output


def render(storyboard: Storyboard, output: str | os.PathLike = "film.mp4", *,
           project: str | os.PathLike | None = None, report: str | os.PathLike | None = None,
           workers: int = 2, animator: str = "animatic", title: bool = True,
           audio: str | os.PathLike | None = None,
           progress: bool | ProgressListener = True, executor: str | None = None,
           ray_address: str | None = None, ray_actors: int | None = None) -> RenderReport:
    """Render a storyboard into a film at ``output`` (an .mp4, with an .srt beside it).

    The project folder (default: :func:`default_project`) keeps the storyboard versions,
    the artifact store and the reports; only jobs whose artifacts are missing run, so a
    second call reuses everything. A failing job does not raise: check ``report.ok``.
    ``progress``: bars on a terminal, or a listener told where the run stands.
    ``executor`` ('local' or 'ray'), ``ray_address`` ('local' or HOST:PORT) and
    ``ray_actors`` (animator workers per role) default to the project's director.toml,
    else the local executor."""
    from animator.registry import get_animator
    from director.execute import execute
    from director.execution_settings import resolve_execution
    from director.project import Project
    from director.schedule import schedule

    output = check_render_target(output, project=project, audio=audio, animator=animator,
                                 report=report)
    folder_path = project if project is not None else default_project(output)
    settings = resolve_execution(folder_path, executor=executor, ray_address=ray_address,
                                 ray_actors=ray_actors)
    backend = get_animator(animator)
    graph = schedule(storyboard, backend, title=title, audio=audio)
    folder = Project(folder_path)
    result = execute(graph, backend, folder, workers=workers, progress=progress,
                     output=output, report=report, executor=settings.executor,
                     ray_address=settings.ray_address, ray_actors=settings.ray_actors)
    try:
        remember_film(folder, output, {"workers": workers, "animator": animator,
                                       "title": title, "audio": audio, "executor": executor,
                                       "ray_address": ray_address, "ray_actors": ray_actors})
    except UserError:
        if result.ok:
            raise  # else the failed jobs' summary says more (a full disk fails both)
    return result


def make(request: str, output: str | os.PathLike = "film.mp4", *,
         project: str | os.PathLike | None = None, llm: str | None = None,
         llm_timeout: float | None = None, seed: int = 0,
         on_plan: Callable[[PlanResult], None] | None = None,
         report: str | os.PathLike | None = None, workers: int = 2,
         animator: str = "animatic", title: bool = True,
         audio: str | os.PathLike | None = None, progress: bool | ProgressListener = True,
         executor: str | None = None, ray_address: str | None = None,
         ray_actors: int | None = None) -> RenderReport:
    """Plan a film from a plain-language request, then :func:`render` it. The output, the
    folders, the audio and the execution settings are checked before planning (nothing is
    created until the plan is made); ``on_plan`` sees the plan (storyboard and planner
    notes) before rendering starts."""
    from director.execution_settings import resolve_execution

    project = project if project is not None else default_project(output)
    check_render_target(output, project=project, audio=audio, animator=animator,
                        report=report)
    resolve_execution(project, executor=executor, ray_address=ray_address,
                      ray_actors=ray_actors)
    planned = plan_with_notes(request, llm=llm, seed=seed, llm_timeout=llm_timeout,
                              project=project)
    if on_plan is not None:
        on_plan(planned)
    return render(planned.storyboard, output, project=project, report=report,
                  workers=workers, animator=animator, title=title, audio=audio,
                  progress=progress, executor=executor, ray_address=ray_address,
                  ray_actors=ray_actors)


# -- revising a film ---------------------------------------------------------------------


def revise(project: str | os.PathLike, message: str, *, llm: str | None = None,
           render: bool = True, output: str | os.PathLike | None = None,
           report: str | os.PathLike | None = None, progress: bool = True,
           llm_timeout: float | None = None, **render_options) -> Revision:
    """Revise the project's film as ``message`` asks ("make the owl white, cut shot 3"):
    the reviser (offline rules unless ``llm`` names a model) gives edit operations, the
    next storyboard version is saved with a chat turn, and the film is rendered again
    (only what changed is made) unless ``render`` is False. ``render_options`` are those
    of :func:`render`; by default the film is made where and as it was last made.
    UserError, with nothing changed, when the message cannot be mapped or applied."""
    return Session(project, llm, llm_timeout=llm_timeout, render=render, output=output,
                   report=report, progress=progress, **render_options).send(message)


def history(project: str | os.PathLike) -> list[Turn]:
    """The project's chat turns, oldest first (version, message, reviser, described,
    diff, created)."""
    return Session(project, render=False).history()


def undo(project: str | os.PathLike, *, render: bool = True, **render_options) -> Revision:
    """Undo the last revision: a new version equal to the one before it (re-makes
    nothing already stored)."""
    return Session(project, render=render, **render_options).undo()


def redo(project: str | os.PathLike, *, render: bool = True, **render_options) -> Revision:
    """Redo the revision the last undo took back."""
    return Session(project, render=render, **render_options).redo()


def restore(project: str | os.PathLike, version: int, *, render: bool = True,
            **render_options) -> Revision:
    """Go back to storyboard version ``version`` (a new version equal to it; re-makes
    nothing already stored)."""
    return Session(project, render=render, **render_options).restore(version)


# -- measuring a film -----------------------------------------------------------------------


def evaluate(film: str | os.PathLike, *, storyboard: Storyboard | str | os.PathLike | None = None,
             project: str | os.PathLike | None = None,
             clip_model: str | os.PathLike | None = None,
             reference: str | os.PathLike | None = None, stride: int | None = None,
             output: str | os.PathLike | None = None, html: str | os.PathLike | None = None,
             fvd_model: str | os.PathLike | None = None):
    """Measure a film (``director.evaluate``): frame consistency, CLIPSIM, entity
    consistency, layout adherence and PSNR/SSIM, offline. The storyboard (a document, a
    file, or the latest version in ``project``) gives the shots, prompts and boxes; without
    one only the figures that need none are measured. ``clip_model``: a folder or a Hugging
    Face id in the local cache (default ``openai/clip-vit-base-patch32``). Writes the JSON
    report to ``output`` and the HTML page to ``html`` when given; returns the report.
    ``fvd_model``: an I3D checkpoint (.safetensors) for FVD against ``reference``."""
    from director.evaluate import evaluate as measure
    from storyboard.errors import UserError

    name = None
    if storyboard is not None and project is not None:
        raise UserError("give the storyboard or the project it is in, not both")
    if project is not None:
        from director.project import Project

        if not Path(project).is_dir():
            raise UserError(f"no such project folder: {str(project)!r}")
        folder = Project(project)
        latest = folder.latest_path()
        if latest is None:
            raise UserError(f"the project {str(project)!r} holds no storyboard yet")
        storyboard, name = load(latest), str(latest)
    elif storyboard is not None and not isinstance(storyboard, Storyboard):
        storyboard, name = load(storyboard), str(storyboard)
    elif storyboard is not None:
        name = storyboard.title
    return measure(film, storyboard=storyboard, storyboard_name=name, clip_model=clip_model,
                   reference=reference, stride=stride, output=output, html=html,
                   fvd_model=fvd_model)
