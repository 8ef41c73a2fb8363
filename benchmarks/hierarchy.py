"""Hierarchical (NUWA-XL) vs autoregressive in-betweening, side by side.

One shot of N frames (keyframes at its first and last frame) is made through the real
scheduler, executor and store by an animator whose every call takes a fixed time (as a
GPU does for a batch that fits), with W parallel workers. For each N it prints the depth
(frame-making jobs on the critical path: keyframe + interpolation levels; the shot and
film jobs add 2 in a full graph), the animator calls and the wall time of both
strategies, with the executor sending batches of 1 and of 4 requests per call.
Autoregressive windows depend each on the one before, so neither workers nor batches help
it. It ends with ``hierarchy_vs_autoregressive_1024f: <ratio>`` (hierarchical wall time /
autoregressive wall time at 1024 frames, batches of 4). NUWA-XL reports 26 s vs 453 s
(0.057). Goals: <= 0.10 with 16 workers, depth <= 4 at 1024 frames with m = 15.

    python benchmarks/hierarchy.py            # about a minute
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from animator.base import Animator, Capabilities, ClipRequest, FrameRequest, InbetweenRequest
from director.execute import execute
from director.schedule import schedule
from director.store import Store
from storyboard import validate

CALL_SECONDS = 0.1
WORKERS = 16
M = 15
FRAMES = (64, 256, 1024, 4096)
BATCHES = (1, 4)
FPS = 24


class FixedTimeAnimator(Animator):
    """Every call sleeps CALL_SECONDS, whatever its batch, then paints flat frames."""

    name = "fixed-time"

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size
        self.calls = 0

    def fingerprint(self) -> dict[str, Any]:
        return {"backend": self.name}

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(max_inbetweens=M, batch_size=self.batch_size)

    def _paint(self, request: FrameRequest) -> np.ndarray:
        return np.full((request.height, request.width, 3), request.seed % 256, np.uint8)

    def _call(self) -> None:
        self.calls += 1
        time.sleep(CALL_SECONDS)

    def keyframes(self, requests: Sequence[FrameRequest]) -> list[np.ndarray]:
        self._call()
        return [self._paint(r) for r in requests]

    def inbetweens(self, requests: Sequence[InbetweenRequest]) -> list[list[np.ndarray]]:
        self._call()
        return [[self._paint(f) for f in r.frames] for r in requests]

    def clips(self, requests: Sequence[ClipRequest]) -> list[list[np.ndarray]]:
        raise NotImplementedError


def one_shot(frames: int):
    return validate({
        "title": f"{frames} frames", "format": {"width": 64, "height": 64, "fps": FPS},
        "scenes": [{"id": "sc", "setting": "a field", "shots": [{
            "id": "long", "duration": frames / FPS,
            "keyframes": [{"t": 0, "prompt": "start"}, {"t": 1, "prompt": "end"}]}]}],
    })


def run(frames: int, strategy: str, batch: int) -> tuple[int, int, float]:
    """(depth, animator calls, wall seconds) of making the shot's frames."""
    animator = FixedTimeAnimator(batch)
    graph = schedule(one_shot(frames), animator, strategy=strategy)
    frame_jobs = graph.subgraph(n for n, d in graph.nodes(data=True)
                                if d["job"].kind in ("keyframe", "interpolate"))
    with tempfile.TemporaryDirectory() as folder:
        report = execute(frame_jobs, animator, Store(folder), workers=WORKERS, progress=False)
    assert report.ok and report.frames == frames, report
    return report.depth, animator.calls, report.wall_seconds


def main() -> None:
    print(f"one shot, keyframes at both ends; {CALL_SECONDS} s per animator call, "
          f"{WORKERS} workers, m = {M} in-betweens per call")
    head = (f"{'frames':>6} | {'autoregressive':^22} | "
            + " | ".join(f"{f'hierarchical, batch {b}':^30}" for b in BATCHES))
    print(head)
    print(f"{'':>6} | {'depth':>5} {'calls':>6} {'wall s':>8} | "
          + " | ".join(f"{'depth':>5} {'calls':>6} {'wall s':>8} {'ratio':>7}" for _ in BATCHES))
    print("-" * len(head))
    run(64, "autoregressive", 1)  # warm up: imports, first thread pool, first encoder
    ratio_1024 = None
    for frames in FRAMES:
        a_depth, a_calls, a_wall = run(frames, "autoregressive", 1)
        cells = []
        for batch in BATCHES:
            h_depth, h_calls, h_wall = run(frames, "hierarchical", batch)
            ratio = h_wall / a_wall
            cells.append(f"{h_depth:>5} {h_calls:>6} {h_wall:>8.2f} {ratio:>7.3f}")
            if frames == 1024 and batch == BATCHES[-1]:
                ratio_1024 = ratio
        print(f"{frames:>6} | {a_depth:>5} {a_calls:>6} {a_wall:>8.2f} | " + " | ".join(cells),
              flush=True)
    print(f"hierarchy_vs_autoregressive_1024f: {ratio_1024:.3f}")


if __name__ == "__main__":
    main()
