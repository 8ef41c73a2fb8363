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

# -- video presets: first/last-frame in-betweens and image-to-video clips -------------------
# Frame rules and sizes come from each model's folder (animator/diffusion/video.py); the
# numbers here are the authors' (Wan-Video/Wan2.1 and Wan2.2 configs, Lightricks README,
# diffusers docs). Steps and guidance are the official defaults.

WAN_FLF2V = RoleConfig(model="Wan-AI/Wan2.1-FLF2V-14B-720P-diffusers", steps=50,
                       guidance=5.5, native=960, max_frames=81, size_gb=77.0)
"""Wan 2.1 FLF2V 14B at 1280x720 (960 square class), 81 frames (4k+1) at 16 fps"""
WAN_VACE_1_3B = RoleConfig(model="Wan-AI/Wan2.1-VACE-1.3B-diffusers", steps=30, guidance=5.0,
                           native=632, max_frames=81, size_gb=18.0)
"""Wan 2.1 VACE 1.3B at 832x480 (632 square class), 81 frames at 16 fps: the light one"""
LTX_VIDEO = RoleConfig(model="Lightricks/LTX-Video-0.9.5", steps=40, guidance=3.0,
                       native=627, max_frames=161, size_gb=26.0)
"""LTX-Video 0.9.5 at 768x512 (627 square class), 8k+1 frames (up to 257; 161 here) at the
film's rate: conditions at any frame (first and last for in-betweens, first for clips)"""
WAN_TI2V_5B = RoleConfig(model="Wan-AI/Wan2.2-TI2V-5B-Diffusers", steps=50, guidance=5.0,
                         native=949, max_frames=121, size_gb=34.0)
"""Wan 2.2 TI2V 5B at 1280x704 (949 square class), 121 frames at 24 fps: clips"""
COGVIDEOX_I2V = RoleConfig(model="THUDM/CogVideoX-5b-I2V", steps=50, guidance=6.0,
                           size_gb=22.0)
"""CogVideoX 5B I2V: 720x480 and 49 frames at 8 fps, fixed by its position embeddings"""

PRESETS.update({p.name: p for p in (
    Preset(
        name="wan",
        description="quality: SDXL keyframes, Wan 2.1 FLF2V 14B in-betweens (first and last"
                    " frame, 720P), Wan 2.2 TI2V 5B clips",
        roles=MappingProxyType({**PRESETS["sdxl"].roles, "inbetween": WAN_FLF2V,
                                "clip": WAN_TI2V_5B}),
        resolution="1280x720 video (keyframes 1024x1024)",
        vram="Wan 2.1 I2V-14B 720P: 76.7 GB peak, 1491.6 s a call on one H800/H100 with"
             " offload (FLF2V not published; same architecture); TI2V-5B 720P: 22.8 GB,"
             " 524.8 s on a 4090", batch_size=2),
    Preset(
        name="ltx",
        description="speed: SDXL keyframes, LTX-Video 0.9.5 in-betweens (conditions at the"
                    " first and last frame, up to 257 frames) and clips (the same model,"
                    " loaded once)",
        roles=MappingProxyType({**PRESETS["sdxl"].roles, "inbetween": LTX_VIDEO,
                                "clip": LTX_VIDEO}),
        resolution="768x512 video (keyframes 1024x1024)",
        vram="about 10 GB with fp8 layerwise casting and group offload (diffusers docs); the"
             " 13B 0.9.7 distilled model makes HD video in about 10 s on an H100 (README)",
        batch_size=2),
    Preset(
        name="vace-light",
        description="light: SD 1.5 keyframes with an IP-Adapter, Wan 2.1 VACE 1.3B"
                    " in-betweens (480P), CogVideoX 5B I2V clips",
        roles=MappingProxyType({**PRESETS["sd15"].roles, "inbetween": WAN_VACE_1_3B,
                                "clip": COGVIDEOX_I2V}),
        resolution="832x480 video (keyframes 512x512)",
        vram="VACE not published (its Wan 2.1 T2V-1.3B backbone: 8.19 GB, 261.4 s a call at"
             " 480P on a 4090); CogVideoX 5B I2V: 33 GB, 19 GB with model offload, 11 GB"
             " with VAE tiling (diffusers docs)"),
)})

DEFAULT_PRESET = "sd15-gligen"


def get_preset(name: str) -> Preset:
    """The preset ``name``, or a UserError listing the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise UserError(f"unknown diffusion preset {name!r}: choose one of"
                        f" {', '.join(PRESETS)} (`director models` lists them)") from None
