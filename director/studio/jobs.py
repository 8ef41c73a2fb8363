"""Background work: one plan, revision or render per project at a time, in a thread, so
the page stays responsive while it runs and can show its progress."""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from director.studio.progress import ProgressTracker
from storyboard.errors import UserError

log = logging.getLogger(__name__)

T = TypeVar("T")
_ids = itertools.count(1)


@dataclass
class Job(Generic[T]):
    """One piece of background work: its progress, then its result or its error."""

    title: str
    progress: ProgressTracker = field(default_factory=ProgressTracker)
    id: int = field(default_factory=lambda: next(_ids))
    result: T | None = None
    error: str | None = None
    """one line a person can act on, when the work failed"""
    finished: threading.Event = field(default_factory=threading.Event)

    @property
    def running(self) -> bool:
        return not self.finished.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends (True) or ``timeout`` seconds pass (False)."""
        return self.finished.wait(timeout)


class JobRunner:
    """Runs one job at a time in a background thread; a second is refused while one runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.current: Job | None = None
        """the running job, else the last one that ran"""

    def start(self, title: str, work: Callable[[Job], T],
              on_end: Callable[[Job], None] | None = None) -> Job[T]:
        """Start ``work(job)`` in a thread and return the job at once; ``on_end(job)`` runs
        in that thread when it ends. UserError when a job is already running."""
        with self._lock:
            if self.current is not None and self.current.running:
                raise UserError(f"{self.current.title} is still running for this project:"
                                f" wait for it to finish, then try again")
            job: Job[T] = Job(title)
            self.current = job
        threading.Thread(target=self._run, args=(job, work, on_end), daemon=True,
                         name=f"studio-job-{job.id}").start()
        return job

    @staticmethod
    def _run(job: Job, work: Callable[[Job], T], on_end: Callable[[Job], None] | None) -> None:
        try:
            job.result = work(job)
        except UserError as error:
            job.error = str(error)
        except Exception as error:  # noqa: BLE001 - shown in the page; the log has the trace
            log.exception("%s failed", job.title)
            first = (str(error).strip().splitlines() or [""])[0]
            job.error = f"{job.title} failed: {type(error).__name__}: {first}".rstrip(": ")
        finally:
            try:
                if on_end is not None:
                    on_end(job)
            finally:
                job.finished.set()
