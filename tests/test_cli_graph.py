"""`director graph` and `director cache`: the job graph and the store from the command line."""

from __future__ import annotations

import json

import pytest
from animators import SolidAnimator, small_storyboard, small_storyboard_dict

from director.cli import main
from director.execute import execute
from director.project import Project
from director.schedule import schedule


def run(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


@pytest.fixture
def board_file(tmp_path):
    path = tmp_path / "storyboard.json"
    path.write_text(json.dumps(small_storyboard_dict()), encoding="utf-8")
    return path


def test_graph_json_lists_jobs_by_kind_and_level_depth_and_edges(capsys, board_file):
    code, out, _ = run(capsys, "graph", str(board_file), "--inbetweens", "3")
    assert code == 0
    data = json.loads(out)
    kinds = data["jobs"]["by_kind"]
    assert list(kinds) == ["keyframe", "interpolate", "shot", "film"]
    assert kinds["keyframe"] == {"total": 7, "levels": {"0": 7}}
    assert sum(kinds["interpolate"]["levels"].values()) == kinds["interpolate"]["total"]
    film_level = int(next(iter(kinds["film"]["levels"])))
    assert data["depth"] == film_level + 1  # the film job ends the critical path
    assert len(data["nodes"]) == data["jobs"]["total"]
    assert ["s1/shot", "film"] in data["edges"]
    made = sorted(f for n in data["nodes"] if n["shot"] == "s1" and n["kind"] != "shot"
                  for f in n["frames"])
    assert made == list(range(32))


def test_more_inbetweens_per_call_make_a_shallower_graph(capsys, board_file):
    depths = []
    for m in ("1", "3", "40"):
        code, out, _ = run(capsys, "graph", str(board_file), "-m", m)
        depths.append(json.loads(out)["depth"])
    assert depths[0] > depths[1] > depths[2] == 4  # keyframe, interpolate, shot, film


def test_graph_dot(capsys, board_file, tmp_path):
    code, out, _ = run(capsys, "graph", str(board_file), "--format", "dot", "-m", "3")
    assert code == 0
    assert out.startswith("digraph jobs {") and out.rstrip().endswith("}")
    assert '"s1/shot" -> "film";' in out
    assert '"s1/keyframe/0" [label="s1/keyframe/0\\nkeyframe L0' in out
    target = tmp_path / "jobs.dot"
    code, out, _ = run(capsys, "graph", str(board_file), "--format", "dot", "-o", str(target))
    assert code == 0 and target.read_text().startswith("digraph jobs {")


def test_graph_of_a_bad_file_is_one_line(capsys, tmp_path):
    code, out, err = run(capsys, "graph", str(tmp_path / "none.json"))
    assert code == 1 and out == ""
    assert err.strip().count("\n") == 0 and "no such file" in err


def test_cache_ls_and_gc(capsys, tmp_path):
    animator = SolidAnimator(m=3)
    project = Project(tmp_path / "p")
    graph = schedule(small_storyboard(), animator)
    assert execute(graph, animator, project, progress=False).ok
    with project.store.writing("ab" * 16, {"kind": "shot", "job": "old/shot"}) as work:
        (work / "clip.mp4").write_bytes(b"old")
    code, out, _ = run(capsys, "cache", "ls", "--project", str(tmp_path / "p"))
    assert code == 0
    assert "keyframe: 7 artifacts" in out and "film: 1 artifacts" in out
    assert f"total: {graph.number_of_nodes() + 1} artifacts" in out
    assert "old/shot" in out
    code, out, _ = run(capsys, "cache", "gc", "--project", str(tmp_path / "p"))
    assert code == 0 and out.startswith("removed 1 artifacts")
    assert f"kept {graph.number_of_nodes()}" in out
    code, out, _ = run(capsys, "cache", "ls", "--summary", "--project", str(tmp_path / "p"))
    assert "old/shot" not in out and f"total: {graph.number_of_nodes()} artifacts" in out


def test_cache_of_a_folder_that_is_no_project(capsys, tmp_path):
    code, _, err = run(capsys, "cache", "ls", "--project", str(tmp_path))
    assert code == 1 and "is not a project folder" in err
    assert not (tmp_path / "store").exists()


def test_graph_for_a_named_animator_shows_the_keys_a_render_would_store(capsys, board_file):
    from animator.registry import get_animator

    code, out, _ = run(capsys, "graph", str(board_file), "--animator", "animatic", "-m", "5")
    assert code == 0
    data = json.loads(out)
    assert data["inbetweens"] == 5
    expected = schedule(small_storyboard(), get_animator("animatic", max_inbetweens=5))
    assert {n["id"]: n["key"] for n in data["nodes"]} == \
        {n: d["job"].key for n, d in expected.nodes(data=True)}
    code, out, _ = run(capsys, "graph", str(board_file))
    assert "key" not in json.loads(out)["nodes"][0]
