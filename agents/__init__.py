"""The LLM side: planning a storyboard from a request (an LLM through LangChain, or the
offline rule-based director when none is configured)."""

from __future__ import annotations

from storyboard import Storyboard
from storyboard.errors import UserError


def plan(request: str, *, llm: str | None = None, seed: int = 0) -> Storyboard:
    """A validated storyboard for ``request``. ``llm`` is 'offline' (default) or
    'openai:MODEL'."""
    if not request or not request.strip():
        raise UserError("the request is empty: describe the film, e.g. "
                        "'a two-minute film about a fox who learns to fly'")
    if llm in (None, "offline"):
        from agents.offline import plan_offline

        return plan_offline(request, seed=seed)
    raise UserError(f"unknown --llm {llm!r}: use 'offline' or 'openai:MODEL'")
