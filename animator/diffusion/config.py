"""Settings of the diffusion backend, as small frozen dataclasses.

A :class:`Preset` names one :class:`RoleConfig` per role (``reference``, ``keyframe``,
``inbetween``, ``clip``); :class:`Runtime` holds what every role shares (device, dtype,
memory mode, whether downloads are allowed). Nothing here imports torch or diffusers.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from storyboard.errors import UserError

BLEND = "blend"
"""The model name of the cheap in-between role: a plain cross-fade of the two end frames."""
SAME_AS_KEYFRAME = ""
"""A reference role's model that means "the keyframe role's pipeline" (loaded once)."""
DTYPES: tuple[str, ...] = ("float32", "float16", "bfloat16")
MEMORY_MODES: tuple[str, ...] = ("full", "model-offload", "sequential-offload", "group-offload")
DEVICE_FORMS = "cpu, cuda, cuda:N or auto"


@dataclass(frozen=True)
class IPAdapterConfig:
    """An IP-Adapter that conditions keyframes on entity reference images."""

    model: str
    """Hub id or local folder holding the adapter weights"""
    weight_name: str
    """the adapter's safetensors file inside ``subfolder``"""
    subfolder: str = "models"
    image_encoder: str = "models/image_encoder"
    """folder (inside ``model``) of its CLIPVisionModelWithProjection"""
    scale: float = 0.6
    """how strongly a reference steers the image (0 = not at all)"""
    size_gb: float = 0.0
    """rough download size, for the missing-weights message"""


@dataclass(frozen=True)
class RoleConfig:
    """One role: which model, how many steps, at what size."""

    model: str
    """Hub id ("owner/name", resolved in the Hugging Face cache), a local folder holding a
    diffusers pipeline (``model_index.json``), :data:`BLEND`, or for the reference role
    :data:`SAME_AS_KEYFRAME`"""
    steps: int = 30
    guidance: float = 7.5
    native: int | None = None
    """side in pixels of the square the model was trained at; None: read from the
    pipeline's config (``sample_size`` x VAE scale factor)"""
    multiple: int = 8
    """generated width and height are multiples of this (at least the VAE's factor)"""
    size_gb: float = 0.0
    """rough download size, for the missing-weights message"""
    max_frames: int | None = None
    """video roles: most frames per call, end frames included (a count the model makes,
    e.g. 81 for Wan); None: the model's own"""
    fps: float | None = None
    """video roles: the frame rate the model was trained at; None: the model family's"""
    ip_adapter: IPAdapterConfig | None = None
    call_options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    """extra keyword arguments for the pipeline's ``__call__`` (e.g. ``max_sequence_length``)"""

    def replace(self, **changes: Any) -> RoleConfig:
        """A copy with ``changes`` (None values are ignored)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def is_pipeline(self) -> bool:
        """Whether the role runs a diffusers pipeline (not the blend, not a shared one)."""
        return self.model not in (BLEND, SAME_AS_KEYFRAME)


@dataclass(frozen=True)
class Preset:
    """A named set of roles, with what the README's table shows."""

    name: str
    description: str
    roles: Mapping[str, RoleConfig]
    resolution: str
    """the size class it generates at, e.g. '512x512'"""
    vram: str
    """GPU memory as published by the model's authors (or 'not published')"""
    gpu_dtype: str = "float16"
    """dtype used on a GPU when --dtype is not given (float32 on the CPU)"""
    batch_size: int = 4
    """keyframe requests per pipeline call"""

    def role(self, name: str) -> RoleConfig | None:
        return self.roles.get(name)


@dataclass(frozen=True)
class Runtime:
    """What every role shares: where and how models run."""

    device: str = "auto"
    """cpu, cuda, cuda:N or auto (cuda when a GPU is visible, else cpu)"""
    dtype: str | None = None
    """float32, float16 or bfloat16; None: the preset's GPU dtype on a GPU, float32 on CPU"""
    memory: str = "full"
    """full (everything on the device), model-offload, sequential-offload, group-offload"""
    download: bool = False
    """fetch missing weights from the Hub (with its progress bar) instead of failing"""

    def check(self) -> Runtime:
        """Self, or a UserError naming the bad setting (before any work starts)."""
        if not re.fullmatch(r"cpu|cuda|cuda:\d+|auto", self.device):
            raise UserError(f"--device must be {DEVICE_FORMS}; got {self.device!r}")
        if self.dtype is not None and self.dtype not in DTYPES:
            raise UserError(f"--dtype must be one of {', '.join(DTYPES)}; got {self.dtype!r}")
        if self.memory not in MEMORY_MODES:
            raise UserError(f"--memory must be one of {', '.join(MEMORY_MODES)};"
                            f" got {self.memory!r}")
        return self

    def resolved_device(self) -> str:
        """The device models run on: ``auto`` resolved; UserError for a GPU that is not
        there, or an offload mode without a GPU."""
        import torch

        device = self.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device.startswith("cuda"):
            if not torch.cuda.is_available():
                raise UserError(f"--device {device}: no CUDA GPU is visible to torch"
                                f" {torch.__version__}; use --device cpu")
            index = int(device.partition(":")[2] or 0)
            if index >= torch.cuda.device_count():
                raise UserError(f"--device {device}: only {torch.cuda.device_count()} GPU(s)"
                                f" are visible")
        if device == "cpu" and self.memory != "full":
            raise UserError(f"--memory {self.memory} moves models between the CPU and a GPU;"
                            f" on the CPU use --memory full")
        return device

    def resolved_dtype(self, preset: Preset, device: str) -> str:
        """The dtype name models load in."""
        if self.dtype is not None:
            return self.dtype
        return preset.gpu_dtype if device.startswith("cuda") else "float32"
