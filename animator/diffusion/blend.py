"""The ``blend`` in-between role: a plain cross-fade of the two end frames.

Frame ``i`` at time ``t`` between the ends at ``t0`` and ``t1`` is
``(1 - w) * first + w * last`` with ``w = (t - t0) / (t1 - t0)``, rounded to uint8. It
makes no new content (nothing moves; one picture dissolves into the other) and needs no
model: the cheap CPU option, and the report names it as such. When a request does not
carry its ends' times, the frames are taken as evenly spaced between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from animator.base import Frame, InbetweenRequest
from animator.diffusion.role import Role

BLEND_VERSION = 1
"""Bump when the cross-fade changes what it makes."""


def weights(request: InbetweenRequest) -> list[float]:
    """The weight of ``last`` for each in-between of ``request``."""
    n = len(request.frames)
    if request.first_t is None or request.last_t is None or request.last_t <= request.first_t:
        return [(i + 1) / (n + 1) for i in range(n)]
    t0, span = request.first_t, request.last_t - request.first_t
    return [min(1.0, max(0.0, (f.t - t0) / span)) for f in request.frames]


class BlendRole(Role):
    """In-betweens as a cross-fade of the end frames (no model)."""

    name = "inbetween"
    max_inbetweens = 31
    """frames one call makes (any number would do; this bounds a job's memory)"""

    def fingerprint(self) -> dict[str, Any]:
        return {"model": "blend", "version": BLEND_VERSION}

    def describe(self) -> str:
        return "blend: a plain cross-fade of the two end frames (no model; nothing moves)"

    def __call__(self, requests: Sequence[InbetweenRequest]) -> list[list[Frame]]:
        results = []
        for request in requests:
            first = request.first.astype(np.float32)
            last = request.last.astype(np.float32)
            results.append([np.clip(first + w * (last - first) + 0.5, 0, 255).astype(np.uint8)
                            for w in weights(request)])
        return results
