"""The studio's render settings: animator and preset, LLM and workers.

They are the options of ``director make`` / ``render`` / ``revise``, checked the same way
before any work starts, and passed to the Python API unchanged.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

from storyboard.errors import UserError

MAX_WORKERS = 32


@dataclass(frozen=True)
class Settings:
    """What the next plan, revision or render uses."""

    animator: str = "animatic"
    llm: str | None = None
    """'offline' or 'openai:MODEL'; None: the configured one (DIRECTOR_LLM, director.toml)"""
    workers: int = 2
    preset: str | None = None
    """the diffusion animator's preset (``director models``); None: its default"""

    def checked(self, project: str | os.PathLike) -> Settings:
        """These settings, or UserError naming the one that is wrong and what to do."""
        from agents.chat_models import resolve_settings
        from animator.registry import available

        if self.animator not in available():
            raise UserError(f"unknown animator {self.animator!r}: choose one of"
                            f" {', '.join(available())}")
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or \
                not 1 <= self.workers <= MAX_WORKERS:
            raise UserError(f"workers must be a whole number from 1 to {MAX_WORKERS};"
                            f" got {self.workers!r}")
        if self.preset is not None:
            from animator.diffusion.presets import get_preset

            get_preset(self.preset)  # raises, naming the presets, for an unknown one
        resolve_settings(self.llm, project=project)  # raises for an unusable LLM name
        return self

    def with_changes(self, *, animator: str | None, llm: str | None, workers: Any,
                     preset: str | None = None) -> Settings:
        """New settings from the page's fields (empty text: the default)."""
        try:
            count = int(workers)
        except (TypeError, ValueError):
            raise UserError(f"workers must be a whole number; got {workers!r}") from None
        if count != workers and not (isinstance(workers, float) and workers.is_integer()):
            raise UserError(f"workers must be a whole number; got {workers!r}")
        return replace(self, animator=(animator or "animatic").strip(),
                       llm=(llm or "").strip() or None, workers=count,
                       preset=(preset or "").strip() or None)

    def render_options(self) -> dict[str, Any]:
        """Keyword arguments for ``api.render`` / ``api.make`` / ``api.revise``."""
        options: dict[str, Any] = {"animator": self.animator, "workers": self.workers}
        if self.preset is not None and self.animator == "diffusion":
            options["animator_options"] = {"preset": self.preset}
        return options
