"""Fonts and text fitting for every picture the project draws: contact sheets, previz
labels and captions, subtitles and title cards.

DejaVu is looked up in the usual places; Pillow's built-in scalable font is the fallback
where it is not installed. Faces are cached: loading a TrueType face costs far more than
drawing a short label with it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from PIL import ImageFont

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu",
             "/usr/share/fonts/TTF", "/usr/local/share/fonts", "/Library/Fonts",
             "C:/Windows/Fonts")
FontStyle = Literal["regular", "bold", "italic"]
_FONT_FILES = {"regular": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf",
               "italic": "DejaVuSans-Oblique.ttf"}
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@lru_cache(maxsize=64)
def font(size: int, style: FontStyle = "regular") -> Font:
    """A DejaVu face of ``size`` pixels, or Pillow's built-in font where DejaVu is missing."""
    for folder in FONT_DIRS:
        path = Path(folder) / _FONT_FILES[style]
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def fit_text(text: str, face: Font, max_width: float) -> str:
    """``text`` on one line, cut with an ellipsis if it is wider than ``max_width``."""
    text = " ".join(text.split())
    if face.getlength(text) <= max_width:
        return text
    low, high = 0, len(text)  # the longest prefix that fits with its ellipsis
    while low < high:
        middle = (low + high + 1) // 2
        if face.getlength(text[:middle].rstrip() + "…") <= max_width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + "…" if low else ""


def wrap_text(text: str, face: Font, max_width: float,
              max_lines: int | None = None) -> list[str]:
    """Word-wrap ``text`` into lines no wider than ``max_width`` (at most ``max_lines``; the
    last then ends with an ellipsis when text is left over). Over-long words are split."""
    if max_lines is None:
        max_lines = len(text) + 1
    if max_lines <= 0:
        return []
    lines: list[str] = []
    current = ""
    words = text.split()
    for position, word in enumerate(words):
        candidate = f"{current} {word}" if current else word
        if face.getlength(candidate) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while face.getlength(word) > max_width and len(lines) <= max_lines:
            cut = max(1, next((n for n in range(len(word), 0, -1)
                               if face.getlength(word[:n]) <= max_width), 1))
            lines.append(word[:cut])
            word = word[cut:]
        current = word
        if len(lines) > max_lines:
            current = " ".join([current, *words[position + 1:]])
            break
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        # the next line did not fit beside the last one kept, so this gets an ellipsis
        last = f"{lines[max_lines - 1]} {lines[max_lines]}"
        lines = [*lines[:max_lines - 1], fit_text(last, face, max_width)]
    return lines
