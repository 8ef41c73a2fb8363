"""The artifact store as a protocol: what the policy, the engines and publishing need
from a store, so another store (an object store, say) can come later.
``director.store.Store`` (a folder on the file system) is the one implementation.

- **has**: whether the artifact of a key exists (complete: writes are atomic);
- **get**: its record (``meta``), its frames, or a local path to one of its files;
- **write atomically**: ``put_frames``, or ``writing`` for any files: a temporary folder
  that becomes the artifact in one step, or nothing if the block fails;
- **list**: every key held.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class ArtifactStore(Protocol):
    """Artifacts by key: has / get / write atomically / list."""

    def has(self, key: str) -> bool:
        """Whether the artifact ``key`` exists."""

    def meta(self, key: str) -> dict[str, Any]:
        """The record of the artifact ``key``."""

    def frame(self, key: str, index: int) -> np.ndarray:
        """Frame ``index`` of the frames artifact ``key``."""

    def frames(self, key: str) -> dict[int, np.ndarray]:
        """Every frame of the frames artifact ``key``, by index."""

    def path(self, key: str) -> Path:
        """A local folder holding the files of the artifact ``key``."""

    def file(self, key: str, name: str) -> Path:
        """A local path to the file ``name`` of the artifact ``key``; KeyError if absent."""

    def writing(self, key: str, meta: Mapping[str, Any]) -> AbstractContextManager[Path]:
        """An empty folder to fill; it becomes the artifact ``key`` when the block ends
        without an exception."""

    def put_frames(self, key: str, frames: Mapping[int, np.ndarray],
                   meta: Mapping[str, Any]) -> Path:
        """Store frames by index as the artifact ``key``."""

    def keys(self) -> Iterator[str]:
        """Every key held."""
