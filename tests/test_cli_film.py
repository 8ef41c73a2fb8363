"""`director make` and `director render` end to end: real plans, real frames, real encodes."""

from __future__ import annotations

import json

import pytest

from director import api
from director.video import count_frames
from storyboard import film_frame_count, validate
from tests.test_cli_storyboard import run_cli


@pytest.fixture
def small_storyboard(storyboard_dict):
    """The shared two-scene storyboard at a small size and frame rate, for speed."""
    storyboard_dict["format"] = {"width": 128, "height": 72, "fps": 8}
    return validate(storyboard_dict)


@pytest.fixture
def small_file(small_storyboard, tmp_path):
    path = tmp_path / "board.json"
    api.save(small_storyboard, path)
    return path


def test_make_twice_reuses_every_job(capsys, tmp_path):
    film = tmp_path / "fox.mp4"
    code, out, err = run_cli(capsys, "make", "A fox runs to the left. An owl flies up.",
                             "-o", film)
    assert code == 0, err
    assert f"film -> {film}" in out and "every job reused" not in out
    assert film.is_file() and film.with_suffix(".srt").is_file()
    versions = sorted((tmp_path / "fox.director" / "storyboards").glob("v*.json"))
    assert [v.name for v in versions] == ["v0001.json"]
    board = api.load(versions[0])
    title_frames = round(2.0 * board.format.fps)
    assert count_frames(film) == film_frame_count(board) + title_frames

    before = film.read_bytes()
    code, out, err = run_cli(capsys, "make", "A fox runs to the left. An owl flies up.",
                             "-o", film)
    assert code == 0, err
    assert "every job reused" in out
    assert film.read_bytes() == before
    assert len(list((tmp_path / "fox.director" / "storyboards").glob("v*.json"))) == 1


def test_render_writes_the_report_and_the_exact_frames(capsys, small_file, small_storyboard,
                                                       tmp_path):
    film, report = tmp_path / "out" / "film.mp4", tmp_path / "report.json"
    code, out, err = run_cli(capsys, "render", small_file, "-o", film, "--report", report,
                             "--no-title", "--workers", "3")
    assert code == 0, err
    data = json.loads(report.read_text())
    assert data["jobs"]["total"] == data["jobs"]["run"] > 0
    assert data["jobs"]["failed"] == 0
    assert set(data["jobs"]["by_kind"]) >= {"keyframe", "interpolate", "shot", "film"}
    assert data["frames"] == film_frame_count(small_storyboard) == count_frames(film)
    assert data["output"] == str(film)
    assert (tmp_path / "out" / "film.director" / "reports").is_dir()


def test_a_revision_makes_only_the_changed_shot_again(small_storyboard, tmp_path):
    film, project = tmp_path / "film.mp4", tmp_path / "proj"
    first = api.render(small_storyboard, film, project=project, progress=False)
    assert first.ok and first.jobs.reused == 0

    data = small_storyboard.model_dump(mode="json")
    data["scenes"][1]["shots"][0]["keyframes"][0]["prompt"] = "the fox stands on the cliff"
    revised = api.render(validate(data), film, project=project, progress=False)
    assert revised.ok
    changed = {kind: stats.run for kind, stats in revised.jobs.by_kind.items()}
    assert changed["film"] == 1 and changed["shot"] == 1
    assert changed["keyframe"] == 1  # only the edited keyframe is drawn again
    assert revised.jobs.reused > revised.jobs.run
    assert len(list((project / "storyboards").glob("v*.json"))) == 2


def test_a_failed_render_keeps_the_previous_film(capsys, small_file, tmp_path):
    film = tmp_path / "film.mp4"
    assert run_cli(capsys, "render", small_file, "-o", film)[0] == 0
    good = film.read_bytes()
    noise = tmp_path / "noise.wav"
    noise.write_bytes(b"this is not audio" * 100)
    code, out, err = run_cli(capsys, "render", small_file, "-o", film, "--audio", noise)
    assert code == 1
    assert err.startswith("error: ") and err.count("\n") == 1 and "noise.wav" in err
    assert film.read_bytes() == good


@pytest.mark.parametrize("args, message", [
    (["make", "   "], "the request is empty"),
    (["render", "missing.json"], "no such file"),
    (["render", "{board}", "-o", "film.avi"], "must be an .mp4"),
    (["render", "{board}", "--audio", "missing.wav"], "no such audio file"),
    (["render", "{board}", "--animator", "sora"], "unknown animator 'sora'"),
    (["render", "{board}", "--report", "{board}/report.json"], "cannot create folder"),
])
def test_wrong_input_is_one_line(capsys, small_file, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, *[a.format(board=small_file) for a in args])
    assert code == 1
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not list(tmp_path.glob("*.mp4"))


def test_a_film_without_narration_leaves_no_old_subtitles(small_storyboard, tmp_path):
    film = tmp_path / "film.mp4"
    assert api.render(small_storyboard, film, progress=False).ok
    assert film.with_suffix(".srt").is_file()
    data = small_storyboard.model_dump(mode="json")
    for scene in data["scenes"]:
        for shot in scene["shots"]:
            shot["narration"] = ""
    assert api.render(validate(data), film, progress=False).ok
    assert not film.with_suffix(".srt").exists()


def test_make_checks_the_output_before_planning(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "make", "a fox", "-o", "fox.mkv")
    assert code == 1 and "must be an .mp4" in err
    assert "planned" not in out + err and not list(tmp_path.iterdir())


def test_workers_must_be_positive(capsys, small_file):
    code, _, err = run_cli(capsys, "render", small_file, "--workers", "0")
    assert code == 2 and "--workers" in err
