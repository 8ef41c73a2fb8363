"""Which shot, and which request, each frame of a rendered film shows.

A film made from a storyboard is an optional title card followed by the shots of
``storyboard.timing.timeline``. Evaluation gives every film frame to exactly one shot:
shot ``i`` owns film frames ``[start_i, start_{i+1})`` (after the title card), so a
crossfade's overlap belongs to the shot it fades into. A pair of consecutive frames owned
by two shots spans a cut or the start of a transition, and is left out of within-shot
figures.

The prompt and layout of a frame are those of the scheduler's own request for it
(``director.schedule``: ``Job.frame_requests``, built by ``Storyboard.prompt_for``), so
evaluation scores each frame against exactly what it was made from.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property

from animator.base import Capabilities, FrameRequest
from director.assemble import title_frame_count
from director.schedule import FRAME_KINDS, Job, iter_jobs, schedule
from storyboard.errors import UserError
from storyboard.models import Storyboard
from storyboard.timing import film_frame_count, timeline

REQUEST_CACHE = 256
"""Jobs whose requests are kept while a film is read."""


@dataclass(frozen=True)
class ShotSpan:
    """One shot as the film shows it."""

    index: int
    id: str
    scene: str
    start: int
    """first film frame it owns (the title card counted)"""
    end: int
    """one past the last film frame it owns"""
    transition: str
    description: str
    narration: str


class FilmShots:
    """The shots of a storyboard laid over the frames of its film."""

    def __init__(self, storyboard: Storyboard, film_frames: int) -> None:
        self.storyboard = storyboard
        body = film_frame_count(storyboard)
        title = title_frame_count(storyboard)
        if film_frames == body + title:
            self.title_frames = title
        elif film_frames == body:
            self.title_frames = 0
        else:
            raise UserError(
                f"the film has {film_frames} frames but storyboard {storyboard.title!r} makes"
                f" {body} ({body + title} with its title card): evaluate the film with the"
                f" storyboard it was rendered from")
        spans = timeline(storyboard)
        shots = {shot.id: shot for _, shot in storyboard.iter_shots()}
        self.timings = {span.shot_id: span for span in spans}
        self.shots: list[ShotSpan] = []
        for i, span in enumerate(spans):
            end = spans[i + 1].start if i + 1 < len(spans) else span.end
            shot = shots[span.shot_id]
            self.shots.append(ShotSpan(i, span.shot_id, span.scene_id,
                                       self.title_frames + span.start, self.title_frames + end,
                                       span.transition, shot.description, shot.narration))
        self._requests: OrderedDict[str, list[FrameRequest]] = OrderedDict()

    def shot_at(self, film_frame: int) -> ShotSpan | None:
        """The shot that owns a film frame (None on the title card)."""
        if film_frame < self.title_frames:
            return None
        low, high = 0, len(self.shots) - 1
        while low < high:  # the last shot starting at or before the frame
            middle = (low + high + 1) // 2
            if self.shots[middle].start <= film_frame:
                low = middle
            else:
                high = middle - 1
        return self.shots[low]

    @cached_property
    def _makers(self) -> dict[tuple[str, int], Job]:
        graph = schedule(self.storyboard, Capabilities(max_inbetweens=8), title=False)
        return {(job.shot, frame): job for job in iter_jobs(graph) if job.kind in FRAME_KINDS
                for frame in job.frames}

    def request(self, film_frame: int) -> FrameRequest | None:
        """The scheduler's request for the frame shown at ``film_frame`` (None on the title
        card)."""
        shot = self.shot_at(film_frame)
        if shot is None:
            return None
        frame = film_frame - self.title_frames - self.timings[shot.id].start
        job = self._makers[(shot.id, frame)]
        requests = self._requests.pop(job.id, None) or job.frame_requests()
        self._requests[job.id] = requests  # the most recent jobs' requests, a bounded cache
        if len(self._requests) > REQUEST_CACHE:
            self._requests.popitem(last=False)
        return requests[job.frames.index(frame)]
