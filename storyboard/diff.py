"""What changed between two versions of a storyboard."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel

from storyboard.models import Storyboard


@dataclass
class StoryboardDiff:
    """Changes from ``old`` to ``new``, by part of the document. Empty when nothing changed."""

    fields: list[str] = field(default_factory=list)
    """top-level fields that changed: title, logline, style, format, seed"""
    entities_added: list[str] = field(default_factory=list)
    entities_removed: list[str] = field(default_factory=list)
    entities_changed: dict[str, list[str]] = field(default_factory=dict)
    scenes_added: list[str] = field(default_factory=list)
    scenes_removed: list[str] = field(default_factory=list)
    scenes_changed: dict[str, list[str]] = field(default_factory=dict)
    shots_added: list[str] = field(default_factory=list)
    shots_removed: list[str] = field(default_factory=list)
    shots_changed: dict[str, list[str]] = field(default_factory=dict)
    shots_reordered: bool = False

    def __bool__(self) -> bool:
        return any(value for value in vars(self).values())

    def summary(self) -> list[str]:
        """One line per change, for people."""
        lines = [f"{name} changed" for name in self.fields]
        for kind in ("entity", "scene", "shot"):
            plural = {"entity": "entities", "scene": "scenes", "shot": "shots"}[kind]
            lines += [f"{kind} {i} added" for i in getattr(self, f"{plural}_added")]
            lines += [f"{kind} {i} removed" for i in getattr(self, f"{plural}_removed")]
            lines += [f"{kind} {i}: {', '.join(changed)} changed"
                      for i, changed in getattr(self, f"{plural}_changed").items()]
        if self.shots_reordered:
            lines.append("shot order changed")
        return lines

    def __str__(self) -> str:
        return "\n".join(self.summary()) or "no changes"


def _changed_fields(a: BaseModel, b: BaseModel, skip: tuple[str, ...] = ()) -> list[str]:
    return [name for name in type(a).model_fields
            if name not in skip and getattr(a, name) != getattr(b, name)]


def _compare(old: dict, new: dict, skip: tuple[str, ...] = ()):
    added = [k for k in new if k not in old]
    removed = [k for k in old if k not in new]
    changed = {k: fields for k in old if k in new
               if (fields := _changed_fields(old[k], new[k], skip))}
    return added, removed, changed


def diff(old: Storyboard, new: Storyboard) -> StoryboardDiff:
    """Name what changed: top-level fields, entities, scenes and shots (by id)."""
    result = StoryboardDiff()
    result.fields = _changed_fields(old, new, skip=("entities", "scenes"))
    result.entities_added, result.entities_removed, result.entities_changed = _compare(
        {e.id: e for e in old.entities}, {e.id: e for e in new.entities})
    result.scenes_added, result.scenes_removed, result.scenes_changed = _compare(
        {s.id: s for s in old.scenes}, {s.id: s for s in new.scenes}, skip=("shots",))
    old_shots = {shot.id: shot for _, shot in old.iter_shots()}
    new_shots = {shot.id: shot for _, shot in new.iter_shots()}
    result.shots_added, result.shots_removed, result.shots_changed = _compare(old_shots, new_shots)
    old_scene_of = {shot.id: scene.id for scene, shot in old.iter_shots()}
    for scene, shot in new.iter_shots():  # a shot moved to another scene has a new setting
        if shot.id in old_scene_of and old_scene_of[shot.id] != scene.id:
            result.shots_changed.setdefault(shot.id, []).append("scene")
    kept_old = [i for i in old_shots if i in new_shots]
    kept_new = [i for i in new_shots if i in old_shots]
    result.shots_reordered = kept_old != kept_new
    return result
