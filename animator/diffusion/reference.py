"""Entity references: one portrait per entity, and keyframes conditioned on them.

:class:`ReferenceRole` makes each entity's reference image once, from its fixed
appearance text (a portrait on a plain background, at the model's native square), or
takes the user's own image (``Entity.reference``) and only fits it to that square. It
usually runs the keyframe role's pipeline (no second model in memory).

:class:`IPAdapterConditioning` gives keyframes those references through an IP-Adapter
loaded into the keyframe pipeline: each entity's image embedding is masked to its box,
so with several entities each one's reference steers only its own part of the frame. A
call whose layout is empty passes a zero mask, which leaves the output exactly as
without the adapter (so does the reference role's own use of a shared pipeline).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from animator.base import Frame, FrameRequest, ReferenceRequest
from animator.diffusion.config import IPAdapterConfig, RoleConfig
from animator.diffusion.grounding import grounding_for
from animator.diffusion.images import fill, to_frames, to_pil
from animator.diffusion.loading import LoadedPipeline, ResolvedModel
from animator.diffusion.role import PipelineRole, Placement

PORTRAIT_VERSION = 1
"""Bump when :func:`portrait_prompt` changes what it writes (it is in the fingerprint)."""
PORTRAIT_WORDS = {
    "character": "character portrait, full body, facing the viewer",
    "object": "product shot, the whole object in view",
    "place": "establishing view",
}


def portrait_prompt(request: ReferenceRequest) -> str:
    """What a reference portrait shows: the entity alone, on a plain background."""
    words = PORTRAIT_WORDS.get(request.kind, PORTRAIT_WORDS["object"])
    return f"{request.prompt}, {words}, plain light background"


class IPAdapterConditioning:
    """Keyframes steered by entity references through an IP-Adapter, masked per box."""

    def __init__(self, config: IPAdapterConfig, resolved: ResolvedModel) -> None:
        self.config, self.resolved = config, resolved

    def fingerprint(self) -> dict[str, Any]:
        c = self.config
        return {**self.resolved.fingerprint(), "weights": f"{c.subfolder}/{c.weight_name}",
                "image_encoder": c.image_encoder, "scale": c.scale}

    def describe(self) -> str:
        return f"IP-Adapter {self.resolved.model} (scale {self.config.scale}), masked per box"

    def models(self) -> list[ResolvedModel]:
        return [self.resolved]

    def attach(self, loaded: LoadedPipeline) -> None:
        """Load the adapter into the pipeline (once; the caller holds its lock)."""
        if loaded.extras.get("ip_adapter") is self:
            return
        c = self.config
        loaded.pipe.load_ip_adapter(str(self.resolved.folder), subfolder=c.subfolder,
                                    weight_name=c.weight_name, image_encoder_folder=c.image_encoder,
                                    local_files_only=True)
        loaded.pipe.set_ip_adapter_scale(c.scale)
        loaded.extras["ip_adapter"] = self

    @staticmethod
    def _cfg(pipe: Any, guidance: float) -> bool:
        return guidance > 1 and getattr(pipe.unet.config, "time_cond_proj_dim", None) is None

    def call_kwargs(self, loaded: LoadedPipeline, batch: Sequence[FrameRequest], width: int,
                    height: int, guidance: float) -> dict[str, Any]:
        """``ip_adapter_image_embeds`` and masks for one call; every request of ``batch``
        shows the same number of entities (0 gives a neutral, zero-masked embedding)."""
        import torch

        self.attach(loaded)
        pipe = loaded.pipe
        count = len(batch[0].layout)
        images = [to_pil({ref.entity: ref.image for ref in r.references}[b.entity])
                  for r in batch for b in r.layout]
        device = pipe._execution_device
        if images:
            embeds, _ = pipe.encode_image(images, device, 1)
        else:  # nothing to condition on: one zero embedding, masked out everywhere
            embeds, _ = pipe.encode_image([to_pil(_blank())], device, 1)
            embeds = torch.zeros_like(embeds).repeat(len(batch), 1)
        n = max(count, 1)
        embeds = embeds.reshape(len(batch), n, -1)
        masks = torch.zeros(len(batch), n, height, width)
        for i, request in enumerate(batch):
            for j, box in enumerate(request.layout):
                x0, y0, x1, y1 = box.box
                masks[i, j, round(y0 * height):max(round(y1 * height), round(y0 * height) + 1),
                      round(x0 * width):max(round(x1 * width), round(x0 * width) + 1)] = 1.0
        cfg = self._cfg(pipe, guidance)
        if cfg:  # negative half first, as the pipeline chunks it
            embeds = torch.cat([torch.zeros_like(embeds), embeds])
            masks = torch.cat([masks, masks])
        return {"ip_adapter_image_embeds": [embeds],
                "cross_attention_kwargs": {"ip_adapter_masks": [masks.to(device)]}}


def unconditioned(loaded: LoadedPipeline, batch: Sequence[FrameRequest], width: int,
                  height: int, guidance: float) -> dict[str, Any]:
    """Arguments for a call that uses no reference on a pipeline that may hold another
    role's IP-Adapter: a zero-masked embedding, exactly as if no adapter were loaded."""
    adapter = loaded.extras.get("ip_adapter")
    if adapter is None:
        return {}
    blank = [r.model_copy(update={"layout": ()}) for r in batch]
    return adapter.call_kwargs(loaded, blank, width, height, guidance)


def _blank() -> Frame:
    import numpy as np

    return np.zeros((8, 8, 3), np.uint8)


class ReferenceRole(PipelineRole):
    """One reference portrait per entity."""

    def __init__(self, config: RoleConfig, resolved: ResolvedModel,
                 placement: Placement) -> None:
        super().__init__("reference", config, resolved, placement)
        self.grounding = grounding_for(resolved.pipeline_class)

    def fingerprint(self) -> dict[str, Any]:
        return {**super().fingerprint(), "portrait": PORTRAIT_VERSION}

    def describe(self) -> str:
        return f"{super().describe()}; one portrait per entity at {self.native}x{self.native}"

    def __call__(self, requests: Sequence[ReferenceRequest]) -> list[Frame]:
        side = self.native
        frames: list[Frame | None] = [None] * len(requests)
        drawn = []
        for index, request in enumerate(requests):
            if request.image is not None:  # the user's own picture
                frames[index] = fill(request.image, side, side)
            else:
                drawn.append(index)
        if drawn:
            loaded = self.pipeline()
            c = self.config
            batch = [requests[i] for i in drawn]
            kwargs: dict[str, Any] = {
                "prompt": [portrait_prompt(r) for r in batch], "height": side, "width": side,
                "num_inference_steps": c.steps, "guidance_scale": c.guidance,
                "generator": self.generators([r.seed for r in batch]), "output_type": "np",
                **dict(c.call_options)}
            if any(r.negative_prompt for r in batch):
                kwargs["negative_prompt"] = [r.negative_prompt for r in batch]
            empty = [FrameRequest(shot_id="reference", t=0, prompt=r.prompt, width=side,
                                  height=side, seed=r.seed) for r in batch]
            kwargs.update(self.grounding.call_kwargs(empty, c.steps))  # no boxes
            with loaded.lock:
                kwargs.update(unconditioned(loaded, empty, side, side, c.guidance))
                images = self.call(loaded.pipe, **kwargs).images
            for index, frame in zip(drawn, to_frames(images), strict=True):
                frames[index] = frame
        return frames  # type: ignore[return-value]
