"""One GPU, many models: the policy groups ready jobs by role, per-kind batch sizes,
per-role report figures, and an interrupted run that resumes."""

from __future__ import annotations

import ctypes
import threading
import time
from collections import Counter

import pytest
from animators import SolidAnimator, small_storyboard

from animator.base import KIND_ROLES, Capabilities, Interrupted, RoleUsage
from director.execute import execute
from director.schedule import schedule
from director.store import Store


class OneDeviceAnimator(SolidAnimator):
    """Solid frames from three 'models' on a device that holds one at a time: a call of
    another role than the resident one unloads it and loads its own. It counts loads per
    role and the most roles ever running at once."""

    name = "one-device"

    def __init__(self, *, grouped: bool = True, one_at_a_time: bool = True) -> None:
        super().__init__(m=3, batch_size=4, clip_frames=14)
        self.grouped, self.one_at_a_time = grouped, one_at_a_time
        self.loads: Counter[str] = Counter()
        self.resident: str | None = None
        self.running: Counter[str] = Counter()
        self.most_at_once = 0
        self.device = threading.Lock()

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(
            max_inbetweens=3, batch_size=4, clip_frames=14,
            batch_sizes={"interpolate": 1, "clip": 1},
            model_roles=("keyframe", "inbetween", "clip") if self.grouped else (),
            one_model_at_a_time=self.one_at_a_time)

    def _call(self, kind: str, size: int) -> None:
        role = KIND_ROLES[kind]
        with self.device:
            if self.resident != role:
                self.loads[role] += 1
                self.resident = role
            self.running[role] += 1
            self.most_at_once = max(self.most_at_once, sum(1 for n in self.running.values()
                                                           if n))
        super()._call(kind, size)
        with self.device:
            self.running[role] -= 1

    def usage(self) -> dict[str, RoleUsage]:
        return {role: RoleUsage(loads=n) for role, n in self.loads.items()}


def render(animator, tmp_path, workers=2):
    board = small_storyboard()  # s2 is made of clips, s1 and s3 of in-betweens
    graph = schedule(board, animator)
    return execute(graph, animator, Store(tmp_path / "store"), workers=workers,
                   progress=False)


def test_each_model_loads_once_per_run_and_one_sits_on_the_device(tmp_path):
    animator = OneDeviceAnimator()
    report = render(animator, tmp_path, workers=3)
    assert report.ok
    assert animator.loads == {"keyframe": 1, "inbetween": 1, "clip": 1}
    assert animator.most_at_once == 1
    kinds = [kind for kind, _ in animator.calls]
    assert kinds == sorted(kinds, key=["keyframe", "interpolate", "clip"].index)
    assert report.roles["inbetween"].jobs == report.jobs.by_kind["interpolate"].run == 27
    assert report.roles["clip"].loads == 1 and report.roles["clip"].jobs == 2


def test_without_grouping_the_same_run_swaps_models(tmp_path):
    """The control: the counting backend does see swaps when jobs are not grouped."""
    animator = OneDeviceAnimator(grouped=False, one_at_a_time=False)
    assert render(animator, tmp_path, workers=1).ok  # by level: in-between, clips, ...
    assert animator.loads["inbetween"] == 2


def test_grouped_roles_may_overlap_when_models_stay_resident(tmp_path):
    animator = OneDeviceAnimator(one_at_a_time=False)
    assert render(animator, tmp_path, workers=3).ok
    assert animator.loads["keyframe"] == 1  # every keyframe before any in-between
    kinds = [kind for kind, _ in animator.calls]
    assert kinds.index("interpolate") > max(i for i, k in enumerate(kinds) if k == "keyframe")


def test_video_kinds_take_one_request_per_call(tmp_path):
    animator = OneDeviceAnimator()
    assert render(animator, tmp_path).ok
    sizes = Counter((kind, size) for kind, size in animator.calls)
    assert {size for (kind, size) in sizes if kind in ("interpolate", "clip")} == {1}
    assert max(size for (kind, size) in sizes if kind == "keyframe") > 1  # keyframes batch


class StopsAnimator(SolidAnimator):
    """In-between calls wait until interrupted, as a denoising loop checks between steps."""

    name = "stops"

    def __init__(self, armed: bool = True) -> None:
        super().__init__(m=3, batch_size=2)
        self.armed = armed
        self.stop = threading.Event()
        self.started = threading.Event()

    def interrupt(self) -> None:
        self.stop.set()

    def inbetweens(self, requests):
        if not self.armed:
            return super().inbetweens(requests)
        self.started.set()
        if not self.stop.wait(120):  # longer than the test waits before it sends Ctrl-C
            raise AssertionError("never interrupted")
        raise Interrupted("interrupted between two steps")


def test_ctrl_c_interrupts_calls_in_flight_and_the_next_run_resumes(tmp_path):
    board = small_storyboard()
    store = Store(tmp_path / "store")
    animator = StopsAnimator()
    graph = schedule(board, animator)
    keyframes = [d["job"] for _, d in graph.nodes(data=True) if d["job"].kind == "keyframe"]

    main = threading.main_thread().ident

    def ctrl_c() -> None:  # once an in-between is in flight and every keyframe is made
        animator.started.wait(30)
        deadline = time.monotonic() + 30
        while not all(store.has(job.key) for job in keyframes) and time.monotonic() < deadline:
            time.sleep(0.01)
        # Ctrl-C as the engine sees it: KeyboardInterrupt in the main thread (raised there at
        # once: the engine's wait is bounded), whatever this process's signal handlers are
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(main),
                                                   ctypes.py_object(KeyboardInterrupt))

    threading.Thread(target=ctrl_c, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        execute(graph, animator, store, workers=2, progress=False)
    assert animator.stop.is_set()  # the engine asked the calls in flight to stop
    assert all(store.has(job.key) for job in keyframes)
    again = StopsAnimator(armed=False)
    report = execute(schedule(board, again), again, store, workers=2, progress=False)
    assert report.ok and report.jobs.by_kind["keyframe"].run == 0
    assert report.jobs.by_kind["keyframe"].reused == len(keyframes)
