"""Fonts for text drawn into frames (previz labels, captions, subtitles, title cards).

DejaVu is looked up in the usual places; Pillow's built-in scalable font is the fallback
when it is not installed. Fonts are cached: loading a TrueType face costs far more than
drawing a short label with it.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PIL import ImageFont

_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts",
    "/Library/Fonts",
    "C:/Windows/Fonts",
)


@functools.cache
def _font_file(bold: bool) -> str | None:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in _FONT_DIRS:
        path = Path(folder) / name
        if path.is_file():
            return str(path)
    return None


@functools.lru_cache(maxsize=64)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans (or Bold) at ``size`` pixels; Pillow's default font if DejaVu is missing."""
    size = max(6, int(size))
    path = _font_file(bold)
    if path is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(path, size)


def wrap(text: str, face: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: float) -> list[str]:
    """``text`` broken into lines no wider than ``width`` pixels, at spaces where possible
    (a single word wider than a line is cut)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if face.getlength(candidate) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while face.getlength(word) > width and len(word) > 1:
                cut = max(1, int(len(word) * width / face.getlength(word)))
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        if line:
            lines.append(line)
    return lines


def fit(text: str, face: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: float) -> str:
    """``text`` on one line no wider than ``width`` pixels, ending in '…' when cut."""
    if face.getlength(text) <= width:
        return text
    words = text.split()
    while words and face.getlength(" ".join(words) + "…") > width:
        words.pop()
    if words:
        return " ".join(words) + "…"
    cut = text
    while cut and face.getlength(cut + "…") > width:
        cut = cut[:-1]
    return cut + "…" if cut else ""
