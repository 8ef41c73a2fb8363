"""The job graph: frame plans (every frame exactly once), keys, strategies, depth."""

from __future__ import annotations

import math
from collections import Counter

import networkx as nx
import pytest
from animators import SolidAnimator, small_storyboard, small_storyboard_dict
from hypothesis import given, settings
from hypothesis import strategies as st

from animator.base import Capabilities
from director.schedule import (
    iter_jobs,
    plan_autoregressive,
    plan_clips,
    plan_hierarchical,
    schedule,
    summary,
)
from storyboard import validate
from storyboard.errors import UserError
from storyboard.timing import timeline


@st.composite
def shots(draw):
    """A shot length, sorted distinct keyframe indices holding both ends, and m."""
    frames = draw(st.integers(2, 700))
    inner = draw(st.sets(st.integers(1, max(1, frames - 2)), max_size=6)) if frames > 2 else set()
    keys = sorted({0, frames - 1, *inner})
    return frames, keys, draw(st.integers(1, 20))


def check_plan(frames, keys, spans, m):
    made = Counter(f for span in spans for f in span.frames)
    assert set(made) | set(keys) == set(range(frames))  # every frame ...
    assert all(count == 1 for count in made.values())   # ... made once
    assert not set(made) & set(keys)                    # keyframes are not made again
    when = dict.fromkeys(keys, 0)
    for span in sorted(spans, key=lambda s: s.level):
        assert 1 <= len(span.frames) <= m
        assert list(span.frames) == sorted(set(span.frames))
        for end in span.ends:  # conditioned only on frames made at a lower level
            assert when[end] < span.level
        assert span.ends[0] < span.frames[0]
        if len(span.ends) == 2:
            assert span.frames[-1] < span.ends[1]
        when.update(dict.fromkeys(span.frames, span.level))


@settings(max_examples=150, deadline=None)
@given(shots())
def test_hierarchical_and_autoregressive_cover_every_frame_once(shot):
    frames, keys, m = shot
    check_plan(frames, keys, plan_hierarchical(keys, m), m)
    check_plan(frames, keys, plan_autoregressive(keys, m), m)
    check_plan(frames, keys, plan_clips(keys, m), m)


@settings(max_examples=100, deadline=None)
@given(shots())
def test_hierarchical_depth_is_the_least_possible(shot):
    """m-frame jobs conditioned on two ends multiply the frames reached by at most m + 1
    per level, so a gap of span s needs ceil(log_{m+1}(s)) levels; no more are used."""
    frames, keys, m = shot
    levels = max((s.level for s in plan_hierarchical(keys, m)), default=0)
    widest = max(b - a for a, b in zip(keys, keys[1:], strict=False))
    least = 0 if widest <= 1 else next(n for n in range(1, 40) if (m + 1) ** n >= widest)
    assert levels == least


def test_1024_frames_m15_three_levels_of_full_jobs_vs_69_windows():
    spans = plan_hierarchical([0, 1023], 15)
    assert max(s.level for s in spans) == 3
    assert [sum(s.level == n for s in spans) for n in (1, 2, 3)] == [1, 4, 64]
    assert sum(len(s.frames) == 15 for s in spans) >= 60
    assert max(s.level for s in plan_autoregressive([0, 1023], 15)) == math.ceil(1022 / 15)


def test_hierarchical_spacing_is_even():
    (span,) = [s for s in plan_hierarchical([0, 160], 15) if s.level == 1]
    assert span.frames == tuple(range(16, 160, 16))
    (span,) = plan_hierarchical([0, 16], 15)
    assert span.frames == tuple(range(1, 16))


@pytest.mark.parametrize("plan", [plan_hierarchical, plan_autoregressive, plan_clips])
def test_plans_refuse_m_below_one(plan):
    with pytest.raises(ValueError):
        plan([0, 10], 0)


# -- whole storyboards --------------------------------------------------------------------


@st.composite
def storyboards(draw):
    data = small_storyboard_dict()
    scene = data["scenes"][0]
    shot = scene["shots"][0]
    fps = data["format"]["fps"]
    frames = draw(st.integers(2, 300))
    shot["duration"] = frames / fps
    shot["transition_duration"] = min(0.5, frames // 2 / fps)  # fits in its shot
    inner = draw(st.sets(st.integers(1, max(1, frames - 2)), max_size=4)) if frames > 2 else set()
    indices = sorted({0, frames - 1, *inner})
    prompt = "a fox"
    shot["keyframes"] = [{"t": i / (frames - 1), "prompt": prompt} for i in indices]
    data["scenes"] = [scene]
    scene["shots"] = [shot]
    return validate(data), draw(st.integers(1, 17))


@settings(max_examples=40, deadline=None)
@given(storyboards(), st.sampled_from(["hierarchical", "autoregressive"]))
def test_scheduled_graph_makes_every_frame_of_every_shot_once(case, strategy):
    board, m = case
    graph = schedule(board, Capabilities(max_inbetweens=m), strategy=strategy)
    assert nx.is_directed_acyclic_graph(graph)
    for timing in timeline(board):
        jobs = [j for j in iter_jobs(graph) if j.shot == timing.shot_id]
        made = Counter(f for j in jobs if j.kind in ("keyframe", "interpolate") for f in j.frames)
        assert sorted(made) == list(range(timing.frames))
        assert set(made.values()) == {1}
        (shot_job,) = [j for j in jobs if j.kind == "shot"]
        assert shot_job.frames == tuple(range(timing.frames))
        for job in jobs:  # every end frame is made by the parent that provides it
            for parent_id, end in zip(job.parents, job.ends, strict=False):
                assert end in graph.nodes[parent_id]["job"].frames
            assert set(graph.predecessors(job.id)) == set(job.parents)


def test_graph_structure_of_the_shared_storyboard():
    board = small_storyboard()
    graph = schedule(board, Capabilities(max_inbetweens=3))
    jobs = list(iter_jobs(graph))
    kinds = Counter(j.kind for j in jobs)
    assert kinds["keyframe"] == 7 and kinds["shot"] == 3 and kinds["film"] == 1
    assert all(not j.parents for j in jobs if j.kind == "keyframe")
    film = graph.nodes["film"]["job"]
    assert film.parents == ("s1/shot", "s2/shot", "s3/shot")
    assert graph.out_degree("film") == 0
    assert summary(graph)["depth"] == nx.dag_longest_path_length(graph) + 1 == \
        graph.graph["depth"]
    assert len({j.key for j in jobs}) == len(jobs)


def test_depth_hierarchical_vs_autoregressive_on_a_long_shot():
    data = small_storyboard_dict()
    data["scenes"][0]["shots"][0]["duration"] = 1024 / 8
    board = validate(data)
    deep = schedule(board, Capabilities(max_inbetweens=15), strategy="autoregressive")
    flat = schedule(board, Capabilities(max_inbetweens=15))
    assert summary(flat)["depth"] <= 6 < summary(deep)["depth"]


# -- keys ----------------------------------------------------------------------------------


def keys_by_id(board, **options):
    graph = schedule(board, Capabilities(max_inbetweens=3), fingerprint={"a": 1}, **options)
    return {j.id: j.key for j in iter_jobs(graph)}


def test_changing_one_shot_changes_only_its_jobs_and_the_film():
    before = keys_by_id(small_storyboard())
    data = small_storyboard_dict()
    data["scenes"][0]["shots"][1]["keyframes"][1]["layout"][0]["box"] = [0.1, 0.1, 0.3, 0.3]
    after = keys_by_id(validate(data))
    changed = {job for job in before if before[job] != after[job]}
    assert "film" in changed and "s2/shot" in changed
    assert {job.split("/")[0] for job in changed} == {"s2", "film"}


def test_narration_changes_only_its_shot_job_and_the_film():
    before = keys_by_id(small_storyboard())
    data = small_storyboard_dict()
    data["scenes"][0]["shots"][0]["narration"] = "Something else."
    after = keys_by_id(validate(data))
    assert [job for job in before if before[job] != after[job]] == ["s1/shot", "film"]
    data["scenes"][0]["shots"][0]["narration"] = "  Something   else. "  # same subtitle
    assert keys_by_id(validate(data))["s1/shot"] == after["s1/shot"]


def test_a_transition_changes_the_two_shot_jobs_around_it_and_the_film():
    """The head and tail segments move: the shot jobs and the film re-run, no frame job."""
    before = keys_by_id(small_storyboard())
    data = small_storyboard_dict()
    data["scenes"][0]["shots"][1].update(transition="fade", transition_duration=0.5)
    after = keys_by_id(validate(data))
    changed = {job for job in before if before[job] != after[job]}
    assert changed == {"s1/shot", "s2/shot", "film"}
    data["scenes"][1]["shots"][0]["transition_duration"] = 0.75  # the crossfade into s3
    longer = keys_by_id(validate(data))
    assert {job for job in after if after[job] != longer[job]} == {"s2/shot", "s3/shot", "film"}


def test_style_seed_and_fingerprint_change_every_key():
    board = small_storyboard()
    before = keys_by_id(board)
    for changed in (
        keys_by_id(board.model_copy(update={"seed": 8})),
        keys_by_id(validate({**small_storyboard_dict(),
                             "style": {"prompt": "oil paint", "negative_prompt": ""}})),
        {j.id: j.key for j in iter_jobs(schedule(board, Capabilities(max_inbetweens=3),
                                                 fingerprint={"a": 2}))},
    ):
        assert not set(before.values()) & set(changed.values())


MUTATIONS = {
    "box": lambda d: d["scenes"][0]["shots"][1]["keyframes"][2]["layout"][0].update(
        box=[0.1, 0.1, 0.2, 0.2]),
    "prompt": lambda d: d["scenes"][0]["shots"][0]["keyframes"][1].update(prompt="it runs"),
    "colour": lambda d: d["entities"][1].update(color="#ffffff"),
    "appearance": lambda d: d["entities"][0].update(appearance="a white fox"),
    "setting": lambda d: d["scenes"][1].update(setting="a beach"),
    "camera": lambda d: d["scenes"][0]["shots"][1]["camera"].update(movement="pan-left"),
    "negative": lambda d: d["style"].update(negative_prompt="blur"),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_a_job_whose_frame_requests_change_gets_a_new_key(mutation):
    """Keys are made from compact inputs, not from the requests: check they see every
    change of a request."""
    caps = Capabilities(max_inbetweens=3)
    before = {j.id: j for j in iter_jobs(schedule(small_storyboard(), caps))}
    data = small_storyboard_dict()
    MUTATIONS[mutation](data)
    after = {j.id: j for j in iter_jobs(schedule(validate(data), caps))}
    changed_requests = 0
    for job_id, job in before.items():
        if job.kind not in ("keyframe", "interpolate"):
            continue
        if job.frame_requests() != after[job_id].frame_requests():
            changed_requests += 1
            assert job.key != after[job_id].key, job_id
    assert changed_requests > 0


def test_frame_requests_carry_the_interpolated_layout_and_seed():
    graph = schedule(small_storyboard(), Capabilities(max_inbetweens=3))
    job = next(j for j in iter_jobs(graph) if j.kind == "interpolate" and j.shot == "s1")
    requests = job.frame_requests()
    shot = small_storyboard().shot("s1")[1]
    for frame, request in zip(job.frames, requests, strict=True):
        assert request.t == pytest.approx(frame / 31)
        boxes = {b.entity: b.box for b in request.layout}
        assert boxes == {p.entity: p.box for p in shot.layout_at(request.t)}
        assert request.width == request.height == 64
    assert len({r.seed for r in requests}) == len(requests)
    keyframe = graph.nodes["s1/keyframe/31"]["job"].frame_requests()[0]
    assert keyframe.t == 1.0 and keyframe.caption == shot.keyframes[1].prompt
    assert "a small red fox" in keyframe.prompt and "soft watercolor" in keyframe.prompt


# -- strategies ------------------------------------------------------------------------------


def test_auto_uses_clips_where_every_gap_fits_one_clip():
    board = small_storyboard()  # gaps: s1 30, s2 13 and 12, s3 38 frames
    graph = schedule(board, Capabilities(max_inbetweens=3, clip_frames=30))
    kinds = {(j.shot, j.kind) for j in iter_jobs(graph) if j.kind in ("clip", "interpolate")}
    assert kinds == {("s1", "clip"), ("s2", "clip"), ("s3", "interpolate")}
    clip = graph.nodes["s1/clip/W1/1-30"]["job"]
    assert clip.ends == (0,) and clip.parents == ("s1/keyframe/0",)


def test_forced_clip_strategy_chains_windows():
    graph = schedule(small_storyboard(), Capabilities(max_inbetweens=3, clip_frames=8),
                     strategy="clip")
    clips = [j for j in iter_jobs(graph) if j.kind == "clip" and j.shot == "s1"]
    assert [j.frames[0] for j in clips] == [1, 9, 17, 25]
    assert graph.nodes["s1/clip/W2/9-16"]["job"].parents == ("s1/clip/W1/1-8",)


def test_bad_strategies_are_refused():
    with pytest.raises(UserError, match="unknown strategy"):
        schedule(small_storyboard(), Capabilities(max_inbetweens=3), strategy="random")
    with pytest.raises(UserError, match="clip_frames"):
        schedule(small_storyboard(), Capabilities(max_inbetweens=3), strategy="clip")


def test_schedule_takes_an_animator():
    animator = SolidAnimator(m=4)
    graph = schedule(small_storyboard(), animator)
    assert graph.graph["config"].fingerprint == animator.fingerprint()
    assert max(len(j.frames) for j in iter_jobs(graph) if j.kind == "interpolate") == 4


def test_audio_file_is_part_of_the_film_key(tmp_path):
    board, caps = small_storyboard(), Capabilities(max_inbetweens=3)
    song = tmp_path / "song.wav"
    song.write_bytes(b"one")
    first = schedule(board, caps, audio=song).nodes["film"]["job"].key
    song.write_bytes(b"two")
    second = schedule(board, caps, audio=song).nodes["film"]["job"].key
    assert len({first, second, schedule(board, caps).nodes["film"]["job"].key}) == 3
    with pytest.raises(UserError, match="cannot read the audio file"):
        schedule(board, caps, audio=tmp_path / "missing.wav")
