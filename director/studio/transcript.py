"""The chat panel's transcript: what the person asked and what the studio answered,
kept in the project folder (``studio/chat.json``) so a reload or a restart shows it."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Literal

from storyboard.io import atomic_write_text

log = logging.getLogger(__name__)

Role = Literal["user", "assistant"]


class Transcript:
    """Messages as ``{"role": ..., "content": ...}`` (the chat panel's format), oldest first."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._messages: list[dict[str, str]] = self._read()

    def _read(self) -> list[dict[str, str]]:
        if not self.path.exists():
            return []
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            log.warning("starting a new chat: cannot read %s: %s", self.path, error)
            return []
        return [{"role": m["role"], "content": m["content"]} for m in data
                if isinstance(m, dict) and m.get("role") in ("user", "assistant")
                and isinstance(m.get("content"), str)]

    def add(self, role: Role, content: str) -> None:
        """Append a message and save the transcript (atomically)."""
        with self._lock:
            self._messages.append({"role": role, "content": content})
            atomic_write_text(self.path, json.dumps(self._messages, indent=1) + "\n")

    def messages(self) -> list[dict[str, str]]:
        """A copy of every message."""
        with self._lock:
            return [dict(m) for m in self._messages]
