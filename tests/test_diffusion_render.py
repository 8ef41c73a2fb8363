"""`director render --animator diffusion` end to end on a tiny pipeline folder, the
[animator] settings of director.toml, `director models`, and the animatic path never
importing diffusers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from animators import small_storyboard

from director import api
from director.animator_settings import animator_settings
from director.schedule import iter_jobs, schedule
from director.store import Store
from director.video import count_frames
from storyboard import film_frame_count
from storyboard.errors import UserError
from tests.test_cli_storyboard import run_cli

ROOT = Path(__file__).parents[1]


def test_render_with_a_tiny_keyframe_folder_and_the_blend_role(capsys, tmp_path, tiny_folders):
    board = small_storyboard()
    board_file = tmp_path / "board.json"
    api.save(board, board_file)
    film, project = tmp_path / "film.mp4", tmp_path / "film.director"
    args = ("render", board_file, "-o", film, "--animator", "diffusion", "--keyframe-model",
            tiny_folders["sd"], "--steps", "2", "--device", "cpu", "--report",
            tmp_path / "report.json")
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    assert count_frames(film) == film_frame_count(board) + round(2.0 * board.format.fps)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["jobs"]["by_kind"]["reference"]["run"] == 3
    assert report["jobs"]["by_kind"]["keyframe"]["run"] == 7
    assert report["animator"]["backend"] == "diffusion"
    assert "StableDiffusionPipeline" in report["animator"]["keyframe"]
    assert "layout in the prompt words" in report["animator"]["keyframe"]
    assert report["animator"]["inbetween"].startswith("blend: a plain cross-fade")
    assert "note: inbetween: blend" in err

    # the stored keyframes are the tiny pipeline's, the in-betweens cross-fades of them
    from animator.diffusion import DiffusionAnimator

    backend = DiffusionAnimator(keyframe_model=str(tiny_folders["sd"]), steps=2, device="cpu")
    jobs = {job.id: job for job in iter_jobs(schedule(board, backend))}
    store = Store(project / "store")
    keyframe = jobs["s3/keyframe/0"]
    made = store.frame(keyframe.key, 0)
    assert np.abs(made.astype(int) - backend.keyframes(keyframe.frame_requests())[0]).max() <= 1
    inbetween = next(j for j in jobs.values() if j.kind == "interpolate" and j.shot == "s3")
    first, last = (store.frame(jobs[p].key, e) for p, e in zip(inbetween.parents,
                                                               inbetween.ends, strict=True))
    middle = inbetween.frames[len(inbetween.frames) // 2]
    w = (middle - inbetween.ends[0]) / (inbetween.ends[1] - inbetween.ends[0])
    expected = first.astype(float) + w * (last.astype(float) - first)
    assert np.abs(store.frame(inbetween.key, middle) - expected).max() <= 1

    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    assert "every job reused" in out


def test_animator_settings_come_from_flags_then_director_toml(tmp_path):
    assert animator_settings(tmp_path, None) == ("animatic", {})
    (tmp_path / "director.toml").write_text(
        'llm = "offline"\n[animator]\nname = "diffusion"\npreset = "sdxl"\nsteps = 20\n')
    assert animator_settings(tmp_path, None) == ("diffusion", {"preset": "sdxl", "steps": 20})
    assert animator_settings(tmp_path, None, {"steps": 4, "device": None}) == \
        ("diffusion", {"preset": "sdxl", "steps": 4})
    assert animator_settings(tmp_path, "animatic") == ("animatic", {})
    (tmp_path / "director.toml").write_text('[animator]\nsteps = "many"\n')
    with pytest.raises(UserError, match="steps must be a int"):
        animator_settings(tmp_path, None)
    (tmp_path / "director.toml").write_text('[animator]\ncolour = "red"\n')
    with pytest.raises(UserError, match="unknown setting"):
        animator_settings(tmp_path, None)


def test_toml_names_the_diffusion_model(tmp_path, tiny_folders):
    (tmp_path / "director.toml").write_text(
        f'llm = "offline"\n[animator]\nname = "diffusion"\n'
        f'keyframe_model = "{tiny_folders["sd"]}"\ndevice = "cpu"\n')
    backend = api.animator_for(tmp_path)
    assert backend.name == "diffusion"
    assert backend.role_fingerprints()["keyframe"]["model"] == str(tiny_folders["sd"])


def test_missing_weights_stop_a_render_before_any_job(capsys, tmp_path, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    board_file = tmp_path / "board.json"
    api.save(small_storyboard(), board_file)
    code, out, err = run_cli(capsys, "render", board_file, "-o", tmp_path / "f.mp4",
                             "--animator", "diffusion", "--preset", "sdxl", "--device", "cpu")
    assert code == 1
    assert err.count("\n") == 1 and "hf download stabilityai/stable-diffusion-xl-base-1.0" in err
    assert not (tmp_path / "f.director" / "store").exists() or \
        not list((tmp_path / "f.director" / "store" / "objects").iterdir())


def test_models_lists_presets_roles_presence_and_fetch_commands(capsys, tmp_path, monkeypatch,
                                                               tiny_folders):
    import shutil

    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    entry = tmp_path / "models--Tongyi-MAI--Z-Image-Turbo"
    (entry / "refs").mkdir(parents=True)
    (entry / "refs" / "main").write_text("c" * 40)
    shutil.copytree(tiny_folders["sd"], entry / "snapshots" / ("c" * 40))
    code, out, err = run_cli(capsys, "models")
    assert code == 0, err
    for preset in ("sd15-gligen (default)", "sd15:", "sdxl:", "z-image-turbo:"):
        assert preset in out
    zimage = out[out.index("z-image-turbo:"):]
    assert "Tongyi-MAI/Z-Image-Turbo" in zimage and "present: yes" in zimage
    assert "present: no" in out and "fetch: hf download stabilityai/stable-diffusion-xl-base" \
        in out
    assert "keyframe IP-Adapter" in out and "h94/IP-Adapter" in out


def test_render_help_says_which_presets_ground_boxes(capsys):
    code, out, _ = run_cli(capsys, "render", "--help")
    assert code == 0
    assert "--keyframe-model" in out and "--memory" in out and "prompt words" in out


def test_the_animatic_path_never_imports_diffusers(tmp_path):
    board_file = tmp_path / "board.json"
    api.save(small_storyboard(), board_file)
    code = (
        "import sys\n"
        "from director.cli import main\n"
        "try:\n"
        f"    main(['render', {str(board_file)!r}, '-o', {str(tmp_path / 'f.mp4')!r}])\n"
        "except SystemExit as end:\n"
        "    assert end.code == 0, end.code\n"
        "heavy = sorted(m for m in ('diffusers', 'transformers', 'torch') if m in sys.modules)\n"
        "assert not heavy, heavy\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "f.mp4").is_file()
