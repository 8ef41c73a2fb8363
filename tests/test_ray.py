"""The Ray executor against a real private cluster (one per test session, see
conftest.ray_session): the same keys and bytes as the local executor, a killed worker
that does not lose the run, failure records, the room check, the CLI, and no socket of
the cluster off loopback."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from animators import small_storyboard

from animator.base import AnimatorSpec
from director.engines.ray import RayEngine
from director.execute import execute
from director.policy import Policy
from director.project import Project
from director.schedule import FRAME_KINDS, schedule
from director.store import Store
from storyboard.errors import UserError
from tests.test_cli_storyboard import run_cli


def solid(**options):
    """A SolidAnimator built from its spec, so a Ray worker can build the same one."""
    return AnimatorSpec("animators:SolidAnimator", {"m": 3, "batch_size": 2, **options}).build()


def render(folder: Path, animator, **options):
    board = small_storyboard()
    graph = schedule(board, animator)
    report = execute(graph, animator, Project(folder), workers=2, progress=False,
                     output=folder.with_suffix(".mp4"), **options)
    return graph, report


def artifact_bytes(folder: Path) -> dict[str, bytes]:
    """Every artifact's frames (or film) file by key, as bytes."""
    store = Store(folder / "store")
    found = {}
    for key in store.keys():  # noqa: SIM118 - a Store, not a dict
        files = [n for n in ("frames.npz", "film.mp4") if (store.path(key) / n).is_file()]
        found[key] = b"".join((store.path(key) / n).read_bytes() for n in files)
    return found


# -- loopback: every TCP socket of this process tree stays on 127.0.0.1 --------------------


def descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(text.rpartition(")")[2].split()[1])
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return tree


def on_loopback(address: str) -> bool:
    host = address.rpartition(":")[0].strip("[]")
    return host.startswith(("127.", "::ffff:127.")) or host == "::1"


def sockets_off_loopback() -> list[str]:
    """``ss -tanp`` lines of this process tree's sockets with an end off loopback."""
    tree = descendants(os.getpid())
    out = subprocess.run(["ss", "-tanpH"], capture_output=True, text=True, check=True).stdout
    bad = []
    for line in out.splitlines():
        if not {int(p) for p in re.findall(r"pid=(\d+)", line)} & tree:
            continue
        state, _, _, local, peer, *_ = line.split()
        ends = [local] if state == "LISTEN" else [local, peer]
        if not all(on_loopback(end) for end in ends):
            bad.append(line)
    return bad


class LoopbackWatch:
    """Samples ``ss`` every 0.2 s in a thread while the block runs."""

    def __enter__(self):
        self.bad: list[str] = []
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.bad += sockets_off_loopback()
            self.samples += 1
            self._stop.wait(0.2)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


# -- tests ---------------------------------------------------------------------------------


def test_ray_makes_the_same_keys_and_bytes_as_local_on_loopback(ray_session, tmp_path):
    _, local = render(tmp_path / "local", solid())
    with LoopbackWatch() as watch:
        graph, remote = render(tmp_path / "ray", solid(), executor="ray", ray_actors=2)
    assert local.ok and remote.ok, remote.failure_summary()
    assert watch.samples >= 1 and watch.bad == []
    assert sockets_off_loopback() == []  # the cluster's listeners, after the run too
    made = artifact_bytes(tmp_path / "ray")
    assert made == artifact_bytes(tmp_path / "local")
    assert set(made) == {graph.nodes[n]["job"].key for n in graph}
    assert (tmp_path / "ray.mp4").read_bytes() == (tmp_path / "local.mp4").read_bytes()

    frame_jobs = sum(1 for n in graph if graph.nodes[n]["job"].kind in FRAME_KINDS)
    assert remote.executor == "ray" and local.executor == "local"
    assert list(remote.nodes) == ["127.0.0.1"]
    node = remote.nodes["127.0.0.1"]
    assert node.workers == {"keyframe": 2, "interpolate": 2}
    assert node.jobs == frame_jobs and 0 < node.batches <= frame_jobs
    assert remote.jobs.model_dump() | {"by_kind": None} == \
        local.jobs.model_dump() | {"by_kind": None}

    _, again = render(tmp_path / "ray", solid(), executor="ray")
    assert again.jobs.run == 0 and again.nodes == {}  # nothing to make: no worker started


def test_a_worker_killed_mid_batch_is_restarted_and_the_run_finishes(ray_session, tmp_path):
    calls = tmp_path / "calls"
    calls.mkdir()
    killed: list[int] = []

    def kill_the_first_worker() -> None:
        deadline = time.monotonic() + 60
        while not killed and time.monotonic() < deadline:
            for entry in calls.iterdir():
                os.kill(int(entry.name), signal.SIGKILL)  # mid-call: each call sleeps 0.25 s
                killed.append(int(entry.name))
                break
            time.sleep(0.02)

    killer = threading.Thread(target=kill_the_first_worker)
    killer.start()
    _, report = render(tmp_path / "ray", solid(delay=0.25, calls_dir=str(calls)),
                       executor="ray", ray_actors=1)
    killer.join()
    assert killed, "no worker call was seen"
    assert report.ok, report.failure_summary()
    pids = {int(entry.name) for entry in calls.iterdir()}
    assert pids - set(killed), "no restarted worker made the remaining frames"
    _, local = render(tmp_path / "local", solid())
    assert artifact_bytes(tmp_path / "ray") == artifact_bytes(tmp_path / "local")


def fails_in_s2(request) -> bool:
    return request.shot_id == "s2" and 0 < request.t < 1


def test_own_failures_are_records_as_locally_on_workers_of_a_custom_resource(ray_session,
                                                                             tmp_path):
    _, local = render(tmp_path / "local", solid(fail=fails_in_s2))
    on_slots = solid(fail=fails_in_s2, resources={"num_cpus": 0, "slot": 1})  # 2 slots
    _, remote = render(tmp_path / "ray", on_slots, executor="ray", ray_actors=1)
    assert not remote.ok and remote.failures
    assert [f.model_dump() for f in remote.failures] == [f.model_dump() for f in local.failures]
    assert remote.failures[0].message.startswith("RuntimeError: injected failure at s2")
    assert remote.jobs.failed == local.jobs.failed and remote.jobs.run == local.jobs.run
    assert artifact_bytes(tmp_path / "ray") == artifact_bytes(tmp_path / "local")
    assert remote.nodes["127.0.0.1"].workers == {"keyframe": 1, "interpolate": 1}


def test_workers_that_do_not_fit_the_cluster_are_one_message(ray_session, tmp_path):
    animator = solid(resources={"num_cpus": 0, "num_gpus": 0.5})
    graph = schedule(small_storyboard(), animator)
    engine = RayEngine(animator, actors=2)
    with pytest.raises(UserError, match=r"has 0 GPU; 2 animator worker\(s\) for each of "
                                        r"keyframe, interpolate need 2"):
        engine.run(Policy(graph, Store(tmp_path / "store")))
    assert not any((tmp_path / "store").rglob("frames.npz"))


def test_render_on_ray_from_the_command_line_and_director_toml(ray_session, tmp_path, capsys):
    from director import api

    board = tmp_path / "board.json"
    api.save(small_storyboard(), board)
    project = tmp_path / "film.director"
    project.mkdir()
    (project / "director.toml").write_text('executor = "ray"\nray_address = "local"\n'
                                           'ray_actors = 1\n')
    code, out, err = run_cli(capsys, "render", board, "-o", tmp_path / "film.mp4",
                             "--report", tmp_path / "report.json")
    assert code == 0, err
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["executor"] == "ray"
    assert saved["nodes"]["127.0.0.1"]["workers"] == {"keyframe": 1, "interpolate": 1}

    code, out, err = run_cli(capsys, "render", board, "-o", tmp_path / "again.mp4",
                             "--executor", "local", "--report", tmp_path / "local.json")
    assert code == 0, err
    assert json.loads((tmp_path / "local.json").read_text())["executor"] == "local"
    assert (tmp_path / "again.mp4").read_bytes() == (tmp_path / "film.mp4").read_bytes()


def test_a_missing_ray_is_one_message_and_local_never_imports_it(tmp_path):
    script = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from animators import small_storyboard
from director import api
from storyboard.errors import UserError
report = api.render(small_storyboard(), {str(tmp_path / "a.mp4")!r}, progress=False)
assert report.ok and "ray" not in sys.modules, sorted(m for m in sys.modules if "ray" in m)
sys.modules["ray"] = None  # as if not installed
try:
    api.render(small_storyboard(), {str(tmp_path / "b.mp4")!r}, executor="ray")
except UserError as error:
    print(error)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ("--executor ray needs Ray, which is not installed: "
                                   "pip install 'llm-director[ray]' (in a checkout: "
                                   "pip install -e '.[ray]')")
    assert not (tmp_path / "b.director").exists()  # refused before any work, nothing made
