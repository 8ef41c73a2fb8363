"""The lowest-scoring frames of a figure, kept with a thumbnail while a film is read."""

from __future__ import annotations

import base64
import heapq
import io
from itertools import count

import numpy as np
from PIL import Image

from director.evaluate.report import LowFrame

THUMBNAIL_WIDTH = 192
KEPT = 6
"""Frames kept per figure."""


def thumbnail(frame: np.ndarray, width: int = THUMBNAIL_WIDTH) -> str:
    """A frame scaled to ``width`` pixels across, as a PNG data URI."""
    image = Image.fromarray(frame)
    height = max(1, round(image.height * width / image.width))
    buffer = io.BytesIO()
    image.resize((width, height), Image.Resampling.LANCZOS).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


class Lowest:
    """The ``kept`` lowest values offered for one figure, with their frames' thumbnails."""

    def __init__(self, figure: str, kept: int = KEPT) -> None:
        self.figure, self.kept = figure, kept
        self._heap: list[tuple[float, int, int, str | None, str]] = []  # (-value, tie, ...)
        self._tie = count()

    def offer(self, value: float, frame_index: int, shot: str | None, frame: np.ndarray) -> None:
        """Keep this frame if it is among the lowest so far (thumbnails made only then)."""
        if len(self._heap) == self.kept and -self._heap[0][0] <= value:
            return
        item = (-value, next(self._tie), frame_index, shot, thumbnail(frame))
        if len(self._heap) < self.kept:
            heapq.heappush(self._heap, item)
        else:
            heapq.heapreplace(self._heap, item)

    def frames(self) -> list[LowFrame]:
        """The kept frames, lowest first."""
        return [LowFrame(figure=self.figure, frame=f, shot=s, value=-v, thumbnail=t)
                for v, _, f, s, t in sorted(self._heap, reverse=True)]
