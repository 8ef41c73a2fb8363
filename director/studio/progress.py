"""What a background job is doing, for the page: the current step and, while frames are
made, the jobs done per kind (run so far, to run, reused). It is the ``progress``
listener the job hands to the API (``api.render(..., progress=tracker)``)."""

from __future__ import annotations

import threading
import time

from director.progress import RunProgress

_KIND_WORDS = {
    "reference": "drawing reference portraits",
    "keyframe": "drawing keyframes",
    "interpolate": "filling in-between frames",
    "clip": "making clips",
    "shot": "encoding shots",
    "film": "assembling the film",
}


class ProgressTracker:
    """Thread-safe: the job's thread writes, the page's polling reads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._step = "waiting to start"
        self._run: RunProgress | None = None
        self._started = time.monotonic()

    def step(self, words: str) -> None:
        """Name the current step ('planning the storyboard', 'publishing the film')."""
        with self._lock:
            self._step = words

    def __call__(self, progress: RunProgress) -> None:
        """The executor's progress listener: called at the start and as each job ends."""
        with self._lock:
            self._run = progress
            self._step = _current_step(progress)

    @property
    def current_step(self) -> str:
        with self._lock:
            return self._step

    @property
    def run(self) -> RunProgress | None:
        with self._lock:
            return self._run

    def markdown(self) -> str:
        """The step, the elapsed time and a table of jobs per kind."""
        with self._lock:
            step, run = self._step, self._run
        seconds = time.monotonic() - self._started
        lines = [f"**{step}** · {seconds:.0f} s"]
        if run is not None and run.kinds():
            lines += ["", "| jobs | done | to run | reused |", "| --- | ---: | ---: | ---: |"]
            for kind in run.kinds():
                lines.append(f"| {kind} | {run.done.get(kind, 0)} | {run.todo.get(kind, 0)}"
                             f" | {run.reused.get(kind, 0)} |")
        return "\n".join(lines)


def _current_step(progress: RunProgress) -> str:
    """The kinds being worked on: those begun and not finished, else the next to begin."""
    open_kinds = [k for k in progress.kinds() if progress.done.get(k, 0) < progress.todo.get(k, 0)]
    if not open_kinds:
        return "finishing the render"
    begun = [k for k in open_kinds if progress.done.get(k, 0) > 0] or open_kinds[:1]
    return "; ".join(f"{_KIND_WORDS.get(k, k)} ({progress.done.get(k, 0)} of"
                     f" {progress.todo[k]})" for k in begun)
