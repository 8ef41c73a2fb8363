"""Finding and loading pipelines: safely (safetensors only), offline, once per process.

:func:`resolve` turns a role's model (a Hub id or a local folder) into a folder on disk
and an identity for the fingerprint, without importing diffusers: a Hub id is looked up in
the Hugging Face cache (the snapshot's commit is its revision; nothing is fetched unless
``download``), a folder is hashed by content. Missing weights, a folder that is not a
diffusers pipeline and weights only in pickle formats (``.bin``, ``.ckpt``, ``.pt``) are
one UserError each, before any job runs.

:func:`load_pipeline` loads a resolved folder with ``DiffusionPipeline.from_pretrained``
(so the pipeline class comes from the folder's ``model_index.json``), at most once per
process per (folder, dtype, device, memory mode). Each loaded pipeline carries its own lock:
diffusers pipelines are not thread-safe (two threads on one scheduler crash), so a role
holds the lock for the whole call.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storyboard.errors import UserError

log = logging.getLogger(__name__)

PICKLE_SUFFIXES = (".bin", ".ckpt", ".pt", ".pth", ".pkl")
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
DOWNLOAD_PATTERNS: tuple[str, ...] = (
    "model_index.json", "*/*.json", "*/*.txt", "*/*.model",
    "*/diffusion_pytorch_model.safetensors", "*/diffusion_pytorch_model-*-of-*.safetensors",
    "*/model.safetensors", "*/model-*-of-*.safetensors",
)
"""What ``--download`` and the printed ``hf download`` command fetch of a pipeline repo:
configs, tokenizers and the standard safetensors weights (no pickles, no variants)."""


@dataclass(frozen=True)
class ResolvedModel:
    """A role's model found on disk."""

    model: str
    """as the user or the preset named it"""
    folder: Path
    identity: dict[str, str]
    """{"revision": commit} for a Hub snapshot, {"content": hash} for a local folder"""
    pipeline_class: str = ""
    """``_class_name`` of its model_index.json ('' for an adapter folder)"""

    def fingerprint(self) -> dict[str, Any]:
        return {"model": self.model, **self.identity, "pipeline": self.pipeline_class}


def hub_cache_folder(repo_id: str) -> Path:
    """Where the Hugging Face cache keeps ``repo_id`` (HF_HUB_CACHE / HF_HOME honoured)."""
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE) / f"models--{repo_id.replace('/', '--')}"


def download_command(repo_id: str, patterns: tuple[str, ...] = DOWNLOAD_PATTERNS) -> str:
    """The ``hf download`` command that fetches what a role needs of ``repo_id``."""
    return f"hf download {repo_id} --include " + " ".join(f'"{p}"' for p in patterns)


def is_folder_name(model: str) -> bool:
    """Whether ``model`` names a local folder rather than a Hub id."""
    return Path(model).expanduser().is_dir() or not HUB_ID.match(model)


def hub_snapshot(repo_id: str) -> Path | None:
    """The cached snapshot folder of ``repo_id`` (its ``main`` revision), or None."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(snapshot_download(repo_id, local_files_only=True))
    except (LocalEntryNotFoundError, OSError, ValueError):
        return None


def _component_problem(folder: Path, name: str) -> str | None:
    """Why the component folder ``name`` cannot be loaded safely, or None."""
    sub = folder / name
    if not sub.is_dir():
        return f"{name}/ is missing"
    if not (sub / "config.json").is_file():  # tokenizers, schedulers, processors
        return None
    files = [p.name for p in sub.iterdir() if p.is_file()]
    if any(f.endswith(".safetensors") for f in files):
        return None
    if any(f.endswith(PICKLE_SUFFIXES) for f in files):
        return "pickle"
    return f"{name}/ has no weights"


def pipeline_problems(folder: Path) -> tuple[str, list[str], list[str]]:
    """``(pipeline class, missing parts, pickle-only components)`` of a pipeline folder."""
    index = folder / "model_index.json"
    try:
        spec = json.loads(index.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "", ["model_index.json"], []
    except (OSError, ValueError) as error:
        return "", [f"a readable model_index.json ({error})"], []
    missing, pickled = [], []
    for name, value in sorted(spec.items()):
        if name.startswith("_") or not isinstance(value, list) or value[0] is None:
            continue
        problem = _component_problem(folder, name)
        if problem == "pickle":
            pickled.append(name)
        elif problem:
            missing.append(problem)
    return str(spec.get("_class_name", "")), missing, pickled


def _refuse_pickles(role: str, model: str, folder: Path, pickled: list[str]) -> None:
    if pickled:
        raise UserError(
            f"the {role} model {model!r} ({folder}) has weights only as pickle files"
            f" (.bin/.ckpt) in {', '.join(f'{p}/' for p in pickled)}: pickles can run code"
            f" when loaded, so only .safetensors weights are used; get a safetensors copy of"
            f" the model")


_HASHES: dict[tuple, str] = {}
_HASHES_LOCK = threading.Lock()


def folder_content_hash(folder: Path) -> str:
    """BLAKE2b of every file's relative path and bytes, in path order (memoised per process
    by path, size and modification time)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    stamp = (str(folder.resolve()), tuple((str(p.relative_to(folder)), p.stat().st_size,
                                           p.stat().st_mtime_ns) for p in files))
    with _HASHES_LOCK:
        if stamp in _HASHES:
            return _HASHES[stamp]
    sha = hashlib.blake2b(digest_size=16)
    for path in files:
        sha.update(path.relative_to(folder).as_posix().encode() + b"\0")
        with open(path, "rb") as handle:
            for block in iter(lambda h=handle: h.read(1 << 22), b""):
                sha.update(block)
    value = sha.hexdigest()
    with _HASHES_LOCK:
        _HASHES[stamp] = value
    return value


def _missing(role: str, model: str, size_gb: float, detail: str,
             patterns: tuple[str, ...]) -> UserError:
    size = f"about {size_gb:g} GB" if size_gb else "size unknown"
    return UserError(
        f"the {role} model {model!r} is not in the Hugging Face cache ({detail}; looked in"
        f" {hub_cache_folder(model)}); it is {size}: on a connected machine run"
        f" `{download_command(model, patterns)}`, or pass --download, or name a local"
        f" folder holding the pipeline")


def _fetch(role: str, model: str, patterns: tuple[str, ...]) -> Path:
    """Download ``model`` with the Hub's own progress bar."""
    from huggingface_hub import snapshot_download

    log.warning("downloading the %s model %s into %s", role, model, hub_cache_folder(model))
    try:
        return Path(snapshot_download(model, allow_patterns=list(patterns)))
    except Exception as error:  # noqa: BLE001 - every hub failure becomes one line
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise UserError(f"cannot download the {role} model {model!r}: {first}") from None


def resolve(model: str, role: str, *, download: bool = False,
            size_gb: float = 0.0) -> ResolvedModel:
    """Find a pipeline ``model`` (local folder or Hub id) for ``role``; UserError with what
    to do when it is missing, incomplete or pickle-only."""
    if is_folder_name(model):
        folder = Path(model).expanduser()
        if not folder.is_dir():
            raise UserError(f"the {role} model {model!r} is neither a folder nor a Hub id"
                            f" like 'owner/name'")
        cls, missing, pickled = pipeline_problems(folder)
        _refuse_pickles(role, model, folder, pickled)
        if missing:
            raise UserError(f"the {role} model folder {str(folder)!r} is not a complete"
                            f" diffusers pipeline: missing {', '.join(missing)} (a folder"
                            f" written by save_pretrained holds model_index.json and one"
                            f" folder per component)")
        return ResolvedModel(model, folder.resolve(), {"content": folder_content_hash(folder)},
                             cls)
    folder = hub_snapshot(model)
    if folder is None and download:
        folder = _fetch(role, model, DOWNLOAD_PATTERNS)
    if folder is None:
        raise _missing(role, model, size_gb, "nothing cached", DOWNLOAD_PATTERNS)
    cls, missing, pickled = pipeline_problems(folder)
    _refuse_pickles(role, model, folder, pickled)
    if missing and download:
        folder = _fetch(role, model, DOWNLOAD_PATTERNS)
        cls, missing, pickled = pipeline_problems(folder)
        _refuse_pickles(role, model, folder, pickled)
    if missing:
        raise _missing(role, model, size_gb, f"incomplete: {', '.join(missing)}",
                       DOWNLOAD_PATTERNS)
    return ResolvedModel(model, folder, {"revision": folder.name}, cls)


def resolve_files(model: str, role: str, files: tuple[str, ...], *, download: bool = False,
                  size_gb: float = 0.0) -> ResolvedModel:
    """Find a folder (local or a Hub snapshot) holding ``files`` (relative paths), e.g. an
    IP-Adapter's weights and image encoder; the same messages as :func:`resolve`."""
    patterns = tuple(f"{f.rstrip('/')}/*" if not Path(f).suffix else f for f in files)
    if is_folder_name(model):
        folder = Path(model).expanduser()
        if not folder.is_dir():
            raise UserError(f"the {role} model {model!r} is neither a folder nor a Hub id")
    else:
        folder = hub_snapshot(model)
        if folder is None and download:
            folder = _fetch(role, model, patterns)
        if folder is None:
            raise _missing(role, model, size_gb, "nothing cached", patterns)
    missing = [f for f in files if not (folder / f).exists()]
    if missing and download and not is_folder_name(model):
        folder = _fetch(role, model, patterns)
        missing = [f for f in files if not (folder / f).exists()]
    if missing:
        if is_folder_name(model):
            raise UserError(f"the {role} folder {str(folder)!r} lacks {', '.join(missing)}")
        raise _missing(role, model, size_gb, f"incomplete: {', '.join(missing)}", patterns)
    for name in files:
        path = folder / name
        if path.suffix in PICKLE_SUFFIXES or (path.is_dir() and not any(
                p.suffix == ".safetensors" for p in path.iterdir())):
            _refuse_pickles(role, model, folder, [name])
    identity = ({"content": folder_content_hash(folder)} if is_folder_name(model)
                else {"revision": folder.name})
    return ResolvedModel(model, folder.resolve(), identity)


# -- loading, once per process -------------------------------------------------------------


@dataclass
class LoadedPipeline:
    """A pipeline in memory, with the lock that lets one thread call it at a time."""

    pipe: Any
    lock: threading.Lock = field(default_factory=threading.Lock)
    extras: dict[str, Any] = field(default_factory=dict)
    """what roles attached to it (e.g. the loaded IP-Adapter), by name"""
    load_seconds: float = 0.0
    """how long loading it took"""
    counted: bool = False
    """whether a role has counted its load in its usage (the first role to get it)"""


_LOADED: dict[tuple[str, str, str, str], LoadedPipeline] = {}
_LOADING = threading.Lock()
LOADS: Counter[str] = Counter()
"""How often each folder was loaded in this process (a benchmark figure: one per role)."""


def place(pipe: Any, device: str, memory: str) -> None:
    """Put ``pipe`` on ``device`` in the memory mode (see README: device and memory)."""
    import torch

    if memory == "full":
        pipe.to(device)
    elif memory == "model-offload":
        pipe.enable_model_cpu_offload(device=device)
    elif memory == "sequential-offload":
        pipe.enable_sequential_cpu_offload(device=device)
    elif memory == "group-offload":
        pipe.enable_group_offload(onload_device=torch.device(device),
                                  offload_device=torch.device("cpu"),
                                  offload_type="block_level", num_blocks_per_group=1)
    else:
        raise ValueError(f"unknown memory mode {memory!r}")


def load_pipeline(resolved: ResolvedModel, *, role: str, dtype: str, device: str,
                  memory: str) -> LoadedPipeline:
    """The pipeline in ``resolved.folder``, loaded at most once per process per (folder,
    dtype, device, memory mode); the first call imports diffusers (seconds)."""
    key = (str(resolved.folder), dtype, device, memory)
    with _LOADING:
        loaded = _LOADED.get(key)
        if loaded is not None:
            return loaded
        start = time.perf_counter()
        import torch
        from diffusers import DiffusionPipeline

        try:
            pipe = DiffusionPipeline.from_pretrained(
                resolved.folder, dtype=getattr(torch, dtype), use_safetensors=True,
                local_files_only=True)
        except (OSError, ValueError, TypeError) as error:
            first = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise UserError(f"cannot load the {role} model {resolved.model!r} from"
                            f" {resolved.folder}: {first}") from None
        place(pipe, device, memory)
        pipe.set_progress_bar_config(disable=True)
        loaded = _LOADED[key] = LoadedPipeline(pipe, load_seconds=time.perf_counter() - start)
        LOADS[str(resolved.folder)] += 1
        log.info("loaded %s (%s) for %s: %s on %s, %s", resolved.model,
                 type(pipe).__name__, role, dtype, device, memory)
        return loaded


def forget_loaded() -> None:
    """Drop every loaded pipeline (tests and benchmarks that count loads)."""
    with _LOADING:
        _LOADED.clear()
        LOADS.clear()


def library_versions() -> dict[str, str]:
    """Versions of the libraries that decide a diffusion role's pixels (no imports)."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("diffusers", "torch", "transformers"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "absent"
    return found


def scheduler_config(folder: Path) -> dict[str, Any]:
    """The pipeline folder's scheduler config (part of a role's fingerprint)."""
    path = folder / "scheduler" / "scheduler_config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in config.items() if k != "_diffusers_version"}

