"""Engines: they run the batches that ``director.policy`` hands them and report each
job's end back to it. ``local`` (a thread pool in this process) is the default; ``ray``
puts the animator calls on a Ray cluster (``ray_cluster`` reaches one safely). What a
batch does is in ``director.engines.batches``, the same for both."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from director.policy import Policy
    from director.report import NodeStats


class Engine(Protocol):
    """Runs a policy's batches until it has none ready and none out."""

    nodes: dict[str, NodeStats]
    """what the workers on each node did (empty where there are no nodes)"""

    def run(self, policy: Policy) -> None: ...
