"""diff(old, new) names what changed: top-level fields, entities, scenes and shots."""

from __future__ import annotations

import copy

from storyboard import diff, validate


def edited(storyboard_dict, change) -> tuple:
    old = validate(storyboard_dict)
    data = copy.deepcopy(storyboard_dict)
    change(data)
    return old, validate(data)


def test_no_change_is_an_empty_diff(storyboard, storyboard_dict):
    result = diff(storyboard, validate(storyboard_dict))
    assert not result
    assert result.summary() == []
    assert str(result) == "no changes"


def test_a_changed_prompt_names_that_shot(storyboard_dict):
    def change(data):
        data["scenes"][0]["shots"][1]["keyframes"][1]["prompt"] = "the owl dives"

    result = diff(*edited(storyboard_dict, change))
    assert result
    assert result.shots_changed == {"s2": ["keyframes"]}
    assert result.entities_changed == {} and result.scenes_changed == {} and result.fields == []
    assert not result.shots_reordered
    assert result.summary() == ["shot s2: keyframes changed"]


def test_a_changed_duration_and_narration(storyboard_dict):
    def change(data):
        data["scenes"][1]["shots"][0]["duration"] = 6.0
        data["scenes"][1]["shots"][0]["narration"] = "And then she flew."

    result = diff(*edited(storyboard_dict, change))
    assert result.shots_changed == {"s3": ["duration", "narration"]}


def test_a_changed_appearance_names_the_entity(storyboard_dict):
    def change(data):
        data["entities"][1]["appearance"] = "a white snowy owl"

    result = diff(*edited(storyboard_dict, change))
    assert result.entities_changed == {"owl": ["appearance"]}
    assert result.shots_changed == {}
    assert "entity owl: appearance changed" in result.summary()


def test_entities_added_and_removed(storyboard_dict):
    def change(data):
        data["entities"].append({"id": "moon", "name": "Moon", "kind": "object",
                                 "appearance": "a full moon", "color": "#eeeeaa"})

    old, new = edited(storyboard_dict, change)
    assert diff(old, new).entities_added == ["moon"]
    assert diff(new, old).entities_removed == ["moon"]


def test_style_and_format_changes(storyboard_dict):
    def change(data):
        data["style"]["prompt"] = "pencil sketch"
        data["format"]["fps"] = 12

    result = diff(*edited(storyboard_dict, change))
    assert result.fields == ["style", "format"]
    assert result.summary()[:2] == ["style changed", "format changed"]
    assert result.shots_changed == {}


def test_title_and_seed_changes(storyboard_dict):
    def change(data):
        data["title"] = "Fox Flight"
        data["seed"] = 8

    assert diff(*edited(storyboard_dict, change)).fields == ["title", "seed"]


def test_a_shot_added(storyboard_dict):
    def change(data):
        extra = copy.deepcopy(data["scenes"][1]["shots"][0])
        extra["id"] = "s4"
        extra["transition"] = "cut"
        data["scenes"][1]["shots"].append(extra)

    result = diff(*edited(storyboard_dict, change))
    assert result.shots_added == ["s4"]
    assert result.shots_removed == [] and not result.shots_reordered
    assert "shot s4 added" in result.summary()


def test_a_shot_removed(storyboard_dict):
    def change(data):
        del data["scenes"][0]["shots"][1]

    result = diff(*edited(storyboard_dict, change))
    assert result.shots_removed == ["s2"]
    assert result.shots_added == [] and result.shots_changed == {}
    assert not result.shots_reordered


def test_shots_reordered(storyboard_dict):
    def change(data):
        shots = data["scenes"][0]["shots"]
        shots.reverse()

    result = diff(*edited(storyboard_dict, change))
    assert result.shots_reordered
    assert result.shots_added == result.shots_removed == []
    assert result.shots_changed == {}
    assert "shot order changed" in result.summary()


def test_a_scene_setting_changed(storyboard_dict):
    def change(data):
        data["scenes"][1]["setting"] = "a windy hilltop"
        data["scenes"][1]["time_of_day"] = "dawn"

    result = diff(*edited(storyboard_dict, change))
    assert result.scenes_changed == {"cliff": ["setting", "time_of_day"]}
    assert result.shots_changed == {}
    assert "scene cliff: setting, time_of_day changed" in result.summary()


def test_a_shot_moved_to_another_scene_is_named(storyboard_dict):
    def change(data):
        moved = data["scenes"][0]["shots"].pop(1)
        data["scenes"][1]["shots"].insert(0, moved)

    result = diff(*edited(storyboard_dict, change))
    assert result.shots_changed == {"s2": ["scene"]}  # its setting and time of day changed
    assert not result.shots_reordered
    assert result.scenes_changed == {}  # scene fields, not their shot lists, are compared
