"""Revising a storyboard from a chat message: the message becomes edit operations.

``--llm offline`` (the default) maps a documented set of phrasings by rules
(``agents.revise_offline``); an LLM reviser is to follow. Either way the result is a list of
``storyboard.edits`` operations, checked by applying them before they are returned.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from storyboard import Storyboard
from storyboard.edits import Operation
from storyboard.errors import UserError


@dataclass
class ProposedEdits:
    """What a reviser made of a message."""

    operations: list[Operation]
    reviser: str
    """'offline' or 'openai:MODEL'"""
    notes: list[str] = field(default_factory=list)
    """repairs made to the model's answer, for people"""


def revise(board: Storyboard, message: str, *, llm: str | None = None,
           llm_timeout: float | None = None,
           project: str | os.PathLike | None = None) -> ProposedEdits:
    """Edit operations for ``message`` on ``board``; UserError when it cannot be mapped
    (the offline reviser's message lists what it understands)."""
    from agents.chat_models import resolve_settings

    if not message or not message.strip():
        raise UserError("the message is empty: say what to change, e.g. 'cut shot 3'")
    settings = resolve_settings(llm, llm_timeout=llm_timeout, project=project)
    if settings.is_offline:
        from agents.revise_offline import revise_offline

        return ProposedEdits(revise_offline(board, message), "offline")
    raise UserError(f"revising with {settings.llm!r} is not available yet: use --llm offline")
