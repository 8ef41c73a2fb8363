"""`director revise`, `chat`, `history`, `undo` and `redo` end to end (real renders)."""

from __future__ import annotations

import io

import pytest

from director import api
from tests.animators import small_storyboard
from tests.test_cli_storyboard import run_cli


@pytest.fixture
def project(tmp_path):
    film = tmp_path / "fox.mp4"
    assert api.render(small_storyboard(), film, project=tmp_path / "fox.director",
                      progress=False, title=False).ok
    return tmp_path / "fox.director"


def test_revise_prints_the_operations_the_diff_and_the_jobs(capsys, project):
    code, out, err = run_cli(capsys, "revise", "crossfade into shot 2", "--project", project)
    assert code == 0, err
    assert "- shot s2: crossfade into it" in out
    assert "shot s2: transition changed" in out
    assert "saved storyboard version 2" in out
    assert f"film -> {project.parent / 'fox.mp4'}" in out and "run," in out
    code, out, err = run_cli(capsys, "history", "--project", project)
    assert code == 0 and "v2" in out and "'crossfade into shot 2'" in out
    code, out, err = run_cli(capsys, "undo", "-o", project.parent / "fox.mp4")
    assert code == 0, err
    assert "undo: back to version 1" in out and "every job reused" in out


def test_revise_needs_a_project_and_a_message_it_understands(capsys, project):
    code, _, err = run_cli(capsys, "revise", "cut shot 1")
    assert code == 1 and "name the film's project with --project" in err
    code, _, err = run_cli(capsys, "revise", "sing a song", "--project", project,
                           "--no-render")
    assert code == 1 and "does not understand 'sing a song'" in err
    assert len(list((project / "storyboards").glob("v*.json"))) == 1


def test_chat_turn_by_turn(capsys, monkeypatch, project):
    monkeypatch.setattr("sys.stdin", io.StringIO(
        "show\ncut the last shot\nfly away\nhistory\nundo\nredo\nquit\n"))
    code, out, err = run_cli(capsys, "chat", "--project", project, "--no-render")
    assert code == 0, err
    assert "shot 3 (s3, scene cliff): 5 s, close-up" in out
    assert "- remove shot s3" in out and "saved storyboard version 2" in out
    assert "does not understand 'fly away'" in err  # and the chat goes on
    assert "v2" in out and "'cut the last shot'" in out
    assert "undo: back to version 1" in out and "saved storyboard version 3" in out
    assert "redo: forward to version 2" in out and "saved storyboard version 4" in out
    assert [t.kind for t in api.history(project)] == ["revise", "undo", "redo"]
