"""A shot's clip in three segments, so that the film copies what it does not composite.

The film job composites only the frames of transitions (and the title card); every other
frame goes into the film as its shot job encoded it. So a shot job writes its frames as

- ``head.mp4``: the first frames, which the film composites for the transition into this
  shot: a crossfade's n frames, a fade's n - n // 2 (fading in), the first shot's fade or
  crossfade's n (a fade in from black); none after a cut;
- ``body.mp4``: the frames that need nothing, the shot's subtitle burned in;
- ``tail.mp4``: the last frames, which the film composites for the transition into the
  NEXT shot: its crossfade's n frames, its fade's n // 2 (fading out); none before a cut.

Empty segments are not written. When a shot is shorter than its head and tail together it
has no body, and its tail is what the head leaves. Head and tail frames carry no subtitle:
the film lays the cue over them after compositing, as over any composited frame.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path

import numpy as np

from director.video import write_clip
from storyboard.timing import ShotTiming

SEGMENTS: tuple[str, ...] = ("head", "body", "tail")


@dataclass(frozen=True)
class SegmentLengths:
    """Frames of a shot's head, body and tail (they add up to the shot's frames)."""

    head: int
    body: int
    tail: int

    @property
    def frames(self) -> int:
        return self.head + self.body + self.tail

    def as_dict(self) -> dict[str, int]:
        return {"head": self.head, "body": self.body, "tail": self.tail}


def segment_lengths(spans: Sequence[ShotTiming]) -> list[SegmentLengths]:
    """Each shot's head, body and tail lengths, from the film's timeline (``head`` and
    ``tail`` of ``storyboard.timing.ShotTiming``; clipped to the shot's frames, which a
    valid storyboard never needs)."""
    result = []
    for span in spans:
        head = min(span.head, span.frames)
        tail = min(span.tail, span.frames - head)
        result.append(SegmentLengths(head, span.frames - head - tail, tail))
    return result


@dataclass(frozen=True)
class ShotSegments:
    """The files of one shot's segments; None for a segment with no frames."""

    head: Path | None = None
    body: Path | None = None
    tail: Path | None = None

    @classmethod
    def in_folder(cls, folder: str | os.PathLike) -> ShotSegments:
        """The segments found in ``folder`` (``head.mp4``, ``body.mp4``, ``tail.mp4``)."""
        folder = Path(folder)
        return cls(*(folder / f"{name}.mp4" if (folder / f"{name}.mp4").is_file() else None
                     for name in SEGMENTS))

    def get(self, name: str) -> Path | None:
        return getattr(self, name)


def write_shot_segments(frames: Iterable[np.ndarray], folder: str | os.PathLike,
                        lengths: SegmentLengths, fps: int, narration: str = "") -> ShotSegments:
    """Encode a shot's RGB frames (exactly ``lengths.frames`` of them, in order) as its
    segments in ``folder``, the narration's subtitle burned into the body."""
    from director.subtitles import cue_text, subtitle_overlay

    folder = Path(folder)
    iterator = iter(frames)
    paths: dict[str, Path] = {}
    for name in SEGMENTS:
        count = getattr(lengths, name)
        if count == 0:
            continue
        chunk = islice(iterator, count)
        text = cue_text(narration) if name == "body" else ""
        if text:
            first = next(chunk, None)
            if first is None:
                raise ValueError(f"the shot has fewer frames than its {lengths.frames}")
            overlay = subtitle_overlay(text, first.shape[1], first.shape[0])
            chunk = (overlay.apply(frame)
                     for frame in chain([first], islice(iterator, count - 1)))
        path = folder / f"{name}.mp4"
        try:
            written = write_clip(chunk, path, fps)
        except ValueError as error:
            if str(error).startswith("no frames"):
                raise ValueError(f"the shot has fewer frames than its {lengths.frames}"
                                 ) from None
            raise
        if written != count:
            raise ValueError(f"the shot has fewer frames than its {lengths.frames}: "
                             f"its {name} got {written} of {count}")
        paths[name] = path
    if next(iterator, None) is not None:
        raise ValueError(f"the shot has more frames than its {lengths.frames}")
    return ShotSegments(**paths)
