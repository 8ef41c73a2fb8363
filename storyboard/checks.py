"""Checks that only the whole storyboard shows: repeated ids, unknown entity references,
an entity placed twice in a keyframe, and frame timing (shots under 2 frames, keyframes
on one frame, transitions longer than the shots they join).

They read a storyboard by its shape (validated models, or plain parsed JSON for the id and
reference checks), so this module imports no model: ``storyboard.models`` runs them from
its own validator without an import cycle.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from storyboard.errors import Problem
from storyboard.timing import timeline

if TYPE_CHECKING:
    from storyboard.models import Storyboard


def cross_reference_problems(sb: Storyboard) -> list[Problem]:
    """Problems that only the whole document shows: ids, references and frame timing."""
    return reference_problems(sb) + timing_problems(sb)


def reference_problems(data: Any) -> list[Problem]:
    """Repeated ids, unknown entity references and an entity placed twice in one keyframe.

    Works on a validated Storyboard and on plain parsed JSON alike (dicts and lists), so
    these problems are listed even when field errors stop pydantic; anything malformed is
    skipped (the field errors report it)."""
    problems: list[Problem] = []
    add = problems.append
    entities = list(_items(data, "entities"))
    scenes = list(_items(data, "scenes"))
    _repeated_ids([(f"entities[{i}]", _field(e, "id")) for i, e in entities], "entity", add)
    _repeated_ids([(f"scenes[{i}]", _field(s, "id")) for i, s in scenes], "scene", add)
    _repeated_ids([(f"scenes[{si}].shots[{hi}]", _field(shot, "id")) for si, scene in scenes
                   for hi, shot in _items(scene, "shots")], "shot", add)

    entity_ids = [i for _, e in entities if isinstance(i := _field(e, "id"), str)]
    known = set(entity_ids)
    hint = ", ".join(dict.fromkeys(entity_ids)) or "none defined"
    for si, scene in scenes:
        for hi, shot in _items(scene, "shots"):
            for ki, keyframe in _items(shot, "keyframes"):
                kat = f"scenes[{si}].shots[{hi}].keyframes[{ki}]"
                placed: dict[str, int] = {}
                for li, placement in _items(keyframe, "layout"):
                    entity = _field(placement, "entity")
                    if not isinstance(entity, str):
                        continue
                    if entity not in known:
                        add(Problem(f"{kat}.layout[{li}].entity",
                                    f"unknown entity {entity!r} (entities: {hint})"))
                    elif entity in placed:
                        add(Problem(f"{kat}.layout[{li}].entity",
                                    f"entity {entity!r} is already placed by layout"
                                    f"[{placed[entity]}]; an entity has one box per keyframe:"
                                    f" remove one of them"))
                    placed.setdefault(entity, li)
                for ri, relation in _items(keyframe, "relations"):
                    for end in ("subject", "object"):
                        value = _field(relation, end)
                        if isinstance(value, str) and value not in known:
                            add(Problem(f"{kat}.relations[{ri}].{end}",
                                        f"unknown entity {value!r} (entities: {hint})"))
    return problems


def timing_problems(sb: Storyboard) -> list[Problem]:
    """Frame-timing problems of a validated storyboard: shots under 2 frames, keyframes on
    one frame, transitions longer than the shots they join."""
    problems: list[Problem] = []
    add = problems.append
    fps = sb.format.fps
    spans = timeline(sb)
    shots = [shot for _, shot in sb.iter_shots()]
    # a crossfade longer than a shot it joins is one problem, reported at the crossfade
    long_crossfade = [shot.transition == "crossfade" and i > 0 and (
        span.transition_frames >= span.frames or span.transition_frames >= spans[i - 1].frames)
        for i, (shot, span) in enumerate(zip(shots, spans, strict=True))] + [False]
    position = 0
    for si, scene in enumerate(sb.scenes):
        for hi, shot in enumerate(scene.shots):
            at = f"scenes[{si}].shots[{hi}]"
            span, i = spans[position], position
            position += 1
            frames = span.frames
            if frames < 2:
                add(Problem(
                    f"{at}.duration",
                    f"{shot.duration} s gives {frames} frame{'s' * (frames != 1)} at {fps} fps"
                    f" (round-off carried from the shots before); a shot needs at least 2:"
                    f" make it at least {math.ceil(250 / fps) / 100} s",
                ))
                continue
            _check_keyframe_frames(shot.keyframes, frames, at, add)
            if long_crossfade[i]:
                add(Problem(
                    f"{at}.transition_duration",
                    f"a {shot.transition_duration} s crossfade ({span.transition_frames} frames)"
                    f" must be shorter than this shot ({frames} frames) and the one before"
                    f" ({spans[i - 1].frames} frames)",
                ))
            head = 0 if long_crossfade[i] else span.head
            tail = 0 if long_crossfade[i + 1] else span.tail
            if head + tail > frames:
                needs = []
                if head:
                    needs.append(f"{head} for the {shot.transition_duration} s"
                                 f" {shot.transition} into it")
                if tail:
                    after = shots[i + 1]
                    needs.append(f"{tail} for the next shot's {after.transition_duration} s"
                                 f" {after.transition}")
                add(Problem(
                    f"{at}.transition_duration",
                    f"the transitions need {head + tail} of this shot's {frames} frames"
                    f" ({' and '.join(needs)}); shorten the transition_duration here or in"
                    f" the next shot, or lengthen the shot",
                ))
    return problems


def _field(obj: Any, name: str) -> Any:
    """``obj.name`` of a model or ``obj[name]`` of a dict; None for anything else."""
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None) if isinstance(obj, BaseModel) else None


def _items(obj: Any, name: str) -> Iterator[tuple[int, Any]]:
    """Index and item of the list ``obj.name``; nothing when it is missing or not a list."""
    value = _field(obj, name)
    return enumerate(value) if isinstance(value, list) else iter(())


def _repeated_ids(located: list[tuple[str, Any]], kind: str, add) -> None:
    """A problem at every repeat of an id, naming where it was first used."""
    first: dict[str, str] = {}
    for at, value in located:
        if not isinstance(value, str):
            continue
        if value in first:
            add(Problem(f"{at}.id", f"{kind} id {value!r} is already used by {first[value]};"
                                    f" ids must be unique"))
        else:
            first[value] = at


def _check_keyframe_frames(keyframes, frames: int, at: str, add) -> None:
    seen: dict[int, int] = {}
    for ki, keyframe in enumerate(keyframes):
        index = round(keyframe.t * (frames - 1))
        if index in seen:
            add(Problem(
                f"{at}.keyframes[{ki}].t",
                f"t={keyframe.t} falls on the same frame ({index}) as keyframes[{seen[index]}]"
                f" in this {frames}-frame shot; space the keyframes further apart",
            ))
        seen[index] = ki
