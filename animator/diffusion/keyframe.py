"""The keyframe role: text-to-image for keyframe jobs, batched, grounded where it can be.

    role = KeyframeRole(config, resolved, placement, conditioning)
    frames = role(requests)      # each request carries its entities' reference images

A call, step by step: check the requests; split them into pipeline calls (one layout per
call for GLIGEN, one count of reference images per call with an IP-Adapter, at most
``batch_size``); for each call write the prompts (the grounding may add the layout in
words), make one fresh CPU generator per request from its seed, add the grounding's and
the reference conditioning's arguments, run the pipeline under its lock at the model's
own size class, and fit each image to the film's size.

A keyframe is the same alone or in a batch up to float rounding: each request's noise
comes from its own generator, but batched matrix products may round differently, so a
uint8 value can differ by 1 (tests allow exactly that).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from animator.base import Frame, FrameRequest
from animator.diffusion.config import RoleConfig
from animator.diffusion.grounding import grounding_for
from animator.diffusion.images import fit, generation_size, to_frames
from animator.diffusion.loading import LoadedPipeline, ResolvedModel
from animator.diffusion.reference import IPAdapterConditioning, unconditioned
from animator.diffusion.role import PipelineRole, Placement


class KeyframeRole(PipelineRole):
    """Text-to-image for keyframes."""

    def __init__(self, config: RoleConfig, resolved: ResolvedModel, placement: Placement,
                 conditioning: IPAdapterConditioning | None = None,
                 batch_size: int = 4) -> None:
        super().__init__("keyframe", config, resolved, placement)
        self.grounding = grounding_for(resolved.pipeline_class)
        self.conditioning = conditioning
        self.batch_size = batch_size

    def fingerprint(self) -> dict[str, Any]:
        return {**super().fingerprint(), "grounding": self.grounding.name,
                "ip_adapter": self.conditioning.fingerprint() if self.conditioning else None}

    def describe(self) -> str:
        refs = (f"; {self.conditioning.describe()}" if self.conditioning
                else "; no reference conditioning")
        return f"{super().describe()}; {self.grounding.description}{refs}"

    def models(self) -> list[ResolvedModel]:
        return [self.resolved, *(self.conditioning.models() if self.conditioning else [])]

    def calls(self, requests: Sequence[FrameRequest]) -> list[list[int]]:
        """Indices of ``requests`` per pipeline call, in order."""
        groups: list[list[int]] = []
        for group in self.grounding.groups(requests):
            by_key: dict[tuple, list[int]] = {}
            for index in group:
                r = requests[index]
                count = len(r.layout) if self.conditioning else 0
                by_key.setdefault((r.width, r.height, count), []).append(index)
            for indices in by_key.values():
                groups += [indices[i:i + self.batch_size]
                           for i in range(0, len(indices), self.batch_size)]
        return groups

    def __call__(self, requests: Sequence[FrameRequest]) -> list[Frame]:
        # 1. check inputs
        if self.conditioning is not None:
            missing = sorted({b.entity for r in requests for b in r.layout
                              if b.entity not in {ref.entity for ref in r.references}})
            if missing:
                raise ValueError(f"keyframes need the reference images of"
                                 f" {', '.join(missing)} (IP-Adapter conditioning)")
        if not requests:
            return []
        # 2. load (once per process) and run each call
        loaded = self.pipeline()
        frames: list[Frame | None] = [None] * len(requests)
        for indices in self.calls(requests):
            batch = [requests[i] for i in indices]
            for index, frame in zip(indices, self._generate(loaded, batch), strict=True):
                frames[index] = frame
        return frames  # type: ignore[return-value]

    def _generate(self, loaded: LoadedPipeline, batch: list[FrameRequest]) -> list[Frame]:
        """One pipeline call for ``batch`` (same size, one layout or reference count)."""
        c, pipe = self.config, loaded.pipe
        width, height = generation_size(batch[0].width, batch[0].height, self.native,
                                        self.multiple)
        kwargs: dict[str, Any] = {
            "prompt": [self.grounding.prompt(r) for r in batch],
            "height": height, "width": width,
            "num_inference_steps": c.steps, "guidance_scale": c.guidance,
            "generator": self.generators([r.seed for r in batch]),
            "output_type": "np",
            **self.grounding.call_kwargs(batch, c.steps), **c.call_options,
        }
        if any(r.negative_prompt for r in batch) and \
                "negative_prompt" in inspect.signature(pipe.__call__).parameters:
            kwargs["negative_prompt"] = [r.negative_prompt for r in batch]
        with loaded.lock:
            if self.conditioning is not None:
                kwargs.update(self.conditioning.call_kwargs(loaded, batch, width, height,
                                                            c.guidance))
            else:  # another animator's adapter may be loaded into this pipeline
                kwargs.update(unconditioned(loaded, batch, width, height, c.guidance))
            images = self.call(pipe, **kwargs).images
        return [fit(frame, r.width, r.height) for frame, r in zip(to_frames(images), batch,
                                                                   strict=True)]
