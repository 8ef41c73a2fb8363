"""A deterministic test animator: the real Animator interface, solid-colour frames.

Each frame's colour comes from its request (seed, time, shot), so equal requests give
equal pixels and a test can check which request made a frame. An in-between also carries
its two end frames: pixels (0, 1) and (0, 2) are the colours at (0, 0) of its first and
last frame, so a test sees an end frame that is swapped or wrong. Options inject a delay
per call (for kill tests and benchmarks) or a failure for chosen requests.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from animator.base import (
    Animator,
    Capabilities,
    ClipRequest,
    Frame,
    FrameRequest,
    InbetweenRequest,
)


def colour_of(request: FrameRequest) -> tuple[int, int, int]:
    """The colour a SolidAnimator paints for ``request``."""
    return (request.seed % 256, round(request.t * 255), sum(map(ord, request.shot_id)) % 256)


class SolidAnimator(Animator):
    """Paints every frame one colour derived from its request."""

    name = "solid"

    def __init__(self, *, m: int = 3, batch_size: int = 2, clip_frames: int = 0,
                 delay: float = 0.0, fail: Callable[[FrameRequest], bool] | None = None,
                 version: int = 1, calls_dir: str | None = None,
                 resources: dict[str, float] | None = None) -> None:
        self.m, self.batch_size, self.clip_frames = m, batch_size, clip_frames
        self.delay, self.fail, self.version = delay, fail, version
        self.calls_dir, self.resources = calls_dir, resources
        """calls_dir: each call first touches a file named by its process id there (a
        test can find and kill a Ray worker mid-call); resources: its worker resources"""
        self.calls: list[tuple[str, int]] = []
        """(kind, batch size) of every call, in order"""
        self._lock = threading.Lock()

    def fingerprint(self) -> dict[str, Any]:
        return {"backend": self.name, "version": self.version}

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(max_inbetweens=self.m, batch_size=self.batch_size,
                            clip_frames=self.clip_frames)

    def _paint(self, request: FrameRequest) -> Frame:
        if self.fail is not None and self.fail(request):
            raise RuntimeError(f"injected failure at {request.shot_id} t={request.t:.3f}")
        frame = np.empty((request.height, request.width, 3), np.uint8)
        frame[:] = colour_of(request)
        return frame

    def worker_resources(self, role: str) -> dict[str, float]:
        return dict(self.resources) if self.resources is not None else \
            super().worker_resources(role)

    def _call(self, kind: str, size: int) -> None:
        with self._lock:
            self.calls.append((kind, size))
        if self.calls_dir is not None:
            (Path(self.calls_dir) / str(os.getpid())).touch()
        if self.delay:
            time.sleep(self.delay)

    def keyframes(self, requests: Sequence[FrameRequest]) -> list[Frame]:
        self._call("keyframe", len(requests))
        return [self._paint(r) for r in requests]

    def inbetweens(self, requests: Sequence[InbetweenRequest]) -> list[list[Frame]]:
        self._call("interpolate", len(requests))
        for r in requests:
            assert r.first.shape == r.last.shape, "end frames differ in size"
        return [[_with_ends(self._paint(f), r) for f in r.frames] for r in requests]

    def clips(self, requests: Sequence[ClipRequest]) -> list[list[Frame]]:
        if not self.clip_frames:
            return super().clips(requests)
        self._call("clip", len(requests))
        return [[self._paint(f) for f in r.frames] for r in requests]


def _with_ends(frame: Frame, request: InbetweenRequest) -> Frame:
    """``frame`` marked with the colours of the request's end frames (see the module)."""
    frame[0, 1] = request.first[0, 0]
    frame[0, 2] = request.last[0, 0]
    return frame


def end_colours(frame: Frame) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The colours of the first and last end frame an in-between was made from."""
    return tuple(frame[0, 1].tolist()), tuple(frame[0, 2].tolist())


class FixedTimeAnimator(SolidAnimator):
    """Every call takes ``seconds`` whatever its batch (a GPU running a batch at once)."""

    name = "fixed-time"

    def __init__(self, seconds: float, *, m: int = 15, batch_size: int = 1) -> None:
        super().__init__(m=m, batch_size=batch_size, delay=seconds)


def small_storyboard_dict(**format_changes: Any) -> dict[str, Any]:
    """The shared three-shot storyboard (tests/conftest.py) at 64x64, 8 fps: shots of 32,
    28 and 40 frames; small enough to render in a fraction of a second."""
    from conftest import make_storyboard_dict

    data = make_storyboard_dict()
    data["format"] = {"width": 64, "height": 64, "fps": 8, **format_changes}
    return data


def small_storyboard(**format_changes: Any):
    """:func:`small_storyboard_dict` as a validated Storyboard."""
    from storyboard import validate

    return validate(small_storyboard_dict(**format_changes))
