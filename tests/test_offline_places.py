"""The offline director follows the story: scenes where the story is, groups counted, only
things a viewer can see as entities (agents/offline/places.py, entities.py)."""

from __future__ import annotations

from agents.offline import plan_offline
from storyboard import Storyboard, validate

VILLAGE_TALE = (
    "Once upon a time, in a whole village under the mountains, a clockmaker named Ada kept a "
    "small shop full of ticking clocks. Every evening she wound the great clock in the window. "
    "One winter night the clock stopped, and the village went dark. Ada took her lantern and "
    "walked out past the last houses. She crossed the frozen river, where the ice sang under "
    "her boots. The owl led her up the hill to the observatory. Inside, an astronomer named "
    "Felix was staring at the stars through a brass telescope. Ada opened the telescope and "
    "mended its gears.")

JOURNEY = (
    "Mia wakes in her bedroom at dawn. In the kitchen her grandmother bakes bread. Mia walks to "
    "the bakery. At the market she buys three apples. Then she takes the train to the coast. "
    "At the harbour a sailor named Jon waits on the pier. They sail out across the bay. By noon "
    "the boat reaches an island. In the jungle two men guard a cave. Mia and Jon sneak into the "
    "cave. At sunset they walk to the lighthouse. That night they sleep in a tent on the beach. "
    "Next morning Mia flies home.")


def board(request: str) -> Storyboard:
    storyboard = plan_offline(request)
    assert validate(storyboard.model_dump(mode="json")) == storyboard
    return storyboard


def scene_of(storyboard: Storyboard, words: str) -> str:
    """The setting of the scene whose shot's description holds ``words``."""
    return next(scene.setting for scene in storyboard.scenes for shot in scene.shots
                if words in shot.description)


def test_the_scene_is_where_the_story_is_at_that_point():
    sb = board(VILLAGE_TALE)
    assert "village" in scene_of(sb, "clockmaker named Ada")
    assert "river" in scene_of(sb, "crossed the frozen river")
    assert "observatory" in scene_of(sb, "astronomer named Felix")  # went 'to' it, then 'Inside'
    assert "observatory" in scene_of(sb, "mended its gears")
    settings = [scene.setting for scene in sb.scenes]
    assert len(set(settings)) >= 3
    assert all(a != b or sb.scenes[n].time_of_day != sb.scenes[n + 1].time_of_day
               for n, (a, b) in enumerate(zip(settings, settings[1:], strict=False)))


def test_a_long_journey_has_a_scene_for_each_place():
    sb = board(JOURNEY)
    expected = {"wakes in her bedroom": "bedroom", "In the kitchen": "kitchen",
                "takes the train": "market",
                "At the market": "market", "At the harbour": "harbour", "across the bay": "bay",
                "reaches an island": "island", "In the jungle": "jungle",
                "sneak into the cave": "cave", "sleep in a tent on the beach": "beach",
                "flies home": "home"}
    for words, place in expected.items():
        assert place in scene_of(sb, words), (words, scene_of(sb, words))
    assert len(sb.scenes) >= 11
    assert len({scene.setting for scene in sb.scenes}) >= 10


def test_a_place_that_is_only_part_of_the_scene_keeps_the_scene():
    sb = board("A fox lives in a snowy forest. She climbs a hill and looks at the moon.")
    assert len(sb.scenes) == 1 and "forest" in sb.scenes[0].setting
    assert "hill" in {e.id for e in sb.entities}  # still drawn in the shot


def test_two_men_are_two_people_told_apart():
    sb = board("Two men walk into a tavern. The second man sits on a chair. Then the men leave.")
    men = [e for e in sb.entities if e.kind == "character"]
    assert [e.name for e in men] == ["first man", "second man"]
    assert men[0].appearance != men[1].appearance
    assert all(" man " in f" {e.appearance} " for e in men)
    first, second, third = (shot for _, shot in sb.iter_shots())
    assert {p.entity for p in first.keyframes[0].layout} >= {men[0].id, men[1].id}
    assert men[1].id in {p.entity for p in second.keyframes[0].layout}
    assert men[0].id not in {p.entity for p in second.keyframes[0].layout}
    assert {p.entity for p in third.keyframes[0].layout} >= {men[0].id, men[1].id}
    assert "tavern" in sb.scenes[0].setting


def test_a_number_of_things_is_one_entity_that_says_how_many():
    apples = board("Three apples lie on the table.").entity_map["apple"]
    assert apples.appearance.startswith("three ") and "apples" in apples.appearance


def test_only_things_a_viewer_can_see_are_entities():
    names = {e.name.lower() for e in board(VILLAGE_TALE).entities}
    assert not names & {"full", "sang", "boots", "named", "past", "inside", "far", "whole"}
    assert {"ada", "felix", "shop", "clock", "lantern", "river", "telescope", "gears"} <= names
    sb = board(VILLAGE_TALE)
    ada, felix, gears = (sb.entity_map[k] for k in ("ada", "felix", "gears"))
    assert ada.kind == felix.kind == "character"  # 'a clockmaker named Ada' is someone
    assert gears.appearance == "gears"  # a plural takes no 'a'


def test_an_unknown_place_after_in_or_at_is_a_setting():
    sb = board("The knight waits at the gazebo.")
    assert sb.scenes[0].setting == "a gazebo"
    assert sb.entity_map["gazebo"].kind == "place"
