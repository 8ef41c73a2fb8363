"""Frame rules and the mapping from a film's frames to a video model's native frames."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from animator.diffusion.frames import (
    FrameRule,
    native_frames,
    to_film,
    to_model,
    working_size,
)
from director.schedule import _between

WAN = FrameRule(step=4, min_frames=5, max_frames=81, fps=16, size_multiple=16)
LTX = FrameRule(step=8, min_frames=9, max_frames=257, fps=None, size_multiple=32)
COGVIDEOX = FrameRule(step=4, min_frames=5, max_frames=49, fps=8, size_multiple=16)


def test_rule_counts_and_fit():
    assert WAN.counts[:3] == (5, 9, 13) and WAN.counts[-1] == 81 and len(WAN.counts) == 20
    assert [WAN.fit(n) for n in (1, 5, 6, 9, 10, 80, 81, 200)] == [5, 5, 9, 9, 13, 81, 81, 81]
    assert [LTX.fit(n) for n in (2, 10, 17, 18, 300)] == [9, 17, 17, 25, 257]
    with pytest.raises(ValueError, match="4k\\+1"):
        FrameRule(step=4, min_frames=5, max_frames=80, fps=16, size_multiple=16)


def test_contiguous_gap_on_native_counts_is_exact():
    # 8 film frames apart at 16 fps on Wan (16 fps): the model's 9 frames are the film's
    plan = native_frames(range(1, 8), 8, 16, WAN, distinct=True)
    assert plan.count == 9 and plan.picks == tuple(range(1, 8))


def test_film_faster_than_the_model_makes_denser_inbetweens_not_repeats():
    # 24 fps film, Wan at 16: one second is 17 frames at the model's rate, but 23 frames
    # asked need their own model frames: 25 frames (6*4+1), each film frame one of them
    plan = native_frames(range(1, 24), 24, 24, WAN, distinct=True)
    assert plan.count == 25 and plan.picks == tuple(range(1, 24))


def test_film_slower_than_the_model_keeps_the_model_rate():
    # 8 fps film, Wan at 16: 2 film frames apart is 4 model intervals; the frame asked
    # for sits exactly on model frame 2 of 5
    plan = native_frames([1], 2, 8, WAN, distinct=True)
    assert plan.count == 5 and plan.picks == (2,)


def test_gap_off_the_native_counts_takes_the_nearest_model_frame():
    # 9 in-betweens across 10 frames: 11 frames are not 4k+1, so 13 are made
    asked = tuple(range(1, 10))
    plan = native_frames(asked, 10, 16, WAN, distinct=True)
    assert plan.count == 13
    step = 10 / (plan.count - 1)  # film frames per model frame
    assert len(set(plan.picks)) == len(asked)
    assert all(abs(p * step - a) <= step / 2 + 1e-9 for p, a in zip(plan.picks, asked,
                                                                   strict=True))
    assert plan.picks == (1, 2, 4, 5, 6, 7, 8, 10, 11)


def test_sparse_level_on_a_long_gap_uses_the_largest_count():
    # an upper level: 23 frames every 10th across 10 s at 24 fps; 161 frames at 16 fps
    # would be the model's rate, 81 is its most: frame 10*j is model frame round(10j/3)
    asked = tuple(range(10, 240, 10))
    plan = native_frames(asked, 240, 24, WAN, distinct=True)
    assert plan.count == 81
    assert plan.picks == tuple(round(a * 80 / 240) for a in asked)


def test_uneven_full_call_stays_distinct_and_in_order():
    # 79 frames spread unevenly over 100 (spacing 1 or 2) with at most 81 model frames:
    # the nearest picks would collide, so they are moved to 1..79
    asked = _between(0, 100, 79)
    plan = native_frames(asked, 100, 24, WAN, distinct=True)
    assert plan.count == 81 and plan.picks == tuple(range(1, 80))


def test_clip_keeps_the_model_rate_and_repeats_frames():
    # CogVideoX at 8 fps, one second of a 24 fps film: 9 model frames, each shown 3 times
    plan = native_frames(range(1, 25), 24, 24, COGVIDEOX, distinct=False)
    assert plan.count == 9 and len(plan.picks) == 24
    assert plan.picks == tuple(max(1, round(a / 3)) for a in range(1, 25))
    assert plan.picks[-1] == 8


def test_model_taking_the_film_rate_maps_one_to_one():
    plan = native_frames(range(1, 17), 16, 25, LTX, distinct=False)
    assert plan.count == 17 and plan.picks == tuple(range(1, 17))


def test_bad_asks_are_refused():
    with pytest.raises(ValueError, match="at most 79"):
        native_frames(range(1, 81), 81, 24, WAN, distinct=True)
    with pytest.raises(ValueError, match="increase within 1..9"):
        native_frames([3, 2], 10, 24, WAN, distinct=True)
    with pytest.raises(ValueError, match="increase within 1..9"):
        native_frames([10], 10, 24, WAN, distinct=True)  # the last end frame is given
    with pytest.raises(ValueError, match="at least one"):
        native_frames([], 10, 24, WAN, distinct=True)


@st.composite
def calls(draw):
    rule = draw(st.sampled_from([WAN, LTX, COGVIDEOX]))
    span = draw(st.integers(2, 600))
    room = min(span - 1, rule.max_frames - 2)
    count = draw(st.integers(1, room))
    asked = _between(0, span, count) if span - count > 1 else tuple(range(1, span))
    return rule, span, asked, draw(st.sampled_from([8, 12, 16, 24, 25, 30, 60]))


@settings(max_examples=300, deadline=None)
@given(calls())
def test_every_inbetween_gets_its_own_model_frame_of_an_allowed_count(call):
    rule, span, asked, fps = call
    plan = native_frames(asked, span, fps, rule, distinct=True)
    assert plan.count in rule.counts
    assert len(plan.picks) == len(asked)
    assert list(plan.picks) == sorted(set(plan.picks))
    assert plan.picks[0] >= 1 and plan.picks[-1] <= plan.count - 2
    step = span / (plan.count - 1)
    closest = min(np.diff((0, *asked, span)))
    if step <= closest:  # dense enough: each takes its nearest model frame
        assert all(abs(p * step - a) <= step / 2 + 1e-9
                   for p, a in zip(plan.picks, asked, strict=True))
    else:  # the largest count, and then never a wrong order or a shared frame
        assert plan.count == rule.max_frames
    # at least the model's own rate wherever the largest count allows it
    model_fps = rule.fps or fps
    assert plan.count == rule.max_frames or (plan.count - 1) * fps >= span * model_fps - 1e-6


def test_working_size_rounds_to_the_multiple_and_caps_the_area():
    assert working_size(64, 64, 16) == (64, 64)
    assert working_size(100, 50, 32) == (96, 64)
    assert working_size(8, 8, 16) == (16, 16)
    w, h = working_size(1920, 1080, 16, 832 * 480)
    assert w % 16 == 0 and h % 16 == 0 and abs(w / h - 16 / 9) < 0.05
    assert w * h <= 832 * 480 * 1.05


def test_frames_go_to_the_model_size_and_back_to_the_film_size():
    frame = np.zeros((48, 80, 3), np.uint8)
    frame[:, 40:] = 200
    image = to_model(frame, (64, 32))
    assert image.size == (64, 32)
    video = np.stack([np.asarray(image, np.float32) / 255] * 3)
    video[2] = 1.0
    out = to_film(video, [0, 2], (80, 48))
    assert [f.shape for f in out] == [(48, 80, 3)] * 2 and out[0].dtype == np.uint8
    assert abs(int(out[0][:, 70].mean()) - 200) <= 2 and out[0][:, 5].max() <= 2
    assert (out[1] == 255).all()
