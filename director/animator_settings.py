"""Which animator renders a film, with which options: flags, then the ``[animator]`` table
of ``<project>/director.toml``, then defaults (the animatic, with no options).

    [animator]
    name = "diffusion"                  # the backend its other keys are options of
    preset = "sd15"
    keyframe_model = "/models/my-sd15"  # a Hub id or a local folder
    device = "cuda:1"
    dtype = "float16"
    steps = 25
    guidance = 6.0
    memory = "model-offload"
    download = false

The table's options apply when the film is rendered with the backend it names; a flag
wins over the same key in the table.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from storyboard.errors import UserError

DEFAULT_ANIMATOR = "animatic"
OPTION_TYPES: dict[str, tuple[type, ...]] = {
    "preset": (str,), "keyframe_model": (str,), "inbetween_model": (str,), "clip_model": (str,),
    "video_frames": (int,), "video_size": (int,), "device": (str,), "dtype": (str,),
    "steps": (int,), "guidance": (int, float), "memory": (str,), "download": (bool,),
}
"""keys of the ``[animator]`` table besides ``name``, with the TOML types they take"""


def read_animator_table(project: str | os.PathLike | None) -> dict[str, Any]:
    """The ``[animator]`` table of ``<project>/director.toml``; {} when there is none."""
    import tomllib

    if project is None:
        return {}
    path = Path(project) / "director.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise UserError(f"cannot read the settings in {str(path)!r}: {error}") from None
    table = data.get("animator", {})
    if not isinstance(table, dict):
        raise UserError(f"{str(path)!r}: 'animator' must be a table ([animator])")
    known = {"name", *OPTION_TYPES}
    unknown = sorted(set(table) - known)
    if unknown:
        raise UserError(f"{str(path)!r} [animator]: unknown setting(s) {', '.join(unknown)};"
                        f" known: {', '.join(sorted(known))}")
    for key, value in table.items():
        types = (str,) if key == "name" else OPTION_TYPES[key]
        if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
            raise UserError(f"{str(path)!r} [animator]: {key} must be a"
                            f" {' or '.join(t.__name__ for t in types)}; got {value!r}")
    return dict(table)


def animator_settings(project: str | os.PathLike | None, name: str | None,
                      options: Mapping[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """``(backend name, options)`` from flags (``name`` and ``options``; None values are
    not given), then the project's ``[animator]`` table, then defaults."""
    table = read_animator_table(project)
    table_name = table.pop("name", "diffusion" if table else DEFAULT_ANIMATOR)
    chosen = name or table_name
    merged = dict(table) if chosen == table_name else {}
    merged.update({k: v for k, v in (options or {}).items() if v is not None})
    return chosen, merged
