"""What the diffusion backend costs on top of the pipeline it runs.

The same keyframe requests (a storyboard's 14 keyframes at 64x64, 2 steps, on a tiny SD
pipeline built from configs in tests/tiny_pipelines.py and saved as a user's folder) go
(a) through the real path: the storyboard scheduled for ``DiffusionAnimator``, its
keyframe jobs executed (batches of 4 on one worker) with every frame written to a store,
and (b) straight to the same loaded pipeline in batches of 4, with the same prompts,
sizes and generators, from a worker thread too. The runs alternate, three each; the best
of each is compared.

Prints ``diffusion_keyframe_overhead: <backend seconds / direct seconds>`` (goal
<= 1.05) and ``diffusion_models_loaded: <loads>`` per role (goal: 1 per role; the
reference role shares the keyframe pipeline, so one load in all).
"""

from __future__ import annotations

import copy
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from animator.diffusion import DiffusionAnimator
from animator.diffusion.images import fit, generation_size, to_frames
from animator.diffusion.loading import LOADS, forget_loaded
from director.execute import execute
from director.schedule import iter_jobs, schedule
from director.store import Store
from storyboard import validate
from tests.conftest import make_storyboard_dict
from tests.tiny_pipelines import save_tiny_sd

STEPS, BATCH, RUNS, REPEATS = 2, 4, 3, 2


def storyboard():
    """The shared storyboard at 64x64 with its shots repeated twice: 14 keyframes."""
    data = make_storyboard_dict()
    data["format"] = {"width": 64, "height": 64, "fps": 8}
    for scene in data["scenes"]:
        shots = scene["shots"]
        scene["shots"] = [dict(copy.deepcopy(shot), id=f"{shot['id']}-{n}")
                          for n in range(REPEATS) for shot in shots]
    return validate(data)


def main() -> None:
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    diffusers_logging.set_verbosity_error()  # the tiny tokenizer truncates long prompts
    transformers_logging.set_verbosity_error()
    folder = save_tiny_sd(Path(tempfile.mkdtemp(prefix="tiny-sd-")) / "sd")
    forget_loaded()
    backend = DiffusionAnimator(keyframe_model=str(folder), steps=STEPS, device="cpu")
    graph = schedule(storyboard(), backend)
    keyframes = [job for job in iter_jobs(graph) if job.kind == "keyframe"]
    only = graph.subgraph([job.id for job in keyframes]).copy()
    requests = [job.frame_requests()[0] for job in keyframes]
    role = backend.roles["keyframe"]
    loaded = role.pipeline()

    def direct() -> list[np.ndarray]:
        frames = []
        for i in range(0, len(requests), BATCH):
            batch = requests[i:i + BATCH]
            width, height = generation_size(batch[0].width, batch[0].height, role.native,
                                            role.multiple)
            images = loaded.pipe(
                prompt=[role.grounding.prompt(r) for r in batch], height=height, width=width,
                num_inference_steps=STEPS, guidance_scale=role.config.guidance,
                negative_prompt=[r.negative_prompt for r in batch],
                generator=role.generators([r.seed for r in batch]), output_type="np").images
            frames += [fit(f, r.width, r.height) for f, r in zip(to_frames(images), batch,
                                                                 strict=True)]
        return frames

    def through_backend() -> None:
        with tempfile.TemporaryDirectory() as root:
            report = execute(only, backend, Store(root), workers=1, progress=False)
            assert report.ok and report.jobs.run == len(keyframes), report.failure_summary()

    def fresh_thread(run) -> None:
        """Run in a new thread, as each execute() runs its jobs on a new pool: on a busy
        machine torch ran the same calls many times slower in a long-lived thread."""
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(run).result()

    fresh_thread(direct)  # warm up: first calls allocate
    best = {"backend": float("inf"), "direct": float("inf")}
    for _ in range(RUNS):
        for name, run in (("backend", through_backend), ("direct", direct)):
            start = time.perf_counter()
            fresh_thread(run)
            best[name] = min(best[name], time.perf_counter() - start)
    print(f"keyframes: {len(requests)} at 64x64, {STEPS} steps, batches of {BATCH};"
          f" best of {RUNS}: backend {best['backend']:.3f} s, direct {best['direct']:.3f} s")
    print(f"diffusion_keyframe_overhead: {best['backend'] / best['direct']:.3f}")
    loads = sum(LOADS.values())
    print(f"diffusion_models_loaded: {loads} (keyframe {LOADS[str(role.resolved.folder)]},"
          f" reference shares the keyframe pipeline, inbetween blend needs none)")


if __name__ == "__main__":
    main()
