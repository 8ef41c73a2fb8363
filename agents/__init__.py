"""The LLM side: planning a storyboard from a request (an LLM through LangChain, or the
offline rule-based director when none is configured)."""

from __future__ import annotations

import os

from storyboard import Storyboard
from storyboard.errors import UserError


def plan(request: str, *, llm: str | None = None, seed: int = 0) -> Storyboard:
    """A validated storyboard for ``request``. ``llm`` is 'offline' (default) or
    'openai:MODEL'."""
    return plan_with_notes(request, llm=llm, seed=seed).storyboard


def plan_with_notes(request: str, *, llm: str | None = None, seed: int = 0,
                    llm_timeout: float | None = None,
                    project: str | os.PathLike | None = None):
    """Like :func:`plan`, returning an ``agents.llm_planner.PlanResult``: the storyboard
    and notes on what was repaired or made offline. Settings not given here come from
    the environment, then ``<project>/director.toml`` (see ``agents.chat_models``)."""
    from agents.chat_models import resolve_settings
    from agents.llm_planner import PlanResult, plan_with_llm

    if not request or not request.strip():
        raise UserError("the request is empty: describe the film, e.g. "
                        "'a two-minute film about a fox who learns to fly'")
    settings = resolve_settings(llm, llm_timeout=llm_timeout, project=project)
    if settings.is_offline:
        from agents.offline import plan_offline

        return PlanResult(plan_offline(request, seed=seed))
    return plan_with_llm(request, settings, seed=seed)
