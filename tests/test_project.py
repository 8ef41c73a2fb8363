"""The project folder: storyboard versions, recorded schedules, garbage collection."""

from __future__ import annotations

import pytest
from animators import SolidAnimator, small_storyboard, small_storyboard_dict

from director.execute import execute
from director.project import Project
from director.schedule import graph_keys, schedule
from storyboard import validate
from storyboard.errors import UserError


def revised():
    data = small_storyboard_dict()
    data["scenes"][1]["shots"][0]["keyframes"][1]["prompt"] = "the fox soars"
    return validate(data)


def test_folders_are_made(tmp_path):
    project = Project(tmp_path / "film")
    for name in ("storyboards", "schedules", "store", "reports"):
        assert (tmp_path / "film" / name).is_dir()
    assert project.latest() is None and project.versions() == []


def test_a_version_is_saved_only_when_the_storyboard_changed(tmp_path):
    project = Project(tmp_path)
    board = small_storyboard()
    first, new = project.save_storyboard(board)
    assert (first.name, new) == ("v0001.json", True)
    assert project.save_storyboard(small_storyboard()) == (first, False)
    second, new = project.save_storyboard(revised())
    assert (second.name, new) == ("v0002.json", True)
    assert project.versions() == [first, second]
    assert project.latest() == revised()
    assert sorted(p.name for p in (tmp_path / "storyboards").iterdir()) == ["v0001.json",
                                                                             "v0002.json"]


def test_a_taken_version_number_is_never_overwritten(tmp_path):
    project = Project(tmp_path)
    project.save_storyboard(small_storyboard())
    (tmp_path / "storyboards" / "v0002.json").write_text("someone else's", encoding="utf-8")
    path, _ = project.save_storyboard(revised())
    assert path.name == "v0003.json"
    assert (tmp_path / "storyboards" / "v0002.json").read_text() == "someone else's"


def test_gc_keeps_what_saved_versions_reach(tmp_path):
    project, animator = Project(tmp_path), SolidAnimator(m=3)
    first = schedule(small_storyboard(), animator)
    second = schedule(revised(), animator)
    assert execute(first, animator, project, progress=False).ok
    assert execute(second, animator, project, progress=False).ok
    both = graph_keys(first) | graph_keys(second)
    assert project.reachable_keys() == both
    assert project.gc().removed == 0
    assert {info.key for info in project.store.ls()} == both

    project.versions()[0].unlink()  # forget the first version
    result = project.gc()
    assert result.removed == len(graph_keys(first) - graph_keys(second)) > 0
    assert {info.key for info in project.store.ls()} == graph_keys(second)
    report = execute(second, animator, project, progress=False)
    assert report.jobs.run == 0 and report.jobs.reused == report.jobs.total


def test_record_remembers_each_schedule_setting_once(tmp_path):
    project = Project(tmp_path)
    for m in (3, 3, 5):
        project.record(schedule(small_storyboard(), SolidAnimator(m=m)))
    assert sorted(c.capabilities.max_inbetweens for c in project.schedule_configs()) == [3, 5]
    assert len(project.versions()) == 1


def test_gc_refuses_when_nothing_records_what_is_reachable(tmp_path):
    project = Project(tmp_path / "p")
    with pytest.raises(UserError, match="gc refused"):
        project.gc()
