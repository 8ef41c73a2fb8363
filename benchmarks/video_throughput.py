"""Video roles: our in-between role vs a direct pipeline call for the same request.

    python -m benchmarks.video_throughput            # real-size configs, random weights (GPU)
    python -m benchmarks.video_throughput --tiny     # the tiny test twins (runs on a CPU)

Real size (no download; weights are random, so only speed and memory mean anything):
Wan 2.1 VACE 1.3B (the Wan 2.1 1.3B transformer with VACE blocks, Wan's VAE) making 81
frames at 832x480, and the LTX-Video 2B transformer (diffusers' default config, the 2B
model) with its VAE making 97 frames at 704x480 with conditions at both ends. The text
encoder is a one-layer T5 of the real width (4096), not UMT5-XXL / T5-XXL: its cost is
not what is measured. Each model is saved as a folder and loaded back through the
backend's loader, like a user's folder. For each model: one warm-up call, then
``--repeats`` calls each way, side by side in this process; prints frames per second of
each and ``video_role_overhead: <ratio>`` (backend seconds / direct seconds; goal
<= 1.05), and the peak GPU memory where torch reports it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def real_vace(torch):
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanVACEPipeline,
        WanVACETransformer3DModel,
    )
    from tiny_video_pipelines import tiny_t5_tokenizer
    from transformers import T5Config, T5EncoderModel

    tokenizer = tiny_t5_tokenizer(512)
    transformer = WanVACETransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=12, attention_head_dim=128, in_channels=16,
        out_channels=16, text_dim=4096, freq_dim=256, ffn_dim=8960, num_layers=30,
        cross_attn_norm=True, qk_norm="rms_norm_across_heads", eps=1e-6, rope_max_seq_len=1024,
        vace_layers=list(range(0, 30, 2)), vace_in_channels=96)
    text = T5EncoderModel(T5Config(vocab_size=len(tokenizer), d_model=4096, d_kv=64, d_ff=256,
                                   num_layers=1, num_heads=64))
    return WanVACEPipeline(tokenizer=tokenizer, text_encoder=text.eval(),
                           vae=AutoencoderKLWan().eval(), transformer=transformer.eval(),
                           scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0))


def real_ltx(torch):
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXConditionPipeline,
        LTXVideoTransformer3DModel,
    )
    from tiny_video_pipelines import tiny_t5_tokenizer
    from transformers import T5Config, T5EncoderModel

    tokenizer = tiny_t5_tokenizer(256)
    text = T5EncoderModel(T5Config(vocab_size=len(tokenizer), d_model=4096, d_kv=64, d_ff=256,
                                   num_layers=1, num_heads=64))
    return LTXConditionPipeline(scheduler=FlowMatchEulerDiscreteScheduler(),
                                vae=AutoencoderKLLTXVideo().eval(), text_encoder=text.eval(),
                                tokenizer=tokenizer,
                                transformer=LTXVideoTransformer3DModel().eval())


CASES = {
    # name: (builder, working (width, height), frames per call, film fps)
    "wan-vace-1.3b": (real_vace, (832, 480), 81, 16.0),
    "ltx-2b": (real_ltx, (704, 480), 97, 24.0),
}


def tiny_cases():
    import tiny_video_pipelines as tiny

    return {"wan-vace-tiny": (lambda torch: tiny.tiny_wan_vace(), (16, 16), 9, 16.0),
            "ltx-tiny": (lambda torch: tiny.tiny_ltx(), (32, 32), 9, 24.0)}


def measure(name, build, size, frames, fps, args, torch, device, dtype) -> None:
    from animator.base import FrameRequest, InbetweenRequest
    from animator.diffusion.config import RoleConfig
    from animator.diffusion.frames import native_frames, to_model
    from animator.diffusion.inbetween import InbetweenRole
    from animator.diffusion.loading import LOADS, resolve
    from animator.diffusion.role import Placement

    width, height = size
    with tempfile.TemporaryDirectory() as folder:
        build(torch).to(dtype).save_pretrained(folder, safe_serialization=True)
        options = {"max_sequence_length": 16} if args.tiny else {}
        config = RoleConfig(model=folder, steps=args.steps, guidance=1.0, max_frames=frames,
                            call_options=options)
        role = InbetweenRole(config, resolve(folder, "inbetween"),
                             Placement(device, str(dtype).removeprefix("torch."), "full"))
        rng = np.random.default_rng(0)
        ends = [rng.integers(0, 256, (height, width, 3), dtype=np.uint8) for _ in range(2)]
        asked = tuple(range(1, frames - 1))
        request = InbetweenRequest(
            first=ends[0], last=ends[1], offsets=(*asked, frames - 1), fps=fps,
            frames=tuple(FrameRequest(shot_id="s", t=i / frames, prompt="a fox runs", width=width,
                                      height=height, seed=3) for i in asked))
        plan = native_frames(asked, frames - 1, fps, role.rule, distinct=True)
        assert plan.count == frames, (plan, role.rule)
        pipe = role.pipeline().pipe  # loaded once, through the backend's loader
        first, last = to_model(ends[0], (width, height)), to_model(ends[1], (width, height))

        def direct():
            kwargs = {"prompt": "a fox runs", "height": height, "width": width,
                      "num_frames": frames, "num_inference_steps": args.steps,
                      "guidance_scale": 1.0, "output_type": "np",
                      "generator": torch.Generator("cpu").manual_seed(3), **options,
                      **role.conditions(first, last, frames, fps)}
            return pipe(**kwargs).frames[0]

        def ours():
            return role([request])[0]

        def timed(fn):
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            start = time.perf_counter()
            fn()
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            return time.perf_counter() - start

        direct(), ours()  # warm-up
        if device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats()
        seconds = {"direct": 0.0, "backend": 0.0}
        for _ in range(args.repeats):  # side by side, alternating
            seconds["direct"] += timed(direct)
            seconds["backend"] += timed(ours)
        made = len(asked) * args.repeats
        print(f"{name}: {frames} frames at {width}x{height}, {args.steps} steps, {device}"
              f" {dtype}; loads {LOADS[str(Path(folder).resolve())]}")
        for way, s in seconds.items():
            print(f"  {way:8s} {s / args.repeats:8.3f} s a call, {made / s:8.2f} frames/s")
        print(f"video_role_overhead[{name}]: {seconds['backend'] / seconds['direct']:.3f}")
        if device.startswith("cuda"):
            print(f"  peak GPU memory {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="the tiny twins (CPU)")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--only", choices=sorted([*CASES, "wan-vace-tiny", "ltx-tiny"]))
    args = parser.parse_args()
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.bfloat16 if device == "cuda" and not args.tiny else torch.float32
    args.steps = args.steps or (2 if args.tiny else 10)
    if device == "cpu" and not args.tiny:
        print("no GPU visible: real-size video models need one (use --tiny on a CPU)")
        return
    for name, case in (tiny_cases() if args.tiny else CASES).items():
        if args.only in (None, name):
            measure(name, *case, args, torch, device, dtype)


if __name__ == "__main__":
    main()
