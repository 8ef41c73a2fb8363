"""Entities in their boxes: cross-shot consistency and layout adherence, from box crops.

At up to :data:`CROP_FRAMES_PER_SHOT` evaluated frames of each shot, spread evenly over it
(the middles of equal parts, so away from its transitions), every entity box of the
frame's request (``director.evaluate.shots``) is cut out of the frame and embedded by
CLIP. A box smaller than :data:`MIN_CROP` pixels either way is skipped.

- **Entity consistency**: for each entity seen in two shots or more, its crops' unit
  embeddings are averaged per shot; the figure is the mean cosine between those shot
  means over every pair of its shots (1: it looks the same in every shot, as far as CLIP
  sees). The film's figure is the mean over entities.
- **Layout adherence**: for each crop, ``cos(crop, text) - cos(elsewhere, text)``, where
  ``text`` is the box's phrase (else the entity's name) and ``elsewhere`` is a region of
  the same size mirrored left-right, top-bottom or both, whichever overlaps the box
  least (skipped when even that overlaps it by more than :data:`MAX_OVERLAP` of its
  area). It measures whether the thing named is where the storyboard put it rather than
  elsewhere in the frame, as far as CLIP can tell; the figure is the fraction of crops
  whose margin is positive, with the mean margin beside it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from animator.base import FrameRequest
from director.evaluate.clip import Clip
from director.evaluate.report import Figure, mean
from director.evaluate.shots import ShotSpan

CROP_FRAMES_PER_SHOT = 4
MIN_CROP = 8
MAX_OVERLAP = 0.25

Box = tuple[int, int, int, int]


def crop_frames(shots: Sequence[ShotSpan], stride: int,
                per_shot: int = CROP_FRAMES_PER_SHOT) -> set[int]:
    """The evaluated film frames at which entity boxes are cropped."""
    chosen: set[int] = set()
    for shot in shots:
        evaluated = list(range(-(-shot.start // stride) * stride, shot.end, stride))
        if not evaluated:
            continue
        length = shot.end - shot.start
        for k in range(per_shot):
            target = shot.start + length * (2 * k + 1) / (2 * per_shot)
            chosen.add(min(evaluated, key=lambda f, t=target: abs(f - t)))
    return chosen


def pixel_box(box: Sequence[float], width: int, height: int) -> Box | None:
    """A normalised box in whole pixels, clipped to the frame; None when too small."""
    x0, y0, x1, y1 = (round(max(0.0, min(1.0, v)) * s)
                      for v, s in zip(box, (width, height, width, height), strict=True))
    if x1 - x0 < MIN_CROP or y1 - y0 < MIN_CROP:
        return None
    return x0, y0, x1, y1


def _overlap(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(0, w) * max(0, h) / ((a[2] - a[0]) * (a[3] - a[1]))


def elsewhere_box(box: Box, width: int, height: int) -> Box | None:
    """The box mirrored left-right, top-bottom or both, whichever overlaps it least; None
    when that still covers more than :data:`MAX_OVERLAP` of it."""
    x0, y0, x1, y1 = box
    candidates = [(width - x1, y0, width - x0, y1), (x0, height - y1, x1, height - y0),
                  (width - x1, height - y1, width - x0, height - y0)]
    best = min(candidates, key=lambda c: _overlap(box, c))
    return best if _overlap(box, best) <= MAX_OVERLAP else None


def _crop(frame: np.ndarray, box: Box) -> np.ndarray:
    x0, y0, x1, y1 = box
    return frame[y0:y1, x0:x1]


@dataclass
class _Pending:
    shot: str
    entity: str
    text: str
    crop: np.ndarray
    elsewhere: np.ndarray | None


class EntityCrops:
    """Collects box crops while a film is read and sums them up into the two figures."""

    def __init__(self, clip: Clip) -> None:
        self.clip = clip
        self.pending: list[_Pending] = []
        self.sums: dict[str, dict[str, np.ndarray]] = defaultdict(dict)
        self.counts: dict[tuple[str, str], int] = defaultdict(int)
        self.margins: list[float] = []
        self._texts: dict[str, np.ndarray] = {}

    def add(self, frame: np.ndarray, shot: str, request: FrameRequest) -> None:
        """Cut out every entity box of ``request`` (and its elsewhere region)."""
        height, width = frame.shape[:2]
        for placed in request.layout:
            box = pixel_box(placed.box, width, height)
            if box is None:
                continue
            other = elsewhere_box(box, width, height)
            self.pending.append(_Pending(
                shot, placed.entity, placed.phrase or placed.name, _crop(frame, box).copy(),
                _crop(frame, other).copy() if other is not None else None))

    def embed(self) -> None:
        """Embed the crops collected so far, in one batch, and fold them in."""
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        crops = [p.crop for p in pending] + [p.elsewhere for p in pending
                                             if p.elsewhere is not None]
        vectors = self.clip.images(crops)
        self._embed_texts([p.text for p in pending])
        rest = iter(vectors[len(pending):])
        for item, vector in zip(pending, vectors[:len(pending)], strict=True):
            shots = self.sums[item.entity]
            shots[item.shot] = shots.get(item.shot, 0) + vector
            self.counts[(item.entity, item.shot)] += 1
            if item.elsewhere is not None:
                text = self._texts[item.text]
                self.margins.append(float(vector @ text - next(rest) @ text))

    def _embed_texts(self, texts: list[str]) -> None:
        missing = list(dict.fromkeys(t for t in texts if t not in self._texts))
        for text, vector in zip(missing, self.clip.texts(missing), strict=True):
            self._texts[text] = vector

    def consistency(self) -> Figure:
        """Cross-shot entity consistency (see the module docstring)."""
        per_entity: dict[str, float | None] = {}
        for entity, shots in sorted(self.sums.items()):
            if len(shots) < 2:
                continue
            means = [v / np.linalg.norm(v) for v in shots.values()]
            per_entity[entity] = mean(float(a @ b) for a, b in combinations(means, 2))
        return Figure(
            definition="For each entity in two shots or more: the mean cosine between the"
                       " per-shot means of the CLIP image embeddings of its box crops, over"
                       " every pair of its shots; value: the mean over entities; details:"
                       " each entity's figure.",
            value=mean(per_entity.values()), details=per_entity)

    def layout(self) -> Figure:
        """Layout adherence (see the module docstring)."""
        margins = self.margins
        return Figure(
            definition="For each entity box cropped: CLIP cosine of the box crop to the box's"
                       " phrase minus that of a same-size region elsewhere (the box mirrored,"
                       " least overlap) to the phrase. value: the fraction of crops with a"
                       " positive margin (the named thing is more where the storyboard put"
                       " it than elsewhere, as far as CLIP can tell); details.mean_margin;"
                       " details.crops.",
            value=(sum(m > 0 for m in margins) / len(margins)) if margins else None,
            details={"mean_margin": mean(margins), "crops": len(margins)})
