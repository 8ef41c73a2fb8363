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

__all__ = ["json_schema", "load", "plan", "plan_with_notes", "save", "sheet"]


def plan(request: str, *, llm: str | None = None, seed: int = 0,
         llm_timeout: float | None = None, project: str | os.PathLike | None = None,
         ) -> Storyboard:
    """Plan a storyboard from a plain-language request (offline unless an LLM is named
    or configured: flags, then DIRECTOR_LLM, then ``<project>/director.toml``)."""
    return plan_with_notes(request, llm=llm, seed=seed, llm_timeout=llm_timeout,
                           project=project).storyboard


def plan_with_notes(request: str, *, llm: str | None = None, seed: int = 0,
                    llm_timeout: float | None = None,
                    project: str | os.PathLike | None = None):
    """Like :func:`plan`, returning the storyboard with notes on what the LLM planner
    repaired or left to the offline director (``.storyboard``, ``.notes``)."""
    return agents.plan_with_notes(request, llm=llm, seed=seed, llm_timeout=llm_timeout,
                                  project=project)


def sheet(storyboard: Storyboard, output: str | os.PathLike) -> Path:
    """Draw the storyboard's contact sheet as a PNG and return its path."""
    from storyboard.sheet import render_sheet

    return render_sheet(storyboard, output)
