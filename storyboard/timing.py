"""Shot durations in whole frames, and where each shot sits in the film.

Durations are seconds, frames are integers. Each shot's end is rounded from the
cumulative running time, so the round-off of one shot is carried into the next and
never lost: a film of twelve 4.02 s shots at 24 fps has round(48.24 * 24) frames
before transitions. A crossfade overlaps the shot with the one before it; a cut or a
fade through black does not change the count.

This is also the one place of the transition rule: which frames of a shot its
transitions take (``head``, ``tail``) and which of them fade (``fade_in``,
``fade_out``); validation, the shot segments and the film's assembly read them here.
Timing needs only durations, transitions and a frame rate: it imports no model (a
storyboard is read by its shape).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from storyboard.models import Storyboard


class TimedShot(Protocol):
    """What timing reads of a shot."""

    id: str
    duration: float
    transition: str
    transition_duration: float


def round_frames(seconds: float, fps: int) -> int:
    """Seconds to a whole frame count, halves rounding up (no banker's rounding)."""
    return math.floor(seconds * fps + 0.5)


@dataclass(frozen=True)
class ShotTiming:
    """Where one shot sits in the film, in frames."""

    index: int
    scene_id: str
    shot_id: str
    frames: int
    """frames of the shot's own clip"""
    start: int
    """first film frame of the shot (a crossfade starts it inside the shot before)"""
    transition: str
    transition_frames: int
    """frames of the crossfade or fade into this shot; 0 for a cut. The first shot's
    crossfade has nothing to overlap: it is played as a fade in from black"""
    head: int = 0
    """frames of the transition INTO this shot spent inside it: a crossfade's n, a fade's
    n - n // 2 (fading in), the first shot's fade or crossfade's n (in from black)"""
    tail: int = 0
    """frames of the NEXT shot's transition spent inside this one: its crossfade's n, its
    fade's n // 2 (fading out); 0 before a cut and for the last shot"""
    fade_out: int = 0
    """frames at the end fading to black: the next shot's fade's n // 2"""

    @property
    def end(self) -> int:
        """One past the last film frame of the shot."""
        return self.start + self.frames

    @property
    def fade_in(self) -> int:
        """Frames at the start fading in from black: a fade's head, or the first shot's
        (a crossfade's head is blended with the shot before, not faded)."""
        return self.head if self.index == 0 or self.transition == "fade" else 0

    def keyframe_index(self, t: float) -> int:
        """The frame of this shot at time ``t`` in 0..1 (0 is the first frame, 1 the last)."""
        return round(t * (self.frames - 1))


def shot_frame_counts(durations: Iterable[float], fps: int) -> list[int]:
    """Frames of each shot of ``durations`` (seconds, film order), the round-off carried
    from shot to shot."""
    counts, elapsed = [], 0.0
    for duration in durations:
        before = round_frames(elapsed, fps)
        elapsed += duration
        counts.append(round_frames(elapsed, fps) - before)
    return counts


def transition_frames(shot: TimedShot, fps: int) -> int:
    """Frames of the transition into ``shot`` (0 for a cut)."""
    return 0 if shot.transition == "cut" else round_frames(shot.transition_duration, fps)


def shot_timeline(shots: Sequence[tuple[str, TimedShot]], fps: int) -> list[ShotTiming]:
    """Every (scene id, shot) with its frame count, film position and transition frames,
    in order.

    ``head`` and ``tail`` are what the transitions need of the shot; they are not clipped
    to its frames (validation requires ``head + tail <= frames``)."""
    counts = shot_frame_counts((shot.duration for _, shot in shots), fps)
    ns = [transition_frames(shot, fps) for _, shot in shots]
    result: list[ShotTiming] = []
    start = 0
    for index, ((scene_id, shot), frames, n) in enumerate(zip(shots, counts, ns, strict=True)):
        if index == 0:
            head = n if shot.transition in ("fade", "crossfade") else 0
        else:
            head = {"crossfade": n, "fade": n - n // 2}.get(shot.transition, 0)
            if shot.transition == "crossfade":
                start -= n
        tail = fade_out = 0
        if index + 1 < len(shots):
            after, m = shots[index + 1][1], ns[index + 1]
            tail = {"crossfade": m, "fade": m // 2}.get(after.transition, 0)
            fade_out = m // 2 if after.transition == "fade" else 0
        result.append(ShotTiming(index, scene_id, shot.id, frames, start, shot.transition, n,
                                 head, tail, fade_out))
        start += frames
    return result


def timeline(storyboard: Storyboard) -> list[ShotTiming]:
    """:func:`shot_timeline` of a storyboard's shots at its frame rate."""
    return shot_timeline([(scene.id, shot) for scene, shot in storyboard.iter_shots()],
                         storyboard.format.fps)


def film_frame_count(storyboard: Storyboard) -> int:
    """Frames of the whole film (shots minus crossfade overlaps; a title card not included)."""
    spans = timeline(storyboard)
    return spans[-1].end if spans else 0
