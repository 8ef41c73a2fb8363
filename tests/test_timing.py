"""Shot durations in whole frames: round-off carried between shots, transitions counted."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyboard import film_frame_count, round_frames, timeline, validate
from storyboard.timing import shot_frame_counts


def counts_of(board):
    """Frames of each shot of ``board`` (timing takes durations and a frame rate)."""
    return shot_frame_counts([shot.duration for _, shot in board.iter_shots()],
                             board.format.fps)


def board_of(storyboard_dict: dict, durations: list[float], fps: int = 24,
             transition: str = "cut", transition_duration: float = 0.5):
    """The fixture's first scene with one two-keyframe shot per duration."""
    data = copy.deepcopy(storyboard_dict)
    data["format"]["fps"] = fps
    template = data["scenes"][0]["shots"][0]
    shots = []
    for i, duration in enumerate(durations):
        shot = copy.deepcopy(template)
        shot.update(id=f"shot-{i}", duration=duration, transition=transition,
                    transition_duration=transition_duration)
        shots.append(shot)
    data["scenes"] = [dict(data["scenes"][0], shots=shots)]
    return validate(data)


def test_round_frames_rounds_halves_up():
    assert round_frames(2.5, 1) == 3  # not banker's rounding (round(2.5) == 2)
    assert round_frames(0.5, 1) == 1
    assert round_frames(4.02, 24) == 96  # 96.48
    assert round_frames(1 / 48, 24) == 1  # exactly half a frame


def test_twelve_shots_of_4_02_s_keep_their_round_off(storyboard_dict):
    board = board_of(storyboard_dict, [4.02] * 12, fps=24)
    counts = counts_of(board)
    assert sum(counts) == round(48.24 * 24) == 1158  # 12 x round(96.48) would give 1152
    assert set(counts) == {96, 97}
    assert film_frame_count(board) == 1158


def test_thirds_of_a_second_at_25_fps(storyboard_dict):
    board = board_of(storyboard_dict, [1 / 3] * 9, fps=25)
    counts = counts_of(board)
    assert counts == [8, 9, 8, 8, 9, 8, 8, 9, 8]
    assert sum(counts) == 75  # 3 s at 25 fps


def test_timeline_of_the_fixture(storyboard):
    spans = timeline(storyboard)
    assert [(s.shot_id, s.scene_id, s.frames, s.start, s.end) for s in spans] == [
        ("s1", "forest", 96, 0, 96),
        ("s2", "forest", 84, 96, 180),
        ("s3", "cliff", 120, 168, 288),  # a 0.5 s crossfade: starts 12 frames early
    ]
    assert [(s.transition, s.transition_frames) for s in spans] == [
        ("fade", 12), ("cut", 0), ("crossfade", 12)]
    assert film_frame_count(storyboard) == 96 + 84 + 120 - 12


def test_crossfades_overlap_and_shorten_the_film(storyboard_dict):
    cut = board_of(storyboard_dict, [2.0, 2.0, 2.0], transition="cut")
    crossfade = board_of(storyboard_dict, [2.0, 2.0, 2.0], transition="crossfade",
                         transition_duration=0.25)
    assert film_frame_count(cut) == 144
    # the first shot has nothing to overlap: two crossfades of 6 frames each
    assert film_frame_count(crossfade) == 144 - 2 * 6
    assert [s.start for s in timeline(crossfade)] == [0, 42, 84]
    assert [s.transition_frames for s in timeline(crossfade)] == [6, 6, 6]  # first: fade in
    assert counts_of(crossfade) == counts_of(cut)  # each clip keeps its frames


def test_fades_and_cuts_do_not_change_the_length(storyboard_dict):
    cut = board_of(storyboard_dict, [1.5, 2.25, 3.0], transition="cut")
    fade = board_of(storyboard_dict, [1.5, 2.25, 3.0], transition="fade",
                    transition_duration=1.0)
    assert film_frame_count(fade) == film_frame_count(cut) == round_frames(6.75, 24)
    assert [s.transition_frames for s in timeline(fade)] == [24, 24, 24]
    assert [s.transition_frames for s in timeline(cut)] == [0, 0, 0]


def test_keyframe_index_spans_first_to_last_frame(storyboard):
    s2 = timeline(storyboard)[1]
    assert s2.frames == 84
    assert [s2.keyframe_index(t) for t in (0, 0.5, 1)] == [0, 42, 83]


@st.composite
def films(draw):
    fps = draw(st.integers(min_value=1, max_value=120))
    durations = draw(st.lists(
        st.floats(min_value=2.01 / fps, max_value=20.0, allow_nan=False), min_size=1,
        max_size=25))
    return fps, durations


# board_of copies the fixture, so sharing it between examples is safe
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(films())
def test_shot_frames_always_sum_to_the_rounded_total(storyboard_dict, film):
    fps, durations = film
    board = board_of(storyboard_dict, durations, fps=fps)
    counts = counts_of(board)
    total = sum(durations)
    assert sum(counts) == round_frames(total, fps)
    assert abs(sum(counts) - total * fps) <= 0.5 + 1e-9
    # no shot drifts by more than a frame from its own duration
    assert all(abs(n - d * fps) < 1 + 1e-9 for n, d in zip(counts, durations, strict=True))
    assert all(n >= 2 for n in counts)
    assert film_frame_count(board) == sum(counts)  # all cuts


def test_head_and_tail_are_the_transition_frames_spent_inside_each_shot(storyboard_dict):
    fades = board_of(storyboard_dict, [2.0, 2.0, 2.0], transition="fade",
                     transition_duration=0.5 + 1 / 24)  # 13 frames: 7 fading in, 6 out
    assert [(s.head, s.tail) for s in timeline(fades)] == [(13, 6), (7, 6), (7, 0)]
    crossfades = board_of(storyboard_dict, [2.0, 2.0, 2.0], transition="crossfade")
    # the first shot's crossfade is a fade in from black: all 12 frames inside it
    assert [(s.head, s.tail) for s in timeline(crossfades)] == [(12, 12), (12, 12), (12, 0)]
    cuts = board_of(storyboard_dict, [2.0, 2.0], transition="cut")
    assert [(s.head, s.tail) for s in timeline(cuts)] == [(0, 0), (0, 0)]
