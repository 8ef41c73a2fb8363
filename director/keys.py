"""Job keys: stable hashes of canonical JSON.

A job's key is the hash of its kind, the hand-bumped code version of that kind, its own
inputs, the animator's fingerprint and its parents' keys in order (ComfyUI's and
Hamilton's cache keys). Bump a kind's entry in ``CODE_VERSION`` whenever the code that
makes that kind's artifact changes what it makes: nothing else can see such a change.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import Any

from pydantic import BaseModel

CODE_VERSION: dict[str, int] = {
    "reference": 1,
    "keyframe": 2,
    "interpolate": 2,
    "clip": 2,
    "shot": 2,
    "film": 2,
}
"""Per job kind; bump by hand when the code that makes that kind's artifacts changes what
they hold: the scheduler's requests (including ``Storyboard.prompt_for`` and
``Shot.layout_at``, which build them), the store's formats, clip encoding, assembly."""

KEY_LENGTH = 32
"""Hex digits in a key (a 128-bit BLAKE2b digest)."""


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, (tuple, set, frozenset)):
        return sorted(value, key=repr) if isinstance(value, (set, frozenset)) else list(value)
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"cannot hash the non-finite number {value}")
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return value.item()
    raise TypeError(f"cannot hash a {type(value).__name__} as canonical JSON: {value!r}")


def canonical_json(value: Any) -> str:
    """``value`` as JSON with sorted keys, no spaces and no NaN: equal data, equal text.
    Pydantic models, tuples and paths are turned into plain JSON first."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False, default=_plain)


def digest(value: Any) -> str:
    """The hex BLAKE2b digest of ``value``'s canonical JSON."""
    return hashlib.blake2b(canonical_json(value).encode(), digest_size=KEY_LENGTH // 2).hexdigest()


def job_key(kind: str, inputs: Mapping[str, Any], fingerprint: str,
            parents: Iterable[str] = ()) -> str:
    """The key of a job: kind, its code version, its inputs, the animator fingerprint's
    digest and the parents' keys in order."""
    try:
        version = CODE_VERSION[kind]
    except KeyError:
        known = ", ".join(CODE_VERSION)
        raise ValueError(f"unknown job kind {kind!r}; kinds are {known}") from None
    return digest([kind, version, inputs, fingerprint, list(parents)])


def stable_seed(*parts: Any) -> int:
    """A seed in 0..2**32-1 from canonical JSON of ``parts`` (never Python's salted hash())."""
    raw = hashlib.blake2b(canonical_json(list(parts)).encode(), digest_size=8).digest()
    return int.from_bytes(raw, "big") % 2**32
