"""The local engine: ready batches run on a pool of ``workers`` threads in this process.

The animator may be called from several threads at once: a backend that cannot take
that serialises its calls itself."""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from animator.base import Animator
from director.engines.batches import BatchRunner, call_animator
from director.policy import Batch, Policy


class LocalEngine:
    """Runs a policy's batches on ``workers`` threads, calling ``animator`` directly."""

    def __init__(self, animator: Animator, workers: int = 2) -> None:
        self.animator, self.workers = animator, workers

    def run(self, policy: Policy) -> None:
        """Run batches until the policy has none ready and none out."""
        runner = BatchRunner(policy.graph, policy.store,
                             lambda kind, requests: call_animator(self.animator, kind, requests))
        running: dict[Future, Batch] = {}
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="director")
        try:
            while policy.active:
                while len(running) < self.workers and policy.has_ready:
                    batch = policy.take(self.workers - len(running))
                    running[pool.submit(runner.run, batch)] = batch
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in done:
                    policy.finish(running.pop(future), future.result())
        except BaseException:  # Ctrl-C: calls in flight stop at their next step
            self.animator.interrupt()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
