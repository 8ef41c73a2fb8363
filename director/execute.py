"""``execute``: run a job graph against an animator and a store.

    from director import Project, execute, schedule
    graph = schedule(storyboard, animator)                 # or schedule(board, caps, ...)
    report = execute(graph, animator, Project("my-film"),  # or a director.store.Store
                     workers=2, progress=True, output=Path("film.mp4"),
                     report=Path("report.json"))           # report: optional JSON copy
    report.ok, report.failures, report.jobs.reused

Which jobs run and in what batches is ``director.policy``; the batches run on an engine
(``director.engines.local``: a pool of ``workers`` threads); what a batch does is
``director.engines.batches``. A job that raises becomes a :class:`Failure`; every job
that does not depend on it still runs and is stored, and the next run resumes from
there. Artifacts are written atomically by the store, so killing the process loses only
the jobs in flight.

Given a :class:`director.project.Project`, ``execute`` also saves the storyboard as a
version (when it changed), records the schedule settings (for ``cache gc``) and writes the
report to ``reports/render-<time>.json``. With ``output``, the film is copied there
(``director.publish``: atomically, with its ``.srt`` beside it).
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import networkx as nx

from animator.base import Animator
from director.engines.local import LocalEngine
from director.keys import digest
from director.policy import Policy
from director.progress import progress_bars
from director.publish import publish_film
from director.report import Failure, JobCounts, KindStats, RenderReport, role_stats
from director.schedule import ScheduleConfig
from director.store import Store
from storyboard.errors import UserError

__all__ = ["Failure", "JobCounts", "KindStats", "RenderReport", "execute"]


def execute(graph: nx.DiGraph, animator: Animator, store: Store | Any, *, workers: int = 2,
            progress: bool = True, output: str | os.PathLike | None = None,
            report: str | os.PathLike | None = None) -> RenderReport:
    """Run the jobs of ``graph`` whose artifacts are missing; see the module docstring.
    ``store`` is a Store or a Project. Returns the report; never raises for a failing job
    (check ``report.ok``), but raises UserError for unusable arguments."""
    from director.project import Project

    project = store if isinstance(store, Project) else None
    if project is not None:
        store = project.store
    if not isinstance(store, Store):
        raise TypeError(f"execute() needs a Store or a Project, not {type(store).__name__}")
    if workers < 1:
        raise UserError(f"--workers must be at least 1; got {workers}")
    _check_animator(graph, animator)
    if project is not None:
        project.record(graph)

    start = time.perf_counter()
    policy = Policy(graph, store, capabilities=animator.capabilities)
    usage = animator.usage()
    with progress_bars(policy.todo(), progress) as advance:
        policy.on_result = advance
        LocalEngine(animator, workers).run(policy)
    result = policy.report(time.perf_counter() - start)
    result.roles = role_stats(policy.stats, usage, animator.usage(), _describe(animator))
    if output is not None and policy.film is not None and store.has(policy.film.key):
        result.output = str(publish_film(store, policy.film.key, Path(output)))
    if report is None and project is not None:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-%f")
        report = project.reports / f"render-{stamp}.json"
    if report is not None:
        result.write(report)
    return result


def _describe(animator: Animator) -> dict[str, str]:
    """Each role's model, where the backend says (``describe``)."""
    describe = getattr(animator, "describe", None)
    return describe() if callable(describe) else {}


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
