"""A video model's frame rules, and the one mapping from a film's frames to the model's.

A video pipeline makes ``step * k + 1`` frames per call (Wan's VAE compresses time by 4,
LTX's by 8), at sizes divisible by a multiple (16 for Wan, 32 for LTX), and was trained at
its own frame rate (Wan 2.1 16 fps, Wan 2.2 TI2V 24, CogVideoX 8), which is seldom the
film's. A job asks for film frames (offsets from its first frame, at the film's rate);
:func:`native_frames` decides how many frames the model makes for it and which model
frame each film frame takes:

- The model's frames cover the job's span evenly: native frame 0 is the call's first
  frame, native frame ``count - 1`` its last (the last end frame of an in-between, the
  last frame asked for of a clip).
- ``count`` is the smallest count the model makes that is at least its own rate over the
  span. For an in-between (``distinct=True``) it is also dense enough that no two frames
  asked for fall on one model frame: the motion is pinned by the two end frames, so more
  model frames only make it smoother. A clip (``distinct=False``) keeps the model's rate,
  because there the model's own speed is the motion's: a 24 fps film from an 8 fps model
  shows each model frame about three times.
- Each frame asked for takes the **nearest** model frame (no blending: every film frame
  is a frame the model made). Where the model cannot make frames dense enough (the span
  needs more than its largest count), the picks are moved the least needed to stay
  distinct and in order. The number of frames returned is always the number asked for.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np


@dataclass(frozen=True)
class FrameRule:
    """The frames and sizes one call of a video pipeline makes natively."""

    step: int
    """frame counts are ``step * k + 1``: 4 for Wan, 8 for LTX (1: any count)"""
    min_frames: int
    """fewest frames one call makes, end frames included"""
    max_frames: int
    """most frames one call makes, end frames included (Wan 81, LTX 257)"""
    fps: float | None
    """the rate the model was trained at; None where the pipeline takes the film's rate
    (LTX's ``frame_rate``)"""
    size_multiple: int
    """height and width must be divisible by it (16 for Wan, 32 for LTX)"""

    def __post_init__(self) -> None:
        if self.step < 1 or self.size_multiple < 1:
            raise ValueError(f"step and size_multiple must be at least 1: {self}")
        if not (1 <= self.min_frames <= self.max_frames) or \
                (self.min_frames - 1) % self.step or (self.max_frames - 1) % self.step:
            raise ValueError(f"min_frames and max_frames must be {self.step}k+1 with "
                             f"min <= max: {self}")

    @property
    def counts(self) -> tuple[int, ...]:
        """Every frame count one call makes, end frames included."""
        return tuple(range(self.min_frames, self.max_frames + 1, self.step))

    def fit(self, frames: int) -> int:
        """The smallest count the model makes that is at least ``frames`` (at most
        ``max_frames``)."""
        if frames <= self.min_frames:
            return self.min_frames
        return min(self.max_frames, 1 + self.step * math.ceil((frames - 1) / self.step))


@dataclass(frozen=True)
class NativeFrames:
    """How one call is made: ``count`` model frames, and the model frame each film frame
    asked for takes (``picks``, one per frame asked for, increasing)."""

    count: int
    picks: tuple[int, ...]


def native_frames(asked: Sequence[int], span: int, film_fps: float, rule: FrameRule, *,
                  distinct: bool) -> NativeFrames:
    """The model frames for one call (see the module docstring).

    ``asked``: the film frames to make, as offsets from the call's first frame (increasing,
    each in 1..span). ``span``: the offset of the call's last frame: the last end frame of
    an in-between (``distinct=True``, asked frames strictly inside) or the last frame asked
    for of a clip (``distinct=False``). ``film_fps``: the film's rate; the model's is
    ``rule.fps`` (None: the film's)."""
    asked = tuple(asked)
    if not asked:
        raise ValueError("a call must ask for at least one frame")
    inside = span if not distinct else span - 1
    if list(asked) != sorted(set(asked)) or asked[0] < 1 or asked[-1] > inside:
        raise ValueError(f"frames asked for must increase within 1..{inside}; got {asked}")
    # every in-between needs a model frame of its own between the two end frames
    room = rule.max_frames - 2 if distinct else rule.max_frames - 1
    if distinct and len(asked) > room:
        raise ValueError(f"{len(asked)} in-betweens asked for; the model makes at most "
                         f"{room} between two end frames per call")
    model_fps = rule.fps or film_fps
    wanted = math.ceil(span * model_fps / film_fps - 1e-9) + 1  # the model's own rate
    if distinct:
        closest = min(b - a for a, b in pairwise((0, *asked, span)))
        wanted = max(wanted, math.ceil(span / closest) + 1)
    count = rule.fit(wanted)
    positions = [a * (count - 1) / span for a in asked]
    picks = [math.floor(p + 0.5) for p in positions]
    low, high = 1, (count - 2 if distinct else count - 1)
    picks = [min(max(p, low), high) for p in picks]
    if distinct:  # only where the largest count was too sparse: the least moves
        k = len(picks)
        picks = [min(max(p, low + i), high - (k - 1 - i)) for i, p in enumerate(picks)]
        for i in range(1, k):
            picks[i] = max(picks[i], picks[i - 1] + 1)
    return NativeFrames(count, tuple(picks))


# -- sizes ------------------------------------------------------------------------------------


def working_size(width: int, height: int, multiple: int,
                 max_area: int | None = None) -> tuple[int, int]:
    """The size the model works at for a film of ``width`` x ``height``: scaled down
    (keeping the aspect) to at most ``max_area`` pixels, then each side rounded to the
    nearest multiple of ``multiple`` (at least one multiple)."""
    scale = 1.0
    if max_area is not None and width * height > max_area:
        scale = math.sqrt(max_area / (width * height))

    def side(length: int) -> int:
        return max(multiple, multiple * round(length * scale / multiple))

    return side(width), side(height)


def to_model(frame: np.ndarray, size: tuple[int, int]):
    """A film frame (uint8 HxWx3) as the PIL image a pipeline takes, at ``size`` (w, h)."""
    from PIL import Image

    image = Image.fromarray(frame)
    if image.size != size:
        image = image.resize(size, Image.Resampling.LANCZOS)
    return image


def to_film(video: np.ndarray, picks: Sequence[int], size: tuple[int, int]) -> list[np.ndarray]:
    """The picked frames of a pipeline's ``output_type="np"`` video (F x H x W x 3 floats in
    0..1) as uint8 film frames at ``size`` (w, h)."""
    from PIL import Image

    frames = []
    for index in picks:
        frame = (np.clip(video[index], 0.0, 1.0) * 255).round().astype(np.uint8)
        if (frame.shape[1], frame.shape[0]) != size:
            frame = np.asarray(Image.fromarray(frame).resize(size, Image.Resampling.LANCZOS))
        frames.append(frame)
    return frames
