"""The data model of a film: the storyboard document, its validation, timing and diff.
Knows nothing of LLMs, generated pixels or execution."""

from storyboard.diff import StoryboardDiff, diff
from storyboard.errors import Problem, StoryboardError, UserError
from storyboard.io import atomic_path, atomic_write_text, json_schema, load, save, to_json
from storyboard.models import (
    Camera,
    Entity,
    Format,
    Keyframe,
    Placement,
    Relation,
    Scene,
    Shot,
    Storyboard,
    Style,
)
from storyboard.timing import ShotTiming, film_frame_count, round_frames, timeline
from storyboard.validation import validate

__all__ = [
    "Camera", "Entity", "Format", "Keyframe", "Placement", "Problem", "Relation", "Scene",
    "Shot", "ShotTiming", "Storyboard", "StoryboardDiff", "StoryboardError", "Style",
    "UserError", "atomic_path", "atomic_write_text", "diff", "film_frame_count",
    "json_schema", "load", "round_frames", "save",
    "timeline", "to_json", "validate",
]
