"""The animatic's speed at 640x360 and its memory at 4096x4096.

Renders 432 frames at 640x360 (three camera sizes, three movements, 48 times each, the
world canvases cached first) and reports the best of five runs per frame; then renders one
4096x4096 frame at each of the six camera sizes (six world canvases, each capped at
``WORLD_PIXELS``) and reports the bytes the canvas cache holds and the process's peak
resident memory.

Prints ``animatic_ms_per_frame_640x360: <ms>``, ``animatic_cache_mib_4096: <MiB>`` and
``animatic_peak_rss_mib_4096: <MiB>``. Goals: about 1 ms; the cache <= 512 MiB; peak
well under 2 GiB (it was 7.4 GiB when each canvas was kept twice and uncapped).
"""

from __future__ import annotations

import resource
import time

from animator.animatic import CAMERA_SIZE, AnimaticAnimator, background
from animator.base import EntityBox, FrameRequest


def request(width: int, height: int, size: str, movement: str, t: float) -> FrameRequest:
    layout = (EntityBox(entity="fox", name="Fox", kind="character", phrase="a fox",
                        color="#e07a3f", box=(0.1, 0.5, 0.3, 0.9)),
              EntityBox(entity="owl", name="Owl", kind="character", phrase="an owl",
                        color="#3f7ae0", box=(0.6, 0.1, 0.7, 0.2)))
    return FrameRequest(shot_id="shot-1", t=t, prompt="a fox watches an owl",
                        caption="a fox watches an owl", setting="a snowy forest",
                        time_of_day="night", camera_size=size, camera_movement=movement,
                        width=width, height=height, seed=1, layout=layout)


def main() -> None:
    animatic = AnimaticAnimator()
    frames = [request(640, 360, size, movement, i / 47) for size in ("wide", "medium", "close-up")
              for movement in ("static", "pan-left", "zoom-in") for i in range(48)]
    for frame in frames[::48]:
        animatic.render(frame)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for frame in frames:
            animatic.render(frame)
        best = min(best, (time.perf_counter() - start) / len(frames))
    print(f"animatic_ms_per_frame_640x360: {best * 1000:.3f}")

    background.cache_clear()
    for size in CAMERA_SIZE:
        animatic.render(request(4096, 4096, size, "static", 0.3))
    print(f"animatic_cache_mib_4096: {background.cache_bytes() / 2**20:.0f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"animatic_peak_rss_mib_4096: {peak:.0f}")


if __name__ == "__main__":
    main()
