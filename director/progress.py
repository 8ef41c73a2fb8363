"""Progress bars for a run: one rich bar per kind of job, on stderr."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager


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
