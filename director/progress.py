"""Progress of a run: rich bars on stderr (one per kind of job), or a listener that is
told where the run stands as each job ends (the studio's progress panel)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from director.schedule import KINDS


@dataclass(frozen=True)
class RunProgress:
    """Where a run stands, per kind of job: jobs to run, those of them ended so far (run
    or failed), and jobs reused from the store."""

    todo: Mapping[str, int]
    done: Mapping[str, int]
    reused: Mapping[str, int]

    def kinds(self) -> list[str]:
        """Kinds with any job, in the order the job graph makes them."""
        return [k for k in KINDS if self.todo.get(k, 0) or self.reused.get(k, 0)]


ProgressListener = Callable[[RunProgress], None]
"""Called with a :class:`RunProgress` when the run starts and as each job ends (from the
thread that drives the run: it must return quickly)."""


@contextmanager
def run_progress(todo: Mapping[str, int], reused: Mapping[str, int],
                 progress: bool | ProgressListener = True) -> Iterator[Callable[[str], None]]:
    """Yield ``advance(kind)`` for each job that ends: it tells ``progress`` when that is a
    listener; else it advances :func:`progress_bars` (when ``progress`` is true)."""
    if not callable(progress):
        with progress_bars(todo, bool(progress)) as advance:
            yield advance
        return
    done = dict.fromkeys(todo, 0)

    def tell(kind: str | None = None) -> None:
        if kind is not None:
            done[kind] = done.get(kind, 0) + 1
        progress(RunProgress(dict(todo), dict(done), dict(reused)))

    tell()
    yield tell


@contextmanager
def progress_bars(todo: Mapping[str, int], enabled: bool = True
                  ) -> Iterator[Callable[[str], None]]:
    """Yield ``advance(kind)``: one bar per kind with jobs in ``todo`` (none when not on
    a terminal or when ``enabled`` is false)."""
    if not (enabled and sys.stderr.isatty()):
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

    with Progress(TextColumn("{task.description:>12}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=Console(stderr=True)) as bar:
        tasks = {kind: bar.add_task(kind, total=count) for kind, count in todo.items() if count}
        yield lambda kind: bar.advance(tasks[kind]) if kind in tasks else None
