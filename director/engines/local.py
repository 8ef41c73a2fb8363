"""The local engine: ready batches run on a pool of ``workers`` threads in this process.

The animator may be called from several threads at once: a backend that cannot take
that serialises its calls itself. :func:`run_batches` (the pool loop) also drives the
Ray engine, whose threads wait on remote animator calls."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from animator.base import Animator
from director.engines.batches import BatchRunner, call_animator
from director.policy import Batch, Policy
from director.report import NodeStats


def run_batches(policy: Policy, runner: BatchRunner, threads: int,
                interrupt: Callable[[], None] = lambda: None) -> None:
    """Run the policy's batches with ``runner`` on ``threads`` threads until it has none
    ready and none out. On Ctrl-C (any exception here) ``interrupt`` asks the calls in
    flight to stop at their next denoising step, so the threads end within one step."""
    running: dict[Future, Batch] = {}
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="director")
    try:
        while policy.active:
            while len(running) < threads and policy.has_ready:
                batch = policy.take(threads - len(running))
                running[pool.submit(runner.run, batch)] = batch
            # bounded, so that Ctrl-C is acted on within a moment even when the signal
            # reached another thread and left this one waiting
            done, _ = wait(list(running), timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                policy.finish(running.pop(future), future.result())
    except BaseException:
        interrupt()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


class LocalEngine:
    """Runs a policy's batches on ``workers`` threads, calling ``animator`` directly."""

    def __init__(self, animator: Animator, workers: int = 2) -> None:
        self.animator, self.workers = animator, workers
        self.nodes: dict[str, NodeStats] = {}  # one process: no per-node figures

    def run(self, policy: Policy) -> None:
        """Run batches until the policy has none ready and none out."""
        runner = BatchRunner(policy.graph, policy.store,
                             lambda kind, requests: call_animator(self.animator, kind, requests))
        run_batches(policy, runner, self.workers, self.animator.interrupt)
