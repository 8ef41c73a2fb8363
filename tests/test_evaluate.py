"""`director eval` and director.evaluate: known answers on synthetic films, a tiny CLIP
built from a config in code (trained for a few steps where a test needs it to see), and
the animatic's own films end to end."""

from __future__ import annotations

import json
import math
import re
import shutil

import numpy as np
import pytest

from director import api
from director.evaluate import clip as clip_module
from director.evaluate import evaluate, fidelity
from director.evaluate.clip import load_clip, resolve_clip
from director.evaluate.clipsim import PromptScores
from director.evaluate.entities import crop_frames, elsewhere_box, pixel_box
from director.evaluate.frames import choose_stride, iter_batches
from director.evaluate.shots import FilmShots
from director.video import write_clip
from storyboard import validate
from storyboard.errors import UserError
from tests.conftest import make_storyboard_dict
from tests.test_cli_storyboard import run_cli
from tests.tiny_clip import save_clip, tiny_clip, train

# -- fixtures: a tiny CLIP folder, the Hugging Face cache holding it, films ------------------


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """The tiny CLIP runs as fast on one thread, and far faster on a busy machine."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def clip_folder(tmp_path_factory):
    return save_clip(tmp_path_factory.mktemp("clip") / "tiny-clip", *tiny_clip())


@pytest.fixture(scope="session")
def tiny(clip_folder):
    return load_clip(clip_folder)


@pytest.fixture
def hub_cache(tmp_path, monkeypatch):
    """An empty Hugging Face cache for this test (the machine's own is never read)."""
    from huggingface_hub import constants

    cache = tmp_path / "hub"
    cache.mkdir()
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return cache


def cache_model(cache, folder, repo="openai/clip-vit-base-patch32"):
    """Put a model folder into a Hugging Face cache the way `hf download` lays it out."""
    root = cache / f"models--{repo.replace('/', '--')}"
    revision = "0" * 40
    shutil.copytree(folder, root / "snapshots" / revision)
    (root / "refs").mkdir()
    (root / "refs" / "main").write_text(revision)


def pattern(kind: str, size=(64, 96)) -> np.ndarray:
    """Two very different pictures: a smooth colour gradient and a checkerboard."""
    h, w = size
    if kind == "gradient":
        x = np.linspace(0, 255, w, dtype=np.float32)[None, :, None]
        y = np.linspace(0, 255, h, dtype=np.float32)[:, None, None]
        return np.broadcast_to(np.concatenate([x + 0 * y, y + 0 * x, 255 - x + 0 * y], 2),
                               (h, w, 3)).astype(np.uint8)
    cells = (np.arange(h)[:, None] // 8 + np.arange(w)[None, :] // 8) % 2
    return np.repeat((cells * 255).astype(np.uint8)[:, :, None], 3, axis=2)


@pytest.fixture(scope="module")
def small_board():
    board = make_storyboard_dict()
    board["format"] = {"width": 128, "height": 72, "fps": 8}
    return validate(board)


# -- PSNR and SSIM: known answers --------------------------------------------------------------


def test_identical_frames_give_the_psnr_cap_and_ssim_1():
    frame = pattern("gradient")
    assert fidelity.psnr(frame, frame.copy()) == fidelity.PSNR_CAP_DB == 100.0
    assert fidelity.ssim(frame, frame.copy()) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("sigma", [3.0, 10.0])
def test_gaussian_noise_of_known_sigma_gives_the_expected_psnr(sigma):
    rng = np.random.default_rng(0)
    clean = np.full((256, 256, 3), 128, np.uint8)
    noisy = np.clip(np.rint(clean + rng.normal(0, sigma, clean.shape)), 0, 255).astype(np.uint8)
    # rounding to whole grey levels adds 1/12 to the noise variance (Sheppard)
    expected = 10 * math.log10(255 ** 2 / (sigma ** 2 + 1 / 12))
    assert fidelity.psnr(clean, noisy) == pytest.approx(expected, abs=0.1)
    assert fidelity.ssim(clean, noisy) < 1.0


# -- frame consistency on films with known content --------------------------------------------


def test_a_still_film_is_consistent_and_identical_to_itself(tiny, tmp_path):
    film = tmp_path / "still.mp4"
    write_clip([pattern("gradient")] * 6, film, fps=8)
    report = evaluate(film, clip=tiny, reference=film)
    assert report.figures["frame_consistency"].value == pytest.approx(1.0, abs=1e-5)
    assert report.figures["psnr"].value == 100.0
    assert report.figures["ssim"].value == pytest.approx(1.0, abs=1e-9)
    assert "against the reference" in report.figures["psnr"].definition


def test_a_cut_drops_consistency_exactly_at_the_cut(tiny, tmp_path):
    film = tmp_path / "cut.mp4"
    write_clip([pattern("gradient")] * 5 + [pattern("checker")] * 5, film, fps=8)
    report = evaluate(film, clip=tiny)
    series = report.series["frame_consistency"]
    assert series.frames == list(range(1, 10))
    values = dict(zip(series.frames, series.values, strict=True))
    others = [v for f, v in values.items() if f != 5]
    assert min(others) > 0.9999
    assert values[5] < min(others) - 0.01  # the pair (4, 5) spans the cut
    # without a storyboard the film is one shot: only the storyboard-free figures
    assert set(report.figures) == {"frame_consistency", "psnr", "ssim"}
    assert set(report.not_computed) == {"clipsim", "entity_consistency", "layout_adherence",
                                        "fvd"}
    psnr = dict(zip(report.series["psnr"].frames, report.series["psnr"].values, strict=True))
    assert min(psnr, key=psnr.get) == 5


def test_a_one_frame_film_has_nothing_to_compare(tiny, tmp_path):
    film = tmp_path / "one.mp4"
    write_clip([pattern("checker")], film, fps=8)
    report = evaluate(film, clip=tiny, html=tmp_path / "one.html")
    assert report.frames == report.frames_evaluated == 1
    assert report.figures["frame_consistency"].value is None
    assert report.figures["psnr"].details["within_shot_pairs"] == 0
    assert "No frames to show." in (tmp_path / "one.html").read_text()


# -- CLIPSIM -----------------------------------------------------------------------------------


def test_clipsim_is_higher_for_the_matching_prompt_than_for_a_shuffled_one(tmp_path):
    """A tiny CLIP trained for a few contrastive steps in this test on three colour pictures
    and their names, saved and loaded back like any model folder."""
    rng = np.random.default_rng(1)
    colours = {"red": (220, 30, 30), "green": (30, 200, 40), "blue": (30, 40, 220)}
    images = [np.clip(np.array(c, np.float32) + rng.normal(0, 12, (40, 40, 3)), 0, 255)
              .astype(np.uint8) for c in colours.values()]
    names = list(colours)
    model, tokenizer, processor = tiny_clip(seed=3)
    train(model, tokenizer, processor, images, names)
    clip = load_clip(save_clip(tmp_path / "trained", model, tokenizer, processor))
    vectors = clip.images(images)
    scores = PromptScores(clip)
    matching = scores.scores(vectors, names)
    shuffled = scores.scores(vectors, names[1:] + names[:1])
    assert matching.mean() > shuffled.mean() + 0.3
    assert (matching > shuffled).all()


# -- which shot and request each film frame shows ---------------------------------------------


def test_frames_map_to_their_shots_and_the_scheduler_requests(small_board):
    from director.assemble import title_frame_count
    from storyboard import film_frame_count

    title = title_frame_count(small_board)
    shots = FilmShots(small_board, film_frame_count(small_board) + title)
    assert shots.title_frames == title == 16
    assert shots.shot_at(title - 1) is None and shots.request(0) is None
    scene, first = small_board.shot("s1")
    start = shots.request(title)
    assert (start.shot_id, start.t) == ("s1", 0.0)
    assert start.prompt == small_board.prompt_for(scene, first.keyframes[0])
    s2 = shots.shots[1]
    assert shots.shot_at(s2.start - 1).id == "s1" and shots.shot_at(s2.start).id == "s2"
    assert shots.request(s2.start).t == 0.0
    assert shots.request(shots.shots[-1].end - 1).t == 1.0
    assert FilmShots(small_board, film_frame_count(small_board)).title_frames == 0
    with pytest.raises(UserError, match="the film has 5 frames"):
        FilmShots(small_board, 5)


# -- reading, stride, crops ---------------------------------------------------------------------


def test_frames_are_read_once_at_the_stride_in_batches(tmp_path):
    film = tmp_path / "ten.mp4"
    write_clip([np.full((16, 16, 3), 20 * i, np.uint8) for i in range(10)], film, fps=8)
    batches = list(iter_batches(film, 3, batch=2))
    assert [b.indices for b in batches] == [[0, 3], [6, 9]]
    assert [int(b.frames[k].mean() / 20 + 0.5) for b in batches for k in range(2)] == [0, 3, 6, 9]
    assert choose_stride(1800) == 1 and choose_stride(1801) == 2
    assert choose_stride(172_800) == 96 and choose_stride(50, stride=4) == 4
    with pytest.raises(UserError, match="--stride"):
        choose_stride(50, stride=0)


def test_crops_and_their_elsewhere_regions(small_board):
    assert pixel_box((0.1, 0.2, 0.3, 0.6), 100, 50) == (10, 10, 30, 30)
    assert pixel_box((0.1, 0.2, 0.12, 0.6), 100, 50) is None  # 2 px across
    assert elsewhere_box((10, 10, 30, 30), 100, 50) == (70, 10, 90, 30)
    assert elsewhere_box((30, 10, 70, 40), 100, 50) is None  # centred: nowhere else
    shots = FilmShots(small_board, 112).shots
    chosen = crop_frames(shots, 2)
    assert all(f % 2 == 0 for f in chosen)
    assert all(sum(s.start <= f < s.end for f in chosen) == 4 for s in shots)


# -- loading CLIP -------------------------------------------------------------------------------


def test_missing_clip_weights_end_in_one_line_with_the_download_command(capsys, hub_cache,
                                                                         tmp_path):
    film = tmp_path / "still.mp4"
    write_clip([pattern("gradient")] * 2, film, fps=8)
    code, out, err = run_cli(capsys, "eval", film)
    assert code == 1
    assert err.count("\n") == 1
    assert "hf download openai/clip-vit-base-patch32" in err and "Traceback" not in err
    assert not list(tmp_path.glob("*.eval.*"))


def test_only_safetensors_weights_are_loaded(tmp_path, clip_folder):
    folder = tmp_path / "pickled"
    shutil.copytree(clip_folder, folder)
    (folder / "model.safetensors").rename(folder / "pytorch_model.bin")
    with pytest.raises(UserError, match="holds no model.safetensors"):
        resolve_clip(folder)
    with pytest.raises(UserError, match="neither a folder nor"):
        resolve_clip("no-such-folder")


def test_a_model_in_the_hugging_face_cache_is_found_offline(hub_cache, clip_folder):
    cache_model(hub_cache, clip_folder)
    folder = resolve_clip(clip_module.DEFAULT_CLIP)
    assert folder.parent.parent.name == "models--openai--clip-vit-base-patch32"
    assert (folder / "model.safetensors").is_file()


# -- end to end: films made by the project ------------------------------------------------------


def test_render_eval_then_eval_with_the_project(capsys, hub_cache, clip_folder, small_board,
                                                tmp_path):
    cache_model(hub_cache, clip_folder)
    board_file = tmp_path / "board.json"
    api.save(small_board, board_file)
    film, project = tmp_path / "fox.mp4", tmp_path / "fox.director"
    code, out, err = run_cli(capsys, "render", board_file, "-o", film, "--eval")
    assert code == 0, err
    renders = sorted((project / "reports").glob("render-*.json"))
    assert len(renders) == 1
    stamp = renders[0].stem[len("render-"):]
    saved = json.loads((project / "reports" / f"eval-{stamp}.json").read_text())
    assert (project / "reports" / f"eval-{stamp}.html").is_file()
    assert saved["frames"] == 112 and saved["title_frames"] == 16

    code, out, err = run_cli(capsys, "eval", film, "--project", project, "--clip-model",
                             clip_folder, "--stride", "2", "-o", tmp_path / "e.json",
                             "--html", tmp_path / "e.html")
    assert code == 0, err
    report = json.loads((tmp_path / "e.json").read_text())
    assert report["stride"] == 2 and report["frames_evaluated"] == 56
    figures = report["figures"]
    assert set(figures) == {"frame_consistency", "clipsim", "entity_consistency",
                            "layout_adherence", "psnr", "ssim"}
    assert list(report["not_computed"]) == ["fvd"]
    for name, figure in figures.items():
        assert figure["definition"] and figure["value"] is not None, name
    assert set(figures["clipsim"]["per_shot"]) == {"s1", "s2", "s3"}
    assert figures["frame_consistency"]["details"]["boundary_pair_count"] == 2  # s1|s2, s2|s3
    assert set(figures["entity_consistency"]["details"]) == {"fox", "owl"}  # the pine: s1 only
    assert all(f >= 16 for f in report["series"]["clipsim"]["frames"])  # no title card
    assert [s["id"] for s in report["shots"]] == ["s1", "s2", "s3"]
    assert report["storyboard"].endswith("v0001.json")
    page = (tmp_path / "e.html").read_text()
    assert page.count("data:image/svg+xml;base64,") >= 5
    assert page.count("data:image/png;base64,") == len(report["lowest"]) == 12
    assert not re.search(r"""(src|href)=["']?https?:""", page)
    assert all(f">{shot}<" in page for shot in ("s1", "s2", "s3"))
    assert "clipsim: " in out and "fvd: not computed" in err


def test_render_eval_checks_the_clip_model_before_rendering(capsys, hub_cache, small_board,
                                                            tmp_path):
    board_file = tmp_path / "board.json"
    api.save(small_board, board_file)
    code, _, err = run_cli(capsys, "render", board_file, "-o", tmp_path / "f.mp4", "--eval")
    assert code == 1 and "hf download" in err
    assert not (tmp_path / "f.mp4").exists() and not (tmp_path / "f.director").exists()


def test_wrong_eval_input_is_one_line(capsys, tmp_path, clip_folder, small_board):
    film = tmp_path / "still.mp4"
    write_clip([pattern("gradient")] * 4, film, fps=8)
    short = tmp_path / "short.mp4"
    write_clip([pattern("gradient")] * 3, short, fps=8)
    board_file = tmp_path / "board.json"
    api.save(small_board, board_file)
    cases = [
        (["--storyboard", board_file], "the film has 4 frames"),
        (["--reference", short], "same length and size"),
        (["--project", tmp_path / "nowhere"], "no such project folder"),
        (["-o", tmp_path / "e.txt"], "must be a .json file"),
    ]
    for extra, message in cases:
        code, _, err = run_cli(capsys, "eval", film, "--clip-model", clip_folder, *extra)
        assert code == 1 and message in err and err.count("\n") == 1, (extra, err)
    code, _, err = run_cli(capsys, "eval", tmp_path / "none.mp4", "--clip-model", clip_folder)
    assert code == 1 and "no such film" in err


# -- FVD: only with a local I3D checkpoint --------------------------------------------------------


def test_the_frechet_distance_of_known_gaussians():
    from director.evaluate.fvd import frechet_distance

    rng = np.random.default_rng(0)
    a = rng.normal(0, 1, (4000, 3))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)
    shift = np.array([3.0, 0.0, 4.0])
    assert frechet_distance(a, a + shift) == pytest.approx(25.0, abs=1e-6)  # |shift|^2
    # one dimension: (mu1 - mu2)^2 + (sigma1 - sigma2)^2
    x = rng.normal(0, 1, (20000, 1))
    assert frechet_distance(x, 3 * x + 1) == pytest.approx(1 + 4, rel=0.02)


@pytest.mark.filterwarnings("ignore:Matrix is singular")  # 2 clips: a rank-1 covariance
def test_fvd_is_measured_with_a_local_i3d_checkpoint_and_zero_against_itself(
        tiny, tmp_path, monkeypatch):
    import torch
    from safetensors.torch import save_file

    from director.evaluate import fvd
    from director.evaluate.i3d import I3D

    torch.manual_seed(0)
    weights = tmp_path / "i3d.safetensors"
    save_file(I3D().state_dict(), weights)
    film = tmp_path / "film.mp4"
    write_clip([np.roll(pattern("gradient"), 3 * i, axis=1) for i in range(32)], film, fps=8)
    monkeypatch.setattr(fvd, "SIZE", 32)  # I3D's own 224x224 is slow on a CPU
    report = evaluate(film, clip=tiny, reference=film, fvd_model=weights)
    assert report.figures["fvd"].value == pytest.approx(0.0, abs=1e-6)
    assert report.figures["fvd"].details == {"clips": 2, "clip_frames": 16}
    assert "fvd" not in report.not_computed


def test_fvd_checks_its_checkpoint_before_any_work(tiny, tmp_path):
    import torch
    from safetensors.torch import save_file

    film = tmp_path / "film.mp4"
    write_clip([pattern("gradient")] * 4, film, fps=8)
    pickled = tmp_path / "i3d.pt"
    pickled.write_bytes(b"not read")
    other = tmp_path / "other.safetensors"
    save_file({"weight": torch.zeros(2)}, other)
    with pytest.raises(UserError, match="needs --reference"):
        evaluate(film, clip=tiny, fvd_model=other)
    with pytest.raises(UserError, match=".safetensors file"):
        evaluate(film, clip=tiny, reference=film, fvd_model=pickled)
    with pytest.raises(UserError, match="does not hold I3D weights"):
        evaluate(film, clip=tiny, reference=film, fvd_model=other)
