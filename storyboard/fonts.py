"""Fonts and text fitting for every picture the project draws: contact sheets, previz
labels and captions, subtitles and title cards.

DejaVu is looked up in the usual places; Pillow's built-in scalable font is the fallback
where it is not installed. Text in scripts DejaVu lacks (CJK, emoji, ...) is drawn with an
installed font that has its characters (found by their character maps, read with
fontTools; colour-bitmap emoji fonts are not used), and what no installed font can draw is
left out, never drawn as empty boxes. Faces are cached: loading a TrueType face costs far
more than drawing a short label with it.
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

from PIL import ImageFont

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu",
             "/usr/share/fonts/TTF", "/usr/local/share/fonts", "/Library/Fonts",
             "C:/Windows/Fonts")
FALLBACK_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "/Library/Fonts",
                 "C:/Windows/Fonts")
"""searched (recursively) for a font with the characters DejaVu lacks"""
FontStyle = Literal["regular", "bold", "italic"]
_FONT_FILES = {"regular": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf",
               "italic": "DejaVuSans-Oblique.ttf"}
_COLOUR_TABLES = ("CBDT", "sbix", "COLR", "SVG ")


class Face:
    """A font for drawing any text: each stretch of characters is measured and drawn with
    the first face (DejaVu) when it has them, else with an installed face that has them;
    characters no face has are left out. Pass it to Pillow as ``font=``."""

    def __init__(self, size: int, style: FontStyle) -> None:
        self.size, self.style = size, style
        self.primary, self._path = _primary(size, style)

    def __getattr__(self, name: str) -> Any:  # e.g. getname, getmetrics: the primary's
        return getattr(self.primary, name)

    def runs(self, text: str) -> tuple[tuple[Any, str], ...]:
        """``text`` as (face, characters) runs, the undrawable characters left out."""
        return _runs(self.size, self.style, self._path, text)

    def getlength(self, text: str, *args: Any, **kwargs: Any) -> float:
        return sum(face.getlength(run, *args, **kwargs) for face, run in self.runs(text))

    def getbbox(self, text: str, *args: Any, **kwargs: Any) -> tuple[float, ...]:
        runs = self.runs(text)
        if len(runs) <= 1:
            face, run = runs[0] if runs else (self.primary, "")
            return face.getbbox(run, *args, **kwargs)
        boxes, x = [], 0.0
        for face, run in runs:
            left, top, right, bottom = face.getbbox(run, *args, **kwargs)
            boxes.append((x + left, top, x + right, bottom))
            x += face.getlength(run)
        return (min(b[0] for b in boxes), min(b[1] for b in boxes),
                max(b[2] for b in boxes), max(b[3] for b in boxes))

    def getmask(self, text: str, mode: str = "", *args: Any, **kwargs: Any):
        return self.getmask2(text, mode, *args, **kwargs)[0]

    def getmask2(self, text: str, mode: str = "", *args: Any, **kwargs: Any):
        """What ``ImageDraw.text`` draws: one mask of every run side by side."""
        runs = self.runs(text)
        if len(runs) <= 1:
            face, run = runs[0] if runs else (self.primary, "")
            return face.getmask2(run, mode, *args, **kwargs)
        from PIL import Image

        pieces, x = [], 0.0
        for face, run in runs:
            core, (dx, dy) = face.getmask2(run, mode, *args, **kwargs)
            pieces.append((core, round(x) + dx, dy))
            x += face.getlength(run)
        left, top = min(p[1] for p in pieces), min(p[2] for p in pieces)
        width = max(p[1] + p[0].size[0] for p in pieces) - left
        height = max(p[2] + p[0].size[1] for p in pieces) - top
        canvas = Image.new(pieces[0][0].mode, (max(1, width), max(1, height)))
        for core, dx, dy in pieces:
            piece = canvas._new(core)
            canvas.paste(piece, (dx - left, dy - top), piece if canvas.mode == "RGBA" else None)
        return canvas.im, (left, top)


@lru_cache(maxsize=64)
def font(size: int, style: FontStyle = "regular") -> Face:
    """A face of ``size`` pixels (DejaVu, with fallbacks for what it lacks)."""
    return Face(size, style)


@lru_cache(maxsize=16)
def _primary(size: int, style: FontStyle):
    for folder in FONT_DIRS:
        path = Path(folder) / _FONT_FILES[style]
        if path.is_file():
            return ImageFont.truetype(str(path), size), str(path)
    return ImageFont.load_default(size=size), None


@lru_cache(maxsize=4096)
def _runs(size: int, style: FontStyle, primary: str | None,
          text: str) -> tuple[tuple[Any, str], ...]:
    """``text`` in runs of one face each: the primary where it has the character, else
    the first fallback font that has it; characters none has are left out."""
    if primary is None:  # no DejaVu: Pillow's built-in font draws what it can
        return ((_primary(size, style)[0], text),) if text else ()
    covered = coverage(primary)
    runs: list[list] = []
    for char in text:
        path = primary if char in covered or char.isspace() else next(
            (f for f in fallback_fonts() if char in coverage(f)), None)
        if path is None:
            continue
        if runs and runs[-1][0] == path:
            runs[-1][1] += char
        else:
            runs.append([path, char])
    return tuple((_primary(size, style)[0] if path == primary else _truetype(path, size), run)
                 for path, run in runs)


@lru_cache(maxsize=64)
def _truetype(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


@cache
def coverage(path: str) -> frozenset[str]:
    """The characters the font file ``path`` has glyphs for (its first face)."""
    from fontTools.ttLib import TTFont

    try:
        with TTFont(path, fontNumber=0, lazy=True) as face:
            if any(table in face for table in _COLOUR_TABLES):
                return frozenset()  # bitmap emoji: Pillow draws them at one size only
            return frozenset(chr(c) for c in face.getBestCmap() or {})
    except Exception:  # noqa: BLE001 - an unreadable font file is simply not used
        return frozenset()


@lru_cache(maxsize=1)
def fallback_fonts() -> tuple[str, ...]:
    """Installed font files that may be used for characters DejaVu lacks: regular
    upright faces first."""
    found: list[Path] = []
    for folder in FALLBACK_DIRS:
        root = Path(folder)
        if root.is_dir():
            found += [p for p in root.rglob("*") if p.suffix.lower() in (".ttf", ".otf", ".ttc")]

    def rank(path: Path) -> tuple[int, str]:
        name = path.name.lower()
        return (any(w in name for w in ("bold", "italic", "oblique", "light", "thin", "mono",
                                        "serif", "condensed")), name)

    return tuple(str(p) for p in sorted(set(found), key=rank)
                 if not p.name.startswith("DejaVu"))
def fit_text(text: str, face: Face, max_width: float) -> str:
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


def wrap_text(text: str, face: Face, max_width: float,
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
