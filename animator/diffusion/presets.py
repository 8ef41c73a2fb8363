"""Named presets with real model ids, for users who have (or fetch) the weights.

Sizes are rough download sizes of the files ``director models`` asks for (safetensors
only). VRAM is what the model's authors publish; where they publish nothing the table
says so. Part 2 (video roles) adds ``inbetween`` and ``clip`` models here; until then every
preset in-betweens with the cheap ``blend`` cross-fade.
"""

from __future__ import annotations

from types import MappingProxyType

from animator.diffusion.config import (
    BLEND,
    SAME_AS_KEYFRAME,
    IPAdapterConfig,
    Preset,
    RoleConfig,
)
from storyboard.errors import UserError

_BLEND = RoleConfig(model=BLEND, steps=0, guidance=0.0)
_SAME = RoleConfig(model=SAME_AS_KEYFRAME)

SD15_IP_ADAPTER = IPAdapterConfig(
    model="h94/IP-Adapter", subfolder="models", weight_name="ip-adapter_sd15.safetensors",
    image_encoder="models/image_encoder", scale=0.6, size_gb=2.6)
SDXL_IP_ADAPTER = IPAdapterConfig(
    model="h94/IP-Adapter", subfolder="sdxl_models", weight_name="ip-adapter_sdxl.safetensors",
    image_encoder="sdxl_models/image_encoder", scale=0.6, size_gb=4.4)

PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset(
        name="sd15-gligen",
        description="Stable Diffusion 1.4 with GLIGEN boxes: every entity drawn in its box"
                    " (GLIGEN is deprecated in diffusers but still runs); no reference"
                    " conditioning",
        roles=MappingProxyType({
            "keyframe": RoleConfig(model="masterful/gligen-1-4-generation-text-box",
                                   steps=30, guidance=7.5, size_gb=5.5),
            "reference": _SAME, "inbetween": _BLEND}),
        resolution="512x512", vram="not published (SD 1.x class; fp16 weights ~2 GB)"),
    Preset(
        name="sd15",
        description="Stable Diffusion 1.5 with an IP-Adapter: keyframes take each entity's"
                    " reference portrait, masked to its box; layout in the prompt words",
        roles=MappingProxyType({
            "keyframe": RoleConfig(model="stable-diffusion-v1-5/stable-diffusion-v1-5",
                                   steps=30, guidance=7.5, size_gb=5.5,
                                   ip_adapter=SD15_IP_ADAPTER),
            "reference": _SAME, "inbetween": _BLEND}),
        resolution="512x512", vram="not published (SD 1.x class; fp16 weights ~2 GB)"),
    Preset(
        name="sdxl",
        description="Stable Diffusion XL base 1.0 with an IP-Adapter: reference portraits"
                    " masked to each box; layout in the prompt words",
        roles=MappingProxyType({
            "keyframe": RoleConfig(model="stabilityai/stable-diffusion-xl-base-1.0",
                                   steps=30, guidance=5.0, size_gb=13.9,
                                   ip_adapter=SDXL_IP_ADAPTER),
            "reference": _SAME, "inbetween": _BLEND}),
        resolution="1024x1024", vram="not published (fp16 weights ~7 GB)", batch_size=2),
    Preset(
        name="z-image-turbo",
        description="Z-Image-Turbo (6B, distilled: 8 steps, no guidance), the fastest"
                    " high-quality text-to-image here; batched with one generator per"
                    " prompt; no reference conditioning; layout in the prompt words",
        roles=MappingProxyType({
            "keyframe": RoleConfig(model="Tongyi-MAI/Z-Image-Turbo", steps=8, guidance=0.0,
                                   native=1024, multiple=16, size_gb=20.5),
            "reference": _SAME, "inbetween": _BLEND}),
        resolution="1024x1024", vram="16 GB (\"fits within 16G VRAM\", model card)",
        gpu_dtype="bfloat16", batch_size=2),
)}
"""Every preset by name."""

DEFAULT_PRESET = "sd15-gligen"


def get_preset(name: str) -> Preset:
    """The preset ``name``, or a UserError listing the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise UserError(f"unknown diffusion preset {name!r}: choose one of"
                        f" {', '.join(PRESETS)} (`director models` lists them)") from None
