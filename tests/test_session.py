"""Chat sessions through the Python API: versions, history, undo and redo, re-rendering
only what changed (a real project folder, the animatic, real encodes)."""

from __future__ import annotations

import json

import pytest

from director import api
from director.session import Session
from storyboard.errors import UserError
from tests.animators import small_storyboard


@pytest.fixture
def made(tmp_path):
    """A rendered film of the small three-shot storyboard: (film path, project folder)."""
    film = tmp_path / "fox.mp4"
    project = tmp_path / "fox.director"
    report = api.render(small_storyboard(), film, project=project, progress=False,
                        title=False)
    assert report.ok
    return film, project


def test_revise_saves_a_version_a_turn_and_renders_only_what_changed(made):
    film, project = made
    before = film.stat().st_mtime_ns
    revision = api.revise(project, "make the owl white, cut shot 3", progress=False)
    assert revision.version == 2
    assert revision.described == [
        "entity owl: appearance 'a white barn owl with round amber eyes', color '#f2f2f2'",
        "remove shot s3"]
    assert "entity owl: appearance, color changed" in revision.diff
    assert "shot s3 removed" in revision.diff
    board = api.load(project / "storyboards" / "v0002.json")
    assert [s.id for _, s in board.iter_shots()] == ["s1", "s2"]
    assert board.entity_map["owl"].color == "#f2f2f2"
    # the owl shows in s1 and s2, so their frames are made again; s3's are gone
    assert revision.report.ok and revision.report.output == str(film)
    assert film.stat().st_mtime_ns != before  # the remembered film path got the new cut
    assert revision.report.jobs.run > 0
    turns = api.history(project)
    assert [(t.version, t.message, t.reviser, t.kind, t.base) for t in turns] == [
        (2, "make the owl white, cut shot 3", "offline", "revise", 1)]
    assert turns[0].operations[1] == {"op": "remove_shot", "shot": "s3"}
    assert turns[0].report["run"] == revision.report.jobs.run


def test_undo_is_a_new_version_equal_to_the_old_one_and_remakes_nothing(made):
    film, project = made
    api.revise(project, "cut the last shot", progress=False)
    undone = api.undo(project, progress=False)
    assert undone.version == 3
    files = sorted(p.name for p in (project / "storyboards").glob("v*.json"))
    assert files == ["v0001.json", "v0002.json", "v0003.json"]
    assert json.loads((project / "storyboards/v0003.json").read_text()) == json.loads(
        (project / "storyboards/v0001.json").read_text())
    assert undone.report.jobs.run == 0  # every job reused
    assert "shot s3 added" in undone.diff
    redone = api.redo(project, progress=False)
    assert redone.version == 4 and redone.report.jobs.run == 0
    assert [s.id for _, s in redone.storyboard.iter_shots()] == ["s1", "s2"]
    with pytest.raises(UserError, match="nothing to redo"):
        api.redo(project, render=False)
    assert [t.kind for t in api.history(project)] == ["revise", "undo", "redo"]


def test_restore_goes_back_to_any_version_without_rendering(made):
    _, project = made
    session = Session(project, render=False)
    session.send("make shot 1 six seconds long")
    session.send("swap shots 2 and 3")
    restored = session.restore(1)
    assert restored.report is None and restored.version == 4
    assert session.storyboard == api.load(project / "storyboards" / "v0001.json")
    assert session.undo().version == 5
    assert [s.id for _, s in session.storyboard.iter_shots()] == ["s1", "s3", "s2"]


def test_a_message_it_cannot_map_changes_nothing(made):
    _, project = made
    with pytest.raises(UserError, match="does not understand 'fly to the moon'.*cut shot 3"):
        api.revise(project, "fly to the moon", progress=False)
    with pytest.raises(UserError, match=r"operation 1 \(set_duration\): seconds 0.1 would"):
        api.revise(project, "make shot 2 0.1 seconds long", progress=False)
    assert [p.name for p in (project / "storyboards").glob("v*.json")] == ["v0001.json"]
    assert api.history(project) == []
    with pytest.raises(UserError, match="nothing to undo"):
        api.undo(project)


def test_a_project_without_a_film_says_what_to_do(tmp_path):
    with pytest.raises(UserError, match="holds no storyboard yet: make the film first"):
        api.revise(tmp_path / "empty.director", "cut shot 1", render=False)
