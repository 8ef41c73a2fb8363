"""Schedule a two-hour film: 1,200 shots of 6 s at 24 fps (172,800 frames), three
keyframes a shot, for an animator that makes 15 in-betweens a call. Prints the job count,
depth, time and peak memory (tracemalloc: Python allocations while scheduling), ending
with ``schedule_2h_film_seconds: <s>``. Goals: <= 3 s and <= 1 GiB.

    python benchmarks/schedule_scale.py
"""

from __future__ import annotations

import gc
import resource
import time
import tracemalloc

from animator.base import Capabilities
from director.schedule import schedule
from storyboard import validate
from storyboard.timing import film_frame_count

SHOTS, SHOT_SECONDS, FPS, SHOTS_PER_SCENE = 1200, 6.0, 24, 12


def two_hour_storyboard():
    """A valid storyboard of SHOTS shots, built in code (no LLM)."""
    entities = [{"id": f"e{i}", "name": f"Character {i}", "kind": "character",
                 "appearance": f"character number {i} in a {c} coat", "color": "#a05030"}
                for i, c in enumerate(["red", "blue", "green", "yellow", "grey", "white"])]
    scenes = []
    for s in range(SHOTS // SHOTS_PER_SCENE):
        shots = []
        for h in range(SHOTS_PER_SCENE):
            n = s * SHOTS_PER_SCENE + h
            a, b = f"e{n % 6}", f"e{(n + 1) % 6}"
            shots.append({
                "id": f"shot-{n:04d}", "duration": SHOT_SECONDS,
                "camera": {"size": "medium", "movement": "pan-left" if n % 2 else "static"},
                "transition": "crossfade" if n % 5 == 0 and n else "cut",
                "narration": f"line {n}",
                "keyframes": [
                    {"t": t, "prompt": f"moment {k} of shot {n}",
                     "layout": [
                         {"entity": a, "phrase": "one", "box": [0.1 + t / 4, 0.4, 0.3 + t / 4, 1]},
                         {"entity": b, "phrase": "two", "box": [0.6, 0.3, 0.8, 0.9]}]}
                    for k, t in enumerate((0.0, 0.5, 1.0))],
            })
        scenes.append({"id": f"scene-{s:03d}", "setting": f"place {s}", "time_of_day": "day",
                       "shots": shots})
    return validate({"title": "Two hours", "format": {"width": 640, "height": 360, "fps": FPS},
                     "seed": 1, "entities": entities, "scenes": scenes})


def main() -> None:
    storyboard = two_hour_storyboard()
    capabilities = Capabilities(max_inbetweens=15, batch_size=8)
    fingerprint = {"backend": "benchmark", "version": 1}
    schedule(storyboard, capabilities, fingerprint=fingerprint)  # warm up once
    gc.collect()
    start = time.perf_counter()
    graph = schedule(storyboard, capabilities, fingerprint=fingerprint)
    seconds = time.perf_counter() - start
    del graph
    gc.collect()
    tracemalloc.start()  # a second run for memory: tracemalloc slows Python down
    graph = schedule(storyboard, capabilities, fingerprint=fingerprint)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    jobs = [data["job"] for _, data in graph.nodes(data=True)]
    kinds: dict[str, int] = {}
    for job in jobs:
        kinds[job.kind] = kinds.get(job.kind, 0) + 1
    made = sum(len(job.frames) for job in jobs if job.kind in ("keyframe", "interpolate"))
    print(f"film: {sum(1 for _ in storyboard.iter_shots())} shots, {made} frames made, "
          f"{film_frame_count(storyboard)} in the film (crossfades overlap), {FPS} fps")
    print(f"jobs: {len(jobs)} ({', '.join(f'{k} {v}' for k, v in kinds.items())}), "
          f"edges: {graph.number_of_edges()}, depth: {graph.graph['depth']}")
    print(f"peak memory while scheduling: {peak / 2**20:.1f} MiB (tracemalloc); "
          f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:.0f} MiB")
    print(f"schedule_2h_film_seconds: {seconds:.2f}")


if __name__ == "__main__":
    main()
