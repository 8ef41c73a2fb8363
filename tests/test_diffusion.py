"""The diffusion animator on tiny pipelines built from configs (tests/tiny_pipelines.py),
saved with save_pretrained and loaded back through the path a user's folder takes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from animator.base import EntityBox, FrameRequest, InbetweenRequest, ReferenceRequest
from animator.diffusion.blend import BlendRole
from animator.diffusion.grounding import layout_words
from animator.diffusion.images import generation_size
from storyboard.errors import UserError

STEPS = 2


@pytest.fixture(scope="session")
def tiny_folders(tmp_path_factory) -> dict[str, Path]:
    """Tiny SD and GLIGEN pipelines and an IP-Adapter, saved once per test session."""
    import tiny_pipelines as tp

    root = tmp_path_factory.mktemp("tiny")
    return {"sd": tp.save_tiny_sd(root / "sd"),
            "gligen": tp.save_tiny_sd(root / "gligen", gligen=True),
            "ip": tp.save_tiny_ip_adapter(root / "ip", tp.tiny_sd_components()["unet"])}


def animator(folder: Path, **options):
    from animator.diffusion import DiffusionAnimator

    return DiffusionAnimator(keyframe_model=str(folder), steps=STEPS, device="cpu", **options)


def box(entity: str, xyxy, phrase: str = "") -> EntityBox:
    return EntityBox(entity=entity, name=entity.title(), kind="character",
                     phrase=phrase or f"a {entity}", color="#ffffff", box=xyxy)


def request(seed: int, prompt: str = "a red fox in the snow", layout=(), size=64):
    return FrameRequest(shot_id="s1", t=0, prompt=prompt, width=size, height=size, seed=seed,
                        layout=tuple(layout))


def diff(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.abs(a.astype(int) - b.astype(int)).max())


# -- keyframes --------------------------------------------------------------------------------


def test_keyframe_in_a_batch_equals_the_same_request_alone(tiny_folders):
    backend = animator(tiny_folders["sd"])
    batch = backend.keyframes([request(1), request(7, "an owl"), request(3)])
    alone = backend.keyframes([request(7, "an owl")])[0]
    assert batch[1].shape == (64, 64, 3) and batch[1].dtype == np.uint8
    assert diff(batch[1], alone) <= 1  # batched float rounding may flip a uint8 value by 1
    assert diff(batch[0], batch[2]) > 10  # different seeds, different frames


def test_same_seed_gives_the_same_frame_and_the_film_size(tiny_folders):
    backend = animator(tiny_folders["sd"])
    wide = FrameRequest(shot_id="s1", t=0, prompt="a fox", width=96, height=48, seed=5)
    first, second = backend.keyframes([wide]), backend.keyframes([wide])
    assert first[0].shape == (48, 96, 3)
    assert np.array_equal(first[0], second[0])


def test_loaded_folder_matches_the_pipeline_it_was_saved_from(tiny_folders):
    import tiny_pipelines as tp
    import torch

    direct = tp.tiny_sd_pipeline()
    direct.set_progress_bar_config(disable=True)
    expected = direct("a red fox in the snow", height=64, width=64, num_inference_steps=STEPS,
                      generator=torch.Generator("cpu").manual_seed(4), output_type="np").images
    frame = animator(tiny_folders["sd"]).keyframes([request(4)])[0]
    assert diff(frame, (expected[0] * 255).round().astype(np.uint8)) <= 1


def test_a_folder_is_loaded_once_per_process(tiny_folders):
    from animator.diffusion.loading import LOADS, forget_loaded

    forget_loaded()
    for _ in range(2):
        backend = animator(tiny_folders["sd"])
        backend.keyframes([request(1)])
        backend.references([ReferenceRequest(entity="fox", name="Fox", kind="character",
                                             appearance="a fox", prompt="a fox", seed=2)])
    assert sum(LOADS.values()) == 1


def test_gligen_boxes_change_the_frame_where_the_box_moves(tiny_folders):
    backend = animator(tiny_folders["gligen"])
    assert backend.role_fingerprints()["keyframe"]["grounding"] == "gligen"
    left = request(1, "a fox", [box("fox", (0.0, 0.0, 0.5, 0.5))])
    right = request(1, "a fox", [box("fox", (0.5, 0.5, 1.0, 1.0))])
    a, b, a_again = backend.keyframes([left, right, left])
    assert diff(a, b) > 0
    assert np.array_equal(a, a_again)


def test_without_box_grounding_the_layout_goes_into_the_prompt(tiny_folders):
    backend = animator(tiny_folders["sd"])
    assert "prompt words" in backend.describe()["keyframe"]
    assert layout_words([box("fox", (0.0, 0.7, 0.2, 0.95)), box("owl", (0.7, 0.0, 0.9, 0.2)),
                         box("tree", (0.4, 0.4, 0.6, 0.6))]) == \
        "a fox at the bottom left, a owl at the top right, a tree in the centre"
    a, b = backend.keyframes([request(2, "a fox", [box("fox", (0.0, 0.0, 0.3, 0.3))]),
                              request(2, "a fox", [box("fox", (0.7, 0.7, 1.0, 1.0))])])
    assert diff(a, b) > 0  # the words differ, so does the frame


def test_generation_size_keeps_the_aspect_at_the_native_area():
    assert generation_size(640, 360, 512, 8) == (680, 384)
    assert generation_size(1920, 1080, 1024, 16) == (1360, 768)
    assert generation_size(64, 64, 64, 2) == (64, 64)


# -- references -------------------------------------------------------------------------------


def portrait(entity="fox", appearance="a small red fox", image=None, seed=3):
    return ReferenceRequest(entity=entity, name=entity.title(), kind="character",
                            appearance=appearance, prompt=appearance, seed=seed, image=image)


def test_references_are_portraits_from_the_appearance_or_the_users_image(tiny_folders):
    backend = animator(tiny_folders["sd"])
    users = np.zeros((30, 50, 3), np.uint8)
    users[:, 20:30] = 255
    made, again, other, fitted = backend.references(
        [portrait(), portrait(), portrait(appearance="a grey owl"), portrait(image=users)])
    assert made.shape == (64, 64, 3) and diff(made, again) <= 1  # batch mates
    alone = backend.references([portrait()])[0]
    assert np.array_equal(alone, backend.references([portrait()])[0])
    assert diff(made, other) > 0
    assert fitted.shape == (64, 64, 3) and fitted[:, 32].min() > 200 and fitted[:, 2].max() < 30


def test_ip_adapter_conditions_keyframes_on_references_masked_per_box(tiny_folders):
    import tiny_pipelines as tp

    from animator.diffusion.config import IPAdapterConfig
    from animator.diffusion.loading import resolve_files
    from animator.diffusion.reference import IPAdapterConditioning

    backend = animator(tiny_folders["sd"])
    plain_fingerprint = backend.role_fingerprints()["keyframe"]
    adapter = IPAdapterConfig(model=str(tiny_folders["ip"]), weight_name=tp.IP_WEIGHTS,
                              scale=1.0)
    keyframe = backend.roles["keyframe"]
    keyframe.conditioning = IPAdapterConditioning(adapter, resolve_files(
        adapter.model, "keyframe IP-Adapter", (f"models/{tp.IP_WEIGHTS}", adapter.image_encoder)))
    assert backend.capabilities.keyframe_references
    assert backend.role_fingerprints()["keyframe"] != plain_fingerprint
    red, blue = np.zeros((64, 64, 3), np.uint8), np.zeros((64, 64, 3), np.uint8)
    red[..., 0], blue[..., 2] = 255, 255
    fox = request(1, "a fox", [box("fox", (0.0, 0.0, 0.5, 1.0))])
    with pytest.raises(ValueError, match="reference images of fox"):
        backend.keyframes([fox])
    as_red, as_blue = (backend.keyframes([fox], {"fox": r})[0] for r in (red, blue))
    assert diff(as_red, as_blue) > 0  # the reference steers the frame ...
    assert diff(as_red[:, 40:], as_blue[:, 40:]) < diff(as_red[:, :24], as_blue[:, :24])
    # ... mostly inside its box; an empty layout is exactly the unconditioned frame
    empty = backend.keyframes([request(1, "a fox")])[0]
    assert np.array_equal(empty, animator(tiny_folders["sd"]).keyframes([request(1, "a fox")])[0])


# -- the blend in-between role ----------------------------------------------------------------


def test_blend_cross_fades_at_each_frames_time():
    first, last = np.zeros((4, 4, 3), np.uint8), np.full((4, 4, 3), 200, np.uint8)
    frames = tuple(FrameRequest(shot_id="s", t=t, prompt="x", width=4, height=4, seed=0)
                   for t in (0.2, 0.3))
    out = BlendRole()([InbetweenRequest(first=first, last=last, frames=frames, first_t=0.0,
                                        last_t=0.4)])[0]
    assert [int(f[0, 0, 0]) for f in out] == [100, 150]
    even = BlendRole()([InbetweenRequest(first=first, last=last, frames=frames)])[0]
    assert [int(f[0, 0, 0]) for f in even] == [67, 133]


# -- fingerprints -----------------------------------------------------------------------------


def test_each_role_has_its_own_fingerprint(tiny_folders):
    a, b = animator(tiny_folders["sd"]), animator(tiny_folders["sd"], guidance=3.0)
    fa, fb = a.role_fingerprints(), b.role_fingerprints()
    assert fa["inbetween"] == fb["inbetween"] == {"model": "blend", "version": 1}
    assert fa["keyframe"] != fb["keyframe"]
    assert fa["keyframe"]["content"] and fa["keyframe"]["pipeline"] == "StableDiffusionPipeline"
    assert fa["keyframe"]["scheduler"]["_class_name"] == "DDIMScheduler"
    assert set(fa["keyframe"]["versions"]) == {"diffusers", "torch", "transformers"}


# -- loading: safe, offline, one message -------------------------------------------------------


def test_missing_hub_weights_say_what_where_how_big_and_how_to_fetch(tmp_path, monkeypatch):
    from huggingface_hub import constants

    from animator.diffusion import DiffusionAnimator

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(UserError) as caught:
        DiffusionAnimator(preset="sd15", device="cpu")
    message = str(caught.value)
    assert "\n" not in message
    for part in ("keyframe model 'stable-diffusion-v1-5/stable-diffusion-v1-5'",
                 str(tmp_path / "hub" / "models--stable-diffusion-v1-5--stable-diffusion-v1-5"),
                 "about 5.5 GB", "hf download stable-diffusion-v1-5/stable-diffusion-v1-5",
                 "--download"):
        assert part in message


def fake_hub_snapshot(hub: Path, repo: str, source: Path | None, commit: str = "a" * 40) -> Path:
    """A Hugging Face cache entry for ``repo`` holding ``source``'s files (or nothing)."""
    entry = hub / f"models--{repo.replace('/', '--')}"
    (entry / "refs").mkdir(parents=True)
    (entry / "refs" / "main").write_text(commit)
    snapshot = entry / "snapshots" / commit
    if source is not None:
        shutil.copytree(source, snapshot)
    else:
        snapshot.mkdir(parents=True)
    return snapshot


def test_a_cached_hub_snapshot_resolves_to_its_revision(tiny_folders, tmp_path, monkeypatch):
    from huggingface_hub import constants

    from animator.diffusion import DiffusionAnimator

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    snapshot = fake_hub_snapshot(tmp_path, "someone/tiny-sd", tiny_folders["sd"], "b" * 40)
    backend = DiffusionAnimator(keyframe_model="someone/tiny-sd", steps=STEPS, device="cpu")
    assert backend.role_fingerprints()["keyframe"]["revision"] == "b" * 40
    shutil.rmtree(snapshot / "unet")
    with pytest.raises(UserError, match=r"incomplete: unet/ is missing.*hf download"):
        DiffusionAnimator(keyframe_model="someone/tiny-sd", device="cpu")


def test_pickle_only_weights_are_refused(tiny_folders, tmp_path):
    folder = shutil.copytree(tiny_folders["sd"], tmp_path / "pickled")
    weights = folder / "unet" / "diffusion_pytorch_model.safetensors"
    weights.rename(folder / "unet" / "diffusion_pytorch_model.bin")
    with pytest.raises(UserError, match=r"only as pickle files .* unet/.*safetensors"):
        animator(folder)


def test_a_folder_that_is_no_pipeline_is_refused(tmp_path):
    with pytest.raises(UserError, match="missing model_index.json"):
        animator(tmp_path)
    (tmp_path / "model_index.json").write_text(json.dumps(
        {"_class_name": "StableDiffusionPipeline", "unet": ["diffusers", "UNet2DConditionModel"]}))
    with pytest.raises(UserError, match="missing unet/ is missing"):
        animator(tmp_path)


@pytest.mark.parametrize("options, message", [
    ({"device": "gpu"}, "--device must be"), ({"dtype": "float8"}, "--dtype must be"),
    ({"memory": "swap"}, "--memory must be"), ({"memory": "model-offload"}, "on the CPU"),
    ({"steps": 0}, "--steps must be"), ({"preset": "nope"}, "unknown diffusion preset"),
])
def test_bad_settings_are_one_line_before_any_work(options, message, tmp_path):
    from animator.diffusion import DiffusionAnimator

    options = {"device": "cpu", "keyframe_model": str(tmp_path), **options}
    with pytest.raises(UserError, match=message):
        DiffusionAnimator(**options)


def test_building_the_backend_imports_no_diffusers(tiny_folders):
    code = ("import sys; from animator.diffusion import DiffusionAnimator;"
            f"a = DiffusionAnimator(keyframe_model={str(tiny_folders['sd'])!r}, device='cpu');"
            "a.fingerprint(); assert 'diffusers' not in sys.modules, 'diffusers imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])
