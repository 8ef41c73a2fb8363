"""Job keys: canonical JSON, what a key depends on, stable seeds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from animator.base import Capabilities
from director import keys
from director.keys import canonical_json, digest, job_key, stable_seed


def test_canonical_json_ignores_key_order_and_tuple_vs_list():
    assert canonical_json({"b": 1, "a": (1, 2)}) == canonical_json({"a": [1, 2], "b": 1})
    assert canonical_json({"b": 1, "a": [1, 2]}) == '{"a":[1,2],"b":1}'


def test_canonical_json_turns_models_and_paths_into_json():
    caps = Capabilities(max_inbetweens=3)
    assert canonical_json(caps) == canonical_json(caps.model_dump(mode="json"))
    assert canonical_json(Path("a/b.png")) == '"a/b.png"'


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_canonical_json_refuses_non_finite_numbers(bad):
    with pytest.raises(ValueError):
        canonical_json({"x": bad})


def test_canonical_json_refuses_unknown_objects():
    with pytest.raises(TypeError, match="cannot hash a object"):
        canonical_json({"x": object()})


def test_job_key_depends_on_every_part():
    base = job_key("interpolate", {"frames": [1, 2]}, "fp", ["p1", "p2"])
    assert len(base) == keys.KEY_LENGTH
    assert base == job_key("interpolate", {"frames": [1, 2]}, "fp", ["p1", "p2"])
    variants = [
        job_key("clip", {"frames": [1, 2]}, "fp", ["p1", "p2"]),
        job_key("interpolate", {"frames": [1, 3]}, "fp", ["p1", "p2"]),
        job_key("interpolate", {"frames": [1, 2]}, "fp2", ["p1", "p2"]),
        job_key("interpolate", {"frames": [1, 2]}, "fp", ["p2", "p1"]),  # parent order
        job_key("interpolate", {"frames": [1, 2]}, "fp", ["p1"]),
    ]
    assert len({base, *variants}) == len(variants) + 1


def test_bumping_a_code_version_changes_that_kind_only(monkeypatch):
    before = {kind: job_key(kind, {}, "fp") for kind in keys.CODE_VERSION}
    monkeypatch.setitem(keys.CODE_VERSION, "shot", keys.CODE_VERSION["shot"] + 1)
    after = {kind: job_key(kind, {}, "fp") for kind in keys.CODE_VERSION}
    assert [k for k in before if before[k] != after[k]] == ["shot"]


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown job kind 'render'"):
        job_key("render", {}, "fp")


def test_digest_is_stable_across_processes_and_hash_seeds():
    code = ("from director.keys import digest, stable_seed;"
            "print(digest({'a': [1, 'x']}), stable_seed(7, 's1', 12))")
    outputs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout.split()[0:2].__repr__()
        for seed in ("1", "2")
    }
    assert outputs == {repr([digest({"a": [1, "x"]}), str(stable_seed(7, "s1", 12))])}


def test_stable_seed_range_and_sensitivity():
    seeds = {stable_seed(7, "s1", i) for i in range(200)}
    assert len(seeds) == 200
    assert all(0 <= s < 2**32 for s in seeds)
    assert stable_seed(7, "s1", 3) != stable_seed(8, "s1", 3) != stable_seed(7, "s2", 3)
