"""The Animator interface: batched keyframe and in-between requests in, frames out.

The scheduler turns a storyboard into requests that carry everything a backend may
need: a diffusion backend reads ``prompt``, ``negative_prompt``, ``layout`` boxes and
``seed``; the animatic previz reads the setting, camera and entity colours. Frames are
``uint8`` numpy arrays of shape (height, width, 3).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

Frame = np.ndarray
"""One RGB frame: uint8, shape (height, width, 3)."""


class _Request(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EntityBox(_Request):
    """An entity's box in a frame, with what a renderer needs to draw or ground it."""

    entity: str
    name: str
    kind: str
    phrase: str
    color: str
    box: tuple[float, float, float, float]


class FrameRequest(_Request):
    """Everything about one frame to be made, at time ``t`` of its shot."""

    shot_id: str
    t: float = Field(ge=0, le=1)
    prompt: str
    """the full prompt: style, setting, entities' appearance, the keyframe's own words"""
    negative_prompt: str = ""
    caption: str = ""
    """the storyboard keyframe's own prompt, for previews"""
    layout: tuple[EntityBox, ...] = ()
    setting: str = ""
    time_of_day: str = "day"
    camera_size: str = "medium"
    camera_movement: str = "static"
    width: int
    height: int
    seed: int


class InbetweenRequest(BaseModel):
    """Frames to make between two frames already made (NUWA-XL's local diffusion)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    first: Frame
    last: Frame
    frames: tuple[FrameRequest, ...]
    """one request per in-between, in time order, strictly between ``first`` and ``last``"""
    offsets: tuple[int, ...] = ()
    """film frames from ``first`` to each in-between, then to ``last`` (one more than
    ``frames``); () means contiguous: 1, 2, ..., len(frames) + 1"""
    fps: float = Field(24.0, gt=0)
    """the film's frame rate (a video model maps it to its own)"""

    def spacing(self) -> tuple[tuple[int, ...], int]:
        """The in-betweens' offsets from ``first`` and the offset of ``last``."""
        offsets = self.offsets or tuple(range(1, len(self.frames) + 2))
        return offsets[:-1], offsets[-1]


class ClipRequest(BaseModel):
    """A whole window of frames from its first frame (image/text-to-video models)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    first: Frame | None
    frames: tuple[FrameRequest, ...]
    """one request per frame to make after ``first``, in time order"""
    offsets: tuple[int, ...] = ()
    """film frames from ``first`` to each frame to make; () means 1, 2, ..., len(frames)"""
    fps: float = Field(24.0, gt=0)
    """the film's frame rate (a video model maps it to its own)"""

    def spacing(self) -> tuple[int, ...]:
        """The frames' offsets from ``first``."""
        return self.offsets or tuple(range(1, len(self.frames) + 1))


class Capabilities(BaseModel):
    """What the scheduler needs to know to plan jobs for an animator."""

    model_config = ConfigDict(frozen=True)

    max_inbetweens: int = Field(ge=1, description="most in-between frames one call makes (m)")
    batch_size: int = Field(1, ge=1, description="requests an animator takes in one call")
    clip_frames: int = Field(
        0, ge=0, description="frames one clip call makes; 0 when the animator makes no clips"
    )
    frame_counts: tuple[int, ...] = Field(
        (), description="frames one in-between call makes natively, both end frames included "
                        "(Wan 5, 9, ..., 81: 4k+1); () when any count up to m + 2 is native")
    sparse: bool = Field(
        True, description="whether the frames of one in-between call may be evenly spaced "
                          "with gaps (NUWA-XL's upper levels); False: only contiguous frames")

    @model_validator(mode="after")
    def _counts_hold_m(self) -> Capabilities:
        counts = self.frame_counts
        if counts and (list(counts) != sorted(set(counts)) or counts[0] < 3):
            raise ValueError(f"frame_counts must increase from at least 3; got {counts}")
        if counts and self.max_inbetweens > counts[-1] - 2:
            raise ValueError(f"max_inbetweens {self.max_inbetweens} is more than the "
                             f"{counts[-1]} frames of a call hold between their two ends")
        return self


class Animator(ABC):
    """A backend that makes frames. It loads its models once and keeps them for every
    call; every call is batched, and the same requests give the same frames."""

    name: str = "animator"

    @abstractmethod
    def fingerprint(self) -> dict[str, Any]:
        """What determines its output: backend, model ids, versions, settings. Part of
        every job key, so a change here makes every frame again."""

    @property
    @abstractmethod
    def capabilities(self) -> Capabilities:
        """How many in-betweens per call, batch size, clip length."""

    @abstractmethod
    def keyframes(self, requests: Sequence[FrameRequest]) -> list[Frame]:
        """One frame per request, in order."""

    @abstractmethod
    def inbetweens(self, requests: Sequence[InbetweenRequest]) -> list[list[Frame]]:
        """For each request, its in-between frames in order."""

    def clips(self, requests: Sequence[ClipRequest]) -> list[list[Frame]]:
        """For each request, the frames of its window. Only where ``clip_frames`` > 0."""
        raise NotImplementedError(f"the {self.name} animator makes no clips")
