"""Which executor runs a render: ``--executor``/``--ray-address``/``--ray-actors``, else
``executor``, ``ray_address``, ``ray_actors`` in ``<project>/director.toml``, else the
local executor.

    # <project>/director.toml
    executor = "ray"
    ray_address = "10.0.0.5:6379"   # or "local": a private cluster on this machine
    ray_actors = 4                  # animator workers per role (default: --workers)
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from agents.chat_models import read_config
from storyboard.errors import UserError

EXECUTORS = ("local", "ray")


@dataclass(frozen=True)
class ExecutionSettings:
    """How a render's jobs run (see ``director.execute.execute``)."""

    executor: str = "local"
    ray_address: str = "local"
    """``"local"`` (a private cluster on this machine) or ``HOST:PORT`` of a running one"""
    ray_actors: int | None = None
    """animator workers per role on Ray; None: as many as ``--workers``"""


def resolve_execution(project: str | os.PathLike | None, *, executor: str | None = None,
                      ray_address: str | None = None, ray_actors: int | None = None
                      ) -> ExecutionSettings:
    """Settings from the arguments, else the project's config file, else defaults;
    UserError for a value that cannot work, naming where it came from, or for
    ``executor = "ray"`` without Ray installed."""
    config = read_config(project)
    where = "the project's director.toml"
    values = {"executor": executor, "ray_address": ray_address, "ray_actors": ray_actors}
    for key, value in values.items():
        if value is None and key in config:
            values[key] = config[key]
            source = where
        else:
            source = f"--{key.replace('_', '-')}"
        value = values[key]
        if value is None:
            continue
        if key == "ray_actors":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise UserError(f"ray_actors from {source} must be a whole number of at"
                                f" least 1; got {value!r}")
        elif not isinstance(value, str) or not value.strip():
            raise UserError(f"{key} from {source} must be text; got {value!r}")
        elif key == "executor" and value not in EXECUTORS:
            raise UserError(f"executor from {source} must be one of {', '.join(EXECUTORS)};"
                            f" got {value!r}")
        elif key == "ray_address" and value != "local" and \
                not value.rpartition(":")[2].isdigit():
            raise UserError(f"ray_address from {source} must be 'local' or HOST:PORT of a "
                            f"running Ray cluster; got {value!r}")
    settings = ExecutionSettings(**{k: v for k, v in values.items() if v is not None})
    if settings.executor == "ray":
        from director.engines.ray_cluster import require_ray

        require_ray()  # a missing extra is one message before any work
    return settings
