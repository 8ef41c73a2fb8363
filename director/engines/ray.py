"""The Ray engine: the same batches as the local engine, with the animator calls on a
Ray cluster.

One actor per animator role (``Animator.role``: by default each frame job kind) and
worker slot, ``actors`` per role, each
built once from the animator's spec (``Animator.spec``: its class and options, plain
data) and serving every batch of its role, so models stay loaded. An actor holds what
``Animator.worker_resources(role)`` asks for (one CPU by default; a GPU backend asks
for ``num_gpus``, fractions allowed). Requests travel as plain data (prompts, boxes,
seeds and the end frames); frames come back through Ray's object store and this process
writes them to the project's store, so the nodes need no shared file system. Shot and
film jobs run here, as they read and write the store.

A worker process that dies is restarted (``max_restarts``) and its call retried
(``max_task_retries``); a job that raises for its own reason becomes a failure record,
as locally. The report gains what each node did (:class:`director.report.NodeStats`).
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from animator.base import Animator, AnimatorSpec, Frame
from director.engines.batches import BatchRunner, Request, call_animator
from director.engines.local import run_batches
from director.engines.ray_cluster import ray_cluster
from director.keys import digest
from director.policy import Policy, error_message
from director.report import NodeStats
from director.schedule import FRAME_KINDS
from storyboard.errors import UserError

_RAY_NAMES = {"num_cpus": "CPU", "num_gpus": "GPU"}


class AnimatorWorker:
    """The body of a Ray actor: one animator, rebuilt from its spec, for one role."""

    def __init__(self, spec: AnimatorSpec) -> None:
        self.animator = spec.build()

    def describe(self) -> tuple[str, str]:
        """(the animator's fingerprint digest, this node's address)."""
        import ray

        return digest(self.animator.fingerprint()), ray.util.get_node_ip_address()

    def run(self, kind: str, requests: Sequence[Request]) -> list[list[Frame]]:
        return call_animator(self.animator, kind, requests)


def _ray_resources(resources: Mapping[str, float]) -> dict[str, float]:
    """Actor resources in the names ``ray.cluster_resources()`` uses."""
    return {_RAY_NAMES.get(name, name): float(amount) for name, amount in resources.items()}


class RayEngine:
    """Runs a policy's batches with the animator calls on Ray actors (see the module
    docstring). ``address``: ``"local"`` (a private cluster on this machine, as many
    logical CPUs as its workers need, at least the machine's cores) or ``HOST:PORT``;
    ``driver_workers``: threads for shot and film jobs here. Already connected to a
    cluster (``ray.init`` done), it uses that one."""

    def __init__(self, animator: Animator, *, address: str = "local", actors: int = 2,
                 driver_workers: int = 2, max_restarts: int = 3,
                 max_task_retries: int = 3) -> None:
        if actors < 1:
            raise UserError(f"--ray-actors must be at least 1; got {actors}")
        self.animator, self.address, self.actors = animator, address, actors
        self.driver_workers = driver_workers
        self.max_restarts, self.max_task_retries = max_restarts, max_task_retries
        self.nodes: dict[str, NodeStats] = {}
        self.startup_seconds = 0.0
        """how long the last run took to start its actors (models loaded)"""
        self._lock = threading.Lock()

    def run(self, policy: Policy) -> None:
        """Run batches until the policy has none ready and none out."""
        kinds = [kind for kind, count in policy.todo().items() if kind in FRAME_KINDS and count]
        role_of = {kind: self.animator.role(kind) for kind in kinds}
        roles = list(dict.fromkeys(role_of.values()))
        if not roles:  # nothing for an animator: no cluster needed
            run_batches(policy, BatchRunner(policy.graph, policy.store, self._no_call),
                        self.driver_workers)
            return
        needs = {role: dict(self.animator.worker_resources(role)) for role in roles}
        cpus = sum(needs[r].get("num_cpus", 0) for r in roles) * self.actors
        with ray_cluster(self.address, num_cpus=max(os.cpu_count() or 1, cpus)) as ray:
            self._check_room(ray.cluster_resources(), needs)
            handles: list[Any] = []
            try:
                start = time.perf_counter()
                pools = self._start_actors(ray, needs, handles)
                self.startup_seconds = time.perf_counter() - start

                def call(kind: str, requests: Sequence[Request]) -> list[list[Frame]]:
                    return self._call(ray, pools[role_of[kind]], kind, requests)

                run_batches(policy, BatchRunner(policy.graph, policy.store, call),
                            self.actors * len(roles) + self.driver_workers)
            finally:
                for handle in handles:
                    ray.kill(handle)

    @staticmethod
    def _no_call(kind: str, requests: Sequence[Request]) -> list[list[Frame]]:
        raise RuntimeError(f"no Ray worker was started for {kind} jobs")

    def _check_room(self, total: Mapping[str, float], needs: Mapping[str, dict]) -> None:
        """UserError before any work when the cluster cannot hold every actor at once."""
        want: dict[str, float] = {}
        for resources in needs.values():
            for name, amount in _ray_resources(resources).items():
                want[name] = want.get(name, 0.0) + amount * self.actors
        for name, amount in want.items():
            have = float(total.get(name, 0.0))
            if amount > have + 1e-9:
                raise UserError(
                    f"the Ray cluster has {have:g} {name}; {self.actors} animator worker(s) "
                    f"for each of {', '.join(needs)} need {amount:g}: use fewer --ray-actors, "
                    f"add nodes with {name}, or change the animator's worker resources")

    def _start_actors(self, ray: Any, needs: Mapping[str, dict], handles: list[Any]
                      ) -> dict[str, queue.Queue]:
        """Start ``actors`` workers per role (appended to ``handles``) and check that they
        built the same animator; a queue of free (handle, node) pairs per role."""
        spec = self.animator.spec()
        expected = digest(self.animator.fingerprint())
        remote = ray.remote(AnimatorWorker)
        pools: dict[str, queue.Queue] = {}
        described = []
        for role, resources in needs.items():
            pools[role] = queue.Queue()
            ray_names = _ray_resources(resources)
            custom = {k: v for k, v in ray_names.items() if k not in ("CPU", "GPU")}
            for _ in range(self.actors):
                handle = remote.options(
                    num_cpus=ray_names.get("CPU", 0.0), num_gpus=ray_names.get("GPU", 0.0),
                    resources=custom, max_restarts=self.max_restarts,
                    max_task_retries=self.max_task_retries).remote(spec)
                handles.append(handle)
                described.append((role, handle, handle.describe.remote()))
        for role, handle, ref in described:
            try:
                fingerprint, node = ray.get(ref)
            except ray.exceptions.RayError as error:
                cause = getattr(error, "cause", None) or error
                raise UserError(f"the {self.animator.name!r} animator could not be built on a "
                                f"Ray worker ({spec.target}): {error_message(cause)}") from None
            if fingerprint != expected:
                raise UserError(f"the {self.animator.name!r} animator built on a Ray worker "
                                f"from {spec.target} has other settings than this one: give "
                                f"it an AnimatorSpec (Animator.spec) with its options")
            stats = self.nodes.setdefault(node, NodeStats())
            stats.workers[role] = stats.workers.get(role, 0) + 1
            pools[role].put((handle, node))
        return pools

    def _call(self, ray: Any, pool: queue.Queue, kind: str, requests: Sequence[Request]
              ) -> list[list[Frame]]:
        handle, node = pool.get()
        start = time.perf_counter()
        try:
            return ray.get(handle.run.remote(kind, list(requests)))
        except ray.exceptions.RayTaskError as error:  # the animator raised: its own error
            raise (error.cause or error) from None
        finally:
            seconds = time.perf_counter() - start
            with self._lock:
                stats = self.nodes[node]
                stats.batches += 1
                stats.jobs += len(requests)
                stats.seconds = round(stats.seconds + seconds, 3)
            pool.put((handle, node))
