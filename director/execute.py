"""``execute``: run a job graph against an animator and a store.

    from director import Project, execute, schedule
    graph = schedule(storyboard, animator)                 # or schedule(board, caps, ...)
    report = execute(graph, animator, Project("my-film"),  # or a director.store.Store
                     workers=2, progress=True, output=Path("film.mp4"),
                     report=Path("report.json"))           # report: optional JSON copy
    report.ok, report.failures, report.jobs.reused

Which jobs run and in what batches is ``director.policy``; the batches run on an engine:
``executor="local"`` (``director.engines.local``: a pool of ``workers`` threads, the
default; ray is never imported) or ``executor="ray"`` (``director.engines.ray``: the
animator calls on Ray actors, ``ray_address="local"`` for a private cluster on this
machine or ``HOST:PORT`` to join one). What a batch does is ``director.engines.batches``;
both engines make the same artifacts. A job that raises becomes a :class:`Failure`; every job
that does not depend on it still runs and is stored, and the next run resumes from
there. Artifacts are written atomically by the store, so killing the process loses only
the jobs in flight.

Given a :class:`director.project.Project`, ``execute`` holds it (``Project.lock``: a
second render of the same project at once refuses with one line), removes the unfinished
writes of processes that are gone (``Project.sweep``), saves the storyboard as a
version (when it changed), records the schedule settings (for ``cache gc``) and writes the
report to ``reports/render-<time>.json``. With ``output``, the film is copied there
(``director.publish``: atomically, with its ``.srt`` beside it).
"""

from __future__ import annotations

import logging
import os
import time
from contextlib import nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import networkx as nx

from animator.base import Animator
from director.artifacts import ArtifactStore
from director.engines import Engine
from director.engines.local import LocalEngine
from director.keys import digest
from director.policy import Policy
from director.progress import ProgressListener, run_progress
from director.publish import publish_film
from director.report import Failure, JobCounts, KindStats, RenderReport, role_stats
from director.schedule import ScheduleConfig
from director.store import Store
from storyboard.errors import UserError

log = logging.getLogger(__name__)

__all__ = ["Failure", "JobCounts", "KindStats", "RenderReport", "execute"]


def execute(graph: nx.DiGraph, animator: Animator, store: ArtifactStore | Any, *,
            workers: int = 2, progress: bool | ProgressListener = True,
            output: str | os.PathLike | None = None, report: str | os.PathLike | None = None,
            executor: str = "local", ray_address: str = "local",
            ray_actors: int | None = None) -> RenderReport:
    """Run the jobs of ``graph`` whose artifacts are missing; see the module docstring.
    ``store`` is an ArtifactStore (a Store) or a Project; ``progress`` shows bars on a
    terminal (True), or is a listener told where the run stands
    (``director.progress.RunProgress``). ``executor``: ``"local"`` (``workers`` threads) or
    ``"ray"`` (``ray_actors`` animator workers per role, default ``workers``, on the
    cluster at ``ray_address``: ``"local"`` for a private one on this machine, or
    ``HOST:PORT``). Returns the report; never raises for a failing job (check
    ``report.ok``), but raises UserError for unusable arguments."""
    from director.project import Project

    project = store if isinstance(store, Project) else None
    if project is not None:
        store = project.store
    if not isinstance(store, ArtifactStore):
        raise TypeError(f"execute() needs a Store or a Project, not {type(store).__name__}")
    if workers < 1:
        raise UserError(f"--workers must be at least 1; got {workers}")
    engine = _engine(animator, workers, executor, ray_address, ray_actors)
    _check_animator(graph, animator)
    with project.lock() if project is not None else nullcontext():
        return _execute(graph, animator, store, project, engine, executor, progress, output,
                        report)


def _execute(graph: nx.DiGraph, animator: Animator, store: ArtifactStore, project,
             engine: Engine, executor: str, progress: bool | ProgressListener,
             output: str | os.PathLike | None,
             report: str | os.PathLike | None) -> RenderReport:
    """``execute`` once the arguments are checked (and the project held): litter of gone
    writers swept, the graph recorded, its jobs run, the film published, the report
    written."""
    if project is not None:
        project.sweep()
        project.record(graph)
    elif isinstance(store, Store):
        store.sweep()
    start = time.perf_counter()
    policy = Policy(graph, store, capabilities=animator.capabilities)
    reused = {kind: stats.reused for kind, stats in policy.stats.items()}
    usage = animator.usage()
    with run_progress(policy.todo(), reused, progress) as advance:
        policy.on_result = advance
        engine.run(policy)
    result = policy.report(time.perf_counter() - start)
    result.roles = role_stats(policy.stats, usage, animator.usage())
    result.executor = executor
    result.nodes = engine.nodes
    result.animator = {"backend": animator.name, **animator.describe()}
    if output is not None and policy.film is not None and store.has(policy.film.key):
        result.output = str(publish_film(store, policy.film.key, Path(output)))
    if report is None and project is not None:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-%f")
        report = project.reports / f"render-{stamp}.json"
    if report is not None:
        try:
            result.write(report)
        except UserError:
            if result.ok:
                raise
            # the failed jobs' summary says more (a full disk fails the report too)
            log.debug("the report of a failed run was not written", exc_info=True)
    return result


def _engine(animator: Animator, workers: int, executor: str, ray_address: str,
            ray_actors: int | None) -> Engine:
    """The engine for ``executor``; ray is imported only for ``"ray"``."""
    if executor == "local":
        return LocalEngine(animator, workers)
    if executor == "ray":
        from director.engines.ray import RayEngine
        from director.engines.ray_cluster import require_ray

        require_ray()  # a missing extra is one clear message, before any work
        return RayEngine(animator, address=ray_address,
                         actors=workers if ray_actors is None else ray_actors,
                         driver_workers=workers)
    raise UserError(f"unknown executor {executor!r}: use 'local' or 'ray'")


def _check_animator(graph: nx.DiGraph, animator: Animator) -> None:
    config: ScheduleConfig | None = graph.graph.get("config")
    if config is None:
        return
    if digest(animator.fingerprint()) != config.fingerprint_digest:
        raise UserError(f"this job graph was scheduled for another animator (or other settings)"
                        f" than {animator.name!r}: schedule it again with this animator")
    caps = animator.capabilities
    if config.capabilities.max_inbetweens > caps.max_inbetweens or \
            config.capabilities.clip_frames > caps.clip_frames:
        raise UserError(f"this job graph asks for up to {config.capabilities.max_inbetweens} "
                        f"in-betweens per call, more than the {animator.name!r} animator makes "
                        f"({caps.max_inbetweens}): schedule it again with this animator")
