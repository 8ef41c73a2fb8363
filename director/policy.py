"""The scheduling policy, shared by every engine: which jobs are needed, the ready queue,
which batch runs next and the tally of what happened (failure records included).

    policy = Policy(graph, store, capabilities=animator.capabilities)
    while policy.active:                       # an engine's loop, with ``free`` workers
        batch = policy.take(free)              # when policy.has_ready
        results = run(batch)                   # the engine's business
        policy.finish(batch, results)          # makes the jobs' children ready
    report = policy.report(wall_seconds)

What runs: a job runs only if its artifact is missing and something needs it: the graph's
sinks (the film), or a job that itself runs. So a second run of a finished film touches
nothing but the film's artifact (no frame is read), and a revision runs only what
changed. The next batch is of the kind whose first ready job comes first (lowest level,
then topological rank); reference, keyframe, interpolate and clip jobs of one kind are
taken up to their batch size (``Capabilities.batch_size_for``) at a time, balanced over
the free workers. A job whose result carries an error becomes a
:class:`director.report.Failure`; its children never become ready, every job that does
not depend on it still runs.

One GPU, many models: the kinds whose role loads a model (``Capabilities.model_roles``;
``animator.base.KIND_ROLES``) are grouped. While the role last started has ready jobs,
only its jobs (and jobs of kinds without a model: shots, the film, a blend) are taken;
when it has none, the next role in NUWA-XL order (reference, keyframe, inbetween, clip)
with ready jobs starts. So every ready keyframe job runs before the in-between model is
first used. With ``one_model_at_a_time`` (model offload) a role starts only when no job
of another model role is out, so one model sits on the device at a time.
"""

from __future__ import annotations

import heapq
import logging
import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import networkx as nx

from animator.base import KIND_ROLES, ROLES, Capabilities
from director.artifacts import ArtifactStore
from director.report import Failure, JobCounts, KindStats, RenderReport
from director.schedule import BATCHED_KINDS, FRAME_KINDS, KINDS, Job, depth

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Batch:
    """Jobs of one kind that go to a worker together."""

    kind: str
    jobs: tuple[Job, ...]


@dataclass(frozen=True, slots=True)
class JobResult:
    """How one job of a batch ended: ``error`` is None when its artifact was stored."""

    job: Job
    seconds: float
    error: str | None = None


def error_message(error: BaseException) -> str:
    """One line for a failure record: the exception's type and first line."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


class Policy:
    """One run of a graph: the needed jobs, the ready queue and the tally."""

    def __init__(self, graph: nx.DiGraph, store: ArtifactStore, *, batch_size: int = 1,
                 capabilities: Capabilities | None = None) -> None:
        self.graph, self.store = graph, store
        self.capabilities = capabilities or Capabilities(max_inbetweens=1,
                                                         batch_size=max(1, batch_size))
        self.batch_size = self.capabilities.batch_size
        self._model_roles = set(self.capabilities.model_roles)
        self._role: str | None = None
        """the model role whose jobs were taken last"""
        self._out_by_role: dict[str, int] = defaultdict(int)
        self.jobs: dict[str, Job] = {n: d["job"] for n, d in graph.nodes(data=True)}
        films = [j for j in self.jobs.values() if j.kind == "film"]
        self.film: Job | None = films[0] if films else None
        self.on_result: Callable[[str], None] = lambda kind: None
        """called with the job's kind as each job ends (progress bars)"""
        order = list(nx.topological_sort(graph))
        self._rank = {node: i for i, node in enumerate(order)}
        self.needed = self._needed(order)
        self.stats = {kind: KindStats() for kind in KINDS
                      if any(j.kind == kind for j in self.jobs.values())}
        for node in order:
            self.stats[self.jobs[node].kind].total += 1
            if not self.needed[node]:
                self.stats[self.jobs[node].kind].reused += 1
        self.failures: list[Failure] = []
        self._waiting = {n: sum(1 for p in graph.pred[n] if self.needed[p])
                         for n in order if self.needed[n]}
        self._ready: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        self._out = 0  # jobs taken and not finished
        for node, count in self._waiting.items():
            if count == 0:
                self._make_ready(node)

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

    def todo(self) -> dict[str, int]:
        """Jobs to run, by kind."""
        counts = dict.fromkeys(self.stats, 0)
        for node, need in self.needed.items():
            if need:
                counts[self.jobs[node].kind] += 1
        return counts

    def _make_ready(self, node: str) -> None:
        job = self.jobs[node]
        heapq.heappush(self._ready[job.kind], (job.level, self._rank[node], node))

    def _model_role(self, kind: str) -> str | None:
        role = KIND_ROLES.get(kind)
        return role if role in self._model_roles else None

    def _startable(self) -> list[str]:
        """Kinds with ready jobs that may start now (see the module docstring)."""
        kinds = [k for k, queue in self._ready.items() if queue]
        free = [k for k in kinds if self._model_role(k) is None]
        waiting = {self._model_role(k): k for k in kinds if self._model_role(k) is not None}
        if not waiting:
            return free
        if self._role in waiting:
            return [*free, waiting[self._role]]
        busy = [r for r, n in self._out_by_role.items() if n > 0]
        if self.capabilities.one_model_at_a_time and busy:
            return free
        role = next(r for r in ROLES if r in waiting)
        return [*free, waiting[role]]

    @property
    def has_ready(self) -> bool:
        """A batch can be taken now."""
        return bool(self._startable())

    @property
    def active(self) -> bool:
        """Jobs are ready or out with a worker."""
        return self._out > 0 or any(self._ready.values())

    def take(self, free: int) -> Batch:
        """The next batch: of the kinds that may start, the one whose first ready job
        comes first; as many of its jobs as keep the ``free`` workers busy, at most its
        batch size. Call only when :attr:`has_ready`."""
        ready = self._ready
        kind = min(self._startable(), key=lambda k: ready[k][0])
        queue = ready[kind]
        size = (min(self.capabilities.batch_size_for(kind), math.ceil(len(queue) / max(1, free)))
                if kind in BATCHED_KINDS else 1)
        jobs = tuple(self.jobs[heapq.heappop(queue)[2]] for _ in range(min(size, len(queue))))
        self._out += len(jobs)
        role = self._model_role(kind)
        if role is not None:
            self._role = role
            self._out_by_role[role] += len(jobs)
        return Batch(kind, jobs)

    def finish(self, batch: Batch, results: Sequence[JobResult]) -> None:
        """Record how the jobs of ``batch`` ended; the children of stored jobs whose
        other parents are done become ready."""
        kind = batch.kind
        self._out -= len(batch.jobs)
        role = self._model_role(kind)
        if role is not None:
            self._out_by_role[role] -= len(batch.jobs)
        for result in results:
            job = result.job
            self.stats[kind].seconds += result.seconds
            self.on_result(kind)
            if result.error is not None:
                self.failures.append(Failure(job=job.id, kind=kind, shot=job.shot,
                                             message=result.error))
                log.debug("job %s failed: %s", job.id, result.error)  # the report sums up
                continue
            self.stats[kind].run += 1
            for child in self.graph.succ[job.id]:
                if child in self._waiting:
                    self._waiting[child] -= 1
                    if self._waiting[child] == 0:  # never below a failed job
                        self._make_ready(child)

    def report(self, wall_seconds: float) -> RenderReport:
        """The tally as a report (``output``: the film's store file, when it exists)."""
        for kind_stats in self.stats.values():
            kind_stats.seconds = round(kind_stats.seconds, 3)
        run = sum(s.run for s in self.stats.values())
        reused = sum(s.reused for s in self.stats.values())
        counts = JobCounts(total=len(self.jobs), run=run, reused=reused,
                           failed=len(self.jobs) - run - reused, by_kind=self.stats)
        film_made = self.film is not None and self.store.has(self.film.key)
        if self.film is None:
            frames = sum(len(j.frames) for j in self.jobs.values() if j.kind in FRAME_KINDS)
        else:
            frames = int(self.store.meta(self.film.key).get("frames", 0)) if film_made else 0
        output = str(self.store.file(self.film.key, "film.mp4")) if film_made else None
        return RenderReport(jobs=counts, depth=depth(self.graph),
                            wall_seconds=round(wall_seconds, 3), frames=frames,
                            output=output, failures=self.failures)
