"""Validation: pydantic errors as JSON-path problems in plain words, and :func:`validate`
(the whole-storyboard checks are ``storyboard.checks``)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from storyboard.checks import reference_problems
from storyboard.errors import Problem, StoryboardError
from storyboard.models import SLUG_DESCRIPTION, Storyboard


def json_path(loc: tuple[Any, ...]) -> str:
    """``('scenes', 0, 'shots', 1, 'duration')`` -> ``scenes[0].shots[1].duration``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def problems_from(error: ValidationError) -> list[Problem]:
    """Every problem of a pydantic ValidationError, with JSON paths and plain messages."""
    problems: list[Problem] = []
    for err in error.errors(include_url=False):
        ctx = err.get("ctx") or {}
        loc = tuple(err["loc"])
        if err["type"] == "storyboard_references" and "problems" in ctx:
            problems.extend(ctx["problems"])
            continue
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown field (check its spelling; `director schema` lists the fields)"
        elif err["type"] == "missing":
            message = "required field is missing"
        elif err["type"] == "string_pattern_mismatch" and loc and loc[-1] == "id":
            message = f"must be a slug: {SLUG_DESCRIPTION}; got {_shown(err['input'])}"
        elif err["type"] == "finite_number":
            message = f"must be a finite number; got {err['input']}"
        elif err["type"] == "string_too_long":
            message = (f"must be at most {ctx.get('max_length')} characters; got"
                       f" {len(err['input'])}: shorten it")
        elif err["type"] == "keyframe_time" and "index" in ctx:
            loc = (*loc, ctx["index"], "t")
        problems.append(Problem(json_path(loc), message))
    return problems


def _shown(value: Any, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def validate(data: dict[str, Any] | Storyboard, source: str = "storyboard") -> Storyboard:
    """A validated Storyboard from parsed JSON, or StoryboardError listing every problem.

    When fields are wrong, the id and reference problems of the raw data are listed too
    (the frame-timing checks need a valid storyboard and wait for the fields to be fixed)."""
    if isinstance(data, Storyboard):
        data = data.model_dump(mode="json")
    try:
        return Storyboard.model_validate(data)
    except ValidationError as error:
        problems = problems_from(error)
        if not any(e["type"] == "storyboard_references" for e in error.errors()):
            problems += reference_problems(data)  # the model's own check did not run
        raise StoryboardError(list(dict.fromkeys(problems)), source) from None
