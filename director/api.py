"""The public Python API; the `director` command mirrors it function by function.

    from director import api
    board = api.plan("a two-minute film about a fox who learns to fly")
    api.sheet(board, "sheet.png")
"""

from __future__ import annotations

import os
from pathlib import Path

import agents
from storyboard import Storyboard, json_schema, load, save

__all__ = ["json_schema", "load", "plan", "save", "sheet"]


def plan(request: str, *, llm: str | None = None, seed: int = 0) -> Storyboard:
    """Plan a storyboard from a plain-language request (offline unless an LLM is named
    or configured)."""
    return agents.plan(request, llm=llm, seed=seed)


def sheet(storyboard: Storyboard, output: str | os.PathLike) -> Path:
    """Draw the storyboard's contact sheet as a PNG and return its path."""
    from storyboard.sheet import render_sheet

    return render_sheet(storyboard, output)
