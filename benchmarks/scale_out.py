"""Scale-out on Ray: a 2-minute film's frame jobs on 1, 2, 4 and 8 simulated GPU slots.

The film: 20 shots of 6 s at 24 fps (2,880 frames), three keyframes a shot, made by a
fixed-time animator: every call takes ``--call-seconds`` (1 s by default) whatever its
batch, as a GPU does for a batch that fits, on a worker that holds one ``gpu_slot`` (a
custom Ray resource, so this runs on a CPU machine: calls sleep). One batch is one job
(batch size 1). The shot and film jobs (encodes, on the driver) are left out: this
measures how the animator work spreads over the slots.

For each slot count it prints the wall time (actor start-up left out, printed apart),
the speed-up over 1 slot, the efficiency against the ideal schedule, and the per-job
overhead. The ideal wall time is a lower bound: max(critical path, ceil(jobs / slots))
calls (every job takes one call; no schedule beats either bound). Efficiency = ideal /
measured; per-job overhead = (measured x slots - jobs x call) / jobs, the slot time lost
per job. The local executor with 8 threads runs the same graph for comparison.

It ends with ``ray_efficiency_8_slots: <x>`` (goal >= 0.8) and the hierarchical vs
autoregressive wall-time ratio for one 1,024-frame shot on 16 slots, with batches of 4
(NUWA-XL reports 26 s vs 453 s, 0.057): ``ray_hierarchy_vs_autoregressive_1024f_16_slots``.

    python benchmarks/scale_out.py                      # about 12 minutes
    python benchmarks/scale_out.py --call-seconds 0.2   # about 3 minutes
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from animator.base import Animator, AnimatorSpec, Capabilities, FrameRequest, InbetweenRequest
from director.engines.local import LocalEngine
from director.engines.ray import RayEngine
from director.engines.ray_cluster import ray_cluster
from director.policy import Policy
from director.schedule import FRAME_KINDS, schedule
from director.store import Store
from storyboard import validate

SLOTS = (1, 2, 4, 8)
SHOTS, SHOT_SECONDS, FPS, M = 20, 6.0, 24, 15
SLOT = "gpu_slot"


class FixedTimeAnimator(Animator):
    """Every call sleeps ``seconds``, whatever its batch, then paints flat frames; one
    role (one model) on one ``gpu_slot`` makes every kind of frame."""

    name = "fixed-time"

    def __init__(self, seconds: float = 1.0, batch_size: int = 1) -> None:
        self.seconds, self.batch_size = seconds, batch_size

    def fingerprint(self) -> dict[str, Any]:
        return {"backend": self.name}

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(max_inbetweens=M, batch_size=self.batch_size)

    def role(self, kind: str) -> str:
        return "model"

    def worker_resources(self, role: str) -> dict[str, float]:
        return {"num_cpus": 0, SLOT: 1}

    @staticmethod
    def _paint(request: FrameRequest) -> np.ndarray:
        return np.full((request.height, request.width, 3), request.seed % 256, np.uint8)

    def keyframes(self, requests: Sequence[FrameRequest]) -> list[np.ndarray]:
        time.sleep(self.seconds)
        return [self._paint(r) for r in requests]

    def inbetweens(self, requests: Sequence[InbetweenRequest]) -> list[list[np.ndarray]]:
        time.sleep(self.seconds)
        return [[self._paint(f) for f in r.frames] for r in requests]


def two_minute_film():
    shots = [{"id": f"s{n:02d}", "duration": SHOT_SECONDS,
              "keyframes": [{"t": t, "prompt": f"moment {k} of shot {n}"}
                            for k, t in enumerate((0.0, 0.5, 1.0))]} for n in range(SHOTS)]
    return validate({"title": "Two minutes", "format": {"width": 64, "height": 64, "fps": FPS},
                     "scenes": [{"id": "sc", "setting": "a field", "shots": shots}]})


def one_shot(frames: int):
    return validate({
        "title": f"{frames} frames", "format": {"width": 64, "height": 64, "fps": FPS},
        "scenes": [{"id": "sc", "setting": "a field", "shots": [{
            "id": "long", "duration": frames / FPS,
            "keyframes": [{"t": 0, "prompt": "start"}, {"t": 1, "prompt": "end"}]}]}],
    })


def frame_jobs(board, animator: Animator, strategy: str = "hierarchical") -> nx.DiGraph:
    graph = schedule(board, animator, strategy=strategy)
    return graph.subgraph(n for n, d in graph.nodes(data=True)
                          if d["job"].kind in FRAME_KINDS).copy()


def run(graph: nx.DiGraph, engine: Any, batch_size: int) -> float:
    """Wall seconds of running ``graph`` on ``engine``, its actor start-up left out."""
    with tempfile.TemporaryDirectory() as folder:
        policy = Policy(graph, Store(folder), batch_size=batch_size)
        start = time.perf_counter()
        engine.run(policy)
        wall = time.perf_counter() - start - getattr(engine, "startup_seconds", 0.0)
        assert not policy.failures and not policy.active, policy.failures
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--call-seconds", type=float, default=1.0,
                        help="seconds each animator call takes (default 1)")
    seconds = parser.parse_args().call_seconds
    # Ray workers import this file as the module ``scale_out`` (its folder is on their path)
    sys.path.insert(0, str(Path(__file__).parent))
    spec = AnimatorSpec("scale_out:FixedTimeAnimator", {"seconds": seconds})
    animator = spec.build()
    graph = frame_jobs(two_minute_film(), animator)
    jobs = graph.number_of_nodes()
    critical = nx.dag_longest_path_length(graph) + 1
    print(f"2-minute film ({SHOTS} shots x {SHOT_SECONDS:g} s at {FPS} fps, "
          f"{SHOTS * SHOT_SECONDS * FPS:.0f} frames): {jobs} frame jobs, critical path "
          f"{critical} calls, {seconds:g} s per call, batches of 1")
    print(f"{'executor':>10} {'slots':>5} {'start s':>8} {'wall s':>8} {'ideal s':>8} "
          f"{'speed-up':>8} {'effic.':>7} {'overhead/job s':>14}")
    efficiency: dict[int, float] = {}
    with ray_cluster("local", num_cpus=2, resources={SLOT: 16}):
        base = None
        for slots in SLOTS:
            engine = RayEngine(animator, actors=slots, driver_workers=1)
            wall = run(graph, engine, 1)
            base = base or wall
            ideal = max(critical, math.ceil(jobs / slots)) * seconds
            efficiency[slots] = ideal / wall
            overhead = (wall * slots - jobs * seconds) / jobs
            print(f"{'ray':>10} {slots:>5} {engine.startup_seconds:>8.2f} {wall:>8.2f} "
                  f"{ideal:>8.2f} {base / wall:>8.2f} {efficiency[slots]:>7.3f} "
                  f"{overhead:>14.4f}", flush=True)
        wall = run(graph, LocalEngine(animator, workers=8), 1)
        ideal = max(critical, math.ceil(jobs / 8)) * seconds
        print(f"{'local':>10} {8:>5} {0:>8.2f} {wall:>8.2f} {ideal:>8.2f} {base / wall:>8.2f} "
              f"{ideal / wall:>7.3f} {(wall * 8 - jobs * seconds) / jobs:>14.4f}")

        batched = AnimatorSpec("scale_out:FixedTimeAnimator",
                               {"seconds": seconds, "batch_size": 4}).build()
        walls = {}
        for strategy in ("hierarchical", "autoregressive"):
            shot = frame_jobs(one_shot(1024), batched, strategy)
            walls[strategy] = run(shot, RayEngine(batched, actors=16, driver_workers=1), 4)
            print(f"1024-frame shot, {strategy}: {shot.number_of_nodes()} jobs, depth "
                  f"{nx.dag_longest_path_length(shot) + 1}, {walls[strategy]:.2f} s on 16 slots"
                  f" (batches of 4)", flush=True)
    print(f"ray_efficiency_8_slots: {efficiency[8]:.3f}")
    print(f"ray_hierarchy_vs_autoregressive_1024f_16_slots: "
          f"{walls['hierarchical'] / walls['autoregressive']:.3f}")


if __name__ == "__main__":
    main()
