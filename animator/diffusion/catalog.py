"""What ``director models`` shows: every preset's roles, whether each model's weights are
in the local Hugging Face cache, and the command that fetches those that are not. It
reads the cache's folders only (no diffusers import, no network)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from animator.diffusion.config import BLEND, SAME_AS_KEYFRAME, Preset
from animator.diffusion.loading import (
    download_command,
    hub_snapshot,
    is_folder_name,
    pipeline_problems,
)
from animator.diffusion.presets import PRESETS


@dataclass(frozen=True)
class ModelStatus:
    """One model of one preset role."""

    preset: str
    role: str
    model: str
    present: str
    """'yes', 'no', 'incomplete: ...', 'pickle only', or '-' (no weights needed)"""
    fetch: str = ""
    """the command that fetches it ('' when present or not needed)"""


def pipeline_status(model: str) -> str:
    """Whether the pipeline ``model`` (a Hub id or a folder) is complete on disk."""
    if is_folder_name(model):
        _, missing, pickled = pipeline_problems(Path(model).expanduser())
        return "yes" if not (missing or pickled) else "incomplete"
    snapshot = hub_snapshot(model)
    if snapshot is None:
        return "no"
    _, missing, pickled = pipeline_problems(snapshot)
    if pickled:
        return f"pickle only: {', '.join(pickled)}"
    return f"incomplete: {', '.join(missing)}" if missing else "yes"


def adapter_status(model: str, files: tuple[str, ...]) -> str:
    """Whether the files of an adapter repo are on disk."""
    folder = Path(model).expanduser() if is_folder_name(model) else hub_snapshot(model)
    if folder is None:
        return "no"
    missing = [f for f in files if not (folder / f).exists()]
    return f"incomplete: {', '.join(missing)}" if missing else "yes"


def preset_status(preset: Preset) -> list[ModelStatus]:
    """Each role's model of ``preset`` (and its IP-Adapter), with where it stands."""
    rows = []
    for role, config in preset.roles.items():
        if config.model in (BLEND, SAME_AS_KEYFRAME):
            shown = "blend (cross-fade, no model)" if config.model == BLEND else \
                "the keyframe model"
            rows.append(ModelStatus(preset.name, role, shown, "-"))
            continue
        present = pipeline_status(config.model)
        rows.append(ModelStatus(preset.name, role, config.model, present,
                                "" if present == "yes" else download_command(config.model)))
        adapter = config.ip_adapter
        if adapter is not None:
            files = (f"{adapter.subfolder}/{adapter.weight_name}", adapter.image_encoder)
            present = adapter_status(adapter.model, files)
            patterns = (files[0], f"{adapter.image_encoder}/*")
            rows.append(ModelStatus(preset.name, f"{role} IP-Adapter", adapter.model, present,
                                    "" if present == "yes"
                                    else download_command(adapter.model, patterns)))
    return rows


def catalog() -> list[ModelStatus]:
    """Every preset's rows, in preset order."""
    return [row for preset in PRESETS.values() for row in preset_status(preset)]
