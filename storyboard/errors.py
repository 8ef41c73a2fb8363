"""Errors a person can act on: what was wrong, where, and what to do."""

from __future__ import annotations

from dataclasses import dataclass


class UserError(Exception):
    """Bad input a person can fix. The command line prints it as one line, no traceback."""


@dataclass(frozen=True)
class Problem:
    """One validation problem at a JSON path such as ``scenes[0].shots[1].duration``."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '<root>'}: {self.message}"


class StoryboardError(UserError):
    """A storyboard failed validation; ``problems`` lists every problem with its JSON path."""

    def __init__(self, problems: list[Problem], source: str = "storyboard") -> None:
        self.problems = problems
        self.source = source
        count = len(problems)
        first = str(problems[0]) if problems else "unknown problem"
        more = f" (and {count - 1} more; run `director validate` to list them)" if count > 1 else ""
        super().__init__(f"{source} is not valid: {first}{more}")
