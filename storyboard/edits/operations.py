"""The closed set of edit operations on a storyboard: typed, validated, JSON-able.

Each operation names what it edits by id (entity, scene, shot) and carries only the
values it sets. The JSON form is ``{"op": "<name>", ...fields}``; a list of them is what
a reviser (rules or an LLM) produces and what :func:`storyboard.edits.apply` applies.
Operations know nothing of LLMs or pixels; applying them lives in ``storyboard.edits.apply``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from storyboard.models import SLUG, Box, CameraMovement, CameraSize, EntityKind, Transition

Position = Literal["left", "right", "center", "top", "bottom", "top-left", "top-right",
                   "bottom-left", "bottom-right"]


_WHERE = {"left": "on the left", "right": "on the right", "center": "in the centre"}


class _Op(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def describe(self) -> str:
        """The operation in words, for people."""
        raise NotImplementedError


def _words(value: Any) -> str:
    return f"{value!r}" if isinstance(value, str) else f"{value:g}" if isinstance(
        value, float) else str(value)


def _changes(op: BaseModel, skip: tuple[str, ...]) -> str:
    return ", ".join(f"{name.replace('_', ' ')} {_words(value)}"
                     for name, value in op.model_dump(exclude_none=True).items()
                     if name not in skip)


# -- entities ----------------------------------------------------------------------------


class SetEntity(_Op):
    """Change an entity's name, appearance, kind or preview colour."""

    op: Literal["set_entity"] = "set_entity"
    entity: str = Field(description="id of the entity")
    name: str | None = Field(None, min_length=1)
    appearance: str | None = Field(None, min_length=1,
                                   description="the full new fixed description")
    kind: EntityKind | None = None
    color: str | None = Field(None, description="preview colour as #rrggbb")

    @field_validator("color")
    @classmethod
    def _hex(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
            raise ValueError(f"must be a colour like '#e07a3f'; got {value!r}")
        return value.lower() if value else value

    @model_validator(mode="after")
    def _something(self) -> SetEntity:
        if all(getattr(self, f) is None for f in ("name", "appearance", "kind", "color")):
            raise ValueError("set_entity needs at least one of name, appearance, kind, color")
        return self

    def describe(self) -> str:
        return f"entity {self.entity}: {_changes(self, ('op', 'entity'))}"


class AddEntity(_Op):
    """Add an entity (with a new id, from its name by default; place it with
    place_entity)."""

    op: Literal["add_entity"] = "add_entity"
    id: str | None = Field(None, pattern=SLUG, max_length=64,
                           description="a new id; default: made from the name")
    name: str = Field(min_length=1)
    appearance: str = Field(min_length=1)
    kind: EntityKind = "character"
    color: str | None = Field(None, description="preview colour as #rrggbb; default: grey")

    def describe(self) -> str:
        return f"add {self.kind} {self.name!r}: {self.appearance!r}"


class RemoveEntity(_Op):
    """Remove an entity with its boxes and relations in every keyframe."""

    op: Literal["remove_entity"] = "remove_entity"
    entity: str

    def describe(self) -> str:
        return f"remove entity {self.entity} (its boxes and relations too)"


# -- shots -------------------------------------------------------------------------------


class SetDuration(_Op):
    """Set a shot's length in seconds."""

    op: Literal["set_duration"] = "set_duration"
    shot: str
    seconds: float = Field(gt=0, le=600)

    def describe(self) -> str:
        return f"shot {self.shot}: duration {self.seconds:g} s"


class SetCamera(_Op):
    """Set a shot's camera size and/or movement."""

    op: Literal["set_camera"] = "set_camera"
    shot: str
    size: CameraSize | None = None
    movement: CameraMovement | None = None

    @model_validator(mode="after")
    def _something(self) -> SetCamera:
        if self.size is None and self.movement is None:
            raise ValueError("set_camera needs a size or a movement")
        return self

    def describe(self) -> str:
        return f"shot {self.shot}: camera {_changes(self, ('op', 'shot'))}"


class SetTransition(_Op):
    """Set how the film enters a shot, and/or the transition's length."""

    op: Literal["set_transition"] = "set_transition"
    shot: str
    transition: Transition | None = None
    seconds: float | None = Field(None, ge=0, le=10, description="length of the transition")

    @model_validator(mode="after")
    def _something(self) -> SetTransition:
        if self.transition is None and self.seconds is None:
            raise ValueError("set_transition needs a transition or seconds")
        return self

    def describe(self) -> str:
        what = self.transition or "transition"
        length = f" of {self.seconds:g} s" if self.seconds is not None else ""
        return f"shot {self.shot}: {what}{length} into it"


class SetNarration(_Op):
    """Set a shot's narration (its subtitle); empty text removes it."""

    op: Literal["set_narration"] = "set_narration"
    shot: str
    text: str

    def describe(self) -> str:
        return f"shot {self.shot}: narration {self.text!r}" if self.text else \
            f"shot {self.shot}: no narration"


class SetDescription(_Op):
    """Set a shot's description."""

    op: Literal["set_description"] = "set_description"
    shot: str
    text: str

    def describe(self) -> str:
        return f"shot {self.shot}: description {self.text!r}"


class AddShot(_Op):
    """Insert a new shot after another (or first, with after=null), in that shot's scene.
    It gets a new id and two keyframes showing ``entities`` side by side."""

    op: Literal["add_shot"] = "add_shot"
    after: str | None = Field(description="id of the shot it follows; null: the film's start")
    description: str = Field(min_length=1, description="what the shot shows")
    seconds: float = Field(4.0, gt=0, le=600)
    entities: list[str] = Field(default_factory=list, description="ids of entities it shows")
    size: CameraSize = "medium"
    movement: CameraMovement = "static"
    narration: str = ""

    def describe(self) -> str:
        where = f"after shot {self.after}" if self.after else "at the start"
        return f"add a {self.seconds:g} s shot {where}: {self.description!r}"


class RemoveShot(_Op):
    """Remove a shot (a scene left without shots goes too)."""

    op: Literal["remove_shot"] = "remove_shot"
    shot: str

    def describe(self) -> str:
        return f"remove shot {self.shot}"


class MoveShot(_Op):
    """Move a shot after another (into that shot's scene), or first with after=null."""

    op: Literal["move_shot"] = "move_shot"
    shot: str
    after: str | None

    def describe(self) -> str:
        return f"move shot {self.shot} " + (f"after shot {self.after}" if self.after
                                            else "to the start")


class SwapShots(_Op):
    """Swap the places of two shots."""

    op: Literal["swap_shots"] = "swap_shots"
    first: str
    second: str

    def describe(self) -> str:
        return f"swap shots {self.first} and {self.second}"


class SplitShot(_Op):
    """Split a shot in two at ``seconds`` from its start; the second part gets a new id."""

    op: Literal["split_shot"] = "split_shot"
    shot: str
    seconds: float = Field(gt=0, description="where to split, seconds from the shot's start")

    def describe(self) -> str:
        return f"split shot {self.shot} at {self.seconds:g} s"


# -- keyframes ---------------------------------------------------------------------------


class SetKeyframePrompt(_Op):
    """Set the own prompt of one keyframe (index in the shot's keyframes)."""

    op: Literal["set_keyframe_prompt"] = "set_keyframe_prompt"
    shot: str
    keyframe: int = Field(ge=0, description="index in the shot's keyframes (0 = first)")
    prompt: str = Field(min_length=1)

    def describe(self) -> str:
        return f"shot {self.shot} keyframe {self.keyframe}: prompt {self.prompt!r}"


class AddKeyframe(_Op):
    """Add a keyframe at time ``t`` (0..1) of a shot; its layout is the one at that time."""

    op: Literal["add_keyframe"] = "add_keyframe"
    shot: str
    t: float = Field(gt=0, lt=1)
    prompt: str = Field(min_length=1)

    def describe(self) -> str:
        return f"shot {self.shot}: add a keyframe at t={self.t:g}: {self.prompt!r}"


class RemoveKeyframe(_Op):
    """Remove a keyframe that is neither the first nor the last."""

    op: Literal["remove_keyframe"] = "remove_keyframe"
    shot: str
    keyframe: int = Field(ge=0)

    def describe(self) -> str:
        return f"shot {self.shot}: remove keyframe {self.keyframe}"


class PlaceEntity(_Op):
    """Move or resize an entity's box: a new ``box``, or a ``position`` in the frame and/or
    a ``scale`` of its size, at every keyframe of the shot or at one. With ``shot`` null:
    in every shot that shows it. An entity not yet in a keyframe is added there."""

    op: Literal["place_entity"] = "place_entity"
    entity: str
    shot: str | None = Field(None, description="id of the shot; null: every shot showing it")
    keyframe: int | None = Field(None, ge=0, description="index; null: every keyframe")
    box: Box | None = Field(None, description="[x0, y0, x1, y1] in 0..1")
    position: Position | None = None
    scale: float | None = Field(None, gt=0, le=10, description="size factor, 1.5 = bigger")

    @model_validator(mode="after")
    def _something(self) -> PlaceEntity:
        if self.box is None and self.position is None and self.scale is None:
            raise ValueError("place_entity needs a box, a position or a scale")
        if self.box is not None and (self.position is not None or self.scale is not None):
            raise ValueError("place_entity takes a box, or a position and/or a scale")
        if self.keyframe is not None and self.shot is None:
            raise ValueError("place_entity with a keyframe needs its shot")
        return self

    def describe(self) -> str:
        where = f"shot {self.shot}" if self.shot else "every shot"
        if self.keyframe is not None:
            where += f" keyframe {self.keyframe}"
        if self.box is not None:
            what = f"box {list(self.box)}"
        else:
            what = " and ".join(
                ([_WHERE.get(self.position, f"at the {self.position}")] if self.position
                 else [])
                + ([f"{'bigger' if self.scale > 1 else 'smaller'} (x{self.scale:g})"]
                   if self.scale else []))
        return f"{where}: {self.entity} {what}"


# -- scenes and the film -----------------------------------------------------------------


class SetScene(_Op):
    """Set a scene's setting and/or time of day."""

    op: Literal["set_scene"] = "set_scene"
    scene: str
    setting: str | None = Field(None, min_length=1)
    time_of_day: str | None = Field(None, min_length=1, description="e.g. dawn, day, dusk, night")

    @model_validator(mode="after")
    def _something(self) -> SetScene:
        if self.setting is None and self.time_of_day is None:
            raise ValueError("set_scene needs a setting or a time_of_day")
        return self

    def describe(self) -> str:
        return f"scene {self.scene}: {_changes(self, ('op', 'scene'))}"


class SetStyle(_Op):
    """Set the film's style words and/or negative prompt."""

    op: Literal["set_style"] = "set_style"
    prompt: str | None = None
    negative_prompt: str | None = None

    @model_validator(mode="after")
    def _something(self) -> SetStyle:
        if self.prompt is None and self.negative_prompt is None:
            raise ValueError("set_style needs a prompt or a negative_prompt")
        return self

    def describe(self) -> str:
        return f"style: {_changes(self, ('op',))}"


class SetTitle(_Op):
    """Set the film's title."""

    op: Literal["set_title"] = "set_title"
    title: str = Field(min_length=1)

    def describe(self) -> str:
        return f"title {self.title!r}"


class RetimeFilm(_Op):
    """Scale every shot so the film lasts ``seconds`` (in whole frames)."""

    op: Literal["retime_film"] = "retime_film"
    seconds: float = Field(gt=0, le=3600)

    def describe(self) -> str:
        return f"film length {self.seconds:g} s (every shot scaled)"


OPERATION_TYPES: tuple[type[_Op], ...] = (
    SetEntity, AddEntity, RemoveEntity, SetDuration, SetCamera, SetTransition, SetNarration,
    SetDescription, AddShot, RemoveShot, MoveShot, SwapShots, SplitShot, SetKeyframePrompt,
    AddKeyframe, RemoveKeyframe, PlaceEntity, SetScene, SetStyle, SetTitle, RetimeFilm,
)
OPERATION_NAMES: tuple[str, ...] = tuple(t.model_fields["op"].default for t in OPERATION_TYPES)

Operation = Annotated[
    SetEntity | AddEntity | RemoveEntity | SetDuration | SetCamera | SetTransition
    | SetNarration | SetDescription | AddShot | RemoveShot | MoveShot | SwapShots | SplitShot
    | SetKeyframePrompt | AddKeyframe | RemoveKeyframe | PlaceEntity | SetScene | SetStyle
    | SetTitle | RetimeFilm,
    Field(discriminator="op"),
]
"""One edit operation, told apart by its ``op`` field."""


class Edits(BaseModel):
    """What a reviser returns: the operations, in the order they are applied."""

    model_config = ConfigDict(extra="forbid")

    operations: list[Operation] = Field(description="edit operations, applied in order")
