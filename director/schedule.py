"""Storyboard -> job graph: NUWA-XL's coarse-to-fine plan as a networkx DiGraph of jobs.

For each shot of N frames (``storyboard.timing``):

- ``keyframe`` jobs, one per storyboard keyframe, at frame ``round(t * (N - 1))``; no
  parents, so they all run at once.
- frames between them, by one of three strategies:

  ``hierarchical`` (NUWA-XL): between two frames already made with ``g`` frames between,
  one ``interpolate`` job makes all ``g`` if ``g <= m`` (m = the animator's
  ``max_inbetweens``), else up to ``m`` evenly spaced ones (rounded, distinct), leaving
  smaller gaps for the next level; it makes the fewest frames that keep the depth minimal
  (:func:`plan_hierarchical`). Each job depends only on its two end frames, so a level
  runs in parallel and the depth grows with log(N).

  ``autoregressive`` (for comparison): between two keyframes, windows of ``m`` frames in
  order; each window is conditioned on the last frame of the window before (or the first
  keyframe) and on the segment's end keyframe, so the depth grows with N.

  ``clip``: windows of ``clip_frames`` frames from an image/text-to-video animator, each
  starting from the last frame of the window before (the first from the segment's first
  keyframe), ending just before the next keyframe.

  ``auto`` (the default) picks per shot: ``clip`` when the animator makes clips
  (``clip_frames > 0``) and every keyframe-to-keyframe gap of the shot fits in one clip
  (so a clip never drifts over a chain of windows and every keyframe is still honoured);
  otherwise ``hierarchical``.

- ``reference`` jobs, when the animator makes entity references
  (``Capabilities.references``): one per entity that some keyframe shows, made from its
  fixed appearance (or the user's ``Entity.reference`` picture, read from the
  ``assets`` folder and keyed by its SHA-256). When the animator's keyframes condition on
  them (``keyframe_references``), each keyframe job depends on the references of the
  entities it shows, so changing an entity re-makes its reference and exactly the
  keyframes that show it.
- one ``shot`` job per shot (its frames in order, as the clip segments of
  ``director.segments``: its key holds the narration and the head/tail lengths, which
  the frame jobs' keys do not) and one ``film`` job.

Each frame-making kind uses one role of the animator (:data:`KIND_ROLES`) and its key
holds only that role's fingerprint (``Animator.role_fingerprints``): a new in-between
model does not re-key keyframes. Shot and film jobs hold the whole fingerprint.

Every frame of a shot is made by exactly one job. Nodes are job ids; the node attribute
``job`` holds the :class:`Job`; an edge runs from a job to each job that reads its
artifact. ``graph.graph`` holds ``storyboard``, ``config`` (a :class:`ScheduleConfig`,
enough to schedule the same keys again), ``depth`` and ``frames``.

Keys (``director.keys``) are hashed from the real requests, restricted to the fields the
animator reads (``Animator.reads``; every field by default): a keyframe job's key is its
request's, an interpolate or clip job's the requests of the frames it makes and its parents'
keys. The requests are built by one function (:meth:`ShotPayload.request_data`) for the keys
and, when a job runs, for the animator, so no hand-picked summary can go stale. A
keyframe's request holds its own ``t`` and a seed from the storyboard seed, the shot id and
that ``t``, never the shot's frame count: a duration change makes only that shot's
in-betweens, shot and film jobs again. Shots are rounded to whole frames one by one
(``storyboard.timing``), so a change never moves another shot's frames.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

import networkx as nx
import numpy as np
from pydantic import BaseModel, ConfigDict
from pydantic_core import to_json

from animator.base import (
    KIND_ROLES,
    REQUEST_FIELDS,
    Animator,
    Capabilities,
    EntityBox,
    FrameRequest,
    ReferenceRequest,
)
from director.keys import digest, job_key, stable_seed
from director.segments import SegmentLengths, segment_lengths
from director.subtitles import SUBTITLE_VERSION, cue_text
from director.video import ENCODER
from storyboard.errors import UserError
from storyboard.models import Entity, Keyframe, Placement, Scene, Shot, Storyboard
from storyboard.timing import ShotTiming, film_frame_count, timeline

Strategy = Literal["auto", "hierarchical", "autoregressive", "clip"]
STRATEGIES: tuple[str, ...] = ("auto", "hierarchical", "autoregressive", "clip")
FRAME_KINDS: tuple[str, ...] = ("keyframe", "interpolate", "clip")
BATCHED_KINDS: tuple[str, ...] = ("reference", *FRAME_KINDS)
"""kinds whose jobs go to the animator in batches"""
KINDS: tuple[str, ...] = ("reference", *FRAME_KINDS, "shot", "film")


# -- frame plans: which frames each job makes, from which end frames ---------------------


@dataclass(frozen=True, slots=True)
class Span:
    """One frame-making job of a plan: the frames it makes and the frames it reads."""

    level: int
    frames: tuple[int, ...]
    ends: tuple[int, ...]
    """frames it is conditioned on: (first, last) to interpolate, (first,) for a clip"""


def _between(a: int, b: int, m: int) -> tuple[int, ...]:
    """``m`` frames evenly spaced strictly between ``a`` and ``b`` (needs b - a > m + 1),
    rounded half up: distinct because the spacing is more than one frame."""
    assert b - a > m + 1, (a, b, m)
    span, parts = b - a, m + 1
    return tuple(a + (2 * j * span + parts) // (2 * parts) for j in range(1, m + 1))


def levels_needed(span: int, m: int) -> int:
    """Levels of ``m``-frame jobs needed to fill the gap between frames ``span`` apart:
    the least L with (m + 1) ** L >= span."""
    levels, reach = 1, m + 1
    while reach < span:
        levels, reach = levels + 1, reach * (m + 1)
    return levels


def plan_hierarchical(keys: Sequence[int], m: int, counts: Sequence[int] = (),
                      sparse: bool = True) -> list[Span]:
    """NUWA-XL: fill the gaps between ``keys`` (sorted frame indices) level by level, each
    job making up to ``m`` evenly spaced frames between two frames already made.

    A gap of span s (s - 1 frames between) that needs L levels gets
    ceil(s / (m + 1) ** (L - 1)) - 1 frames: the fewest that leave gaps the L - 1 levels
    below can fill. The depth is the least possible and the last level's jobs are full:
    1024 frames with m = 15 take 1 + 4 + 64 jobs on 3 levels (15 at every level would
    take 1 + 16 + 256 jobs, the last ones making 3 frames each).

    ``counts`` (``Capabilities.frame_counts``): the frame counts one call makes natively,
    end frames included (Wan 4k+1, LTX 8k+1). Then the frames of a job with gaps are
    placed so that the gaps left are multiples of the counts' step (as even as that
    allows), so the next level's calls are counts the model makes: the job makes the next
    native count of frames (at most ``m``) where that placement works, else the fewest
    that work. Only the remainder of a keyframe gap that is no multiple of the step lands
    in calls whose frames the backend samples from a larger native call
    (``animator.diffusion.frames``); where no placement keeps the depth, the frames are
    evenly spaced as without counts.

    ``sparse`` False (a model that makes only contiguous frames): every gap must be filled
    by one call (at most ``m`` frames); a wider one raises ValueError."""
    if m < 1:
        raise ValueError(f"m (in-betweens per call) must be at least 1; got {m}")
    native = [n - 2 for n in counts if 1 <= n - 2 <= m]
    step = math.gcd(*(n - 1 for n in counts)) if counts else 1
    spans: list[Span] = []
    gaps = list(pairwise(keys))
    level = 1
    while gaps:
        next_gaps: list[tuple[int, int]] = []
        for a, b in gaps:
            span = b - a
            if span <= 1:
                continue
            if span - 1 <= m:
                made = tuple(range(a + 1, b))
            elif not sparse:
                raise ValueError(f"frames {a} and {b} are {span} apart, but a model that "
                                 f"makes only contiguous frames fills at most {m + 1} "
                                 f"apart in one call")
            else:
                below = (m + 1) ** (levels_needed(span, m) - 1)
                least = -(-span // below) - 1
                count = min((n for n in native if n >= least), default=least)
                made = next(filter(None, (_on_steps(a, b, n, step, below) for n in
                                          (count, *range(least, m + 1)))), ())
                made = made or _between(a, b, count)
                next_gaps.extend(pairwise((a, *made, b)))
            spans.append(Span(level, made, (a, b)))
        gaps = next_gaps
        level += 1
    return spans


def _on_steps(a: int, b: int, count: int, step: int, most: int) -> tuple[int, ...]:
    """``count`` frames between ``a`` and ``b`` leaving gaps that are multiples of ``step``
    (as even as that allows; the remainder of ``b - a`` in the last gap), each at most
    ``most``; () when that is impossible or ``step`` is 1."""
    units, rest = divmod(b - a, step)
    parts = count + 1
    if step == 1 or units < parts:
        return ()
    sizes = [step * (units // parts + (i < units % parts)) for i in range(parts)]
    sizes[-1] += rest
    if max(sizes) > most:
        return ()
    return tuple(a + sum(sizes[:i]) for i in range(1, parts))


def _windows(keys: Sequence[int], size: int, with_end: bool) -> list[Span]:
    """Windows of up to ``size`` frames in order between each two ``keys``; each starts
    from the last frame before it (and, ``with_end``, also sees the segment's end key)."""
    spans: list[Span] = []
    for a, b in pairwise(keys):
        previous, level = a, 1
        while previous + 1 < b:
            made = tuple(range(previous + 1, min(previous + size, b - 1) + 1))
            spans.append(Span(level, made, (previous, b) if with_end else (previous,)))
            previous, level = made[-1], level + 1
    return spans


def plan_autoregressive(keys: Sequence[int], m: int) -> list[Span]:
    """Windows of ``m`` frames in order between each two ``keys``; each conditioned on the
    last frame before it and on the segment's end keyframe."""
    if m < 1:
        raise ValueError(f"m (in-betweens per call) must be at least 1; got {m}")
    return _windows(keys, m, with_end=True)


def plan_clips(keys: Sequence[int], window: int) -> list[Span]:
    """Windows of up to ``window`` frames after each keyframe, each starting from the last
    frame before it, stopping just before the next keyframe."""
    if window < 1:
        raise ValueError(f"clip window must be at least 1 frame; got {window}")
    return _windows(keys, window, with_end=False)


def shot_strategy(keys: Sequence[int], capabilities: Capabilities, strategy: str) -> str:
    """The strategy used for one shot (``auto`` resolved; see the module docstring)."""
    if strategy == "auto":
        clip = capabilities.clip_frames
        fits = all(b - a - 1 <= clip for a, b in pairwise(keys))
        return "clip" if clip > 0 and fits else "hierarchical"
    return strategy


# -- what a job needs to make its requests (built lazily) --------------------------------


_BOX_FIELDS = tuple(EntityBox.model_fields)


class ShotPayload:
    """One shot's context: builds the data of its jobs' FrameRequests (for their keys and,
    when they run, for the animator)."""

    def __init__(self, storyboard: Storyboard, scene: Scene, shot: Shot, timing: ShotTiming,
                 segments: SegmentLengths | None = None) -> None:
        self.storyboard, self.scene, self.shot, self.timing = storyboard, scene, shot, timing
        self.segments = segments or SegmentLengths(0, timing.frames, 0)
        """frames of the shot clip's head, body and tail (``director.segments``)"""
        self.frames = timing.frames
        self.fps = storyboard.format.fps
        self.keyframe_frames = [timing.keyframe_index(k.t) for k in shot.keyframes]
        self._prompts: dict[tuple[int, tuple[str, ...]], str] = {}

    def segment(self, frame: int) -> int:
        """The keyframe segment (k: between keyframes k and k+1) holding ``frame``."""
        k = 0
        while k + 2 < len(self.keyframe_frames) and self.keyframe_frames[k + 1] <= frame:
            k += 1
        return k

    def seed(self, frame: int) -> int:
        """The seed of in-between frame ``frame``: from the storyboard seed, the shot id and
        the index."""
        return stable_seed(self.storyboard.seed, self.shot.id, frame)

    def keyframe_seed(self, t: float) -> int:
        """The seed of the storyboard keyframe at ``t``: from the storyboard seed, the shot
        id and ``t`` (not the frame it falls on, which moves with the shot's length)."""
        return stable_seed(self.storyboard.seed, self.shot.id, "keyframe", t)

    def time(self, frame: int) -> float:
        """Time of ``frame`` in 0..1 of the shot."""
        return frame / (self.frames - 1)

    @cached_property
    def _entities(self) -> dict[str, dict[str, Any]]:
        return {e.id: {"name": e.name, "kind": e.kind, "color": e.color}
                for e in self.storyboard.entities}

    def _prompt(self, keyframe: Keyframe, layout: Sequence[Placement]) -> str:
        """``Storyboard.prompt_for``, once per keyframe and set of entities shown."""
        cache_key = (id(keyframe), tuple(p.entity for p in layout))
        if cache_key not in self._prompts:
            self._prompts[cache_key] = self.storyboard.prompt_for(self.scene, keyframe, layout)
        return self._prompts[cache_key]

    def request_data(self, frames: Sequence[int], fields: frozenset[str] = REQUEST_FIELDS
                     ) -> list[dict[str, Any]]:
        """The fields in ``fields`` (a layout box's as ``layout.<field>``) of the
        FrameRequests of ``frames``: a storyboard keyframe's own time, prompt, layout and
        seed; an in-between's layout interpolated to its time, the prompt of the nearest
        keyframe and the seed of its index. Keys hash this; the animator gets it in full."""
        sb, scene, shot = self.storyboard, self.scene, self.shot
        constant = {"shot_id": shot.id, "negative_prompt": sb.style.negative_prompt,
                    "setting": scene.setting, "time_of_day": scene.time_of_day,
                    "camera_size": shot.camera.size, "camera_movement": shot.camera.movement,
                    "width": sb.format.width, "height": sb.format.height}
        constant = {k: v for k, v in constant.items() if k in fields}
        entities = self._entities
        box_fields = [name for name in _BOX_FIELDS if f"layout.{name}" in fields]
        keyframe_at = dict(zip(self.keyframe_frames, shot.keyframes, strict=True))
        times = [keyframe_at[f].t if f in keyframe_at else self.time(f) for f in frames]
        result = []
        for frame, t, boxes in zip(frames, times, shot.boxes_at(times), strict=True):
            keyframe = keyframe_at.get(frame)
            if keyframe is not None:
                boxes = [(p, None) for p in keyframe.layout]
            else:
                keyframe = shot.keyframe_at(t)
            boxes = [(p, box) for p, box in boxes if p.entity in entities]
            data = dict(constant)
            if "t" in fields:
                data["t"] = t
            if "prompt" in fields:
                data["prompt"] = self._prompt(keyframe, [p for p, _ in boxes])
            if "caption" in fields:
                data["caption"] = keyframe.prompt
            if "seed" in fields:
                data["seed"] = self.keyframe_seed(t) if frame in keyframe_at else self.seed(frame)
            if box_fields:
                data["layout"] = [
                    {name: (p.entity if name == "entity" else p.phrase if name == "phrase"
                            else (box or p.box) if name == "box" else entities[p.entity][name])
                     for name in box_fields} for p, box in boxes]
            result.append(data)
        return result

    def requests(self, frames: Sequence[int]) -> list[FrameRequest]:
        """The FrameRequests of ``frames`` (see :meth:`request_data`)."""
        return [FrameRequest.model_validate(data) for data in self.request_data(frames)]


@dataclass(frozen=True)
class ReferencePayload:
    """What a reference job makes its request from: one entity, the film's style."""

    storyboard: Storyboard
    entity: Entity
    image: Path | None = None
    """the user's picture of it (Entity.reference resolved), when there is one"""
    image_sha256: str | None = None

    def source_digest(self) -> str:
        """What the reference is made from, without the animator: the contact sheet finds
        a stored reference by it."""
        return digest(reference_inputs(self.storyboard, self.entity, self.image_sha256))

    def request(self) -> ReferenceRequest:
        """The entity's ReferenceRequest (the user's picture read now, as RGB)."""
        sb, e = self.storyboard, self.entity
        return ReferenceRequest(
            entity=e.id, name=e.name, kind=e.kind, appearance=e.appearance,
            prompt=", ".join(p for p in (sb.style.prompt.strip(), e.appearance.strip()) if p),
            negative_prompt=sb.style.negative_prompt,
            seed=stable_seed(sb.seed, "reference", e.id),
            image=read_image(self.image) if self.image is not None else None)


def read_image(path: Path) -> np.ndarray:
    """A picture file as an RGB uint8 array."""
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def reference_inputs(storyboard: Storyboard, entity: Entity,
                     image_sha256: str | None) -> dict[str, Any]:
    """What a reference job's key holds besides the role's fingerprint: the entity's words,
    the film's style, the seed and the user's picture (by content)."""
    return {"entity": [entity.id, entity.name, entity.kind, entity.appearance],
            "style": [storyboard.style.prompt, storyboard.style.negative_prompt],
            "seed": storyboard.seed, "image": image_sha256}


def reference_images(storyboard: Storyboard, assets: str | os.PathLike | None
                     ) -> dict[str, Path]:
    """Each entity's ``reference`` picture, resolved against ``assets`` (the storyboard's
    folder); UserError for one that cannot be read."""
    found: dict[str, Path] = {}
    for entity in storyboard.entities:
        if entity.reference is None:
            continue
        path = Path(assets if assets is not None else ".") / entity.reference
        if not path.is_file():
            raise UserError(f"entity {entity.id!r}: its reference picture {entity.reference!r}"
                            f" is not a file in {str(path.parent)!r} (paths are relative to"
                            f" the storyboard's folder)")
        found[entity.id] = path
    return found


@dataclass(frozen=True)
class FilmPayload:
    """What the film job assembles from its shots' clips."""

    storyboard: Storyboard
    title: bool = True
    audio: Path | None = None


# -- jobs -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Job:
    """One node of the job graph."""

    id: str
    """readable and unique: ``reference/fox``, ``s1/keyframe/0``, ``s1/interpolate/L2/17-31``,
    ``s1/shot``"""
    kind: str
    key: str
    """the artifact key (``director.keys.job_key``)"""
    level: int
    """0 for references and keyframes; the hierarchy level (or window number) for
    interpolate and clip jobs; one more than its deepest parent for shot and film jobs"""
    shot: str | None
    frames: tuple[int, ...]
    """frame indices of the shot that it makes (shot jobs: all of the shot's, in order;
    a reference job: (0,), its one picture)"""
    parents: tuple[str, ...]
    """ids of the jobs whose artifacts it reads, in key order"""
    ends: tuple[int, ...] = ()
    """frames it is conditioned on: (first, last) for interpolate, (first,) for clip"""
    payload: ShotPayload | ReferencePayload | FilmPayload | None = field(default=None,
                                                                         repr=False)

    def frame_requests(self) -> list[FrameRequest]:
        """The FrameRequest of each frame it makes (keyframe, interpolate and clip jobs)."""
        if not isinstance(self.payload, ShotPayload) or self.kind not in FRAME_KINDS:
            raise TypeError(f"a {self.kind} job makes no frame requests")
        return self.payload.requests(self.frames)

    def offsets(self) -> tuple[int, ...]:
        """Frames from its first end frame to each frame it makes (and, for interpolate,
        to its last end frame): the spacing a video model maps to its own frames."""
        start = self.ends[0]
        return tuple(f - start for f in (*self.frames, *self.ends[1:]))

    def summary(self) -> dict[str, Any]:
        """A JSON-able description (what ``director graph`` prints)."""
        return {"id": self.id, "kind": self.kind, "level": self.level, "shot": self.shot,
                "frames": list(self.frames), "ends": list(self.ends)}


class ScheduleConfig(BaseModel):
    """Everything besides the storyboard that decides a graph's keys; a project records it
    so that ``cache gc`` can recompute which keys its storyboards reach."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    capabilities: Capabilities
    fingerprint: dict[str, Any] = {}
    role_fingerprints: dict[str, dict[str, Any]] = {}
    """each role's fingerprint where it is not the whole ``fingerprint``"""
    reads: tuple[str, ...] = tuple(sorted(REQUEST_FIELDS))
    """the FrameRequest fields the animator reads (``Animator.reads``): what frame keys hold"""
    strategy: Strategy = "auto"
    title: bool = True
    audio_sha256: str | None = None
    reference_sha256: dict[str, str] = {}
    """entity id -> SHA-256 of its user picture (Entity.reference)"""

    @property
    def fingerprint_digest(self) -> str:
        return digest(self.fingerprint)

    def kind_fingerprint(self, kind: str) -> str:
        """The fingerprint digest in a ``kind`` job's key: its role's (see KIND_ROLES),
        else the whole fingerprint's."""
        role = KIND_ROLES.get(kind)
        if role is not None and role in self.role_fingerprints:
            return digest(self.role_fingerprints[role])
        return self.fingerprint_digest


def file_sha256(path: str | os.PathLike, what: str = "audio file") -> str:
    """SHA-256 of a file's bytes, or a UserError (naming ``what``) if it cannot be read."""
    sha = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                sha.update(block)
    except OSError as error:
        raise UserError(f"cannot read the {what} {str(path)!r}: {error.strerror}") from None
    return sha.hexdigest()


def schedule(storyboard: Storyboard, animator: Animator | Capabilities, *,
             fingerprint: Mapping[str, Any] | None = None,
             reads: Iterable[str] | None = None, strategy: Strategy = "auto",
             title: bool = True, audio: str | os.PathLike | None = None,
             assets: str | os.PathLike | None = None) -> nx.DiGraph:
    """The job graph of ``storyboard`` for an animator (or just its capabilities, with its
    ``fingerprint``; {} when not given). ``strategy``: see the module docstring. ``title``
    and ``audio`` (a file) are passed to the film job and are part of its key. ``assets``:
    the folder that entities' ``reference`` pictures are relative to (the storyboard
    file's folder; default: the working folder)."""
    roles: dict[str, dict[str, Any]] = {}
    if isinstance(animator, Animator):
        capabilities = animator.capabilities
        fingerprint = animator.fingerprint() if fingerprint is None else fingerprint
        roles = {role: fp for role, fp in animator.role_fingerprints().items()
                 if fp != fingerprint}
        reads = animator.reads() if reads is None else reads
    elif isinstance(animator, Capabilities):
        capabilities = animator
    else:
        raise TypeError(f"schedule() needs an Animator or Capabilities, not "
                        f"{type(animator).__name__}")
    if strategy not in STRATEGIES:
        raise UserError(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
    if strategy == "clip" and capabilities.clip_frames < 1:
        raise UserError("strategy 'clip' needs an animator that makes clips (clip_frames > 0)")
    reads = REQUEST_FIELDS if reads is None else frozenset(reads)
    if not reads <= REQUEST_FIELDS:
        unknown = ", ".join(sorted(reads - REQUEST_FIELDS))
        raise ValueError(f"unknown FrameRequest field(s) {unknown} in what the animator reads;"
                         f" fields are {', '.join(sorted(REQUEST_FIELDS))}")
    pictures = reference_images(storyboard, assets) if capabilities.references else {}
    config = ScheduleConfig(
        capabilities=capabilities, fingerprint=dict(fingerprint or {}), role_fingerprints=roles,
        reads=tuple(sorted(reads)), strategy=strategy, title=title,
        audio_sha256=file_sha256(audio) if audio is not None else None,
        reference_sha256={e: file_sha256(p, "reference picture") for e, p in pictures.items()})
    return schedule_config(storyboard, config, audio=Path(audio) if audio is not None else None,
                           pictures=pictures)


def _reference_jobs(storyboard: Storyboard, config: ScheduleConfig,
                    pictures: Mapping[str, Path]) -> dict[str, Job]:
    """One reference job per entity that some keyframe shows, by entity id."""
    shown = dict.fromkeys(p.entity for _, shot in storyboard.iter_shots()
                          for k in shot.keyframes for p in k.layout)
    fp = config.kind_fingerprint("reference")
    jobs = {}
    for entity in storyboard.entities:
        if entity.id not in shown:
            continue
        sha = config.reference_sha256.get(entity.id)
        inputs = reference_inputs(storyboard, entity, sha)
        jobs[entity.id] = Job(f"reference/{entity.id}", "reference",
                              job_key("reference", inputs, fp), 0, None, (0,), (), (),
                              ReferencePayload(storyboard, entity, pictures.get(entity.id), sha))
    return jobs


def schedule_config(storyboard: Storyboard, config: ScheduleConfig, *,
                    audio: Path | None = None,
                    pictures: Mapping[str, Path] | None = None) -> nx.DiGraph:
    """The job graph for a recorded :class:`ScheduleConfig` (``audio`` and the entities'
    ``pictures`` are only needed to run the film and reference jobs, not for keys)."""
    m = config.capabilities.max_inbetweens
    fp = config.fingerprint_digest
    keyframe_fp = config.kind_fingerprint("keyframe")
    reads = frozenset(config.reads)
    references = (_reference_jobs(storyboard, config, pictures or {})
                  if config.capabilities.references else {})
    conditioned = config.capabilities.keyframe_references
    scenes = {scene.id: scene for scene in storyboard.scenes}
    shots = {shot.id: shot for _, shot in storyboard.iter_shots()}
    jobs: list[Job] = list(references.values())
    shot_jobs: list[Job] = []

    def requests(payload: ShotPayload, frames: Sequence[int]) -> str:
        """The digest of the frames' requests as the animator reads them (their JSON: the
        fields in a fixed order, so equal requests give equal text)."""
        data = payload.request_data(frames, reads)
        return hashlib.blake2b(to_json(data), digest_size=16).hexdigest()

    spans = timeline(storyboard)
    for timing, lengths in zip(spans, segment_lengths(spans), strict=True):
        scene, shot = scenes[timing.scene_id], shots[timing.shot_id]
        payload = ShotPayload(storyboard, scene, shot, timing, lengths)
        sid = shot.id
        producer: dict[int, Job] = {}
        for frame, keyframe in zip(payload.keyframe_frames, shot.keyframes, strict=True):
            inputs = {"request": requests(payload, (frame,))}
            refs = [references[e] for e in dict.fromkeys(p.entity for p in keyframe.layout)
                    if e in references] if conditioned else []
            job = Job(f"{sid}/keyframe/{frame}", "keyframe",
                      job_key("keyframe", inputs, keyframe_fp, [r.key for r in refs]),
                      0, sid, (frame,), tuple(r.id for r in refs), (), payload)
            producer[frame] = job
            jobs.append(job)

        keys = payload.keyframe_frames
        chosen = shot_strategy(keys, config.capabilities, config.strategy)
        caps = config.capabilities
        if chosen == "hierarchical":
            try:
                spans = plan_hierarchical(keys, m, caps.frame_counts, caps.sparse)
            except ValueError as error:
                raise UserError(f"shot {sid}: {error}: add keyframes to the shot "
                                f"or choose an in-between model that takes evenly spaced "
                                f"frames") from None
            kind = "interpolate"
        elif chosen == "autoregressive":
            spans, kind = plan_autoregressive(keys, m), "interpolate"
        else:
            spans, kind = plan_clips(keys, config.capabilities.clip_frames), "clip"
        span_fp = config.kind_fingerprint(kind)
        for span in spans:
            parents = tuple(producer[e] for e in span.ends)
            inputs = {"requests": requests(payload, span.frames)}
            tag = "interpolate/L" if kind == "interpolate" else "clip/W"
            job = Job(f"{sid}/{tag}{span.level}/{span.frames[0]}-{span.frames[-1]}", kind,
                      job_key(kind, inputs, span_fp, [p.key for p in parents]), span.level, sid,
                      span.frames, tuple(p.id for p in parents), span.ends, payload)
            for frame in span.frames:
                producer[frame] = job
            jobs.append(job)

        makers = list(dict.fromkeys(producer[f] for f in range(timing.frames)))
        fmt = storyboard.format
        inputs = {"shot": sid, "frames": timing.frames, "fps": payload.fps,
                  "size": [fmt.width, fmt.height], "segments": lengths.as_dict(),
                  "subtitle": [cue_text(shot.narration), SUBTITLE_VERSION],
                  "encoder": ENCODER}
        shot_job = Job(f"{sid}/shot", "shot",
                       job_key("shot", inputs, fp, [p.key for p in makers]),
                       max(p.level for p in makers) + 1, sid, tuple(range(timing.frames)),
                       tuple(p.id for p in makers), (), payload)
        jobs.append(shot_job)
        shot_jobs.append(shot_job)

    film_inputs = {"storyboard": storyboard.model_dump(mode="json"), "title": config.title,
                   "audio": config.audio_sha256, "subtitle": SUBTITLE_VERSION,
                   "encoder": ENCODER}
    film = Job("film", "film", job_key("film", film_inputs, fp, [s.key for s in shot_jobs]),
               max(s.level for s in shot_jobs) + 1, None, (),
               tuple(s.id for s in shot_jobs), (), FilmPayload(storyboard, config.title, audio))
    jobs.append(film)

    graph = nx.DiGraph(storyboard=storyboard, config=config, depth=film.level + 1,
                       frames=film_frame_count(storyboard))
    graph.add_nodes_from((job.id, {"job": job}) for job in jobs)
    graph.add_edges_from((parent, job.id) for job in jobs for parent in job.parents)
    return graph


# -- reading a graph --------------------------------------------------------------------------


def iter_jobs(graph: nx.DiGraph) -> Iterator[Job]:
    """Every job, parents before children."""
    nodes = graph.nodes
    for job_id in nx.topological_sort(graph):
        yield nodes[job_id]["job"]


def graph_keys(graph: nx.DiGraph) -> set[str]:
    """The artifact keys of every job of the graph."""
    return {data["job"].key for _, data in graph.nodes(data=True)}


def depth(graph: nx.DiGraph) -> int:
    """Jobs on the longest dependency chain (the critical path)."""
    return nx.dag_longest_path_length(graph) + 1 if graph.number_of_nodes() else 0


def summary(graph: nx.DiGraph) -> dict[str, Any]:
    """Jobs by kind and level, depth and edges: what ``director graph --format json``
    prints."""
    by_kind: dict[str, dict[str, int]] = {}
    for _, data in graph.nodes(data=True):
        job = data["job"]
        levels = by_kind.setdefault(job.kind, {})
        levels[str(job.level)] = levels.get(str(job.level), 0) + 1
    config: ScheduleConfig | None = graph.graph.get("config")
    return {
        "inbetweens": config.capabilities.max_inbetweens if config else None,
        "strategy": config.strategy if config else None,
        "frames": graph.graph.get("frames"),
        "depth": depth(graph),
        "jobs": {
            "total": graph.number_of_nodes(),
            "by_kind": {kind: {"total": sum(levels.values()),
                               "levels": dict(sorted(levels.items(), key=lambda x: int(x[0])))}
                        for kind, levels in sorted(by_kind.items(),
                                                   key=lambda x: KINDS.index(x[0]))},
        },
        "nodes": [job.summary() for job in iter_jobs(graph)],
        "edges": [[u, v] for u, v in graph.edges()],
    }


_DOT_COLOURS = {"reference": "#cdb4db", "keyframe": "#f4a261", "interpolate": "#a8dadc",
                "clip": "#b5e48c", "shot": "#e9c46a", "film": "#e76f51"}


def to_dot(graph: nx.DiGraph) -> str:
    """The graph in Graphviz DOT: one box per job (id, kind, level, frames), coloured by kind."""
    def quote(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["digraph jobs {", "  rankdir=TB;",
             '  node [shape=box, style="rounded,filled", fontname="DejaVu Sans", fontsize=10];']
    for job in iter_jobs(graph):
        frames = (f"{job.frames[0]}..{job.frames[-1]} ({len(job.frames)})" if job.frames else "")
        label = quote(f"{job.id}\n{job.kind} L{job.level} {frames}".rstrip())
        label = label.replace("\n", "\\n")  # a DOT line break inside the quoted label
        colour = quote(_DOT_COLOURS.get(job.kind, "#dddddd"))
        lines.append(f"  {quote(job.id)} [label={label}, fillcolor={colour}];")
    lines += [f"  {quote(u)} -> {quote(v)};" for u, v in graph.edges()]
    lines.append("}")
    return "\n".join(lines) + "\n"
