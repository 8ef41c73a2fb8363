"""Burned-in subtitles: a shot's narration drawn once as an overlay and laid over frames.

The overlay is white wrapped text with a dark outline on a translucent rounded box near
the bottom of the picture, drawn with Pillow once per cue and applied to each frame as a
premultiplied blend in integers (a few hundred microseconds a frame). Shot jobs burn it
into the frames that need no compositing; the film job lays the same overlay over the
frames it composites (transitions), so a cue looks the same on both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from storyboard.fonts import font, wrap_text

SUBTITLE_VERSION = 2  # 2: characters DejaVu lacks from a fallback font or left out
"""Bump when the drawing below changes what a subtitle looks like (it is part of the shot
job's key, so the shots re-render with the new look)."""


def cue_text(narration: str) -> str:
    """A narration as subtitle text: whitespace collapsed; empty when there is none."""
    return " ".join(narration.split())


@dataclass(frozen=True)
class Overlay:
    """A subtitle drawn once: its premultiplied colour and what is kept of the picture
    (255 - alpha) over a band of an RGB frame."""

    top: int
    left: int
    colour: np.ndarray
    """uint16 (h, w, 3): the subtitle's colour times its alpha"""
    keep: np.ndarray
    """uint16 (h, w, 1): 255 - alpha"""

    def apply(self, frame: np.ndarray) -> np.ndarray:
        """A copy of the RGB uint8 ``frame`` with the subtitle on it."""
        out = frame.copy()
        h, w = self.keep.shape[:2]
        band = out[self.top:self.top + h, self.left:self.left + w]
        band[:] = (band * self.keep + 127) // 255 + self.colour
        return out


def subtitle_overlay(text: str, width: int, height: int) -> Overlay:
    """``text`` (at most three wrapped lines) as an overlay for ``width`` x ``height``
    frames."""
    face = font(max(9, round(height * 0.05)))
    lines = wrap_text(text, face, width * 0.84, 3)
    stroke = max(1, face.size // 10)
    line_h = round(face.size * 1.25)
    pad = max(3, face.size // 3)
    box_w = min(width, round(max(face.getlength(line) for line in lines) + 2 * pad + 2 * stroke))
    box_h = min(height, line_h * len(lines) + 2 * pad)
    image = Image.new("RGBA", (box_w, box_h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, box_w - 1, box_h - 1), radius=pad, fill=(0, 0, 0, 120))
    for i, line in enumerate(lines):
        x = (box_w - face.getlength(line)) / 2
        draw.text((x, pad + i * line_h), line, font=face, fill=(255, 255, 255, 255),
                  stroke_width=stroke, stroke_fill=(0, 0, 0, 255))
    rgba = np.asarray(image).astype(np.uint16)
    alpha = rgba[..., 3:]
    colour = (rgba[..., :3] * alpha + 127) // 255
    top = max(0, height - box_h - max(2, round(height * 0.05)))
    return Overlay(top, (width - box_w) // 2, colour.astype(np.uint16),
                   (255 - alpha).astype(np.uint16))
