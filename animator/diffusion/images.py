"""Pixels in and out of pipelines: sizes, uint8 frames, PIL images.

A role generates at the model's own size class, with the film's aspect ratio
(:func:`generation_size`), and the frame is resized to the film's size afterwards, so a
512-class model is not asked for 1920x1080 and a 1024-class one not for 320x180.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from PIL import Image

from animator.base import Frame


def generation_size(width: int, height: int, native: int, multiple: int) -> tuple[int, int]:
    """``(width, height)`` with the aspect of ``width`` x ``height`` and about the area of a
    ``native`` square, each a multiple of ``multiple`` (at least one multiple)."""
    scale = math.sqrt(native * native / (width * height))
    return (max(multiple, round(width * scale / multiple) * multiple),
            max(multiple, round(height * scale / multiple) * multiple))


def native_side(folder: Path) -> tuple[int | None, int]:
    """``(native side, VAE scale factor)`` read from a pipeline folder's configs: the
    denoiser's ``sample_size`` (latent pixels) times the VAE's downscaling; the side is None
    when the config does not say."""
    def config(name: str) -> dict:
        try:
            return json.loads((folder / name / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    blocks = config("vae").get("block_out_channels")
    factor = 2 ** (len(blocks) - 1) if isinstance(blocks, list) and blocks else 8
    for name in ("unet", "transformer"):
        size = config(name).get("sample_size")
        if isinstance(size, int):
            return size * factor, factor
    return None, factor


def to_frames(images: np.ndarray) -> list[Frame]:
    """A pipeline's ``output_type="np"`` batch (floats in 0..1) as uint8 frames."""
    array = np.asarray(images, dtype=np.float32)
    return [np.ascontiguousarray((np.clip(a, 0, 1) * 255).round().astype(np.uint8))
            for a in array]


def fit(frame: Frame, width: int, height: int) -> Frame:
    """``frame`` resized to ``width`` x ``height`` (Lanczos), unchanged when it fits."""
    if frame.shape[:2] == (height, width):
        return frame
    return np.asarray(Image.fromarray(frame).resize((width, height), Image.LANCZOS))


def fill(frame: Frame, width: int, height: int) -> Frame:
    """``frame`` scaled to cover ``width`` x ``height`` and centre-cropped to it."""
    h, w = frame.shape[:2]
    scale = max(width / w, height / h)
    image = Image.fromarray(frame).resize((max(width, round(w * scale)),
                                           max(height, round(h * scale))), Image.LANCZOS)
    left, top = (image.width - width) // 2, (image.height - height) // 2
    return np.asarray(image.crop((left, top, left + width, top + height)))


def to_pil(frame: Frame) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(frame))
