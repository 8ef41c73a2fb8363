"""From per-frame values to a figure for the film and each shot.

Two shapes of value:

- **per frame** (CLIPSIM, PSNR against a reference): the film's figure is the mean over
  its frames, a shot's over the frames it owns.
- **per pair** of consecutive evaluated frames (consistency, frame-to-frame PSNR/SSIM): a
  pair belongs to a shot when the shot owns both frames; the film's figure is the mean
  over such within-shot pairs, so a cut never counts as a change inside a shot. The
  pairs across shot boundaries are summed up apart (``details``).

An owner of ``None`` is a frame of the title card: left out of every figure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from director.evaluate.report import Figure, mean


def frame_figure(definition: str, values: Sequence[float], owners: Sequence[str | None],
                 shots: Sequence[str]) -> Figure:
    """A per-frame value summed up for the film and for each of ``shots``."""
    by_shot: dict[str, list[float]] = defaultdict(list)
    for value, owner in zip(values, owners, strict=True):
        if owner is not None:
            by_shot[owner].append(value)
    kept = [v for owner in by_shot for v in by_shot[owner]]
    return Figure(definition=definition, value=mean(kept),
                  per_shot={shot: mean(by_shot.get(shot, [])) for shot in shots},
                  details={"frames": len(kept)})


def pair_figure(definition: str, values: Sequence[float], before: Sequence[str | None],
                after: Sequence[str | None], shots: Sequence[str]) -> Figure:
    """A per-pair value: film and shots from within-shot pairs; ``details``: the mean over
    all pairs (``all_pairs``) and over pairs across shot boundaries
    (``boundary_pairs``), and their counts."""
    within: dict[str, list[float]] = defaultdict(list)
    across: list[float] = []
    for value, a, b in zip(values, before, after, strict=True):
        if a is None or b is None:
            continue
        if a == b:
            within[a].append(value)
        else:
            across.append(value)
    inside = [v for owner in within for v in within[owner]]
    return Figure(
        definition=definition, value=mean(inside),
        per_shot={shot: mean(within.get(shot, [])) for shot in shots},
        details={"all_pairs": mean(inside + across), "boundary_pairs": mean(across),
                 "within_shot_pairs": len(inside), "boundary_pair_count": len(across)})
