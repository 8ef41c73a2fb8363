"""Reading a film for evaluation: decoded once, in batches, every ``stride``-th frame.

A film is decoded by ffmpeg (``director.video.read_frames``) exactly once, front to back;
the frames kept are film frames ``0, stride, 2*stride, ...`` and they are handed on in
batches of ``batch`` so that CLIP and the image metrics see many frames per call and at
most one batch is held in memory.

Stride: every frame is evaluated (stride 1) up to :data:`MAX_FRAMES` frames (75 s at
24 fps); a longer film is sampled at ``stride = ceil(frames / MAX_FRAMES)``, so a
two-hour film at 24 fps is read at every 96th frame (4 s apart). "Consecutive" in every
figure means consecutive *evaluated* frames, ``stride`` film frames apart; the report
states the stride. ``--stride`` sets it by hand.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import numpy as np

from director.video import count_frames, read_frames
from storyboard.errors import UserError

MAX_FRAMES = 1800
"""Frames evaluated at most when the stride is chosen automatically."""
BATCH = 16
"""Evaluated frames handed on per batch."""


@dataclass(frozen=True)
class FilmInfo:
    """What a film file holds: frames (counted by decoding), size and frame rate."""

    path: Path
    frames: int
    width: int
    height: int
    fps: float


def film_info(path: str | os.PathLike) -> FilmInfo:
    """Frames, size and frame rate of a video file; UserError if it cannot be read."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"no such film: {str(path)!r}")
    try:
        reader = imageio_ffmpeg.read_frames(str(path), pix_fmt="rgb24")
        meta = next(reader)
        reader.close()
        frames = count_frames(path)
    except (OSError, RuntimeError, StopIteration) as error:
        raise UserError(f"cannot read {str(path)!r} as a video: {error}") from None
    if frames < 1:
        raise UserError(f"{str(path)!r} holds no video frames")
    width, height = meta["size"]
    return FilmInfo(path, frames, width, height, float(meta.get("fps") or 0.0))


def choose_stride(frames: int, stride: int | None = None, max_frames: int = MAX_FRAMES) -> int:
    """The stride of an evaluation: ``stride`` when given, else 1 up to ``max_frames``
    frames and ``ceil(frames / max_frames)`` beyond."""
    if stride is not None:
        if stride < 1:
            raise UserError(f"--stride must be at least 1; got {stride}")
        return stride
    return max(1, math.ceil(frames / max_frames))


@dataclass(frozen=True)
class Batch:
    """Evaluated frames: their film indices and the RGB uint8 frames (and the reference
    film's frames at the same indices, when there is one)."""

    indices: list[int]
    frames: np.ndarray
    """(n, height, width, 3) uint8"""
    reference: np.ndarray | None = None


def iter_batches(path: str | os.PathLike, stride: int, *, batch: int = BATCH,
                 reference: str | os.PathLike | None = None) -> Iterator[Batch]:
    """Every ``stride``-th frame of the film in batches of ``batch``, decoded once; with
    ``reference``, that film's frames at the same indices, decoded in step."""
    films = read_frames(path)
    references = read_frames(reference) if reference is not None else None
    indices: list[int] = []
    frames: list[np.ndarray] = []
    kept: list[np.ndarray] = []
    try:
        for index, frame in enumerate(films):
            other = next(references) if references is not None else None
            if index % stride:
                continue
            indices.append(index)
            frames.append(frame)
            if other is not None:
                kept.append(other)
            if len(indices) == batch:
                yield _batch(indices, frames, kept)
                indices, frames, kept = [], [], []
        if indices:
            yield _batch(indices, frames, kept)
    finally:
        films.close()
        if references is not None:
            references.close()


def _batch(indices: list[int], frames: list[np.ndarray], kept: list[np.ndarray]) -> Batch:
    return Batch(indices, np.stack(frames), np.stack(kept) if kept else None)
