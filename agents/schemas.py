"""Transport schemas: what a chat model is asked to fill, one per planning step.

They are simpler and more forgiving than the storyboard models: entities are named, not
given ids; boxes are any four numbers; camera words are free strings with the allowed
values listed as an ``enum`` in the JSON Schema (servers that constrain decoding obey
it, the parser does not insist). Whatever a weak model gets wrong here is repaired
deterministically by ``agents.repair`` before the storyboard models validate the result.
Unknown fields are ignored: the answer is only ever read into these fields.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from storyboard.models import CameraMovement, CameraSize, EntityKind, Transition


def _seconds(value: Any) -> Any:
    """'4', '4s', '4 sec', '4.5 seconds' -> a number; anything else is left to pydantic."""
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?)?\s*", value, re.I)
        if match:
            return float(match.group(1))
    return value


def _text(value: Any) -> Any:
    return "" if value is None else value


Seconds = Annotated[float, BeforeValidator(_seconds)]
Text = Annotated[str, BeforeValidator(_text)]


def _choice(values: Any, default: str, description: str) -> Any:
    return Field(default, description=description,
                 json_schema_extra={"enum": list(get_args(values))})


class _Transport(BaseModel):
    model_config = ConfigDict(extra="ignore")


# -- stage (a): the film --------------------------------------------------------------
class EntityDraft(_Transport):
    name: str = Field(min_length=1, description="short name, e.g. 'Fox' or 'old oak tree'")
    kind: str = _choice(EntityKind, "character", "character, object or place")
    appearance: str = Field(
        min_length=1,
        description="fixed look, reused verbatim in every prompt: 'a small red fox with a"
                    " white-tipped tail'",
    )


class KeyframePromptDraft(_Transport):
    t: float = Field(description="time within the shot: 0 = first frame, 1 = last frame")
    prompt: str = Field(min_length=1, description="what this moment shows")


class ShotDraft(_Transport):
    description: Text = ""
    duration: Seconds = Field(4.0, description="seconds, usually 2 to 8")
    camera_size: str = _choice(CameraSize, "medium", "shot size")
    camera_movement: str = _choice(CameraMovement, "static", "camera movement")
    transition: str = _choice(Transition, "cut", "how the film enters this shot")
    narration: Text = Field("", description="one short subtitle line, or empty")
    entities: list[str] = Field(default_factory=list,
                                description="names of the entities visible in this shot")
    keyframes: list[KeyframePromptDraft] = Field(
        default_factory=list, description="2 or 3 moments; the first at t=0, the last at t=1")


class SceneDraft(_Transport):
    setting: str = Field(min_length=1, description="where it happens")
    time_of_day: Text = "day"
    shots: list[ShotDraft] = Field(min_length=1)


class PlanDraft(_Transport):
    """A whole (short) film in one answer."""

    title: str = Field(min_length=1)
    logline: Text = ""
    style: Text = Field("", description="style words for every frame, e.g. 'watercolor'")
    entities: list[EntityDraft] = Field(default_factory=list)
    scenes: list[SceneDraft] = Field(min_length=1)


# -- long films: an outline first, then each scene's shots ------------------------------
class SceneOutlineDraft(_Transport):
    setting: str = Field(min_length=1)
    time_of_day: Text = "day"
    summary: str = Field(min_length=1, description="what happens in this scene")
    duration: Seconds = Field(description="seconds of this scene")


class OutlineDraft(_Transport):
    """A long film's outline: the scenes with their durations, no shots yet."""

    title: str = Field(min_length=1)
    logline: Text = ""
    style: Text = ""
    entities: list[EntityDraft] = Field(default_factory=list)
    scenes: list[SceneOutlineDraft] = Field(min_length=1)


class SceneShotsDraft(_Transport):
    """The shots of one scene of a long film."""

    shots: list[ShotDraft] = Field(min_length=1)


# -- stage (b): layouts of one shot -----------------------------------------------------
class PlacementDraft(_Transport):
    entity: str = Field(description="entity id")
    box: list[float] = Field(description="[x0, y0, x1, y1] as fractions of the frame, 0..1")


class RelationDraft(_Transport):
    subject: str
    predicate: str = Field(min_length=1)
    object: str


class KeyframeLayoutDraft(_Transport):
    t: float
    layout: list[PlacementDraft] = Field(default_factory=list)
    relations: list[RelationDraft] = Field(default_factory=list)


class ShotLayoutDraft(_Transport):
    """Boxes and relations at each keyframe of one shot."""

    keyframes: list[KeyframeLayoutDraft] = Field(min_length=1)


def response_format_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema sent as ``response_format`` (non-strict, so that servers with
    partial JSON Schema support accept it)."""
    return {"name": model.__name__, "description": (model.__doc__ or "").strip(),
            "schema": model.model_json_schema(), "strict": False}
