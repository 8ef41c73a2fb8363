"""The artifact store: lossless frames, atomic artifacts, ls and gc."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

from director.store import Store

KEY = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"


def frames(count: int, seed: int = 0) -> dict[int, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {i * 3: rng.integers(0, 256, (24, 32, 3), dtype=np.uint8) for i in range(count)}


def test_frames_round_trip_losslessly_by_index(tmp_path):
    store = Store(tmp_path)
    made = frames(4)
    store.put_frames(KEY, made, {"kind": "interpolate", "job": "s1/x", "shot": "s1",
                                 "seconds": 0.5})
    assert store.has(KEY) and not store.has(OTHER)
    back = store.frames(KEY)
    assert sorted(back) == [0, 3, 6, 9]
    for index, frame in made.items():
        assert back[index].dtype == np.uint8 and np.array_equal(back[index], frame)
    assert np.array_equal(store.frame(KEY, 6), made[6])
    with pytest.raises(KeyError, match="no frame 4"):
        store.frame(KEY, 4)
    meta = store.meta(KEY)
    assert meta["kind"] == "interpolate" and meta["shot"] == "s1" and meta["seconds"] == 0.5
    assert meta["key"] == KEY and meta["created"] and meta["files"] == ["frames.npz"]


def test_frames_are_stored_compactly(tmp_path):
    store = Store(tmp_path)
    flat = np.zeros((360, 640, 3), np.uint8)
    flat[100:200, 50:300] = (200, 80, 30)
    store.put_frames(KEY, {0: flat}, {"kind": "keyframe"})
    assert store.file(KEY, "frames.npz").stat().st_size < flat.nbytes / 20


def test_a_failing_write_leaves_no_artifact_and_no_temporary_files(tmp_path):
    store = Store(tmp_path)
    with pytest.raises(RuntimeError), store.writing(KEY, {"kind": "shot"}) as work:
        (work / "clip.mp4").write_bytes(b"half")
        raise RuntimeError("encoder died")
    assert not store.has(KEY)
    assert list(store.tmp.iterdir()) == []
    assert store.ls() == []


def test_an_artifact_is_invisible_until_complete(tmp_path):
    store = Store(tmp_path)
    seen: list[bool] = []
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            if store.has(KEY):  # once visible, it must be whole
                seen.append((store.path(KEY) / "meta.json").is_file()
                            and (store.path(KEY) / "clip.mp4").stat().st_size == 100_000)
            time.sleep(0.0005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    with store.writing(KEY, {"kind": "shot"}) as work:
        with open(work / "clip.mp4", "wb") as handle:
            for _ in range(10):
                handle.write(b"x" * 10_000)
                handle.flush()
                time.sleep(0.002)
        assert not store.has(KEY)
    time.sleep(0.01)
    stop.set()
    watcher.join()
    assert seen and all(seen)


def test_a_writer_killed_mid_write_leaves_nothing_visible_and_gc_cleans_up(tmp_path):
    script = textwrap.dedent(f"""
        import sys, time
        from director.store import Store
        store = Store({str(tmp_path)!r})
        with store.writing({KEY!r}, {{"kind": "shot"}}) as work:
            (work / "clip.mp4").write_bytes(b"partial")
            print("writing", flush=True)
            time.sleep(60)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "writing"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(10)
    store = Store(tmp_path)
    assert not store.has(KEY) and store.ls() == []
    assert len([p for p in store.tmp.iterdir() if p.is_dir()]) == 1  # the unfinished write
    assert store.gc(set()).unfinished_removed == 1  # its writer is gone: no waiting an hour
    assert list(store.tmp.iterdir()) == []  # nor its lease's lock file


def test_two_writers_of_one_key_both_succeed(tmp_path):
    store = Store(tmp_path)
    errors = []

    def write(seed):
        try:
            store.put_frames(KEY, frames(2), {"kind": "keyframe", "job": f"w{seed}"})
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [info.key for info in store.ls()] == [KEY]
    assert list(store.tmp.iterdir()) == []


def test_ls_and_gc(tmp_path):
    store = Store(tmp_path)
    store.put_frames(KEY, frames(2), {"kind": "keyframe", "job": "s1/keyframe/0", "shot": "s1"})
    with store.writing(OTHER, {"kind": "shot", "job": "s1/shot", "shot": "s1"}) as work:
        (work / "clip.mp4").write_bytes(b"c" * 1000)
    listing = {info.key: info for info in store.ls()}
    assert set(listing) == {KEY, OTHER}
    assert listing[OTHER].kind == "shot" and listing[OTHER].bytes > 1000
    assert listing[KEY].job == "s1/keyframe/0"
    result = store.gc({KEY})
    assert (result.removed, result.kept) == (1, 1)
    assert result.removed_bytes == listing[OTHER].bytes
    assert store.has(KEY) and not store.has(OTHER)
    assert list(store.tmp.iterdir()) == []


def test_bad_keys_are_refused(tmp_path):
    with pytest.raises(ValueError, match="not an artifact key"):
        Store(tmp_path).has("../../etc")
