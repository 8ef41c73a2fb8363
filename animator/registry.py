"""Animator backends by name, imported only when asked for (a diffusers backend pulls in
torch; the animatic does not)."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from animator.base import Animator, AnimatorSpec
from storyboard.errors import UserError

BACKENDS: dict[str, str] = {
    "animatic": "animator.animatic:AnimaticAnimator",
    "diffusion": "animator.diffusion:DiffusionAnimator",
}
"""name -> "module:class" of every backend the command line and the API know."""


def available() -> list[str]:
    """Names of the known backends, sorted."""
    return sorted(BACKENDS)


def get_animator(name: str, **options: Any) -> Animator:
    """A backend by name, built with ``options``; UserError for an unknown name or option."""
    target = BACKENDS.get(name)
    if target is None:
        raise UserError(f"unknown animator {name!r}: choose one of {', '.join(available())}")
    module_name, class_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    accepted = [p for p in inspect.signature(cls).parameters if p not in ("self", "args", "kwargs")]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise UserError(
            f"the {name} animator has no option {', '.join(map(repr, unknown))}:"
            f" its options are {', '.join(accepted) or 'none'}"
        )
    return AnimatorSpec(target, dict(options)).build()
