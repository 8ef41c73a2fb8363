"""Whole-storyboard checks and the conversion of pydantic errors into JSON-path problems."""

from __future__ import annotations

import math
from typing import Any

from pydantic import ValidationError

from storyboard.errors import Problem, StoryboardError
from storyboard.models import Storyboard
from storyboard.timing import shot_frame_counts, transition_frames


def json_path(loc: tuple[Any, ...]) -> str:
    """``('scenes', 0, 'shots', 1, 'duration')`` -> ``scenes[0].shots[1].duration``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def cross_reference_problems(sb: Storyboard) -> list[Problem]:
    """Problems that only the whole document shows: ids, references and frame timing."""
    problems: list[Problem] = []
    add = problems.append
    entity_ids = [e.id for e in sb.entities]
    _repeated_ids(
        [(f"entities[{i}]", e.id) for i, e in enumerate(sb.entities)], "entity", add)
    _repeated_ids([(f"scenes[{i}]", s.id) for i, s in enumerate(sb.scenes)], "scene", add)
    _repeated_ids([(f"scenes[{si}].shots[{hi}]", shot.id) for si, scene in enumerate(sb.scenes)
                   for hi, shot in enumerate(scene.shots)], "shot", add)

    known = set(entity_ids)
    hint = ", ".join(dict.fromkeys(entity_ids)) or "none defined"
    fps = sb.format.fps
    counts = iter(shot_frame_counts(sb))
    previous_frames = None
    for si, scene in enumerate(sb.scenes):
        for hi, shot in enumerate(scene.shots):
            at = f"scenes[{si}].shots[{hi}]"
            frames = next(counts)
            if shot.duration * fps < 2:
                add(Problem(
                    f"{at}.duration",
                    f"{shot.duration} s is shorter than 2 frames at {fps} fps;"
                    f" make it at least {math.ceil(200 / fps) / 100} s",
                ))
            else:
                _check_keyframe_frames(shot.keyframes, frames, at, add)
            n = transition_frames(shot, fps)
            if shot.transition == "crossfade" and previous_frames is not None and (
                n >= frames or n >= previous_frames
            ):
                add(Problem(
                    f"{at}.transition_duration",
                    f"a {shot.transition_duration} s crossfade ({n} frames) must be shorter than"
                    f" this shot ({frames} frames) and the one before ({previous_frames} frames)",
                ))
            previous_frames = frames
            for ki, keyframe in enumerate(shot.keyframes):
                kat = f"{at}.keyframes[{ki}]"
                for li, placement in enumerate(keyframe.layout):
                    if placement.entity not in known:
                        add(Problem(
                            f"{kat}.layout[{li}].entity",
                            f"unknown entity {placement.entity!r} (entities: {hint})",
                        ))
                for ri, relation in enumerate(keyframe.relations):
                    for end in ("subject", "object"):
                        value = getattr(relation, end)
                        if value not in known:
                            add(Problem(
                                f"{kat}.relations[{ri}].{end}",
                                f"unknown entity {value!r} (entities: {hint})",
                            ))
    return problems


def _repeated_ids(located: list[tuple[str, str]], kind: str, add) -> None:
    """A problem at every repeat of an id, naming where it was first used."""
    first: dict[str, str] = {}
    for at, value in located:
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


def problems_from(error: ValidationError) -> list[Problem]:
    """Every problem of a pydantic ValidationError, with JSON paths and plain messages."""
    problems: list[Problem] = []
    for err in error.errors(include_url=False):
        ctx = err.get("ctx") or {}
        if err["type"] == "storyboard_references" and "problems" in ctx:
            problems.extend(ctx["problems"])
            continue
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown field (check its spelling; `director schema` lists the fields)"
        elif err["type"] == "missing":
            message = "required field is missing"
        problems.append(Problem(json_path(tuple(err["loc"])), message))
    return problems


def validate(data: dict[str, Any] | Storyboard, source: str = "storyboard") -> Storyboard:
    """A validated Storyboard from parsed JSON, or StoryboardError listing every problem."""
    if isinstance(data, Storyboard):
        data = data.model_dump(mode="json")
    try:
        return Storyboard.model_validate(data)
    except ValidationError as error:
        raise StoryboardError(problems_from(error), source) from None
