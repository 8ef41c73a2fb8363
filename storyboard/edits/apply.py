"""Applying edit operations: a new valid storyboard, or one clear error, nothing half-done.

Operations are applied one by one to a copy of the document's JSON and the result is
validated after each, so an error names the operation (its number and ``op``), the field
and the value. Ids are stable: a new shot, scene or entity gets an id no existing one has,
and removing or inserting never renames another.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pydantic import TypeAdapter, ValidationError

from storyboard.edits.operations import (
    AddEntity,
    AddKeyframe,
    AddShot,
    Edits,
    MoveShot,
    Operation,
    PlaceEntity,
    RemoveEntity,
    RemoveKeyframe,
    RemoveShot,
    RetimeFilm,
    SetCamera,
    SetDescription,
    SetDuration,
    SetEntity,
    SetKeyframePrompt,
    SetNarration,
    SetScene,
    SetStyle,
    SetTitle,
    SetTransition,
    SplitShot,
    SwapShots,
)
from storyboard.errors import StoryboardError, UserError
from storyboard.models import Shot, Storyboard
from storyboard.timing import round_frames
from storyboard.validation import validate

_ADAPTER: TypeAdapter[list[Operation]] = TypeAdapter(list[Operation])

POSITIONS: dict[str, tuple[float | None, float | None]] = {
    "left": (0.25, None), "right": (0.75, None), "center": (0.5, None),
    "top": (None, 0.3), "bottom": (None, 0.72), "top-left": (0.25, 0.3),
    "top-right": (0.75, 0.3), "bottom-left": (0.25, 0.72), "bottom-right": (0.75, 0.72),
}
"""Where ``position`` puts a box's centre (x, y as fractions of the frame; None: kept)."""


class EditError(UserError):
    """An operation that cannot be applied: names the operation, the field and the value."""


def parse_operations(data: Any) -> list[Operation]:
    """Operations from their JSON form: a list, or ``{"operations": [...]}``; EditError
    names the first bad operation, field and value."""
    if isinstance(data, dict) and "operations" in data:
        data = data["operations"]
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        loc = list(first["loc"])
        where = f"operation {loc[0] + 1}" if loc and isinstance(loc[0], int) else "operations"
        op = data[loc[0]].get("op") if loc and isinstance(loc[0], int) and isinstance(
            data[loc[0]], dict) else None
        field = ".".join(str(p) for p in loc[2:] if not isinstance(p, int)) or "op"
        message = first["msg"].removeprefix("Value error, ")
        raise EditError(f"{where} ({op or 'unknown op'}): {field} {first.get('input')!r}:"
                        f" {message}") from None


def operations_schema() -> dict[str, Any]:
    """The JSON Schema of ``{"operations": [...]}``, the form a reviser fills."""
    schema = Edits.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def apply(board: Storyboard, operations: Iterable[Operation | dict]) -> Storyboard:
    """A new validated storyboard with ``operations`` applied in order; ``board`` is not
    changed. EditError names the operation, field and value of the first that fails."""
    ops = [op if not isinstance(op, dict) else parse_operations([op])[0] for op in operations]
    data = board.model_dump(mode="json")
    result = board
    for number, op in enumerate(ops, 1):
        try:
            _APPLY[type(op)](data, op)
        except _Refused as refused:
            raise EditError(f"operation {number} ({op.op}): {refused.field}"
                            f" {refused.value!r}: {refused.message}") from None
        try:
            result = validate(data)
        except StoryboardError as error:
            problem = error.problems[0]
            changed = _changed_field(op)
            raise EditError(
                f"operation {number} ({op.op}): {changed} {getattr(op, changed, None)!r}"
                f" would make the storyboard invalid: {problem}") from None
    return result


def _changed_field(op: Operation) -> str:
    fields = [n for n, v in op if n not in ("op", "shot", "entity", "scene") and v is not None]
    return fields[0] if fields else "op"


# -- helpers -----------------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, field: str, value: Any, message: str) -> None:
        super().__init__(message)
        self.field, self.value, self.message = field, value, message


def _slug(text: str, fallback: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:40].strip("-") or fallback


def new_id(base: str, taken: set[str]) -> str:
    """An id no one has: ``base`` itself, else its stem (``shot-3`` -> ``shot``) with the
    next number above every taken one of that stem."""
    if base not in taken:
        return base
    stem = re.sub(r"-?\d+$", "", base) or base
    sep = "-" if "-" in base or not base[-1:].isdigit() else ""
    numbers = [int(m.group(1)) for t in taken if (m := re.fullmatch(
        re.escape(stem) + re.escape(sep) + r"(\d+)", t))]
    n = max(numbers, default=1) + 1
    while f"{stem}{sep}{n}" in taken:
        n += 1
    return f"{stem}{sep}{n}"


def _shots(data: dict) -> list[tuple[dict, dict]]:
    return [(scene, shot) for scene in data["scenes"] for shot in scene["shots"]]


def _shot_ids(data: dict) -> set[str]:
    return {shot["id"] for _, shot in _shots(data)}


def _find_shot(data: dict, shot_id: str | None, field: str = "shot") -> tuple[dict, dict]:
    for scene, shot in _shots(data):
        if shot["id"] == shot_id:
            return scene, shot
    known = ", ".join(s["id"] for _, s in _shots(data))
    raise _Refused(field, shot_id, f"no such shot; shots are {known}")


def _find_entity(data: dict, entity_id: str) -> dict:
    for entity in data["entities"]:
        if entity["id"] == entity_id:
            return entity
    known = ", ".join(e["id"] for e in data["entities"]) or "none"
    raise _Refused("entity", entity_id, f"no such entity; entities are {known}")


def _find_scene(data: dict, scene_id: str) -> dict:
    for scene in data["scenes"]:
        if scene["id"] == scene_id:
            return scene
    known = ", ".join(s["id"] for s in data["scenes"])
    raise _Refused("scene", scene_id, f"no such scene; scenes are {known}")


def _take_shot(data: dict, shot_id: str) -> dict:
    scene, shot = _find_shot(data, shot_id)
    scene["shots"].remove(shot)
    return shot


def _insert_after(data: dict, after: str | None, shot: dict) -> None:
    if after is None:
        data["scenes"][0]["shots"].insert(0, shot)
        return
    scene, before = _find_shot(data, after, "after")
    scene["shots"].insert(scene["shots"].index(before) + 1, shot)


def _drop_empty_scenes(data: dict) -> None:
    data["scenes"] = [scene for scene in data["scenes"] if scene["shots"]]


def _fit(box: Sequence[float]) -> list[float]:
    """A box moved (not squeezed) to lie inside the frame; at most the frame's size."""
    x0, y0, x1, y1 = box
    w, h = min(1.0, x1 - x0), min(1.0, y1 - y0)
    x0 = min(max(0.0, x0), 1.0 - w)
    y0 = min(max(0.0, y0), 1.0 - h)
    return [round(v, 4) for v in (x0, y0, x0 + w, y0 + h)]


def _placed(box: Sequence[float], op: PlaceEntity) -> list[float]:
    if op.box is not None:
        return list(op.box)
    x0, y0, x1, y1 = box
    cx, cy, w, h = (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0
    if op.scale is not None:
        w, h = w * op.scale, h * op.scale
    if op.position is not None:
        px, py = POSITIONS[op.position]
        cx, cy = px if px is not None else cx, py if py is not None else cy
    return _fit((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))


def _default_boxes(count: int) -> list[list[float]]:
    """Boxes side by side in the lower two thirds of the frame, for ``count`` entities."""
    width = min(0.3, 0.9 / max(1, count))
    gap = (1 - width * count) / (count + 1)
    return [[round(gap + i * (width + gap), 4), 0.35, round(gap + i * (width + gap) + width, 4),
             0.9] for i in range(count)]


# -- one function per operation ----------------------------------------------------------


def _set_entity(data: dict, op: SetEntity) -> None:
    entity = _find_entity(data, op.entity)
    entity.update(op.model_dump(exclude_none=True, exclude={"op", "entity"}))


def _add_entity(data: dict, op: AddEntity) -> None:
    taken = {e["id"] for e in data["entities"]}
    if op.id is not None and op.id in taken:
        raise _Refused("id", op.id, "an entity already has this id")
    entity = {"id": op.id or new_id(_slug(op.name, "entity"), taken), "name": op.name,
              "kind": op.kind,
              "appearance": op.appearance}
    if op.color is not None:
        entity["color"] = op.color
    data["entities"].append(entity)


def _remove_entity(data: dict, op: RemoveEntity) -> None:
    entity = _find_entity(data, op.entity)
    data["entities"].remove(entity)
    for _, shot in _shots(data):
        for keyframe in shot["keyframes"]:
            keyframe["layout"] = [p for p in keyframe["layout"] if p["entity"] != op.entity]
            keyframe["relations"] = [r for r in keyframe["relations"]
                                     if op.entity not in (r["subject"], r["object"])]


def _set_duration(data: dict, op: SetDuration) -> None:
    _find_shot(data, op.shot)[1]["duration"] = op.seconds


def _set_camera(data: dict, op: SetCamera) -> None:
    camera = _find_shot(data, op.shot)[1]["camera"]
    camera.update(op.model_dump(exclude_none=True, include={"size", "movement"}))


def _set_transition(data: dict, op: SetTransition) -> None:
    shot = _find_shot(data, op.shot)[1]
    if op.transition is not None:
        shot["transition"] = op.transition
    if op.seconds is not None:
        shot["transition_duration"] = op.seconds


def _set_narration(data: dict, op: SetNarration) -> None:
    _find_shot(data, op.shot)[1]["narration"] = op.text


def _set_description(data: dict, op: SetDescription) -> None:
    _find_shot(data, op.shot)[1]["description"] = op.text


def _add_shot(data: dict, op: AddShot) -> None:
    known = {e["id"] for e in data["entities"]}
    for entity in op.entities:
        if entity not in known:
            raise _Refused("entities", entity, f"no such entity; entities are"
                                               f" {', '.join(sorted(known)) or 'none'}")
    base = op.after if op.after is not None else data["scenes"][0]["shots"][0]["id"]
    layout = [{"entity": e, "phrase": "", "box": box}
              for e, box in zip(op.entities, _default_boxes(len(op.entities)), strict=True)]
    shot = {"id": new_id(base, _shot_ids(data)), "description": op.description,
            "duration": op.seconds, "camera": {"size": op.size, "movement": op.movement},
            "transition": "cut", "narration": op.narration,
            "keyframes": [{"t": t, "prompt": op.description, "layout": copy.deepcopy(layout)}
                          for t in (0.0, 1.0)]}
    _insert_after(data, op.after, shot)


def _remove_shot(data: dict, op: RemoveShot) -> None:
    if len(_shots(data)) == 1:
        raise _Refused("shot", op.shot, "it is the film's only shot")
    _take_shot(data, op.shot)
    _drop_empty_scenes(data)


def _move_shot(data: dict, op: MoveShot) -> None:
    if op.after == op.shot:
        raise _Refused("after", op.after, "a shot cannot follow itself")
    _find_shot(data, op.after, "after") if op.after is not None else None
    shot = _take_shot(data, op.shot)
    _insert_after(data, op.after, shot)
    _drop_empty_scenes(data)


def _swap_shots(data: dict, op: SwapShots) -> None:
    if op.first == op.second:
        raise _Refused("second", op.second, "a shot cannot swap with itself")
    scene_a, a = _find_shot(data, op.first, "first")
    scene_b, b = _find_shot(data, op.second, "second")
    i, j = scene_a["shots"].index(a), scene_b["shots"].index(b)
    scene_a["shots"][i], scene_b["shots"][j] = b, a


def _keyframe_at(shot: Shot, t: float, prompt: str | None = None) -> dict:
    nearest = shot.keyframe_at(t)
    return {"t": t, "prompt": prompt or nearest.prompt,
            "layout": [p.model_dump(mode="json") for p in shot.layout_at(t)],
            "relations": [r.model_dump(mode="json") for r in nearest.relations]}


def _split_shot(data: dict, op: SplitShot) -> None:
    scene, shot = _find_shot(data, op.shot)
    if op.seconds >= shot["duration"]:
        raise _Refused("seconds", op.seconds, f"shot {op.shot} lasts only"
                                              f" {shot['duration']:g} s")
    model = Shot.model_validate(shot)
    u = op.seconds / shot["duration"]
    middle = _keyframe_at(model, u)
    first = [k for k in shot["keyframes"] if k["t"] < u] + [dict(middle, t=1.0)]
    second = [dict(middle, t=0.0)] + [k for k in shot["keyframes"] if k["t"] > u]
    for k in first[:-1]:
        k["t"] = round(k["t"] / u, 6)
    for k in second[1:]:
        k["t"] = round((k["t"] - u) / (1 - u), 6)
    second[-1]["t"] = 1.0
    rest = dict(copy.deepcopy(shot), id=new_id(op.shot, _shot_ids(data)),
                duration=round(shot["duration"] - op.seconds, 4), transition="cut",
                narration="", keyframes=copy.deepcopy(second))
    shot.update(duration=op.seconds, keyframes=first)
    scene["shots"].insert(scene["shots"].index(shot) + 1, rest)


def _keyframe(shot: dict, index: int, field: str = "keyframe") -> dict:
    if index >= len(shot["keyframes"]):
        raise _Refused(field, index, f"shot {shot['id']} has keyframes 0 to"
                                     f" {len(shot['keyframes']) - 1}")
    return shot["keyframes"][index]


def _set_keyframe_prompt(data: dict, op: SetKeyframePrompt) -> None:
    _keyframe(_find_shot(data, op.shot)[1], op.keyframe)["prompt"] = op.prompt


def _add_keyframe(data: dict, op: AddKeyframe) -> None:
    shot = _find_shot(data, op.shot)[1]
    if any(k["t"] == op.t for k in shot["keyframes"]):
        raise _Refused("t", op.t, f"shot {op.shot} already has a keyframe there")
    keyframe = _keyframe_at(Shot.model_validate(shot), op.t, op.prompt)
    shot["keyframes"] = sorted([*shot["keyframes"], keyframe], key=lambda k: k["t"])


def _remove_keyframe(data: dict, op: RemoveKeyframe) -> None:
    shot = _find_shot(data, op.shot)[1]
    _keyframe(shot, op.keyframe)
    if op.keyframe in (0, len(shot["keyframes"]) - 1):
        raise _Refused("keyframe", op.keyframe, "the first and last keyframes cannot be"
                                                " removed (a shot runs from t=0 to t=1)")
    del shot["keyframes"][op.keyframe]


def _place_entity(data: dict, op: PlaceEntity) -> None:
    _find_entity(data, op.entity)
    if op.shot is None:
        shots = [shot for _, shot in _shots(data)
                 if any(p["entity"] == op.entity for k in shot["keyframes"] for p in k["layout"])]
        if not shots:
            raise _Refused("entity", op.entity, "it is in no shot; name the shot to place it")
    else:
        shots = [_find_shot(data, op.shot)[1]]
    for shot in shots:
        keyframes = shot["keyframes"] if op.keyframe is None else [_keyframe(shot, op.keyframe)]
        for keyframe in keyframes:
            placement = next((p for p in keyframe["layout"] if p["entity"] == op.entity), None)
            if placement is None:
                placement = {"entity": op.entity, "phrase": "", "box": [0.35, 0.35, 0.65, 0.9]}
                keyframe["layout"].append(placement)
            placement["box"] = _placed(placement["box"], op)


def _set_scene(data: dict, op: SetScene) -> None:
    _find_scene(data, op.scene).update(
        op.model_dump(exclude_none=True, include={"setting", "time_of_day"}))


def _set_style(data: dict, op: SetStyle) -> None:
    data["style"].update(op.model_dump(exclude_none=True, include={"prompt",
                                                                   "negative_prompt"}))


def _set_title(data: dict, op: SetTitle) -> None:
    data["title"] = op.title


def _retime_film(data: dict, op: RetimeFilm) -> None:
    """Shots scaled by one factor in whole frames (largest remainders first), so the film,
    crossfade overlaps taken off, lasts ``op.seconds``."""
    fps = data["format"]["fps"]
    shots = [shot for _, shot in _shots(data)]
    overlap = sum(round_frames(s["transition_duration"], fps) for s in shots[1:]
                  if s["transition"] == "crossfade")
    total = round_frames(op.seconds, fps) + overlap
    if total < 2 * len(shots):
        raise _Refused("seconds", op.seconds, f"{len(shots)} shots need at least"
                                              f" {2 * len(shots) / fps:g} s at {fps} fps")
    frames = [round_frames(s["duration"], fps) for s in shots]
    exact = [f * total / sum(frames) for f in frames]
    whole = [max(2, int(v)) for v in exact]
    by_remainder = sorted(range(len(shots)), key=lambda i: exact[i] - whole[i], reverse=True)
    while sum(whole) != total:
        step = 1 if sum(whole) < total else -1
        for i in by_remainder:
            if sum(whole) != total and whole[i] + step >= 2:
                whole[i] += step
    for shot, n in zip(shots, whole, strict=True):
        shot["duration"] = round(n / fps, 4)


_APPLY: dict[type, Callable[[dict, Any], None]] = {
    SetEntity: _set_entity, AddEntity: _add_entity, RemoveEntity: _remove_entity,
    SetDuration: _set_duration, SetCamera: _set_camera, SetTransition: _set_transition,
    SetNarration: _set_narration, SetDescription: _set_description, AddShot: _add_shot,
    RemoveShot: _remove_shot, MoveShot: _move_shot, SwapShots: _swap_shots,
    SplitShot: _split_shot, SetKeyframePrompt: _set_keyframe_prompt,
    AddKeyframe: _add_keyframe, RemoveKeyframe: _remove_keyframe, PlaceEntity: _place_entity,
    SetScene: _set_scene, SetStyle: _set_style, SetTitle: _set_title,
    RetimeFilm: _retime_film,
}


def describe(operations: Iterable[Operation]) -> list[str]:
    """Each operation in words."""
    return [op.describe() for op in operations]


def dump(operations: Iterable[Operation]) -> list[dict[str, Any]]:
    """The JSON form of ``operations``."""
    return [op.model_dump(mode="json", exclude_none=True) for op in operations]


