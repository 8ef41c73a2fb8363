"""The film as a document: pydantic models whose field names are a public JSON format.

A person, the offline director and an LLM all write this document, so every model
forbids unknown fields and every validator says what is wrong in plain words.
Cross-references (entity ids, unique ids, timing at the film's frame rate) are checked
on the whole storyboard, each problem with its JSON path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from storyboard.checks import cross_reference_problems

SLUG = r"^[a-z0-9][a-z0-9_-]*$"
SLUG_DESCRIPTION = "lowercase letters, digits, '-' and '_'; starts with a letter or digit"
Slug = Annotated[str, Field(pattern=SLUG, max_length=64, description=SLUG_DESCRIPTION)]

EntityKind = Literal["character", "object", "place"]
CameraSize = Literal["extreme-wide", "wide", "full", "medium", "close-up", "extreme-close-up"]
CameraMovement = Literal[
    "static", "pan-left", "pan-right", "tilt-up", "tilt-down", "zoom-in", "zoom-out"
]
Transition = Literal["cut", "crossfade", "fade"]
Box = tuple[float, float, float, float]


# Longest text of each kind, in characters: far beyond what a film needs, short of what
# would stall drawing (title card, subtitles, sheet) or a prompt encoder.
MAX_TITLE = 200
MAX_NAME = 200
"""entity names, box phrases, relation predicates, times of day"""
MAX_SETTING = 500
MAX_NARRATION = 1000
MAX_TEXT = 2000
"""loglines, style prompts, appearances, descriptions, keyframe prompts"""

_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])"
                      r"|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """``text`` without terminal escape sequences and control characters (NUL, ESC, ...);
    tabs and newlines are kept."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _clean_text(cls, value: object) -> object:
        """Every text field loses its control characters on load."""
        return clean_text(value) if isinstance(value, str) else value


class Style(_Model):
    """The look of the whole film, prepended to every prompt."""

    prompt: str = Field("", max_length=MAX_TEXT,
                        description="style words used in every prompt, e.g. 'watercolor'")
    negative_prompt: str = Field("", max_length=MAX_TEXT,
                                 description="what no frame should show")


class Format(_Model):
    """Frame size and rate of the film."""

    width: int = Field(640, ge=64, le=4096, description="pixels; a multiple of 8")
    height: int = Field(360, ge=64, le=4096, description="pixels; a multiple of 8")
    fps: int = Field(24, ge=1, le=120, description="frames per second")

    @field_validator("width", "height")
    @classmethod
    def _multiple_of_8(cls, value: int) -> int:
        if value % 8:
            raise ValueError(
                f"must be a multiple of 8 (video models and H.264 need it); got {value}")
        return value


class Entity(_Model):
    """A character, object or place that appears in several shots."""

    id: Slug
    name: str = Field(min_length=1, max_length=MAX_NAME, description="how the story names it")
    kind: EntityKind = "character"
    appearance: str = Field(
        min_length=1, max_length=MAX_TEXT,
        description="fixed description used verbatim in every prompt that shows the entity",
    )
    color: str = Field("#888888", max_length=7, description="preview colour as #rrggbb")
    reference: str | None = Field(
        None, max_length=1000,
        description="optional picture of the entity (PNG or JPEG), relative to the storyboard's"
                    " folder; a diffusion animator conditions on it instead of drawing a"
                    " reference portrait")

    @field_validator("color")
    @classmethod
    def _hex_color(cls, value: str) -> str:
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
            raise ValueError(f"must be a colour like '#e07a3f'; got {value!r}")
        return value.lower()


class Placement(_Model):
    """Where one entity is in a keyframe: a box normalised to the frame (0..1)."""

    entity: str = Field(max_length=64, description="id of an entity of the storyboard")
    phrase: str = Field("", max_length=MAX_NAME,
                        description="words of the prompt that this box grounds")
    box: Box = Field(description="[x0, y0, x1, y1], each in 0..1, x0 < x1, y0 < y1")

    @field_validator("box")
    @classmethod
    def _box_in_frame(cls, box: Box) -> Box:
        x0, y0, x1, y1 = box
        if not all(math.isfinite(v) for v in box):
            raise ValueError(f"must hold finite numbers; got {list(box)}")
        if min(box) < 0 or max(box) > 1:
            raise ValueError(
                f"must lie inside the frame, every value in 0..1 (fractions of width and height,"
                f" not pixels); got {list(box)}"
            )
        if not (x0 < x1 and y0 < y1):
            raise ValueError(f"must have x0 < x1 and y0 < y1; got {list(box)}")
        return box


class Relation(_Model):
    """An edge of the scene graph: subject -predicate-> object, both entity ids."""

    subject: str = Field(max_length=64, description="id of an entity")
    predicate: str = Field(min_length=1, max_length=MAX_NAME,
                           description="e.g. 'on', 'under', 'next to', 'chases'")
    object: str = Field(max_length=64, description="id of an entity")


class Keyframe(_Model):
    """A moment of a shot: its time, its own prompt, its layout and scene graph."""

    t: float = Field(ge=0, le=1, description="time within the shot, 0 = first frame, 1 = last")
    prompt: str = Field(min_length=1, max_length=MAX_TEXT, description="what this moment shows")
    layout: list[Placement] = Field(default_factory=list)
    relations: list[Relation] = Field(default_factory=list)


class Camera(_Model):
    """Shot size and camera movement."""

    size: CameraSize = "medium"
    movement: CameraMovement = "static"


class Shot(_Model):
    """One continuous take, made of keyframes and the in-betweens that join them."""

    id: Slug
    description: str = Field("", max_length=MAX_TEXT)
    duration: float = Field(gt=0, le=600, description="seconds; rounded to whole frames")
    camera: Camera = Field(default_factory=Camera)
    transition: Transition = Field("cut", description="how the film enters this shot")
    transition_duration: float = Field(
        0.5, ge=0, le=10, description="seconds of a crossfade or fade; ignored for a cut"
    )
    narration: str = Field("", max_length=MAX_NARRATION,
                           description="subtitle text shown during the shot")
    keyframes: list[Keyframe] = Field(min_length=2)

    @field_validator("keyframes")
    @classmethod
    def _keyframe_times(cls, keyframes: list[Keyframe]) -> list[Keyframe]:
        times = [k.t for k in keyframes]

        def problem(index: int, message: str) -> PydanticCustomError:
            # error type and index let storyboard.validation point at keyframes[index].t
            return PydanticCustomError("keyframe_time", message.replace("{", "{{"
                                                                        ).replace("}", "}}"),
                                       {"index": index})

        if times[0] != 0:
            raise problem(0, f"the first keyframe must be at t=0 (missing ends are rejected,"
                             f" not filled in); got t={times[0]}: add a keyframe at t=0")
        if times[-1] != 1:
            raise problem(len(times) - 1,
                          f"the last keyframe must be at t=1 (missing ends are rejected, not"
                          f" filled in); got t={times[-1]}: add a keyframe at t=1")
        for i in range(1, len(times)):
            if times[i] <= times[i - 1]:
                raise problem(i, f"keyframe times must strictly increase: keyframes[{i}].t="
                                 f"{times[i]} is not after keyframes[{i - 1}].t={times[i - 1]}")
        return keyframes

    def layout_at(self, t: float) -> list[Placement]:
        """The layout at time ``t``: boxes interpolated linearly between the two keyframes
        around it. An entity in only one of them shows for the half of the gap nearer to it."""
        return [p if box is None else p.model_copy(update={"box": box})
                for p, box in self.boxes_at([t])[0]]

    def boxes_at(self, times: Sequence[float]) -> list[list[tuple[Placement, Box | None]]]:
        """What :meth:`layout_at` is made of, for many times at once and without copies:
        for each time, each placement shown and its interpolated box (None where the
        placement's own box is kept)."""
        keyframes = self.keyframes
        pairs: dict[int, tuple] = {}
        result = []
        for t in times:
            if t <= 0 or t >= 1:
                result.append([(p, None) for p in keyframes[0 if t <= 0 else -1].layout])
                continue
            after = next(i for i, k in enumerate(keyframes) if k.t >= t)
            if after not in pairs:
                a, b = keyframes[after - 1], keyframes[after]
                start, end = {p.entity: p for p in a.layout}, {p.entity: p for p in b.layout}
                pairs[after] = (a.t, b.t - a.t, [(start.get(e), end.get(e)) for e in
                                                 dict.fromkeys([*start, *end])])
            t0, gap, both = pairs[after]
            w = (t - t0) / gap
            boxes: list[tuple[Placement, Box | None]] = []
            for p, q in both:
                if p and q:
                    boxes.append((p, tuple(round(u + (v - u) * w, 6)
                                           for u, v in zip(p.box, q.box, strict=True))))
                elif p and w < 0.5:
                    boxes.append((p, None))
                elif q and w >= 0.5:
                    boxes.append((q, None))
            result.append(boxes)
        return result

    def keyframe_at(self, t: float) -> Keyframe:
        """The storyboard keyframe nearest to time ``t`` (its prompt describes that moment)."""
        return min(self.keyframes, key=lambda k: abs(k.t - t))


class Scene(_Model):
    """Shots that share a setting and a time of day."""

    id: Slug
    setting: str = Field(min_length=1, max_length=MAX_SETTING,
                         description="where it happens, e.g. 'a snowy pine forest'")
    time_of_day: str = Field("day", max_length=MAX_NAME,
                             description="e.g. dawn, day, dusk, night")
    shots: list[Shot] = Field(min_length=1)


class Storyboard(_Model):
    """The one document passed between the person, the LLM, the scheduler and the editor."""

    title: str = Field(min_length=1, max_length=MAX_TITLE)
    logline: str = Field("", max_length=MAX_TEXT)
    style: Style = Field(default_factory=Style)
    format: Format = Field(default_factory=Format)
    seed: int = Field(0, ge=0, le=2**32 - 1)
    entities: list[Entity] = Field(default_factory=list)
    scenes: list[Scene] = Field(min_length=1)

    @model_validator(mode="after")
    def _cross_references(self) -> Storyboard:
        problems = cross_reference_problems(self)
        if problems:
            raise PydanticCustomError(
                "storyboard_references",
                "{summary}",
                {"summary": "; ".join(str(p) for p in problems), "problems": problems},
            )
        return self

    # -- navigation -------------------------------------------------------------------
    def iter_shots(self) -> Iterator[tuple[Scene, Shot]]:
        """Every shot in film order, with its scene."""
        for scene in self.scenes:
            for shot in scene.shots:
                yield scene, shot

    @property
    def entity_map(self) -> dict[str, Entity]:
        return {e.id: e for e in self.entities}

    def shot(self, shot_id: str) -> tuple[Scene, Shot]:
        """The shot with this id and its scene; KeyError names the known ids."""
        for scene, shot in self.iter_shots():
            if shot.id == shot_id:
                return scene, shot
        known = ", ".join(s.id for _, s in self.iter_shots())
        raise KeyError(f"no shot {shot_id!r}; shots are: {known}")

    def prompt_for(self, scene: Scene, keyframe: Keyframe | None, layout=None) -> str:
        """The full prompt of a frame: style, setting and time of day, the fixed appearance
        of every entity in the layout, then the keyframe's own prompt."""
        entities = self.entity_map
        layout = keyframe.layout if layout is None and keyframe else (layout or [])
        parts = [self.style.prompt, f"{scene.setting}, {scene.time_of_day}"]
        parts += [entities[p.entity].appearance for p in layout if p.entity in entities]
        if keyframe:
            parts.append(keyframe.prompt)
        return ", ".join(dict.fromkeys(p.strip() for p in parts if p and p.strip()))
