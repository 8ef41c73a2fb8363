"""A film from tiny diffusion pipelines in every role: keyframes (tiny SD), hierarchical
in-betweens (tiny Wan FLF2V) and clips (tiny Wan TI2V), loaded by folder; each model
loads once per run, the second run reuses everything."""

from __future__ import annotations

import json

import pytest
from animators import small_storyboard

from director import api
from director.execute import execute
from director.project import Project
from director.schedule import iter_jobs, schedule
from director.video import count_frames
from storyboard import film_frame_count
from tests.test_cli_storyboard import run_cli


@pytest.fixture(scope="session")
def tiny_film_models(tmp_path_factory):
    import tiny_pipelines
    import tiny_video_pipelines as tiny

    root = tmp_path_factory.mktemp("film-models")
    return {"keyframe_model": str(tiny_pipelines.save_tiny_sd(root / "sd")),
            "inbetween_model": str(tiny.save_tiny_wan_flf2v(root / "wan-flf2v")),
            "clip_model": str(tiny.save_tiny_wan_ti2v(root / "wan-ti2v"))}


def test_a_film_made_by_tiny_pipelines_in_every_role(tiny_film_models, tmp_path):
    from animator.diffusion import DiffusionAnimator

    animator = DiffusionAnimator(**tiny_film_models, device="cpu", steps=2,
                                 video_frames=17, video_size=16)
    caps = animator.capabilities
    assert (caps.max_inbetweens, caps.clip_frames) == (15, 16)
    assert caps.frame_counts == (5, 9, 13, 17)
    assert caps.batch_sizes == {"interpolate": 1, "clip": 1}
    board = small_storyboard()  # 64x64 at 8 fps; s2's keyframes are close: clips
    graph = schedule(board, animator)
    kinds = {job.kind for job in iter_jobs(graph)}
    assert {"keyframe", "interpolate", "clip"} <= kinds
    project = Project(tmp_path / "film.director")
    report = execute(graph, animator, project, workers=2, progress=False,
                     output=tmp_path / "film.mp4")
    assert report.ok, report.failure_summary()
    by_kind = report.jobs.by_kind
    roles = report.roles
    # the reference role runs the keyframe pipeline: it loads at most once, for both roles
    # (models stay loaded for the process: another test may have loaded it already)
    assert roles["reference"].loads + roles["keyframe"].loads <= 1
    assert roles["inbetween"].loads == roles["clip"].loads == 1
    assert roles["inbetween"].calls == roles["inbetween"].jobs == by_kind["interpolate"].run
    assert roles["clip"].calls == roles["clip"].jobs == by_kind["clip"].run == 2
    assert roles["keyframe"].jobs == by_kind["keyframe"].run > 0
    made = sum(len(job.frames) for job in iter_jobs(graph)
               if job.kind in ("keyframe", "interpolate", "clip"))
    assert made == sum(len(job.frames) for job in iter_jobs(graph) if job.kind == "shot")
    assert report.frames > made  # the film: every shot frame plus the title card

    again = execute(schedule(board, animator), animator, project, workers=2, progress=False)
    assert again.ok and again.jobs.run == 0
    assert all(r.calls == 0 and r.loads == 0 for r in again.roles.values())


def test_director_render_with_tiny_folders_for_every_role(tiny_film_models, capsys, tmp_path):
    board = small_storyboard()
    board_file, film = tmp_path / "board.json", tmp_path / "film.mp4"
    api.save(board, board_file)
    args = ["render", board_file, "-o", film, "--animator", "diffusion", "--device", "cpu",
            "--steps", "2", "--video-frames", "17", "--video-size", "16",
            "--report", tmp_path / "report.json"]
    for option, folder in tiny_film_models.items():
        args += ["--" + option.replace("_", "-"), folder]
    code, _out, err = run_cli(capsys, *args)
    assert code == 0, err
    assert count_frames(film) == film_frame_count(board) + round(2.0 * board.format.fps)
    report = json.loads((tmp_path / "report.json").read_text())
    runs = {kind: stats["run"] for kind, stats in report["jobs"]["by_kind"].items()}
    assert runs["interpolate"] > 0 and runs["clip"] == 2 and runs["keyframe"] > 0
    loads = {role: stats["loads"] for role, stats in report["roles"].items()}
    # each model loads at most once (they stay loaded for the process, so a model another
    # test loaded loads no more); the reference role runs the keyframe pipeline
    assert loads["reference"] + loads["keyframe"] <= 1
    assert loads["inbetween"] <= 1 and loads["clip"] <= 1
    assert report["roles"]["inbetween"]["calls"] == runs["interpolate"]

    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    assert "every job reused" in out
