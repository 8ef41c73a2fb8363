"""Box grounding: how a keyframe's layout boxes reach a text-to-image pipeline.

A :class:`Grounding` groups a batch into pipeline calls, writes the prompts and adds the
call's keyword arguments. :data:`BY_PIPELINE` picks one by the pipeline class named in the
folder's ``model_index.json``; another method (BoxDiff, LMD+, ControlNet from boxes) is one
more class and one more entry.

- :class:`GligenGrounding` (``StableDiffusionGLIGENPipeline``): each box with its phrase
  goes to GLIGEN's gated attention. GLIGEN takes one layout per call, so requests are
  grouped by identical layout. GLIGEN is deprecated in diffusers (no fixes after 0.33.1).
- :class:`PromptGrounding` (every other pipeline): no box grounding; each entity's place
  is put into the prompt in words ("the fox at the bottom left").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from animator.base import EntityBox, FrameRequest


def _where(box: tuple[float, float, float, float]) -> str:
    """A box's place in words, by its centre in thirds of the frame."""
    x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    column = "left" if x < 1 / 3 else "right" if x > 2 / 3 else ""
    row = "top" if y < 1 / 3 else "bottom" if y > 2 / 3 else ""
    if row and column:
        return f"at the {row} {column}"
    if row or column:
        return f"at the {row or column}" if row else f"on the {column}"
    return "in the centre"


def layout_words(layout: Sequence[EntityBox]) -> str:
    """The layout as words: "the fox at the bottom left, an owl at the top right"."""
    return ", ".join(f"{box.phrase or box.name} {_where(box.box)}" for box in layout)


class Grounding:
    """The default: the whole batch in one call, prompts as given."""

    name = "none"
    description = "no layout"

    def groups(self, requests: Sequence[FrameRequest]) -> list[list[int]]:
        """Indices of ``requests`` per pipeline call."""
        return [list(range(len(requests)))] if requests else []

    def prompt(self, request: FrameRequest) -> str:
        return request.prompt

    def call_kwargs(self, requests: Sequence[FrameRequest], steps: int) -> dict[str, Any]:
        """Keyword arguments for one call of these requests (one group) in ``steps``."""
        return {}


class PromptGrounding(Grounding):
    """No box grounding: the layout goes into the prompt words."""

    name = "prompt"
    description = "layout in the prompt words (this pipeline has no box grounding)"

    def prompt(self, request: FrameRequest) -> str:
        words = layout_words(request.layout)
        return f"{request.prompt}, {words}" if words else request.prompt


class GligenGrounding(Grounding):
    """GLIGEN boxes: phrases and boxes per call; one layout per call."""

    name = "gligen"
    description = "GLIGEN boxes (each entity's phrase drawn in its box)"
    beta = 0.3
    """fraction of the steps that use the boxes (GLIGEN's scheduled sampling; at least one
    step)"""

    @staticmethod
    def _layout(request: FrameRequest) -> tuple:
        return tuple((box.phrase or box.name, box.box) for box in request.layout)

    def groups(self, requests: Sequence[FrameRequest]) -> list[list[int]]:
        by_layout: dict[tuple, list[int]] = {}
        for index, request in enumerate(requests):
            by_layout.setdefault(self._layout(request), []).append(index)
        return list(by_layout.values())

    def call_kwargs(self, requests: Sequence[FrameRequest], steps: int) -> dict[str, Any]:
        layout = self._layout(requests[0])
        if not layout:  # no boxes: grounding off for every step
            return {"gligen_phrases": [""], "gligen_boxes": [[0.0, 0.0, 0.0, 0.0]],
                    "gligen_scheduled_sampling_beta": 0.0}
        return {"gligen_phrases": [phrase for phrase, _ in layout],
                "gligen_boxes": [list(box) for _, box in layout],
                "gligen_scheduled_sampling_beta": max(self.beta, 1 / max(steps, 1))}


BY_PIPELINE: dict[str, type[Grounding]] = {
    "StableDiffusionGLIGENPipeline": GligenGrounding,
}
"""Pipeline class name -> its grounding; any other class gets :class:`PromptGrounding`."""


def grounding_for(pipeline_class: str) -> Grounding:
    """The grounding used for a pipeline class."""
    return BY_PIPELINE.get(pipeline_class, PromptGrounding)()
