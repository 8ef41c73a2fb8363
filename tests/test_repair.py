"""Deterministic repairs of weak-model answers (agents.repair)."""

from __future__ import annotations

import math

import pytest

from agents.repair import (
    CAMERA_SIZES,
    FORMAT_MAX_SHOT_SECONDS,
    TRANSITIONS,
    EntityIndex,
    Repairs,
    build_entities,
    choose,
    complete_keyframes,
    entity_color,
    fit_durations,
    frame_counts,
    keyframe_times,
    min_shot_seconds,
    placements,
    relations,
    repair_box,
    shot_duration,
    slugify,
    transition_seconds,
)
from agents.schemas import EntityDraft, PlacementDraft, RelationDraft
from storyboard import Entity, Format, validate
from storyboard.timing import timeline

FMT = Format(width=640, height=360, fps=24)


@pytest.fixture
def index() -> EntityIndex:
    return EntityIndex([
        Entity(id="fox", name="Fox", appearance="a red fox"),
        Entity(id="old-oak", name="Old Oak", kind="object", appearance="a huge oak"),
    ])


def test_slugify_makes_storyboard_ids():
    assert slugify("Old Oak Tree!") == "old-oak-tree"
    assert slugify("Renée") == "renee"
    assert slugify("🦊", "entity-1") == "entity-1"


@pytest.mark.parametrize("ref, expected", [
    ("fox", "fox"), ("Fox", "fox"), ("the fox", "fox"), ("The red Fox", "fox"),
    ("old oak", "old-oak"), ("Old_Oak", "old-oak"), ("Old Oka", "old-oak"),
    ("owl", None), ("", None),
])
def test_entity_names_resolve_to_ids(index, ref, expected):
    assert index.resolve(ref) == expected


def test_build_entities_merges_repeated_names_and_keeps_ids_unique():
    repairs = Repairs()
    drafts = [EntityDraft(name="Fox", kind="animal", appearance="a red fox"),
              EntityDraft(name="the fox", appearance="another look"),
              EntityDraft(name="Fox-", kind="person", appearance="a second fox")]
    entities = build_entities(drafts, repairs)
    assert [e.id for e in entities] == ["fox", "fox-2"]
    assert entities[0].kind == "character" and entities[0].appearance == "a red fox"
    assert entities[0].color != entities[1].color
    assert "entity named twice, merged" in repairs.items


@pytest.mark.parametrize("box, expected, kind", [
    ([64, 36, 320, 180], (0.1, 0.1, 0.5, 0.5), "box in pixels divided by 640x360"),
    ([10, 20, 50, 90], (0.1, 0.2, 0.5, 0.9), "box in percent divided by 100"),
    ([-0.1, 0.2, 0.5, 1.3], (0.0, 0.2, 0.5, 1.0), "box clamped to the frame"),
    ([0.8, 0.9, 0.2, 0.1], (0.2, 0.1, 0.8, 0.9), "box corners swapped into order"),
    ([0.5, 0.5, 0.5, 0.51], (0.475, 0.48, 0.525, 0.53), "box smaller than 0.05 of the frame grown"),
])
def test_boxes_are_repaired_into_the_frame(box, expected, kind):
    repairs = Repairs()
    result = repair_box(box, FMT, repairs, "here")
    assert result == pytest.approx(expected, abs=1e-3)
    assert kind in repairs.items


def test_a_good_box_is_not_touched_and_a_broken_one_is_dropped():
    repairs = Repairs()
    assert repair_box([0.1, 0.2, 0.3, 0.4], FMT, repairs, "a") == (0.1, 0.2, 0.3, 0.4)
    assert len(repairs) == 0
    assert repair_box([0.1, 0.2, 0.3], FMT, repairs, "b") is None
    assert repair_box([0.1, math.nan, 0.3, 0.4], FMT, repairs, "c") is None
    assert len(repairs) == 2


def test_placements_map_names_drop_unknown_and_repeated(index):
    repairs = Repairs()
    drafts = [PlacementDraft(entity="The Fox", box=[64, 36, 320, 180]),
              PlacementDraft(entity="owl", box=[0.1, 0.1, 0.2, 0.2]),
              PlacementDraft(entity="fox", box=[0.5, 0.5, 0.6, 0.6])]
    result = placements(drafts, index, FMT, repairs, "kf")
    assert [(p.entity, p.box) for p in result] == [("fox", (0.1, 0.1, 0.5, 0.5))]
    assert {"entity name mapped to its id", "box of an unknown entity dropped",
            "second box of the same entity dropped"} <= set(repairs.items)


def test_relations_with_unknown_entities_are_dropped(index):
    repairs = Repairs()
    result = relations([RelationDraft(subject="Fox", predicate="under", object="old oak"),
                        RelationDraft(subject="fox", predicate="chases", object="rabbit")],
                       index, repairs, "kf")
    assert [(r.subject, r.predicate, r.object) for r in result] == [("fox", "under", "old-oak")]
    assert "relation naming an unknown entity dropped" in repairs.items


def test_camera_and_transition_words_are_mapped_or_defaulted():
    repairs = Repairs()
    assert choose("Close up", CAMERA_SIZES, "medium", repairs, "a") == "close-up"
    assert choose("wide shot", CAMERA_SIZES, "medium", repairs, "b") == "wide"
    assert choose("dissolve", TRANSITIONS, "cut", repairs, "c") == "crossfade"
    assert choose("spin", TRANSITIONS, "cut", repairs, "d") == "cut"
    assert choose("fade", TRANSITIONS, "cut", repairs, "e") == "fade"
    assert len(repairs) == 4


@pytest.mark.parametrize("value, expected", [(0, 4.0), (-3, 4.0), (math.inf, 4.0),
                                             (3600, 4.0), (0.1, 4.0), (5.5, 5.5)])
def test_impossible_durations_become_four_seconds(value, expected):
    repairs = Repairs()
    assert shot_duration(value, repairs, "d") == expected
    assert (len(repairs) == 0) == (value == 5.5)


def test_fit_durations_keeps_the_requested_length():
    fitted = fit_durations([4, 4, 8, 3.3], 600.0, [0.09] * 4)
    assert sum(fitted) == pytest.approx(600.0)
    assert fitted[2] > fitted[0]
    many = fit_durations([4.0] * 7, 10.0, [0.09] * 7)
    assert sum(many) == pytest.approx(10.0) and min(many) > 0


def test_fit_durations_never_passes_the_longest_shot_the_format_allows():
    fitted = fit_durations([4, 4, 4, 1000], 1800.0, [0.09] * 4)
    assert sum(fitted) == pytest.approx(1800.0)
    assert max(fitted) <= FORMAT_MAX_SHOT_SECONDS == 600.0
    assert fitted[3] == 600.0 and fitted[0] == fitted[1] == fitted[2]  # the rest spread
    with pytest.raises(ValueError, match="cannot fill"):
        fit_durations([4, 4], 1201.0, [0.09] * 2)


def test_fit_durations_keeps_every_shot_at_its_floor():
    fitted = fit_durations([4, 4, 4, 0.5], 1.0, [0.13, 0.09, 0.09, 0.09])
    assert sum(fitted) == pytest.approx(1.0)
    assert fitted[0] >= 0.13 and min(fitted) >= 0.09
    with pytest.raises(ValueError, match="cannot fill"):
        fit_durations([4.0] * 12, 1.0, [0.09] * 12)


@pytest.mark.parametrize("times", [(0, 1), (0, 0.5, 1), (0, 0.5, 0.53, 1), (0, 0.001, 1)])
@pytest.mark.parametrize("fps", [24, 25, 30])
def test_min_shot_seconds_gives_each_keyframe_its_own_frame_after_any_carry(times, fps):
    seconds = min_shot_seconds(times, fps)
    assert seconds * fps >= 2
    for before in (0.0, 0.013, 0.021, 0.5 / fps, 0.99 / fps):  # round-off carried in
        frames = frame_counts([before, seconds], fps)[1] if before else \
            frame_counts([seconds], fps)[0]
        indices = {round(t * (frames - 1)) for t in times}
        assert frames >= 2
        if seconds < 1.0:  # closer keyframes than a second's frames can part are dropped
            assert len(indices) == len(times)


def test_frame_counts_are_the_storyboards_own():
    durations = [0.09, 0.1, 1.02, 4.02, 0.09, 2.5]
    board = validate({"title": "t", "format": {"fps": 24}, "scenes": [
        {"id": "a", "setting": "x", "shots": [
            {"id": f"s{i}", "duration": d, "keyframes": [{"t": 0, "prompt": "x"},
                                                         {"t": 1, "prompt": "x"}]}
            for i, d in enumerate(durations)]}]})
    assert frame_counts(durations, 24) == [t.frames for t in timeline(board)]


def test_a_transition_is_at_most_a_quarter_of_the_shorter_shot_it_joins():
    assert transition_seconds(0.5, (96, 96), (4.0, 4.0), 24) == 0.5
    assert transition_seconds(0.5, (24, 96), (1.0, 4.0), 24) == 0.25
    short = transition_seconds(0.5, (9, 96), (0.37, 4.0), 24)
    assert round(short * 24 + 0.5) // 1 <= 9 // 4 and short <= 0.37 / 4
    assert transition_seconds(0.5, (2, 3), (0.09, 0.13), 24) == 0.0


def test_one_slug_and_one_colour_for_both_directors():
    import agents.offline as offline

    assert not hasattr(offline, "slug") and not hasattr(offline, "color")
    board = offline.plan_offline("Mia and Tom walk to the lighthouse.")
    assert [e.color for e in board.entities] == [entity_color(i)
                                                 for i in range(len(board.entities))]
    drafts = [EntityDraft(name=n, appearance="x") for n in ("Mia", "Tom", "Fox")]
    assert [e.color for e in build_entities(drafts, Repairs())] == [entity_color(i)
                                                                    for i in range(3)]
    assert slugify("A" * 60) == "a" * 40


def test_keyframe_times_in_seconds_are_normalised():
    repairs = Repairs()
    assert keyframe_times([0, 2, 4], 4.0, repairs, "s") == [0.0, 0.5, 1.0]
    assert "keyframe time in seconds divided by the shot duration" in repairs.items
    assert keyframe_times([-0.2, 1.0], 4.0, Repairs(), "s") == [0.0, 1.0]


def test_missing_end_keyframes_are_copied_and_same_frame_ones_dropped():
    repairs = Repairs()
    result = complete_keyframes([(0.5, "middle")], 96, "desc", repairs, "s")
    assert result == [(0.0, "middle"), (0.5, "middle"), (1.0, "middle")]
    assert {"missing keyframe at t=0 copied from the nearest",
            "missing keyframe at t=1 copied from the nearest"} <= set(repairs.items)
    crowded = complete_keyframes([(0, "a"), (0.001, "b"), (1, "c")], 48, "", Repairs(), "s")
    assert [t for t, _ in crowded] == [0, 1]
    assert complete_keyframes([], 48, "a fox", Repairs(), "s") == [(0.0, "a fox"), (1.0, "a fox")]


def test_summary_groups_repairs_by_kind():
    repairs = Repairs()
    for i in range(5):
        repairs.add("box clamped to the frame", f"shot {i}")
    assert repairs.summary() == [
        "repaired 5x: box clamped to the frame (shot 0, shot 1, shot 2, ...)"]
