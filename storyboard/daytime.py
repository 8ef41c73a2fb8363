"""The time of day a free-text phrase names ('late at night', 'golden hour', 'dawn'): one
word list for everything that tints a picture by it (the contact sheet, the animatic)."""

from __future__ import annotations

import re

PHASE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("night", ("night", "midnight", "dark")),
    ("dusk", ("dusk", "sunset", "twilight", "golden")),
    ("evening", ("evening",)),
    ("dawn", ("dawn", "sunrise", "daybreak", "first light")),
    ("morning", ("morning",)),
    ("day", ("day", "noon", "afternoon", "midday")),
)
"""Phases in the order they are looked for, each with the words (word starts) that name
it: 'dawn till dusk' is dusk, 'late evening' is evening."""


def phase_of(time_of_day: str) -> str | None:
    """The first phase of :data:`PHASE_WORDS` a word of ``time_of_day`` names; None."""
    text = time_of_day.lower()
    for phase, words in PHASE_WORDS:
        if any(re.search(rf"\b{re.escape(word)}", text) for word in words):
            return phase
    return None
