"""Stopping a denoising loop between two steps (Ctrl-C, a cancelled run).

Every pipeline call of the backend passes :meth:`StepGuard.callback` as diffusers'
``callback_on_step_end``: after each denoising step it raises
:class:`animator.base.Interrupted` once :meth:`StepGuard.interrupt` was called after the
call began. So a call in flight ends within one step, nothing half-made is stored (the
job fails and the next run makes it again), and calls made after the interrupt run as
usual.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from animator.base import Interrupted

StepCallback = Callable[[Any, int, Any, dict], dict]


class StepGuard:
    """The interrupt flag every pipeline call of one backend checks between steps."""

    def __init__(self) -> None:
        self._epoch = 0
        self._lock = threading.Lock()

    def interrupt(self) -> None:
        """Stop every call in flight at its next step."""
        with self._lock:
            self._epoch += 1

    def callback(self, on_step: Callable[[int], None] | None = None) -> StepCallback:
        """A ``callback_on_step_end`` for one pipeline call that starts now; ``on_step``
        (tests, progress) is told the index of each finished step."""
        started = self._epoch

        def step_end(pipe: Any, step: int, timestep: Any, tensors: dict) -> dict:
            if on_step is not None:
                on_step(step)
            if self._epoch != started:
                raise Interrupted(f"interrupted after denoising step {step + 1}")
            return tensors

        return step_end
