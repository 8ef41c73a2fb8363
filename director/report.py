"""What a run did: the render report (jobs run, reused and failed by kind, failures,
per-role model figures), written as JSON to the project's ``reports/`` folder or where
the caller asks."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from pydantic import BaseModel, Field

from storyboard.errors import UserError
from storyboard.io import atomic_write_text, writable_dir

DISK_FULL = os.strerror(errno.ENOSPC)
"""How a job's message says the disk is full ("No space left on device")."""


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


class RoleStats(BaseModel):
    """One role of the animator in this run (``Animator.usage``, as the difference over
    the run; ``peak_gpu_mb`` is the highest during one of its calls in this process)."""

    jobs: int = Field(0, description="jobs of its kind run in this run")
    loads: int = Field(0, description="models loaded for it in this run")
    load_seconds: float = 0.0
    calls: int = Field(0, description="pipeline calls")
    device_seconds: float = Field(0.0, description="seconds inside its pipeline calls")
    peak_gpu_mb: float | None = Field(None, description="None where torch reports none")


def role_stats(kind_stats: dict[str, KindStats], before: dict,
               after: dict) -> dict[str, RoleStats]:
    """The per-role figures of a run from ``Animator.usage()`` taken ``before`` and
    ``after`` it (role -> RoleUsage) and the jobs run by kind."""
    from animator.base import KIND_ROLES, RoleUsage

    roles: dict[str, RoleStats] = {}
    for role, now in after.items():
        then = before.get(role, RoleUsage())
        jobs = sum(s.run for kind, s in kind_stats.items() if KIND_ROLES.get(kind) == role)
        peak = now.peak_gpu_bytes
        roles[role] = RoleStats(
            jobs=jobs, loads=now.loads - then.loads,
            load_seconds=round(now.load_seconds - then.load_seconds, 3),
            calls=now.calls - then.calls,
            device_seconds=round(now.device_seconds - then.device_seconds, 3),
            peak_gpu_mb=None if peak is None else round(peak / 2**20, 1))
    return roles


class NodeStats(BaseModel):
    """What the animator workers on one cluster node did (Ray executor)."""

    workers: dict[str, int] = Field(default_factory=dict, description="actors by role")
    batches: int = 0
    jobs: int = 0
    seconds: float = Field(0.0, description="seconds of animator calls, as the driver saw them")


class RenderReport(BaseModel):
    """What a run did; written as JSON by ``execute(..., report=path)``."""

    jobs: JobCounts
    depth: int = Field(description="jobs on the graph's critical path")
    wall_seconds: float
    frames: int = Field(description="frames in the film (for a graph without a film job: "
                                    "frames its jobs make)")
    output: str | None = Field(description="the film: the output path, else its store file")
    failures: list[Failure] = Field(default_factory=list)
    animator: dict[str, str] = Field(
        default_factory=dict, description="the backend, and each of its roles' model and"
                                          " method (grounding, conditioning, the blend)")
    roles: dict[str, RoleStats] = Field(
        default_factory=dict, description="per role of the animator: jobs, model loads "
        "and seconds, pipeline calls, device seconds, peak GPU memory ({} without models)")
    executor: str = Field("local", description="'local' or 'ray'")
    nodes: dict[str, NodeStats] = Field(default_factory=dict,
                                        description="Ray executor: by node address")

    @property
    def ok(self) -> bool:
        return not self.failures and self.jobs.failed == 0

    def failure_summary(self) -> str:
        """One line naming the failed jobs (empty when none failed)."""
        if self.ok:
            return ""
        counts = f"{len(self.failures)} job(s) failed, {self.jobs.failed} not made"
        if any(DISK_FULL in f.message for f in self.failures):
            return (f"the disk is full ({DISK_FULL}): {counts}; what finished is kept: free"
                    f" some space and run again to resume")
        named = "; ".join(f"{f.job} ({f.kind}): {f.message}" for f in self.failures[:3])
        more = f" and {len(self.failures) - 3} more" if len(self.failures) > 3 else ""
        return f"{counts}: {named}{more}; what finished is kept, run again to resume"

    def write(self, path: str | os.PathLike) -> Path:
        """Write the report as indented JSON, atomically; UserError when it cannot be."""
        path = Path(path)
        writable_dir(path.parent)
        try:
            return atomic_write_text(path, self.model_dump_json(indent=2) + "\n")
        except UserError as error:
            raise UserError(f"cannot write the report: {error}") from None
