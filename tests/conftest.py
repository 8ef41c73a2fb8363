"""Shared fixtures. Each helper keeps its fixtures clearly named; add yours below."""

from __future__ import annotations

import copy
import os
from typing import Any

import pytest
from hypothesis import settings

from storyboard import Storyboard, validate

# Property tests explore new examples on every local run; CI replays a fixed sequence so a
# submission's result does not depend on luck. (Failures found locally are kept in
# .hypothesis/ and replayed first.)
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# -- storyboard documents (storyboard/ tests, sheet, CLI) ------------------------------


def make_storyboard_dict() -> dict[str, Any]:
    """A valid two-scene storyboard as plain JSON data: 3 entities, 3 shots, 24 fps."""
    return {
        "title": "The Fox Who Learned to Fly",
        "logline": "A young fox watches an owl every night and decides to follow it into the sky.",
        "style": {"prompt": "soft watercolor, storybook illustration",
                  "negative_prompt": "text, watermark"},
        "format": {"width": 640, "height": 360, "fps": 24},
        "seed": 7,
        "entities": [
            {"id": "fox", "name": "Fox", "kind": "character",
             "appearance": "a small red fox with a white-tipped tail", "color": "#e07a3f"},
            {"id": "owl", "name": "Owl", "kind": "character",
             "appearance": "a grey barn owl with round amber eyes", "color": "#3f7ae0"},
            {"id": "tree", "name": "Old pine", "kind": "object",
             "appearance": "a tall crooked pine tree", "color": "#2e9e5b"},
        ],
        "scenes": [
            {
                "id": "forest",
                "setting": "a snowy pine forest",
                "time_of_day": "dusk",
                "shots": [
                    {
                        "id": "s1",
                        "description": "The fox looks up at the owl in the pine.",
                        "duration": 4.0,
                        "camera": {"size": "wide", "movement": "static"},
                        "transition": "fade",
                        "narration": "Every evening, the fox watched the owl.",
                        "keyframes": [
                            {"t": 0.0, "prompt": "a fox sits under a pine, an owl on a branch",
                             "layout": [
                                 {"entity": "tree", "phrase": "a pine",
                                  "box": [0.55, 0.05, 0.9, 0.8]},
                                 {"entity": "fox", "phrase": "a fox",
                                  "box": [0.1, 0.55, 0.3, 0.8]},
                                 {"entity": "owl", "phrase": "an owl",
                                  "box": [0.65, 0.2, 0.78, 0.38]},
                             ],
                             "relations": [
                                 {"subject": "owl", "predicate": "on", "object": "tree"},
                             ]},
                            {"t": 1.0, "prompt": "the fox stands and looks up at the owl",
                             "layout": [
                                 {"entity": "tree", "phrase": "a pine",
                                  "box": [0.55, 0.05, 0.9, 0.8]},
                                 {"entity": "fox", "phrase": "the fox",
                                  "box": [0.3, 0.45, 0.5, 0.8]},
                                 {"entity": "owl", "phrase": "the owl",
                                  "box": [0.65, 0.2, 0.78, 0.38]},
                             ],
                             "relations": [
                                 {"subject": "owl", "predicate": "on", "object": "tree"},
                                 {"subject": "fox", "predicate": "next to", "object": "tree"},
                             ]},
                        ],
                    },
                    {
                        "id": "s2",
                        "description": "The owl takes off.",
                        "duration": 3.5,
                        "camera": {"size": "medium", "movement": "tilt-up"},
                        "transition": "cut",
                        "narration": "",
                        "keyframes": [
                            {"t": 0.0, "prompt": "the owl spreads its wings",
                             "layout": [{"entity": "owl", "phrase": "the owl",
                                         "box": [0.4, 0.5, 0.6, 0.75]}]},
                            {"t": 0.5, "prompt": "the owl rises above the trees",
                             "layout": [{"entity": "owl", "phrase": "the owl",
                                         "box": [0.45, 0.25, 0.65, 0.5]}]},
                            {"t": 1.0, "prompt": "the owl is high in the sky",
                             "layout": [{"entity": "owl", "phrase": "the owl",
                                         "box": [0.5, 0.05, 0.7, 0.3]}]},
                        ],
                    },
                ],
            },
            {
                "id": "cliff",
                "setting": "a rocky cliff above the valley",
                "time_of_day": "night",
                "shots": [
                    {
                        "id": "s3",
                        "description": "The fox leaps.",
                        "duration": 5.0,
                        "camera": {"size": "close-up", "movement": "zoom-in"},
                        "transition": "crossfade",
                        "transition_duration": 0.5,
                        "narration": "One night, the fox decided to try.",
                        "keyframes": [
                            {"t": 0.0, "prompt": "the fox crouches at the cliff edge",
                             "layout": [{"entity": "fox", "phrase": "the fox",
                                         "box": [0.2, 0.3, 0.8, 0.95]}]},
                            {"t": 1.0, "prompt": "the fox leaps into the night air",
                             "layout": [{"entity": "fox", "phrase": "the fox",
                                         "box": [0.3, 0.1, 0.9, 0.7]}]},
                        ],
                    },
                ],
            },
        ],
    }


@pytest.fixture
def storyboard_dict() -> dict[str, Any]:
    """A fresh (mutable) copy of the valid two-scene storyboard data."""
    return copy.deepcopy(make_storyboard_dict())


@pytest.fixture
def storyboard(storyboard_dict: dict[str, Any]) -> Storyboard:
    """The valid two-scene storyboard as a model."""
    return validate(storyboard_dict)


# -- Ray (tests/test_ray.py): one private cluster for the whole session -----------------


@pytest.fixture(scope="session")
def ray_session():
    """A private Ray cluster on 127.0.0.1 (director.engines.ray_cluster), started once per
    session: 4 logical CPUs and 2 units of a custom ``slot`` resource. Its workers can
    import this folder's modules (tests/animators.py)."""
    from pathlib import Path

    from director.engines.ray_cluster import ray_cluster

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", str(Path(__file__).parent), prepend=os.pathsep)
        with ray_cluster("local", num_cpus=4, resources={"slot": 2}) as ray:
            yield ray
