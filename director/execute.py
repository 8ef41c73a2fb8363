"""The local executor: runs a job graph against an animator and a store, in threads.

    from director import Project, execute, schedule
    graph = schedule(storyboard, animator)                 # or schedule(board, caps, ...)
    report = execute(graph, animator, Project("my-film"),  # or a director.store.Store
                     workers=2, progress=True, output=Path("film.mp4"),
                     report=Path("report.json"))           # report: optional JSON copy
    report.ok, report.failures, report.jobs.reused

What runs: a job runs only if its artifact is missing and something needs it: the graph's
sinks (the film), or a job that itself runs. So a second run of a finished film touches
nothing but the film's artifact (no frame is read), and a revision runs only what
changed. Ready jobs run on a pool of ``workers`` threads; keyframe, interpolate and clip
jobs of the same kind go to the animator in batches of up to ``capabilities.batch_size``
(balanced over the free workers). The animator may be called from several threads at
once: a backend that cannot take that serialises its calls itself.

A job that raises becomes a :class:`Failure` (a failing batch is retried job by job, so
one bad job does not fail its batch mates); every job that does not depend on it still
runs and is stored, and the next run resumes from there. Artifacts are written
atomically by the store, so killing the process loses only the jobs in flight.

Given a :class:`director.project.Project`, ``execute`` also saves the storyboard as a
version (when it changed), records the schedule settings (for ``cache gc``) and writes the
report to ``reports/render-<time>.json``. With ``output``, the film is copied there
(atomically, with its ``.srt`` beside it). The film job calls
``director.assemble.assemble_film`` (imported when a film job runs).
"""

from __future__ import annotations

import heapq
import logging
import math
import os
import shutil
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from pydantic import BaseModel, Field

from animator.base import Animator, ClipRequest, InbetweenRequest
from director.keys import digest
from director.schedule import (
    FRAME_KINDS,
    KINDS,
    FilmPayload,
    Job,
    ScheduleConfig,
    ShotPayload,
    depth,
)
from director.segments import ShotSegments, write_shot_segments
from director.store import Store
from storyboard.errors import UserError
from storyboard.io import atomic_path, atomic_write_text, writable_dir

log = logging.getLogger(__name__)


# -- the report -------------------------------------------------------------------------------


class KindStats(BaseModel):
    """Jobs of one kind."""

    total: int = 0
    run: int = 0
    reused: int = 0
    seconds: float = Field(0.0, description="worker seconds spent on the jobs run")


class JobCounts(BaseModel):
    """``total`` = ``run`` + ``reused`` + ``failed``."""

    total: int = 0
    run: int = Field(0, description="jobs run and stored in this run")
    reused: int = Field(0, description="jobs whose artifact existed, or that only feed jobs "
                                       "whose artifacts existed")
    failed: int = Field(0, description="jobs that raised, and jobs that could not run "
                                       "because a job they need failed")
    by_kind: dict[str, KindStats] = Field(default_factory=dict)


class Failure(BaseModel):
    """A job that raised."""

    job: str
    kind: str
    shot: str | None
    message: str


class RenderReport(BaseModel):
    """What a run did; written as JSON by ``execute(..., report=path)``."""

    jobs: JobCounts
    depth: int = Field(description="jobs on the graph's critical path")
    wall_seconds: float
    frames: int = Field(description="frames in the film (for a graph without a film job: "
                                    "frames its jobs make)")
    output: str | None = Field(description="the film: the output path, else its store file")
    failures: list[Failure] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures and self.jobs.failed == 0

    def failure_summary(self) -> str:
        """One line naming the failed jobs (empty when none failed)."""
        if self.ok:
            return ""
        named = "; ".join(f"{f.job} ({f.kind}): {f.message}" for f in self.failures[:3])
        more = f" and {len(self.failures) - 3} more" if len(self.failures) > 3 else ""
        return (f"{len(self.failures)} job(s) failed, {self.jobs.failed} not made: "
                f"{named}{more}; what finished is kept, run again to resume")

    def write(self, path: str | os.PathLike) -> Path:
        """Write the report as indented JSON, atomically."""
        path = Path(path)
        writable_dir(path.parent)
        try:
            return atomic_write_text(path, self.model_dump_json(indent=2) + "\n")
        except OSError as error:
            raise UserError(f"cannot write the report to {str(path)!r}:"
                            f" {error.strerror or error}") from None


# -- the executor -------------------------------------------------------------------------------


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

    run = _Run(graph, animator, store, workers, progress)
    result = run.go()
    if output is not None and run.film is not None and store.has(run.film.key):
        result.output = str(_publish_film(store, run.film.key, Path(output)))
    if report is None and project is not None:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-%f")
        report = project.reports / f"render-{stamp}.json"
    if report is not None:
        result.write(report)
    return result


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


def _publish_film(store: Store, key: str, output: Path) -> Path:
    """Copy the film artifact and its subtitles to ``output``, atomically; an ``.srt`` left
    there by an earlier film is removed when this one has no narration."""
    srt = output.with_suffix(".srt")
    try:
        writable_dir(output.parent)
        with atomic_path(output) as tmp:
            shutil.copyfile(store.file(key, "film.mp4"), tmp)
        subtitles = store.meta(key).get("subtitles")
        if subtitles:
            with atomic_path(srt) as tmp:
                shutil.copyfile(store.file(key, subtitles), tmp)
        else:
            srt.unlink(missing_ok=True)
    except OSError as error:
        raise UserError(f"cannot write the film to {str(output)!r}: {error.strerror or error};"
                        f" it is kept in the project's store") from None
    return output


def _message(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


class _Run:
    """One execution of a graph: which jobs run, the ready queue, the pool and the tally."""

    def __init__(self, graph: nx.DiGraph, animator: Animator, store: Store, workers: int,
                 progress: bool) -> None:
        self.graph, self.animator, self.store, self.workers = graph, animator, store, workers
        self.show_progress = progress and sys.stderr.isatty()
        self.jobs: dict[str, Job] = {n: d["job"] for n, d in graph.nodes(data=True)}
        films = [j for j in self.jobs.values() if j.kind == "film"]
        self.film = films[0] if films else None
        self.batch_size = max(1, animator.capabilities.batch_size)

    # -- planning --------------------------------------------------------------------------
    def _needed(self, order: list[str]) -> dict[str, bool]:
        """Missing artifacts that the sinks (or other needed jobs) read."""
        succ, has, jobs = self.graph.succ, self.store.has, self.jobs
        needed: dict[str, bool] = {}
        debug = log.isEnabledFor(logging.DEBUG)
        for node in reversed(order):
            children = succ[node]
            if children and not any(needed[c] for c in children):
                needed[node], decision = False, "skip"  # every reader exists: not needed
            elif has(jobs[node].key):
                needed[node], decision = False, "hit"
            else:
                needed[node], decision = True, "miss"
            if debug:
                log.debug("cache %s %s %s", decision, node, jobs[node].key)
        return needed

    # -- running ---------------------------------------------------------------------------
    def go(self) -> RenderReport:
        start = time.perf_counter()
        graph, jobs = self.graph, self.jobs
        order = list(nx.topological_sort(graph))
        rank = {node: i for i, node in enumerate(order)}
        needed = self._needed(order)
        stats = {kind: KindStats() for kind in KINDS if any(j.kind == kind
                                                             for j in jobs.values())}
        for node in order:
            stats[jobs[node].kind].total += 1
            if not needed[node]:
                stats[jobs[node].kind].reused += 1
        waiting = {n: sum(1 for p in graph.pred[n] if needed[p]) for n in order if needed[n]}
        ready: dict[str, list[tuple[int, int, str]]] = defaultdict(list)

        def make_ready(node: str) -> None:
            heapq.heappush(ready[jobs[node].kind], (jobs[node].level, rank[node], node))

        for node, count in waiting.items():
            if count == 0:
                make_ready(node)
        failures: list[Failure] = []
        running: dict[Future, tuple[str, list[Job]]] = {}
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="director")
        with self._progress(stats, needed) as advance:
            try:
                while running or any(ready.values()):
                    while len(running) < self.workers and any(ready.values()):
                        kind, batch = self._take(ready, self.workers - len(running))
                        running[pool.submit(self._run_batch, kind, batch)] = (kind, batch)
                    done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                    for future in done:
                        kind, _batch = running.pop(future)
                        for job, seconds, error in future.result():
                            stats[kind].seconds += seconds
                            advance(kind)
                            if error is not None:
                                failures.append(Failure(job=job.id, kind=kind, shot=job.shot,
                                                        message=error))
                                log.warning("job %s failed: %s", job.id, error)
                                continue
                            stats[kind].run += 1
                            for child in graph.succ[job.id]:
                                if child in waiting:
                                    waiting[child] -= 1
                                    if waiting[child] == 0:  # never below a failed job
                                        make_ready(child)
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
        pool.shutdown(wait=True)
        for kind_stats in stats.values():
            kind_stats.seconds = round(kind_stats.seconds, 3)
        run = sum(s.run for s in stats.values())
        reused = sum(s.reused for s in stats.values())
        counts = JobCounts(total=len(jobs), run=run, reused=reused,
                           failed=len(jobs) - run - reused, by_kind=stats)
        return RenderReport(jobs=counts, depth=depth(graph),
                            wall_seconds=round(time.perf_counter() - start, 3),
                            frames=self._frames(), output=self._film_file(),
                            failures=failures)

    def _take(self, ready: dict[str, list], free: int) -> tuple[str, list[Job]]:
        """The next batch: the kind whose first ready job comes first; as many of its jobs
        as keep the free workers busy, at most the batch size."""
        kind = min((k for k, queue in ready.items() if queue), key=lambda k: ready[k][0])
        queue = ready[kind]
        size = min(self.batch_size, math.ceil(len(queue) / free)) if kind in FRAME_KINDS else 1
        return kind, [self.jobs[heapq.heappop(queue)[2]] for _ in range(min(size, len(queue)))]

    @contextmanager
    def _progress(self, stats: dict[str, KindStats], needed: dict[str, bool]) -> Iterator:
        """Yield ``advance(kind)``: one rich bar per kind of job to run (none when not on a
        terminal or when progress is off)."""
        if not self.show_progress:
            yield lambda kind: None
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        todo: dict[str, int] = defaultdict(int)
        for node, need in needed.items():
            if need:
                todo[self.jobs[node].kind] += 1
        with Progress(TextColumn("{task.description:>12}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=Console(stderr=True)) as bar:
            tasks = {kind: bar.add_task(kind, total=todo[kind]) for kind in stats if todo[kind]}
            yield lambda kind: bar.advance(tasks[kind]) if kind in tasks else None

    # -- jobs ----------------------------------------------------------------------------------
    def _run_batch(self, kind: str, batch: list[Job]) -> list[tuple[Job, float, str | None]]:
        """Run one batch; never raises: errors come back as messages, job by job."""
        start = time.perf_counter()
        try:
            if kind in FRAME_KINDS:
                return self._make_frames(kind, batch)
            if kind == "shot":
                self._make_shot(batch[0])
            elif kind == "film":
                self._make_film(batch[0])
            else:
                raise ValueError(f"unknown job kind {kind!r}")
            return [(batch[0], time.perf_counter() - start, None)]
        except Exception as error:  # noqa: BLE001 - a failing job becomes a record
            if len(batch) > 1:  # find the bad ones; keep the rest
                return [r for job in batch for r in self._run_batch(kind, [job])]
            log.debug("job %s raised", batch[0].id, exc_info=True)
            return [(batch[0], time.perf_counter() - start, _message(error))]

    def _end_frame(self, job: Job, which: int) -> np.ndarray:
        parent = self.jobs[job.parents[which]]
        return self.store.frame(parent.key, job.ends[which])

    def _make_frames(self, kind: str, batch: list[Job]) -> list[tuple[Job, float, str | None]]:
        start = time.perf_counter()
        if kind == "keyframe":
            requests = [job.frame_requests()[0] for job in batch]
            outputs = [[frame] for frame in self.animator.keyframes(requests)]
        elif kind == "interpolate":
            outputs = self.animator.inbetweens([
                InbetweenRequest(first=self._end_frame(job, 0), last=self._end_frame(job, 1),
                                 frames=tuple(job.frame_requests())) for job in batch])
        else:
            outputs = self.animator.clips([
                ClipRequest(first=self._end_frame(job, 0), frames=tuple(job.frame_requests()))
                for job in batch])
        if len(outputs) != len(batch):
            raise RuntimeError(f"the animator returned {len(outputs)} results for "
                               f"{len(batch)} requests")
        share = (time.perf_counter() - start) / len(batch)
        results: list[tuple[Job, float, str | None]] = []
        for job, frames in zip(batch, outputs, strict=True):
            began = time.perf_counter()
            try:
                self._check_frames(job, frames)
                self.store.put_frames(job.key, dict(zip(job.frames, frames, strict=True)),
                                      {"kind": kind, "job": job.id, "shot": job.shot,
                                       "seconds": round(share, 4)})
                results.append((job, share + time.perf_counter() - began, None))
            except Exception as error:  # noqa: BLE001 - one bad output fails one job
                results.append((job, share + time.perf_counter() - began, _message(error)))
        return results

    def _check_frames(self, job: Job, frames: list[np.ndarray]) -> None:
        if len(frames) != len(job.frames):
            raise ValueError(f"the animator returned {len(frames)} frames for a job of "
                             f"{len(job.frames)}")
        fmt = job.payload.storyboard.format
        for frame in frames:
            if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or \
                    frame.shape != (fmt.height, fmt.width, 3):
                raise ValueError(
                    f"the animator returned a {getattr(frame, 'dtype', type(frame).__name__)} "
                    f"frame of shape {getattr(frame, 'shape', None)}; expected uint8 "
                    f"{(fmt.height, fmt.width, 3)}")

    def _make_shot(self, job: Job) -> None:
        start = time.perf_counter()
        makers = [self.jobs[p] for p in job.parents]
        owner = {frame: maker for maker in makers for frame in maker.frames}
        left = {maker.id: len(maker.frames) for maker in makers}
        loaded: dict[str, dict[int, np.ndarray]] = {}

        def frames() -> Iterator[np.ndarray]:
            for index in job.frames:
                maker = owner[index]
                if maker.id not in loaded:
                    loaded[maker.id] = self.store.frames(maker.key)
                yield loaded[maker.id][index]
                left[maker.id] -= 1
                if left[maker.id] == 0:
                    del loaded[maker.id]

        payload: ShotPayload = job.payload  # type: ignore[assignment]
        lengths = payload.segments
        if lengths.frames != len(job.frames):
            raise RuntimeError(f"the shot's segments hold {lengths.frames} frames, the shot"
                               f" {len(job.frames)}")
        meta: dict[str, Any] = {"kind": "shot", "job": job.id, "shot": job.shot,
                                "frames": len(job.frames), "segments": lengths.as_dict()}
        with self.store.writing(job.key, meta) as work:
            write_shot_segments(frames(), work, lengths, payload.fps, payload.shot.narration)
            meta["seconds"] = round(time.perf_counter() - start, 4)

    def _make_film(self, job: Job) -> None:
        from director.assemble import assemble_film

        start = time.perf_counter()
        payload: FilmPayload = job.payload  # type: ignore[assignment]
        config: ScheduleConfig | None = self.graph.graph.get("config")
        if config is not None and config.audio_sha256 and payload.audio is None:
            raise UserError("the film has background audio, but no audio file was given")
        shots = [ShotSegments.in_folder(self.store.path(self.jobs[p].key))
                 for p in job.parents]
        meta: dict[str, Any] = {"kind": "film", "job": job.id, "shot": None}
        with self.store.writing(job.key, meta) as work:
            info = assemble_film(payload.storyboard, shots, work / "film.mp4",
                                 title=payload.title, audio=payload.audio)
            meta["subtitles"] = info.subtitles.name if info.subtitles else None
            meta["frames"] = int(info.frames)
            meta["film_seconds"] = float(info.seconds)
            meta["seconds"] = round(time.perf_counter() - start, 4)

    # -- results -------------------------------------------------------------------------------
    def _frames(self) -> int:
        if self.film is None:
            return sum(len(j.frames) for j in self.jobs.values() if j.kind in FRAME_KINDS)
        if self.store.has(self.film.key):
            return int(self.store.meta(self.film.key).get("frames", 0))
        return 0

    def _film_file(self) -> str | None:
        if self.film is not None and self.store.has(self.film.key):
            return str(self.store.file(self.film.key, "film.mp4"))
        return None
