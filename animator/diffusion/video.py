"""What the two video roles (in-between and clip) share.

A video role runs one diffusers pipeline, read from its folder like every role (so any
folder of a supported class works, not only the presets). Before anything loads it reads
the folder's configs for the model's frame rule (``animator.diffusion.frames``): frames
per call ``step * k + 1`` (the VAE's time compression: Wan 4, LTX 8), sizes divisible by
the VAE's space compression times the patch size (Wan 16, LTX 32, CogVideoX 16), the
rate the model was trained at (Wan 2.1 16 fps, Wan 2.2 TI2V 24, CogVideoX 8; LTX takes
the film's as ``frame_rate``), and for CogVideoX's learned position embeddings its one
size and frame count.

Each request is one pipeline call (the video pipelines take one video per call: Wan's
``image`` is one picture, VACE says so, LTX with a condition past frame 0 breaks on a
batch), with one prompt: the prompt of the middle frame asked for, which the scheduler
gave the nearest keyframe's prompt (a request's frames may carry two keyframes' prompts,
a pipeline takes one). Its seed is the first frame's. Frames go in as PIL images at the
working size (the film's size, or the preset's size class, rounded to the multiple) and
come back resized to the film's size. Every call can be interrupted between steps
(``animator.diffusion.steps``) and is counted in the role's usage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from animator.base import FrameRequest
from animator.diffusion.config import RoleConfig
from animator.diffusion.frames import FrameRule, working_size
from animator.diffusion.images import generation_size
from animator.diffusion.loading import LoadedPipeline, ResolvedModel
from animator.diffusion.role import PipelineRole, Placement
from storyboard.errors import UserError


def read_config(folder: Path, component: str) -> dict[str, Any]:
    """``component/config.json`` of a pipeline folder ({} when absent)."""
    path = folder / component / "config.json" if component else folder / "model_index.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


@dataclass(frozen=True)
class ModelShape:
    """A video model's frame rule, and the one size it takes where it has one."""

    rule: FrameRule
    fixed_size: tuple[int, int] | None = None
    """(width, height) for a model with learned position embeddings (CogVideoX 1.0)"""


def model_shape(folder: Path, pipeline_class: str, config: RoleConfig) -> ModelShape:
    """The frame rule of the pipeline in ``folder`` (see the module docstring), with the
    role's ``max_frames`` and ``fps`` where the preset or the user sets them."""
    vae, transformer = read_config(folder, "vae"), read_config(folder, "transformer")
    fixed_size = None
    if pipeline_class.startswith("Wan"):
        step = int(vae.get("scale_factor_temporal") or 4)
        space = int(vae.get("scale_factor_spatial") or 8)
        multiple = space * int((transformer.get("patch_size") or [1, 2, 2])[-1])
        ti2v = bool(read_config(folder, "").get("expand_timesteps"))
        fps, most = (24.0, 121) if ti2v else (16.0, 81)
    elif pipeline_class.startswith("LTX"):
        scaling = vae.get("spatio_temporal_scaling", [True, True, True, False])
        step = int(vae.get("temporal_compression_ratio") or
                   int(vae.get("patch_size_t", 1)) * 2 ** sum(bool(x) for x in scaling))
        fps, most, multiple = None, 257, 32
    elif pipeline_class.startswith("CogVideoX"):
        step = int(vae.get("temporal_compression_ratio", 4))
        space = 2 ** (len(vae.get("block_out_channels", [0] * 4)) - 1)
        multiple = space * int(transformer.get("patch_size", 2))
        fps, most = 8.0, 49
        if transformer.get("use_learned_positional_embeddings"):
            most = int(transformer.get("sample_frames", 49))
            fixed_size = (int(transformer.get("sample_width", 90)) * space,
                          int(transformer.get("sample_height", 60)) * space)
    else:
        raise ValueError(f"no frame rule for {pipeline_class}")
    least = step + 1
    if fixed_size is not None:
        least = most
    if config.max_frames is not None:
        if config.max_frames > most or (config.max_frames - 1) % step or \
                config.max_frames < least:
            raise UserError(f"{config.max_frames} frames per call is not a count the "
                            f"{pipeline_class} in {folder} makes: use {step}k+1 frames, "
                            f"{least} to {most}")
        most = config.max_frames
    return ModelShape(FrameRule(step=step, min_frames=least, max_frames=most,
                                fps=config.fps or fps, size_multiple=multiple), fixed_size)


def one_prompt(frames: tuple[FrameRequest, ...]) -> FrameRequest:
    """The request whose prompt, negative prompt and seed a whole call uses: the middle
    frame asked for (its prompt is the nearest keyframe's)."""
    return frames[len(frames) // 2]


class VideoRole(PipelineRole):
    """A role that runs a video pipeline, one request per call (see the module
    docstring). Subclasses give :attr:`classes` (the pipeline classes they drive) and the
    call itself."""

    classes: tuple[str, ...] = ()

    def __init__(self, name: str, config: RoleConfig, resolved: ResolvedModel,
                 placement: Placement) -> None:
        super().__init__(name, config, resolved, placement)
        if resolved.pipeline_class not in self.classes:
            raise UserError(
                f"the {name} model {resolved.model!r} is a {resolved.pipeline_class or '?'}"
                f" pipeline; {name} needs one of {', '.join(self.classes)}")
        self.shape = model_shape(resolved.folder, resolved.pipeline_class, config)
        self.rule = self.shape.rule

    # -- what the scheduler and the report read -------------------------------------------
    def fingerprint(self) -> dict[str, Any]:
        r = self.rule
        return {**super().fingerprint(), "frames": [r.step, r.min_frames, r.max_frames],
                "fps": r.fps, "multiple": r.size_multiple, "fixed_size": self.shape.fixed_size}

    def describe(self) -> str:
        r = self.rule
        rate = f"{r.fps:g} fps" if r.fps else "the film's rate"
        size = (f"{self.shape.fixed_size[0]}x{self.shape.fixed_size[1]}" if self.shape.fixed_size
                else f"sizes rounded to multiples of {r.size_multiple}")
        return (f"{super().describe()}; {r.step}k+1 frames, at most {r.max_frames} a call, "
                f"made at {rate}; {size}, resized to the film's format")

    def size_for(self, width: int, height: int) -> tuple[int, int]:
        """The working size for a film of ``width`` x ``height``."""
        if self.shape.fixed_size is not None:
            return self.shape.fixed_size
        if self.config.native is not None:
            return generation_size(width, height, self.config.native, self.rule.size_multiple)
        return working_size(width, height, self.rule.size_multiple)

    # -- running one call --------------------------------------------------------------------
    def run(self, loaded: LoadedPipeline, request: FrameRequest, **kwargs: Any) -> Any:
        """One pipeline call under the pipeline's lock, with the role's steps, guidance,
        prompt, seed and options (interruptible, counted: :meth:`PipelineRole.call`);
        returns the ``output_type="np"`` video (frames x height x width x 3)."""
        c = self.config
        kwargs = {"prompt": request.prompt, "num_inference_steps": c.steps,
                  "guidance_scale": c.guidance, "output_type": "np",
                  "generator": self.generators([request.seed])[0], **kwargs,
                  **c.call_options}
        if request.negative_prompt:
            kwargs["negative_prompt"] = request.negative_prompt
        with loaded.lock:
            return self.call(loaded.pipe, **kwargs).frames[0]
