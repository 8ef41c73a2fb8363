"""The hierarchy asks for what a video model makes: 4k+1 / 8k+1 frames per call
(``Capabilities.frame_counts``), contiguous-only models (``Capabilities.sparse``)."""

from __future__ import annotations

import pytest
from animators import small_storyboard
from hypothesis import given, settings
from hypothesis import strategies as st
from test_schedule import check_plan

from animator.base import Capabilities
from animator.diffusion.frames import FrameRule, native_frames
from director.schedule import iter_jobs, levels_needed, plan_hierarchical, schedule
from storyboard.errors import UserError


def rule_counts(step: int, m: int) -> tuple[int, ...]:
    """Frame counts step*k+1 of a model making at most m in-betweens (m = step*K - 1)."""
    return tuple(range(step + 1, m + 3, step))


def contiguous(span) -> bool:
    return span.frames == tuple(range(span.ends[0] + 1, span.ends[1]))


@st.composite
def video_shots(draw):
    step = draw(st.sampled_from([4, 8]))
    m = step * draw(st.integers(1, 12)) - 1  # 4k-1 or 8k-1
    frames = draw(st.integers(2, 2500))
    inner = draw(st.sets(st.integers(1, max(1, frames - 2)), max_size=4)) if frames > 2 else ()
    return step, m, sorted({0, frames - 1, *inner})


@settings(max_examples=100, deadline=None)
@given(video_shots())
def test_frame_counts_keep_every_frame_once_at_the_least_depth(shot):
    step, m, keys = shot
    counts = rule_counts(step, m)
    spans = plan_hierarchical(keys, m, counts)
    check_plan(keys[-1] + 1, keys, spans, m)
    widest = max(b - a for a, b in zip(keys, keys[1:], strict=False))
    least = 0 if widest <= 1 else levels_needed(widest, m)
    assert max((s.level for s in spans), default=0) == least
    assert all(len(s.frames) <= counts[-1] - 2 for s in spans)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([4, 8]), st.integers(1, 12), st.integers(1, 500))
def test_gaps_on_the_step_make_every_contiguous_call_native(step, k, units):
    """A keyframe gap that is a multiple of the step (a shot of 4k+1 frames for Wan) is cut
    so that each last-level call is a count the model makes: with the film at the model's
    rate, each in-between is exactly one of the model's frames."""
    m, span = step * k - 1, step * units
    counts = rule_counts(step, m)
    rule = FrameRule(step=step, min_frames=step + 1, max_frames=m + 2, fps=16,
                     size_multiple=16)
    for job in plan_hierarchical([0, span], m, counts):
        a, b = job.ends
        if contiguous(job):
            assert b - a + 1 in counts
            plan = native_frames([f - a for f in job.frames], b - a, 16, rule, distinct=True)
            assert plan.count == b - a + 1 and plan.picks == tuple(f - a for f in job.frames)


def test_wan_81_frames_fill_a_20_second_shot_in_two_levels():
    # 480 frames at 24 fps between two keyframes, Wan FLF2V: m = 79, counts 5..81
    counts = rule_counts(4, 79)
    spans = plan_hierarchical([0, 480], 79, counts)
    top = [s for s in spans if s.level == 1]
    assert len(top) == 1 and len(top[0].frames) + 2 in counts
    gaps = [b - a for a, b in zip((0, *top[0].frames), (*top[0].frames, 480), strict=True)]
    assert all(g % 4 == 0 and g <= 80 for g in gaps)
    assert all(contiguous(s) and s.ends[1] - s.ends[0] + 1 in counts
               for s in spans if s.level == 2)


def test_ltx_8k_plus_1_counts():
    counts = rule_counts(8, 255)  # LTX: 9..257
    spans = plan_hierarchical([0, 1000], 255, counts)
    assert max(s.level for s in spans) == 2
    assert all(s.ends[1] - s.ends[0] + 1 in counts for s in spans if s.level == 2)
    assert len(spans[0].frames) + 2 in counts


def test_without_counts_the_plan_is_unchanged():
    assert plan_hierarchical([0, 1023], 15, ()) == plan_hierarchical([0, 1023], 15)


def test_contiguous_only_model_fills_short_gaps_and_refuses_long_ones():
    spans = plan_hierarchical([0, 8, 16], 7, (9,), sparse=False)
    assert [s.frames for s in spans] == [tuple(range(1, 8)), tuple(range(9, 16))]
    with pytest.raises(ValueError, match="only contiguous frames fills at most 8 apart"):
        plan_hierarchical([0, 8, 30], 7, (9,), sparse=False)


def test_schedule_follows_the_capabilities():
    board = small_storyboard()  # shots of 32, 28 and 40 frames
    caps = Capabilities(max_inbetweens=7, frame_counts=(5, 9))
    graph = schedule(board, caps)
    for job in iter_jobs(graph):
        if job.kind == "interpolate":
            assert len(job.frames) <= 7
            if job.frames != tuple(range(job.ends[0] + 1, job.ends[1])):
                # a native count, or gaps the next level makes natively (14 = 8 + 6)
                points = (job.ends[0], *job.frames, job.ends[1])
                gaps = [b - a for a, b in zip(points, points[1:], strict=False)]
                assert len(job.frames) + 2 in (5, 9) or all(g % 4 == 0 for g in gaps[:-1])
    with pytest.raises(UserError, match="shot .*add keyframes"):
        schedule(board, Capabilities(max_inbetweens=7, frame_counts=(9,), sparse=False))


def test_capabilities_check_their_counts():
    with pytest.raises(ValueError, match="more than the 9 frames"):
        Capabilities(max_inbetweens=8, frame_counts=(5, 9))
    with pytest.raises(ValueError, match="increase"):
        Capabilities(max_inbetweens=3, frame_counts=(9, 5))
