"""The evaluation report: every figure with its definition, as JSON.

    report.figures["frame_consistency"].value        # the film's figure
    report.figures["clipsim"].per_shot["s2"]         # one shot's
    report.not_computed["fvd"]                        # why a figure is missing
    report.write("eval.json")

A figure that cannot be computed for this film (no storyboard, no reference, no model)
is not in ``figures`` but in ``not_computed``, with the reason.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from pydantic import BaseModel, Field

from storyboard.errors import UserError
from storyboard.io import atomic_write_text, writable_dir


class Figure(BaseModel):
    """One measured figure: for the film, per shot, and named parts of it."""

    definition: str
    value: float | None = Field(description="the film's figure (None: nothing to measure)")
    per_shot: dict[str, float | None] = Field(default_factory=dict)
    details: dict[str, float | int | None] = Field(
        default_factory=dict, description="further figures, named in the definition")


class Series(BaseModel):
    """A figure per evaluated frame, for the charts: film frame indices and values."""

    definition: str
    frames: list[int]
    values: list[float]


class Shot(BaseModel):
    """A shot of the storyboard as the film shows it (film frames [start, end))."""

    id: str
    scene: str
    start: int
    end: int
    transition: str
    description: str
    narration: str = ""


class LowFrame(BaseModel):
    """One of the lowest-scoring frames of a figure."""

    figure: str
    frame: int
    shot: str | None
    value: float
    thumbnail: str = Field("", exclude=True, description="a PNG data URI (HTML only)")


class EvalReport(BaseModel):
    """What ``director eval`` measured on one film."""

    film: str
    frames: int
    width: int
    height: int
    fps: float
    stride: int = Field(description="every stride-th film frame was evaluated; consecutive"
                                    " means stride frames apart")
    frames_evaluated: int
    title_frames: int = Field(0, description="title card frames at the start, left out of"
                                             " every figure")
    storyboard: str | None = None
    reference: str | None = None
    clip_model: str
    figures: dict[str, Figure] = Field(default_factory=dict)
    not_computed: dict[str, str] = Field(default_factory=dict)
    series: dict[str, Series] = Field(default_factory=dict)
    shots: list[Shot] = Field(default_factory=list)
    lowest: list[LowFrame] = Field(default_factory=list)
    seconds: float = 0.0

    def write(self, path: str | os.PathLike) -> Path:
        """Write the report as indented JSON, atomically."""
        path = Path(path)
        writable_dir(path.parent)
        try:
            return atomic_write_text(path, self.model_dump_json(indent=2) + "\n")
        except OSError as error:
            raise UserError(f"cannot write the evaluation report to {str(path)!r}:"
                            f" {error.strerror or error}") from None


def mean(values) -> float | None:
    """The mean of finite numbers, None for none."""
    finite = [float(v) for v in values if v is not None and math.isfinite(v)]
    return sum(finite) / len(finite) if finite else None
