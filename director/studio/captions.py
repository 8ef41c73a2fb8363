"""Subtitles for the browser's player: the film's SubRip (.srt) cues as WebVTT, the only
format an HTML ``<track>`` reads."""

from __future__ import annotations

import re
from pathlib import Path

from storyboard.io import atomic_write_text

_TIMING = re.compile(r"^(\d\d:\d\d:\d\d),(\d\d\d) --> (\d\d:\d\d:\d\d),(\d\d\d)$")


def srt_to_vtt(srt: str) -> str:
    """WebVTT text with the cues of SubRip text (numbers dropped, commas to dots)."""
    cues = []
    for block in re.split(r"\n\s*\n", srt.replace("\r\n", "\n").strip()):
        lines = block.split("\n")
        timing = next((i for i, line in enumerate(lines) if _TIMING.match(line.strip())), None)
        if timing is None:
            continue
        a, ms_a, b, ms_b = _TIMING.match(lines[timing].strip()).groups()
        text = "\n".join(lines[timing + 1:]).strip()
        if text:
            cues.append(f"{a}.{ms_a} --> {b}.{ms_b}\n{text}")
    return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"


def write_vtt(srt: Path, vtt: Path) -> Path:
    """Convert the SubRip file ``srt`` into the WebVTT file ``vtt`` (atomically)."""
    return atomic_write_text(vtt, srt_to_vtt(srt.read_text(encoding="utf-8")))
