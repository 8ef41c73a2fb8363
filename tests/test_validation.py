"""Every validation problem is reported with its JSON path and a message a person can act on."""

from __future__ import annotations

import pytest

from storyboard import Problem, Storyboard, StoryboardError, UserError, validate
from storyboard.validation import json_path


def problems_of(data) -> list[Problem]:
    with pytest.raises(StoryboardError) as caught:
        validate(data)
    assert caught.value.problems, "a StoryboardError lists its problems"
    return caught.value.problems


def only_problem(data) -> Problem:
    problems = problems_of(data)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def shot(data, scene: int, index: int) -> dict:
    return data["scenes"][scene]["shots"][index]


def test_the_fixture_is_valid(storyboard_dict):
    board = validate(storyboard_dict)
    assert isinstance(board, Storyboard)
    assert [s.id for _, s in board.iter_shots()] == ["s1", "s2", "s3"]


def test_json_path_of_a_pydantic_location():
    assert json_path(("scenes", 0, "shots", 1, "duration")) == "scenes[0].shots[1].duration"
    assert json_path(()) == ""


# -- boxes --------------------------------------------------------------------------------
def test_a_box_outside_the_frame(storyboard_dict):
    shot(storyboard_dict, 0, 0)["keyframes"][0]["layout"][1]["box"] = [0.5, 0.1, 1.2, 0.8]
    problem = only_problem(storyboard_dict)
    assert problem.path == "scenes[0].shots[0].keyframes[0].layout[1].box"
    assert "inside the frame" in problem.message and "not pixels" in problem.message
    assert "1.2" in problem.message


def test_a_box_in_pixels_is_explained(storyboard_dict):
    shot(storyboard_dict, 0, 0)["keyframes"][1]["layout"][0]["box"] = [10, 20, 300, 200]
    problem = only_problem(storyboard_dict)
    assert problem.path == "scenes[0].shots[0].keyframes[1].layout[0].box"
    assert "0..1" in problem.message


@pytest.mark.parametrize("box", [[0.6, 0.1, 0.5, 0.8], [0.5, 0.1, 0.5, 0.8], [0.1, 0.9, 0.5, 0.2]])
def test_a_box_with_x0_not_before_x1_or_y0_not_above_y1(storyboard_dict, box):
    shot(storyboard_dict, 0, 1)["keyframes"][2]["layout"][0]["box"] = box
    problem = only_problem(storyboard_dict)
    assert problem.path == "scenes[0].shots[1].keyframes[2].layout[0].box"
    assert "x0 < x1 and y0 < y1" in problem.message


def test_a_box_needs_four_numbers(storyboard_dict):
    shot(storyboard_dict, 0, 1)["keyframes"][0]["layout"][0]["box"] = [0.1, 0.2, 0.3]
    problem = only_problem(storyboard_dict)
    assert problem.path == "scenes[0].shots[1].keyframes[0].layout[0].box[3]"
    assert problem.message == "required field is missing"


# -- keyframe times -----------------------------------------------------------------------
def test_keyframe_times_must_increase(storyboard_dict):
    keyframes = shot(storyboard_dict, 0, 1)["keyframes"]
    keyframes[1]["t"] = 0.0
    problem = only_problem(storyboard_dict)
    assert problem.path == "scenes[0].shots[1].keyframes[1].t"
    assert "strictly increase" in problem.message and "keyframes[1].t=0.0" in problem.message


def test_keyframe_times_out_of_order(storyboard_dict):
    keyframes = shot(storyboard_dict, 0, 1)["keyframes"]
    keyframes.insert(2, {"t": 0.3, "prompt": "back in time"})
    problem = only_problem(storyboard_dict)
    assert problem.path == "scenes[0].shots[1].keyframes[2].t"
    assert "keyframes[2].t=0.3 is not after keyframes[1].t=0.5" in problem.message


def test_the_first_keyframe_must_be_at_0(storyboard_dict):
    shot(storyboard_dict, 0, 0)["keyframes"][0]["t"] = 0.1
    problem = only_problem(storyboard_dict)
    assert problem.path == "scenes[0].shots[0].keyframes[0].t"
    assert "first keyframe must be at t=0" in problem.message
    assert "rejected, not filled in" in problem.message


def test_the_last_keyframe_must_be_at_1(storyboard_dict):
    shot(storyboard_dict, 1, 0)["keyframes"][-1]["t"] = 0.9
    problem = only_problem(storyboard_dict)
    assert problem.path == "scenes[1].shots[0].keyframes[1].t"
    assert "last keyframe must be at t=1" in problem.message


def test_a_time_outside_0_1(storyboard_dict):
    shot(storyboard_dict, 0, 1)["keyframes"][1]["t"] = 1.5
    problems = problems_of(storyboard_dict)
    assert [p.path for p in problems] == ["scenes[0].shots[1].keyframes[1].t"]


def test_a_shot_needs_two_keyframes(storyboard_dict):
    shot(storyboard_dict, 0, 0)["keyframes"] = shot(storyboard_dict, 0, 0)["keyframes"][:1]
    problem = only_problem(storyboard_dict)
    assert problem.path == "scenes[0].shots[0].keyframes"
    assert "at least 2" in problem.message


def test_keyframes_on_the_same_frame(storyboard_dict):
    # s2 is 3.5 s = 84 frames at 24 fps: t=0.005 is frame 0, like t=0
    shot(storyboard_dict, 0, 1)["keyframes"][1]["t"] = 0.005
    problem = only_problem(storyboard_dict)
    assert problem.path == "scenes[0].shots[1].keyframes[1].t"
    assert "same frame (0) as keyframes[0]" in problem.message
    assert "84-frame shot" in problem.message


# -- references and ids -------------------------------------------------------------------
def test_an_unknown_entity_in_a_layout(storyboard_dict):
    shot(storyboard_dict, 0, 0)["keyframes"][1]["layout"][1]["entity"] = "wolf"
    problem = only_problem(storyboard_dict)
    assert problem.path == "scenes[0].shots[0].keyframes[1].layout[1].entity"
    assert "unknown entity 'wolf'" in problem.message
    assert "fox, owl, tree" in problem.message  # names the entities that exist


@pytest.mark.parametrize("end", ["subject", "object"])
def test_an_unknown_entity_in_a_relation(storyboard_dict, end):
    shot(storyboard_dict, 0, 0)["keyframes"][1]["relations"][1][end] = "moon"
    problem = only_problem(storyboard_dict)
    assert problem.path == f"scenes[0].shots[0].keyframes[1].relations[1].{end}"
    assert "unknown entity 'moon'" in problem.message


def test_duplicate_entity_ids(storyboard_dict):
    storyboard_dict["entities"][2]["id"] = "fox"
    for scene in storyboard_dict["scenes"]:  # keep references valid
        for s in scene["shots"]:
            for keyframe in s["keyframes"]:
                keyframe["layout"] = [p for p in keyframe["layout"] if p["entity"] != "tree"]
                for relation in keyframe.get("relations", []):
                    relation["object"] = "fox" if relation["object"] == "tree" else \
                        relation["object"]
    problem = only_problem(storyboard_dict)
    assert problem.path == "entities[2].id"
    assert "'fox' is already used by entities[0]" in problem.message


def test_duplicate_scene_ids(storyboard_dict):
    storyboard_dict["scenes"][1]["id"] = "forest"
    problem = only_problem(storyboard_dict)
    assert problem.path == "scenes[1].id"
    assert "scene id 'forest' is already used by scenes[0]" in problem.message


def test_duplicate_shot_ids_across_scenes(storyboard_dict):
    shot(storyboard_dict, 1, 0)["id"] = "s1"
    problem = only_problem(storyboard_dict)
    assert problem.path == "scenes[1].shots[0].id"
    assert "shot id 's1' is already used by scenes[0].shots[0]" in problem.message


@pytest.mark.parametrize("bad", ["Fox", "a fox", "-fox", ""])
def test_ids_are_slugs(storyboard_dict, bad):
    shot(storyboard_dict, 0, 0)["id"] = bad
    problems = problems_of(storyboard_dict)
    assert [p.path for p in problems] == ["scenes[0].shots[0].id"]


# -- durations and transitions ------------------------------------------------------------
@pytest.mark.parametrize("duration", [0, -2.5])
def test_a_non_positive_duration(storyboard_dict, duration):
    shot(storyboard_dict, 0, 1)["duration"] = duration
    problem = only_problem(storyboard_dict)
    assert problem.path == "scenes[0].shots[1].duration"
    assert "greater than 0" in problem.message


def test_a_duration_shorter_than_two_frames(storyboard_dict):
    shot(storyboard_dict, 0, 0)["duration"] = 0.05  # 1.2 frames at 24 fps
    problem = only_problem(storyboard_dict)
    assert problem.path == "scenes[0].shots[0].duration"
    assert "gives 1 frame at 24 fps" in problem.message
    assert "at least 0.11 s" in problem.message


def test_a_crossfade_longer_than_a_shot(storyboard_dict):
    shot(storyboard_dict, 1, 0)["transition_duration"] = 5.0  # 120 frames; s3 has 120
    problem = only_problem(storyboard_dict)
    assert problem.path == "scenes[1].shots[0].transition_duration"
    assert "crossfade" in problem.message and "must be shorter than this shot" in problem.message


def test_a_crossfade_longer_than_the_shot_before(storyboard_dict):
    shot(storyboard_dict, 1, 0)["transition_duration"] = 3.6  # s2 before it is 84 frames
    problem = only_problem(storyboard_dict)
    assert problem.path == "scenes[1].shots[0].transition_duration"
    assert "the one before (84 frames)" in problem.message


def test_a_long_fade_is_not_a_crossfade(storyboard_dict):
    shot(storyboard_dict, 1, 0)["transition"] = "fade"
    shot(storyboard_dict, 1, 0)["transition_duration"] = 5.0
    validate(storyboard_dict)


def test_an_unknown_transition(storyboard_dict):
    shot(storyboard_dict, 0, 1)["transition"] = "wipe"
    problem = only_problem(storyboard_dict)
    assert problem.path == "scenes[0].shots[1].transition"
    assert "'cut', 'crossfade' or 'fade'" in problem.message


# -- fields and format --------------------------------------------------------------------
def test_an_unknown_field(storyboard_dict):
    storyboard_dict["entities"][0]["colour"] = "#ff0000"
    problem = only_problem(storyboard_dict)
    assert problem.path == "entities[0].colour"
    assert "unknown field" in problem.message and "director schema" in problem.message


def test_a_missing_field(storyboard_dict):
    del storyboard_dict["scenes"][0]["setting"]
    problem = only_problem(storyboard_dict)
    assert problem.path == "scenes[0].setting"
    assert problem.message == "required field is missing"


@pytest.mark.parametrize("colour", ["red", "#fff", "e07a3f", "#e07a3g"])
def test_a_bad_colour(storyboard_dict, colour):
    storyboard_dict["entities"][1]["color"] = colour
    problem = only_problem(storyboard_dict)
    assert problem.path == "entities[1].color"
    assert "must be a colour like '#e07a3f'" in problem.message


def test_colours_are_normalised_to_lower_case(storyboard_dict):
    storyboard_dict["entities"][1]["color"] = "#3F7AE0"
    assert validate(storyboard_dict).entities[1].color == "#3f7ae0"


@pytest.mark.parametrize("field", ["width", "height"])
def test_frame_size_must_be_a_multiple_of_8(storyboard_dict, field):
    storyboard_dict["format"][field] = 650
    problem = only_problem(storyboard_dict)
    assert problem.path == f"format.{field}"
    assert "multiple of 8" in problem.message and "650" in problem.message


# -- several problems ---------------------------------------------------------------------
def test_several_field_problems_are_reported_at_once(storyboard_dict):
    storyboard_dict["format"]["width"] = 650
    storyboard_dict["entities"][0]["color"] = "red"
    shot(storyboard_dict, 0, 0)["keyframes"][0]["layout"][0]["box"] = [0.6, 0.1, 0.5, 0.8]
    shot(storyboard_dict, 1, 0)["duration"] = 0
    shot(storyboard_dict, 0, 1)["camera"]["size"] = "huge"
    paths = {p.path for p in problems_of(storyboard_dict)}
    assert paths == {
        "format.width",
        "entities[0].color",
        "scenes[0].shots[0].keyframes[0].layout[0].box",
        "scenes[1].shots[0].duration",
        "scenes[0].shots[1].camera.size",
    }


def test_several_reference_problems_are_reported_at_once(storyboard_dict):
    shot(storyboard_dict, 1, 0)["id"] = "s2"
    shot(storyboard_dict, 0, 0)["keyframes"][0]["layout"][1]["entity"] = "wolf"
    shot(storyboard_dict, 0, 0)["keyframes"][1]["relations"][0]["subject"] = "moon"
    shot(storyboard_dict, 0, 1)["duration"] = 0.05
    problems = problems_of(storyboard_dict)
    assert [p.path for p in problems] == [
        "scenes[1].shots[0].id",
        "scenes[0].shots[0].keyframes[0].layout[1].entity",
        "scenes[0].shots[0].keyframes[1].relations[0].subject",
        "scenes[0].shots[1].duration",
        # the crossfade into s3 cannot be longer than the (now 1-frame) shot before it
        "scenes[1].shots[0].transition_duration",
    ]


def test_the_error_is_one_line_that_points_to_director_validate(storyboard_dict):
    storyboard_dict["format"]["fps"] = 0
    storyboard_dict["entities"][0]["color"] = "red"
    with pytest.raises(StoryboardError) as caught:
        validate(storyboard_dict, source="film.json")
    text = str(caught.value)
    assert isinstance(caught.value, UserError)
    assert "\n" not in text
    assert text.startswith("film.json is not valid: ")
    assert "and 1 more" in text and "director validate" in text


def test_validate_accepts_a_model_and_checks_it_again(storyboard):
    assert validate(storyboard) == storyboard
    forged = storyboard.model_copy(update={"title": ""})  # model_copy does not validate
    with pytest.raises(StoryboardError) as caught:
        validate(forged)
    assert [p.path for p in caught.value.problems] == ["title"]


def test_assignment_is_validated(storyboard):
    from pydantic import ValidationError

    _, s1 = storyboard.shot("s1")
    with pytest.raises(ValidationError):
        s1.duration = -1


# -- transitions inside their shots ---------------------------------------------------------
def two_shots(first: dict, second: dict, fps: int = 24) -> dict:
    keyframes = [{"t": 0.0, "prompt": "a"}, {"t": 1.0, "prompt": "b"}]
    return {"title": "t", "format": {"fps": fps}, "scenes": [{"id": "a", "setting": "x", "shots": [
        {"id": "s0", "keyframes": keyframes, **first},
        {"id": "s1", "keyframes": keyframes, **second}]}]}


def test_a_fade_longer_than_its_shot():
    problems = problems_of(two_shots(  # 5 frames each; fades of 240 frames
        {"duration": 0.2, "transition": "fade", "transition_duration": 10},
        {"duration": 0.2, "transition": "fade", "transition_duration": 10}))
    assert [p.path for p in problems] == ["scenes[0].shots[0].transition_duration",
                                          "scenes[0].shots[1].transition_duration"]
    first, second = (p.message for p in problems)
    assert "need 360 of this shot's 5 frames" in first
    assert "240 for the 10.0 s fade into it" in first
    assert "120 for the next shot's 10.0 s fade" in first
    assert "need 120 of this shot's 5 frames" in second and "shorten" in second


def test_the_first_shots_crossfade_is_a_fade_in_that_must_fit():
    problem = only_problem(two_shots(
        {"duration": 0.5, "transition": "crossfade", "transition_duration": 0.75},
        {"duration": 2.0}))
    assert problem.path == "scenes[0].shots[0].transition_duration"
    assert "need 18 of this shot's 12 frames" in problem.message


def test_a_shot_shorter_than_its_two_crossfades():
    data = two_shots({"duration": 1.0}, {"duration": 0.42, "transition": "crossfade",
                                         "transition_duration": 0.375})
    data["scenes"][0]["shots"].append(
        {"id": "s2", "duration": 1.0, "transition": "crossfade", "transition_duration": 0.375,
         "keyframes": [{"t": 0.0, "prompt": "a"}, {"t": 1.0, "prompt": "b"}]})
    problem = only_problem(data)  # 10 frames; each crossfade 9
    assert problem.path == "scenes[0].shots[1].transition_duration"
    assert "need 18 of this shot's 10 frames" in problem.message
    assert "9 for the 0.375 s crossfade into it and 9 for the next shot's" in problem.message


def test_transitions_that_just_fit_are_valid():
    data = two_shots({"duration": 0.5, "transition": "fade", "transition_duration": 0.375},
                     {"duration": 0.5, "transition": "fade", "transition_duration": 0.25})
    assert validate(data)  # 12 frames: 9 fading in + 3 fading out; then 3 in


def test_a_shot_of_one_frame():
    # 0.06 s is 1.5 frames at 25 fps: rounded on its own (nothing carried), 2 frames; 0.05 s
    # is 1.25: 1 frame
    assert validate(two_shots({"duration": 0.36 + 0.1}, {"duration": 0.06}, fps=25))
    data = two_shots({"duration": 0.36 + 0.1}, {"duration": 0.05}, fps=25)
    problem = only_problem(data)
    assert problem.path == "scenes[0].shots[1].duration"
    assert "gives 1 frame at 25 fps" in problem.message and "at least 0.1 s" in problem.message


# -- an entity placed twice, references behind field errors, slugs ---------------------------
def test_an_entity_placed_twice_in_one_keyframe(storyboard_dict):
    layout = shot(storyboard_dict, 0, 0)["keyframes"][0]["layout"]
    layout.append({"entity": "fox", "box": [0.5, 0.5, 0.9, 0.9]})
    problem = only_problem(storyboard_dict)
    assert problem.path == f"scenes[0].shots[0].keyframes[0].layout[{len(layout) - 1}].entity"
    assert "'fox' is already placed by layout[1]" in problem.message


def test_reference_problems_are_listed_beside_field_errors(storyboard_dict):
    storyboard_dict["format"]["width"] = 650
    shot(storyboard_dict, 1, 0)["id"] = "s2"
    shot(storyboard_dict, 0, 0)["keyframes"][0]["layout"][1]["entity"] = "wolf"
    layout = shot(storyboard_dict, 0, 1)["keyframes"][0]["layout"]
    layout.append(dict(layout[0]))
    assert [p.path for p in problems_of(storyboard_dict)] == [
        "format.width",
        "scenes[1].shots[0].id",
        "scenes[0].shots[0].keyframes[0].layout[1].entity",
        "scenes[0].shots[1].keyframes[0].layout[1].entity",
    ]


@pytest.mark.parametrize("damage", [
    lambda d: d.update(scenes="forest"),
    lambda d: d["scenes"][0].update(shots=[None, 3, "s"]),
    lambda d: d["scenes"][0]["shots"][0].update(keyframes={"t": 0}),
    lambda d: d["scenes"][0]["shots"][0]["keyframes"][0].update(layout=[None, {"entity": 3}]),
    lambda d: d["scenes"][0]["shots"][0]["keyframes"][0].update(relations=[[], {}]),
    lambda d: d.update(entities=[{"id": ["fox"]}, "owl"]),
])
def test_malformed_data_still_gives_a_list_of_problems(storyboard_dict, damage):
    damage(storyboard_dict)
    assert problems_of(storyboard_dict)


@pytest.mark.parametrize("value", ["Fox 1", "-fox", "fox!"])
def test_an_id_that_is_not_a_slug_is_explained(storyboard_dict, value):
    storyboard_dict["entities"][0]["id"] = value
    problems = problems_of(storyboard_dict)
    assert problems[0].path == "entities[0].id"
    assert problems[0].message == (
        f"must be a slug: lowercase letters, digits, '-' and '_'; starts with a letter or"
        f" digit; got {value!r}")
    assert "pattern" not in problems[0].message
