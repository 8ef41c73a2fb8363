"""The in-between and clip roles on tiny video pipelines, loaded back from folders."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pytest

from animator.base import ClipRequest, FrameRequest, InbetweenRequest, Interrupted
from animator.diffusion.config import RoleConfig
from animator.diffusion.steps import StepGuard
from storyboard.errors import UserError

FILM = 64  # the film's frames are 64x64; the tiny models work at 16 (Wan) or 32 (LTX)
OPTIONS = MappingProxyType({"max_sequence_length": 16})


@pytest.fixture(scope="session")
def video_folders(tmp_path_factory):
    """Every tiny video pipeline, saved once as a folder."""
    import tiny_video_pipelines as tiny

    root = tmp_path_factory.mktemp("video-models")
    return {
        "wan-flf2v": tiny.save_tiny_wan_flf2v(root / "wan-flf2v"),
        "wan-vace": tiny.save_tiny_wan_vace(root / "wan-vace"),
        "ltx": tiny.save_tiny_ltx(root / "ltx"),
        "wan-ti2v": tiny.save_tiny_wan_ti2v(root / "wan-ti2v"),
        "cogvideox": tiny.save_tiny_cogvideox_i2v(root / "cogvideox", size=32),
    }


def role_config(folder, **changes) -> RoleConfig:
    native = 32 if "ltx" in folder.name or "cogvideox" in folder.name else 16
    return RoleConfig(model=str(folder), steps=2, guidance=1.0, native=native, max_frames=9,
                      call_options=OPTIONS).replace(**changes)


def make_role(kind: str, folder, guard: StepGuard | None = None, **changes):
    from animator.diffusion.clip import ClipRole
    from animator.diffusion.inbetween import InbetweenRole
    from animator.diffusion.loading import resolve
    from animator.diffusion.role import Placement

    cls = InbetweenRole if kind == "inbetween" else ClipRole
    config = role_config(folder, **changes)
    return cls(config, resolve(config.model, kind),
               Placement("cpu", "float32", "full", guard or StepGuard()))


def frame_request(i: int, prompt: str = "the fox flies over the moon") -> FrameRequest:
    return FrameRequest(shot_id="s1", t=min(1.0, i / 20), prompt=prompt, width=FILM,
                        height=FILM, seed=7)


def picture(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    return np.kron(base, np.ones((8, 8, 1), np.uint8))  # 64x64 blocks


def inbetween_request(first, last, asked=(1, 2, 3), span=4, fps=16.0):
    return InbetweenRequest(first=first, last=last, frames=tuple(map(frame_request, asked)),
                            offsets=(*asked, span), fps=fps)


def check_follows_its_ends(make):
    """``make(first, last)`` -> frames (floats straight from the model, or uint8): another
    first frame, another last frame, or the two swapped, give other frames (tiny random
    models respond weakly, so any difference counts: the same inputs give bit-identical
    output, see the direct-call test)."""
    a, b, c = picture(1), picture(2), picture(3)
    out = np.asarray(make(a, b), np.float64)
    for first, last in ((b, a), (c, b), (a, c)):
        assert np.abs(np.asarray(make(first, last), np.float64) - out).max() > 0, \
            "the frames do not depend on both end frames"


@pytest.mark.parametrize("model", ["wan-flf2v", "wan-vace", "ltx"])
def test_inbetweens_are_conditioned_on_both_end_frames(video_folders, model):
    role = make_role("inbetween", video_folders[model])
    assert role.max_inbetweens == 7 and role.frame_counts == (5, 9)
    [frames] = role([inbetween_request(picture(1), picture(2))])
    assert len(frames) == 3 and all(f.dtype == np.uint8 and f.shape == (FILM, FILM, 3)
                                    for f in frames)

    def make(first, last):
        video, plan = role.native_video(inbetween_request(first, last))
        assert video.shape[0] == plan.count == 5
        return video[1:-1]  # the in-betweens as the model made them

    check_follows_its_ends(make)


def test_an_animator_ignoring_its_end_frames_fails_the_check():
    def ignores_ends(first, last):
        return [picture(9)] * 3

    def ignores_last(first, last):
        return [first // 2] * 3

    for make in (ignores_ends, ignores_last):
        with pytest.raises(AssertionError, match="both end frames"):
            check_follows_its_ends(make)


def test_inbetween_role_equals_a_direct_pipeline_call_on_the_mapped_frames(video_folders):
    """Sparse frames at 8 fps on a 16 fps model: the role makes the covering native
    frames and returns the picked ones, exactly as the pipeline makes them."""
    import torch
    from diffusers import DiffusionPipeline

    from animator.diffusion.frames import native_frames, to_film, to_model

    role = make_role("inbetween", video_folders["wan-flf2v"])
    first, last = picture(1), picture(2)
    request = inbetween_request(first, last, asked=(1, 3), span=4, fps=8.0)
    [frames] = role([request])
    plan = native_frames((1, 3), 4, 8.0, role.rule, distinct=True)
    assert plan.count == 9 and plan.picks == (2, 6)
    pipe = DiffusionPipeline.from_pretrained(video_folders["wan-flf2v"], use_safetensors=True,
                                             local_files_only=True, dtype=torch.float32)
    pipe.set_progress_bar_config(disable=True)
    video = pipe(image=to_model(first, (16, 16)), last_image=to_model(last, (16, 16)),
                 prompt=request.frames[1].prompt, height=16, width=16, num_frames=9,
                 num_inference_steps=2, guidance_scale=1.0, max_sequence_length=16,
                 generator=torch.Generator("cpu").manual_seed(7), output_type="np").frames[0]
    expected = to_film(video, plan.picks, (FILM, FILM))
    assert len(frames) == 2
    for got, want in zip(frames, expected, strict=True):
        assert np.abs(got.astype(int) - want.astype(int)).max() <= 1


def test_each_request_is_one_pipeline_call(video_folders):
    role = make_role("inbetween", video_folders["wan-flf2v"])
    before = role.usage().calls
    out = role([inbetween_request(picture(1), picture(2)),
                inbetween_request(picture(2), picture(3), asked=(1,), span=2)])
    assert [len(f) for f in out] == [3, 1]
    assert role.usage().calls - before == 2


def test_a_call_stops_between_denoising_steps_and_the_next_one_runs(video_folders):
    steps: list[int] = []

    class InterruptsAfterFirstStep(StepGuard):
        def callback(self, on_step=None):
            def record(step):
                steps.append(step)
                if step == 0:
                    self.interrupt()
            return super().callback(record)

    guard = InterruptsAfterFirstStep()
    role = make_role("inbetween", video_folders["wan-flf2v"], guard, steps=6)
    with pytest.raises(Interrupted, match="after denoising step 1"):
        role([inbetween_request(picture(1), picture(2))])
    assert steps == [0]  # ended within the step the interrupt came in

    plain = make_role("inbetween", video_folders["wan-flf2v"], StepGuard(), steps=2)
    assert len(plain([inbetween_request(picture(1), picture(2))])[0]) == 3


@pytest.mark.parametrize("model", ["wan-ti2v", "cogvideox", "ltx"])
def test_clips_start_from_their_first_frame(video_folders, model):
    role = make_role("clip", video_folders[model])
    assert role.clip_frames == 8

    def request(first):
        return ClipRequest(first=first, frames=tuple(map(frame_request, range(1, 17))),
                           fps=24.0)

    [frames] = role([request(picture(1))])
    assert len(frames) == 16 and all(f.shape == (FILM, FILM, 3) for f in frames)
    video, _ = role.native_video(request(picture(1)))
    assert np.abs(role.native_video(request(picture(2)))[0] - video).max() > 0


def test_a_window_without_a_first_frame_starts_from_text(video_folders):
    request = ClipRequest(first=None, frames=tuple(map(frame_request, range(1, 9))), fps=16.0)
    [frames] = make_role("clip", video_folders["wan-ti2v"])([request])
    assert len(frames) == 8
    with pytest.raises(ValueError, match="needs a first frame"):
        make_role("clip", video_folders["cogvideox"])([request])


def test_models_in_the_wrong_role_are_refused_before_work(video_folders):
    with pytest.raises(UserError, match="ignores the last frame"):
        make_role("inbetween", video_folders["wan-ti2v"])
    with pytest.raises(UserError, match="needs a last frame"):
        make_role("clip", video_folders["wan-flf2v"])
    with pytest.raises(UserError, match="needs one of"):
        make_role("inbetween", video_folders["cogvideox"])
    with pytest.raises(UserError, match="4k\\+1 frames"):
        make_role("inbetween", video_folders["wan-flf2v"], max_frames=8)
