"""Images per second of a real-size Stable Diffusion 1.5 through the backend vs direct.

The UNet, VAE and CLIP text encoder are built from SD 1.5's published configs with random
weights (no download: the pixels are noise, the arithmetic is the real model's), saved as
a pipeline folder and loaded back through ``DiffusionAnimator(keyframe_model=folder)``.
The same requests then run through ``animator.keyframes`` and as direct calls of the same
loaded pipeline, alternating, best of ``--runs``.

    python -m benchmarks.gpu_throughput --device cuda --dtype float16 --size 512 --steps 30
    python -m benchmarks.gpu_throughput            # CPU: 64x64, 1 step (proves it runs)

Prints ``gpu_throughput_backend_images_per_s``, ``gpu_throughput_direct_images_per_s``
and ``gpu_throughput_backend_vs_direct`` (their ratio; goal about 1), with the device.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from animator.base import FrameRequest
from animator.diffusion import DiffusionAnimator
from animator.diffusion.config import Runtime
from animator.diffusion.images import to_frames

UNET = dict(  # stable-diffusion-v1-5 unet/config.json
    act_fn="silu", attention_head_dim=8, block_out_channels=(320, 640, 1280, 1280),
    center_input_sample=False, cross_attention_dim=768,
    down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
                      "DownBlock2D"),
    downsample_padding=1, flip_sin_to_cos=True, freq_shift=0, in_channels=4,
    layers_per_block=2, mid_block_scale_factor=1, norm_eps=1e-5, norm_num_groups=32,
    out_channels=4, sample_size=64,
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D",
                    "CrossAttnUpBlock2D"))
VAE = dict(  # stable-diffusion-v1-5 vae/config.json
    act_fn="silu", block_out_channels=(128, 256, 512, 512),
    down_block_types=("DownEncoderBlock2D",) * 4, in_channels=3, latent_channels=4,
    layers_per_block=2, norm_num_groups=32, out_channels=3, sample_size=512,
    up_block_types=("UpDecoderBlock2D",) * 4)
TEXT = dict(  # stable-diffusion-v1-5 text_encoder/config.json (CLIP ViT-L/14 text)
    hidden_size=768, intermediate_size=3072, num_attention_heads=12, num_hidden_layers=12,
    max_position_embeddings=77, vocab_size=49408, hidden_act="quick_gelu", projection_dim=768)


def save_sd15_random(folder: Path) -> Path:
    """A real-size SD 1.5 pipeline with random weights, as safetensors in ``folder``."""
    import torch
    from diffusers import (
        AutoencoderKL,
        DDIMScheduler,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel

    from tests.tiny_pipelines import tiny_clip_tokenizer

    torch.manual_seed(0)
    tokenizer = tiny_clip_tokenizer()
    pipe = StableDiffusionPipeline(
        unet=UNet2DConditionModel(**UNET), vae=AutoencoderKL(**VAE),
        text_encoder=CLIPTextModel(CLIPTextConfig(
            **TEXT, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id)),
        tokenizer=tokenizer,
        scheduler=DDIMScheduler(beta_start=0.00085, beta_end=0.012,
                                beta_schedule="scaled_linear", clip_sample=False,
                                set_alpha_to_one=False, steps_offset=1),
        safety_checker=None, feature_extractor=None, image_encoder=None,
        requires_safety_checker=False)
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--dtype", default=None)
    parser.add_argument("--size", type=int, default=None, help="default 512 on a GPU, 64 on CPU")
    parser.add_argument("--steps", type=int, default=None, help="default 30 on a GPU, 1 on CPU")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--count", type=int, default=None, help="images per run")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="sd15-random-") as root:
        folder = save_sd15_random(Path(root) / "sd15")
        device = Runtime(device=args.device).check().resolved_device()
        gpu = device.startswith("cuda")
        size = args.size or (512 if gpu else 64)
        steps = args.steps or (30 if gpu else 1)
        count = args.count or (4 * args.batch if gpu else args.batch)
        backend = DiffusionAnimator(keyframe_model=str(folder), device=device,
                                    dtype=args.dtype, steps=steps)
        role = backend.roles["keyframe"]
        role.batch_size = args.batch  # the benchmark's batch, not the preset's
        role.native = size  # generate at exactly --size (SD 1.5's own class is 512)
        requests = [FrameRequest(shot_id="bench", t=0, prompt=f"a fox, picture {i}",
                                 width=size, height=size, seed=i) for i in range(count)]
        loaded = role.pipeline()

        def direct() -> None:
            for i in range(0, count, args.batch):
                batch = requests[i:i + args.batch]
                to_frames(loaded.pipe(
                    prompt=[r.prompt for r in batch], height=size, width=size,
                    num_inference_steps=steps, guidance_scale=role.config.guidance,
                    generator=role.generators([r.seed for r in batch]),
                    output_type="np").images)

        def through_backend() -> None:
            backend.keyframes(requests)

        direct()  # warm up
        best = {"backend": float("inf"), "direct": float("inf")}
        for _ in range(args.runs):
            for name, run in (("backend", through_backend), ("direct", direct)):
                if gpu:
                    import torch

                    torch.cuda.synchronize()
                start = time.perf_counter()
                run()
                if gpu:
                    torch.cuda.synchronize()
                best[name] = min(best[name], time.perf_counter() - start)
        p = backend.placement
        print(f"device: {p.device} ({p.dtype}); {count} images of {size}x{size},"
              f" {steps} steps, batches of {args.batch}, best of {args.runs}")
        print(f"gpu_throughput_backend_images_per_s: {count / best['backend']:.3f}")
        print(f"gpu_throughput_direct_images_per_s: {count / best['direct']:.3f}")
        print(f"gpu_throughput_backend_vs_direct: {best['direct'] / best['backend']:.3f}")


if __name__ == "__main__":
    main()
