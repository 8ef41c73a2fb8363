"""The storyboard models: navigation, layout interpolation and the full prompt of a frame."""

from __future__ import annotations

import pytest

from storyboard import Camera, Format, Shot, Storyboard, Style


def test_defaults_of_the_small_models():
    assert Format() == Format(width=640, height=360, fps=24)
    assert Camera() == Camera(size="medium", movement="static")
    assert Style().prompt == "" and Style().negative_prompt == ""


def test_iter_shots_and_shot_lookup(storyboard):
    assert [(scene.id, shot.id) for scene, shot in storyboard.iter_shots()] == [
        ("forest", "s1"), ("forest", "s2"), ("cliff", "s3")]
    scene, shot = storyboard.shot("s3")
    assert scene.id == "cliff" and shot.duration == 5.0
    with pytest.raises(KeyError, match="shots are: s1, s2, s3"):
        storyboard.shot("s9")
    assert set(storyboard.entity_map) == {"fox", "owl", "tree"}


def _boxes(layout) -> dict:
    return {p.entity: p.box for p in layout}


def test_layout_at_the_keyframes_is_their_layout(storyboard):
    _, s2 = storyboard.shot("s2")
    for keyframe in s2.keyframes:
        assert _boxes(s2.layout_at(keyframe.t)) == _boxes(keyframe.layout)
    assert _boxes(s2.layout_at(-0.5)) == _boxes(s2.keyframes[0].layout)
    assert _boxes(s2.layout_at(1.5)) == _boxes(s2.keyframes[-1].layout)


def test_layout_at_interpolates_linearly_between_keyframes(storyboard):
    _, s2 = storyboard.shot("s2")  # owl: [.4,.5,.6,.75] at 0, [.45,.25,.65,.5] at .5
    assert s2.layout_at(0.25)[0].box == pytest.approx((0.425, 0.375, 0.625, 0.625))
    assert s2.layout_at(0.75)[0].box == pytest.approx((0.475, 0.15, 0.675, 0.4))
    _, s1 = storyboard.shot("s1")  # fox moves right, tree and owl stay
    middle = _boxes(s1.layout_at(0.5))
    assert middle["fox"] == pytest.approx((0.2, 0.5, 0.4, 0.8))
    assert middle["tree"] == pytest.approx((0.55, 0.05, 0.9, 0.8))
    assert [p.entity for p in s1.layout_at(0.5)] == ["tree", "fox", "owl"]
    assert s1.layout_at(0.5)[1].phrase == "a fox"  # from the keyframe before


def test_an_entity_in_one_keyframe_only_shows_for_the_nearer_half(storyboard):
    _, s1 = storyboard.shot("s1")
    without_owl = [p for p in s1.keyframes[1].layout if p.entity != "owl"]
    keyframes = [s1.keyframes[0], s1.keyframes[1].model_copy(update={"layout": without_owl})]
    shot = Shot(id="x", duration=2, keyframes=keyframes)
    assert "owl" in _boxes(shot.layout_at(0.49))
    assert "owl" not in _boxes(shot.layout_at(0.5))
    assert "owl" not in _boxes(shot.layout_at(0.9))


def test_keyframe_at_is_the_nearest_keyframe(storyboard):
    _, s2 = storyboard.shot("s2")
    assert s2.keyframe_at(0.2).t == 0.0
    assert s2.keyframe_at(0.4).t == 0.5
    assert s2.keyframe_at(0.9).t == 1.0


def test_prompt_for_a_keyframe(storyboard):
    scene, s1 = storyboard.shot("s1")
    prompt = storyboard.prompt_for(scene, s1.keyframes[0])
    assert prompt == (
        "soft watercolor, storybook illustration, a snowy pine forest, dusk, "
        "a tall crooked pine tree, a small red fox with a white-tipped tail, "
        "a grey barn owl with round amber eyes, a fox sits under a pine, an owl on a branch")


def test_prompt_for_uses_each_appearance_verbatim_and_once(storyboard):
    scene, s3 = storyboard.shot("s3")
    prompt = storyboard.prompt_for(scene, s3.keyframes[1])
    assert prompt.count("a small red fox with a white-tipped tail") == 1
    assert "owl" not in prompt  # not in this layout
    assert prompt.startswith("soft watercolor, storybook illustration, "
                             "a rocky cliff above the valley, night")
    assert prompt.endswith("the fox leaps into the night air")


def test_prompt_for_an_interpolated_layout(storyboard):
    scene, s1 = storyboard.shot("s1")
    only_owl = [p for p in s1.layout_at(0.5) if p.entity == "owl"]
    prompt = storyboard.prompt_for(scene, s1.keyframes[1], layout=only_owl)
    assert "a grey barn owl" in prompt and "red fox" not in prompt
    assert prompt.endswith("the fox stands and looks up at the owl")
    no_keyframe = storyboard.prompt_for(scene, None, layout=only_owl)
    assert no_keyframe == ("soft watercolor, storybook illustration, a snowy pine forest, dusk,"
                           " a grey barn owl with round amber eyes")


def test_prompt_for_without_style(storyboard):
    plain = storyboard.model_copy(update={"style": Style()})
    scene, s2 = plain.shot("s2")
    assert plain.prompt_for(scene, s2.keyframes[0]).startswith("a snowy pine forest, dusk, ")


def test_the_models_round_trip_through_python(storyboard):
    again = Storyboard.model_validate(storyboard.model_dump())
    assert again == storyboard
