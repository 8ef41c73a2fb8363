"""The offline reviser: documented phrasings to operations; anything else changes nothing."""

from __future__ import annotations

import pytest

from agents.revise_offline import revise_offline
from storyboard.edits import apply, dump
from storyboard.errors import UserError


@pytest.mark.parametrize("message, expected", [
    ("make the owl white", [{"op": "set_entity", "entity": "owl", "color": "#f2f2f2",
                             "appearance": "a white barn owl with round amber eyes"}]),
    ("give the fox a blue scarf", [{
        "op": "set_entity", "entity": "fox",
        "appearance": "a small red fox with a white-tipped tail, with a blue scarf"}]),
    ("the owl looks like a snowy owl", [{"op": "set_entity", "entity": "owl",
                                         "appearance": "a snowy owl"}]),
    ("rename the owl to Hoot", [{"op": "set_entity", "entity": "owl", "name": "Hoot"}]),
    ("remove the owl", [{"op": "remove_entity", "entity": "owl"}]),
    ("cut shot 3", [{"op": "remove_shot", "shot": "s3"}]),
    ("delete the last shot", [{"op": "remove_shot", "shot": "s3"}]),
    ("get rid of the second shot", [{"op": "remove_shot", "shot": "s2"}]),
    ("cut shot s2", [{"op": "remove_shot", "shot": "s2"}]),
    ("swap shots 2 and 3", [{"op": "swap_shots", "first": "s2", "second": "s3"}]),
    ("swap shot one with shot three", [{"op": "swap_shots", "first": "s1", "second": "s3"}]),
    ("move shot 3 after shot 1", [{"op": "move_shot", "shot": "s3", "after": "s1"}]),
    ("move shot 3 before shot 2", [{"op": "move_shot", "shot": "s3", "after": "s1"}]),
    ("move the first shot to the end", [{"op": "move_shot", "shot": "s1", "after": "s3"}]),
    ("split shot 3 in half", [{"op": "split_shot", "shot": "s3", "seconds": 2.5}]),
    ("add a shot of the fox sleeping after shot 2",
     [{"op": "add_shot", "after": "s2", "description": "the fox sleeping", "seconds": 4.0,
       "entities": ["fox"], "size": "medium", "movement": "static", "narration": ""}]),
    ("make shot 2 six seconds long", [{"op": "set_duration", "shot": "s2", "seconds": 6.0}]),
    ("shot 2 should last 2.5 s", [{"op": "set_duration", "shot": "s2", "seconds": 2.5}]),
    ("make shot 1 shorter", [{"op": "set_duration", "shot": "s1", "seconds": 3.0}]),
    ("make shot 1 two seconds longer", [{"op": "set_duration", "shot": "s1", "seconds": 6.0}]),
    ("make the film 45 seconds", [{"op": "retime_film", "seconds": 45.0}]),
    ("make the film a minute long", [{"op": "retime_film", "seconds": 60.0}]),
    ("shorter", [{"op": "retime_film", "seconds": 9.0}]),  # 12 s of film (a crossfade)
    ("shot 1 should be a close-up", [{"op": "set_camera", "shot": "s1", "size": "close-up"}]),
    ("pan left in shot 3", [{"op": "set_camera", "shot": "s3", "movement": "pan-left"}]),
    ("zoom in on the second shot", [{"op": "set_camera", "shot": "s2", "movement": "zoom-in"}]),
    ("crossfade into shot 2", [{"op": "set_transition", "shot": "s2",
                                "transition": "crossfade"}]),
    ("make the crossfade into shot 3 1 second",
     [{"op": "set_transition", "shot": "s3", "seconds": 1.0}]),
    ("put the fox on the right in shot 3",
     [{"op": "place_entity", "entity": "fox", "shot": "s3", "position": "right"}]),
    ("make the owl bigger", [{"op": "place_entity", "entity": "owl", "scale": 1.3}]),
    ("narration for shot 1: Every night, she watched. And waited.",
     [{"op": "set_narration", "shot": "s1", "text": "Every night, she watched. And waited."}]),
    ("no narration in shot 1", [{"op": "set_narration", "shot": "s1", "text": ""}]),
    ("make scene 2 happen at night", [{"op": "set_scene", "scene": "cliff",
                                       "time_of_day": "night"}]),
    ("the forest scene should happen at dawn", [{"op": "set_scene", "scene": "forest",
                                                 "time_of_day": "dawn"}]),
    ("set scene 1 in a desert", [{"op": "set_scene", "scene": "forest",
                                  "setting": "a desert"}]),
    ("make it a watercolor film", [{"op": "set_style", "prompt": "watercolor"}]),
    ("call the film The Long Night", [{"op": "set_title", "title": "The Long Night"}]),
])
def test_phrasings(storyboard, message, expected):
    ops = revise_offline(storyboard, message)
    assert dump(ops) == expected
    apply(storyboard, ops)  # and they apply


@pytest.mark.parametrize("message, expected", [
    ("make the owl white, cut shot 3", ["set_entity", "remove_shot"]),
    ("make the second shot shorter and the owl white", ["set_duration", "set_entity"]),
    ("cut shot 1 and 2", ["remove_shot", "remove_shot"]),
    ("Please swap shots 2 and 3, then crossfade into shot 2; make it night.",
     ["swap_shots", "set_transition", "set_scene", "set_scene"]),
])
def test_several_in_one_message(storyboard, message, expected):
    assert [op.op for op in revise_offline(storyboard, message)] == expected


def test_shot_numbers_count_in_the_film_the_person_saw(storyboard):
    ops = revise_offline(storyboard, "cut shot 1 and swap shots 2 and 3")
    assert dump(ops) == [{"op": "remove_shot", "shot": "s1"},
                         {"op": "swap_shots", "first": "s2", "second": "s3"}]


@pytest.mark.parametrize("message, problem", [
    ("fly to the moon", "does not understand 'fly to the moon'"),
    ("make the owl white and dance", "does not understand 'dance'"),
    ("cut shot 9", "there is no shot 9: the film has 3"),
])
def test_what_it_cannot_map_is_one_message_listing_what_it_can(storyboard, message, problem):
    with pytest.raises(UserError) as error:
        revise_offline(storyboard, message)
    assert problem in str(error.value) and "nothing was changed" in str(error.value)
    if "understand" in problem:
        assert "'cut shot 3'" in str(error.value) and "make the film 45 seconds" in str(
            error.value)
