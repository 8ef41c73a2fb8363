"""Edit operations: each one's effect, stable ids, one clear error, the JSON form."""

from __future__ import annotations

import json

import pytest

from storyboard import film_frame_count, timeline
from storyboard.edits import (
    OPERATION_NAMES,
    EditError,
    Edits,
    apply,
    operations_schema,
    parse_operations,
)


def ids(board):
    return [shot.id for _, shot in board.iter_shots()]


def one(board, **op):
    return apply(board, [op])


def test_entity_operations(storyboard):
    board = one(storyboard, op="set_entity", entity="owl", appearance="a white owl",
                color="#FFFFFF", name="Hoot")
    owl = board.entity_map["owl"]
    assert (owl.appearance, owl.color, owl.name, owl.kind) == ("a white owl", "#ffffff",
                                                              "Hoot", "character")
    board = one(storyboard, op="add_entity", name="Old Pine", appearance="a pine")
    assert board.entities[-1].id == "old-pine"
    board = one(board, op="add_entity", name="Old Pine", appearance="another pine")
    assert board.entities[-1].id == "old-pine-2"  # a new id, never an existing one
    board = one(storyboard, op="remove_entity", entity="owl")
    assert "owl" not in board.entity_map
    for _, shot in board.iter_shots():
        for keyframe in shot.keyframes:
            assert all(p.entity != "owl" for p in keyframe.layout)
            assert all("owl" not in (r.subject, r.object) for r in keyframe.relations)
    assert storyboard.entity_map["owl"].name == "Owl"  # the original is not changed


def test_shot_operations_keep_every_other_id(storyboard):
    assert ids(one(storyboard, op="remove_shot", shot="s2")) == ["s1", "s3"]
    assert ids(one(storyboard, op="move_shot", shot="s3", after=None)) == ["s3", "s1", "s2"]
    assert ids(one(storyboard, op="swap_shots", first="s1", second="s3")) == ["s3", "s2", "s1"]
    added = one(storyboard, op="add_shot", after="s1", description="the fox sleeps",
                entities=["fox"], seconds=2)
    assert ids(added) == ["s1", "s4", "s2", "s3"]
    new = added.shot("s4")[1]
    assert [k.layout[0].entity for k in new.keyframes] == ["fox", "fox"]
    assert new.duration == 2 and new.keyframes[0].prompt == "the fox sleeps"
    # removing, then inserting: the others keep their ids
    again = apply(storyboard, [{"op": "remove_shot", "shot": "s1"},
                               {"op": "add_shot", "after": None, "description": "x"}])
    assert ids(again)[1:] == ["s2", "s3"] and ids(again)[0] not in ("s2", "s3")
    # a scene left without shots goes with its last shot
    assert [s.id for s in one(storyboard, op="remove_shot", shot="s3").scenes] == ["forest"]


def test_split_keeps_the_picture_at_the_cut(storyboard):
    board = one(storyboard, op="split_shot", shot="s2", seconds=1.75)  # s2 lasts 3.5 s
    assert ids(board) == ["s1", "s2", "s4", "s3"]
    first, second = board.shot("s2")[1], board.shot("s4")[1]
    assert (first.duration, second.duration) == (1.75, 1.75)
    original = storyboard.shot("s2")[1]
    assert first.keyframes[-1].layout == second.keyframes[0].layout == original.layout_at(0.5)
    assert [k.t for k in first.keyframes] == [0.0, 1.0]
    assert second.keyframes[-1].prompt == original.keyframes[-1].prompt


@pytest.mark.parametrize("op, check", [
    ({"op": "set_duration", "shot": "s2", "seconds": 6}, lambda b: b.shot("s2")[1].duration == 6),
    ({"op": "set_camera", "shot": "s1", "size": "close-up"},
     lambda b: b.shot("s1")[1].camera.model_dump() == {"size": "close-up", "movement": "static"}),
    ({"op": "set_transition", "shot": "s2", "transition": "crossfade", "seconds": 0.25},
     lambda b: (b.shot("s2")[1].transition, b.shot("s2")[1].transition_duration)
     == ("crossfade", 0.25)),
    ({"op": "set_narration", "shot": "s2", "text": "Up she goes."},
     lambda b: b.shot("s2")[1].narration == "Up she goes."),
    ({"op": "set_description", "shot": "s2", "text": "x"},
     lambda b: b.shot("s2")[1].description == "x"),
    ({"op": "set_keyframe_prompt", "shot": "s2", "keyframe": 1, "prompt": "higher"},
     lambda b: b.shot("s2")[1].keyframes[1].prompt == "higher"),
    ({"op": "add_keyframe", "shot": "s3", "t": 0.5, "prompt": "mid-leap"},
     lambda b: [k.t for k in b.shot("s3")[1].keyframes] == [0, 0.5, 1]),
    ({"op": "remove_keyframe", "shot": "s2", "keyframe": 1},
     lambda b: [k.t for k in b.shot("s2")[1].keyframes] == [0, 1]),
    ({"op": "place_entity", "entity": "fox", "shot": "s1", "position": "right"},
     lambda b: all(p.box[0] + p.box[2] == pytest.approx(1.5) for k in b.shot("s1")[1].keyframes
                   for p in k.layout if p.entity == "fox")),
    ({"op": "place_entity", "entity": "owl", "scale": 2},
     lambda b: b.shot("s2")[1].keyframes[0].layout[0].box == pytest.approx((0.3, 0.375, 0.7,
                                                                            0.875))),
    ({"op": "set_scene", "scene": "cliff", "time_of_day": "dawn"},
     lambda b: b.scenes[1].time_of_day == "dawn"),
    ({"op": "set_style", "prompt": "watercolor"}, lambda b: b.style.prompt == "watercolor"),
    ({"op": "set_title", "title": "Night"}, lambda b: b.title == "Night"),
    ({"op": "retime_film", "seconds": 20}, lambda b: film_frame_count(b) == 20 * 24),
])
def test_each_operation_does_what_it_says(storyboard, op, check):
    assert check(one(storyboard, **op))


def test_retiming_keeps_whole_frames_and_proportions(storyboard):
    board = one(storyboard, op="retime_film", seconds=45)
    assert film_frame_count(board) == 45 * 24
    frames = [s.frames for s in timeline(board)]
    assert frames[2] > frames[0] > frames[1]  # 5 s > 4 s > 3.5 s, scaled alike


@pytest.mark.parametrize("op, message", [
    ({"op": "remove_shot", "shot": "s9"},
     "operation 1 (remove_shot): shot 's9': no such shot; shots are s1, s2, s3"),
    ({"op": "set_entity", "entity": "cat", "name": "Tom"},
     "operation 1 (set_entity): entity 'cat': no such entity; entities are fox, owl, tree"),
    ({"op": "set_duration", "shot": "s2", "seconds": 0.05},
     "operation 1 (set_duration): seconds 0.05 would make the storyboard invalid:"
     " scenes[0].shots[1].duration"),
    ({"op": "remove_keyframe", "shot": "s2", "keyframe": 0},
     "operation 1 (remove_keyframe): keyframe 0: the first and last keyframes cannot"),
    ({"op": "set_camera", "shot": "s1", "size": "huge"},
     "operation 1 (set_camera): size 'huge': Input should be"),
    ({"op": "fly", "shot": "s1"}, "operation 1 (fly): op"),
])
def test_one_clear_error_naming_operation_field_and_value(storyboard, op, message):
    with pytest.raises(EditError) as error:
        apply(storyboard, [op])
    assert str(error.value).startswith(message)


def test_the_failing_operation_is_numbered_and_nothing_is_changed(storyboard):
    before = storyboard.model_dump()
    with pytest.raises(EditError, match=r"^operation 2 \(remove_shot\): shot 's1'"):
        apply(storyboard, [{"op": "remove_shot", "shot": "s1"},
                           {"op": "remove_shot", "shot": "s1"}])
    assert storyboard.model_dump() == before


def test_the_json_form_round_trips_and_its_schema_names_every_operation(storyboard):
    ops = parse_operations({"operations": [
        {"op": "set_entity", "entity": "owl", "color": "#ffffff"},
        {"op": "swap_shots", "first": "s1", "second": "s2"}]})
    data = Edits(operations=ops).model_dump(mode="json", exclude_none=True)
    assert parse_operations(json.loads(json.dumps(data))) == ops
    schema = operations_schema()
    text = json.dumps(schema)
    assert all(f'"{name}"' in text for name in OPERATION_NAMES)
    assert len(OPERATION_NAMES) == 21
