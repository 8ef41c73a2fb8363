"""What a run did: the render report (jobs run, reused and failed by kind, failures),
written as JSON to the project's ``reports/`` folder or where the caller asks."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field

from storyboard.errors import UserError
from storyboard.io import atomic_write_text, writable_dir


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
