"""Entity reference images kept in a project's store, found by what they were made from
(for the contact sheet's legend): the newest reference artifact of each entity whose
``made_from`` digest matches the entity, the style and the seed as they are now."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from director.keys import digest
from director.schedule import file_sha256, reference_inputs
from director.store import Store
from storyboard.models import Storyboard


def stored_references(storyboard: Storyboard, project: str | os.PathLike,
                      assets: str | os.PathLike | None = None) -> dict[str, np.ndarray]:
    """Entity id -> its reference image from ``project``'s store, for the entities that
    have one made from their current description (or user picture)."""
    root = Path(project) / "store"
    if not root.is_dir():
        return {}
    wanted: dict[str, str] = {}
    for entity in storyboard.entities:
        sha = None
        if entity.reference is not None:
            path = Path(assets if assets is not None else ".") / entity.reference
            if not path.is_file():
                continue
            sha = file_sha256(path, "reference picture")
        wanted[digest(reference_inputs(storyboard, entity, sha))] = entity.id
    store = Store(root)
    newest: dict[str, tuple[str, str]] = {}
    for key in store.keys():  # noqa: SIM118 - Store is no mapping
        try:
            meta = store.meta(key)
        except (KeyError, OSError, ValueError):
            continue
        entity = wanted.get(meta.get("made_from", "")) if meta.get("kind") == "reference" \
            else None
        if entity is not None and meta.get("created", "") >= newest.get(entity, ("", ""))[0]:
            newest[entity] = (meta.get("created", ""), key)
    return {entity: store.frame(key, 0) for entity, (_, key) in newest.items()}
