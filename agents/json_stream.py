"""Reading a JSON answer as it streams in: where its value ends, and what a cut answer holds.

A model that does not stop by itself keeps writing after its JSON object closes (prose, a
second object, or the same text again until its context is full). :class:`JsonScanner`
reads the stream chunk by chunk and says where the first top-level value closes, so that
reading can stop there. An answer cut at the token limit is read as far as it goes with
pydantic-core's partial JSON parser; the array element that the cut fell inside is dropped
(:func:`parse_cut`), since only the complete elements before it are certain.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import from_json

_OPENERS = {"{": "}", "[": "]"}


class JsonScanner:
    """Follows the brackets and strings of streamed text. ``feed`` returns the index
    (in all text fed so far) just past the close of the first top-level object or array,
    or None while it is still open; text before the opening bracket (prose, a code fence)
    is skipped."""

    def __init__(self) -> None:
        self.text = ""
        self.start: int | None = None
        self.open: list[str] = []
        """the brackets open at the end of the text so far, outermost first"""
        self._in_string = False
        self._escaped = False

    def feed(self, chunk: str) -> int | None:
        at = len(self.text)
        self.text += chunk
        for offset, char in enumerate(chunk):
            i = at + offset
            if self._in_string:
                if self._escaped:
                    self._escaped = False
                elif char == "\\":
                    self._escaped = True
                elif char == '"':
                    self._in_string = False
            elif self.start is None:
                if char in _OPENERS:
                    self.start = i
                    self.open.append(char)
            elif char == '"':
                self._in_string = True
            elif char in _OPENERS:
                self.open.append(char)
            elif self.open and char == _OPENERS[self.open[-1]]:
                self.open.pop()
                if not self.open:
                    return i + 1
        return None

    @property
    def value_text(self) -> str:
        """The text from the opening bracket on ('' before it)."""
        return "" if self.start is None else self.text[self.start:]


def parse_cut(text: str, open_brackets: list[str]) -> list[Any]:
    """The readings of JSON ``text`` cut before its end, most kept first: pydantic-core's
    partial parse as it is when the cut fell between the elements of an array, then less
    an element that the cut fell inside (an open object or array in an open array), from
    the innermost such element out: a keyframe cut half-way drops the keyframe; if its
    shot is then still unusable, the next reading drops the shot.
    ``open_brackets``: :attr:`JsonScanner.open` at the cut. [] when nothing parses."""
    def parse() -> Any:
        return from_json(text, allow_partial=True)

    try:
        readings = [parse()] if open_brackets[-1:] == ["["] else []
    except ValueError:
        return []
    for depth in range(len(open_brackets) - 2, -1, -1):
        value = parse()
        chain: list[Any] = [value]  # the open containers: each the last child of the one before
        for _ in open_brackets[1:depth + 2]:
            node = chain[-1]
            child = (node[-1] if isinstance(node, list) and node else
                     next(reversed(node.values())) if isinstance(node, dict) and node else None)
            if not isinstance(child, (dict, list)):
                break
            chain.append(child)
        if depth + 1 < len(chain) and isinstance(chain[depth], list):
            chain[depth].pop()
            readings.append(value)
    return readings or [parse()]
