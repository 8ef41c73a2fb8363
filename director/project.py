"""The project folder of one film: storyboard versions, the artifact store and reports.

    DIR/storyboards/v0001.json ...   every version of the storyboard (a new one per change)
    DIR/schedules/<digest>.json      animator settings the storyboards were scheduled with
    DIR/store/                       the content-addressed artifact store (director.store)
    DIR/reports/                     render reports (JSON)
    DIR/.lock                        held by the process rendering it (``Project.lock``)

``cache gc`` keeps exactly the artifacts that some saved storyboard version reaches under
some recorded schedule setting (the keys are recomputed by scheduling them again).
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import networkx as nx

from director.keys import digest
from director.locks import FolderLock, leased, sweep, token_at_start
from director.schedule import ScheduleConfig, graph_keys, schedule_config
from director.store import GcResult, Store
from storyboard.errors import StoryboardError, UserError
from storyboard.io import atomic_write_text, file_mode, load, to_json, writable_dir
from storyboard.models import Storyboard

log = logging.getLogger(__name__)


_VERSION = re.compile(r"^v(\d{4,})\.json$")


class Project:
    """A film's project folder (created when missing)."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = writable_dir(root)
        self.storyboards = writable_dir(self.root / "storyboards")
        self.schedules = writable_dir(self.root / "schedules")
        self.reports = writable_dir(self.root / "reports")
        self.store = Store(self.root / "store")

    def __repr__(self) -> str:
        return f"Project({str(self.root)!r})"

    @contextmanager
    def lock(self, *, wait: bool = False) -> Iterator[None]:
        """Hold the project for the block, so that one process renders it at a time:
        UserError (one line) when another holds it, or with ``wait`` block until it is
        free. Re-entrant in the holding thread; the OS releases it if the process dies."""
        with FolderLock(self.root).hold("project", wait=wait):
            yield

    # -- storyboard versions ---------------------------------------------------------------
    def versions(self) -> list[Path]:
        """Saved storyboard versions, oldest first."""
        found = [(int(m.group(1)), p) for p in self.storyboards.iterdir()
                 if (m := _VERSION.match(p.name))]
        return [p for _, p in sorted(found)]

    def latest_path(self) -> Path | None:
        """The newest saved version's file, or None."""
        versions = self.versions()
        return versions[-1] if versions else None

    def latest(self) -> Storyboard | None:
        """The newest saved storyboard, or None when none is saved."""
        path = self.latest_path()
        return load(path) if path else None

    def save_storyboard(self, storyboard: Storyboard) -> tuple[Path, bool]:
        """Save ``storyboard`` as a new version unless it equals the newest one; returns
        the version's path and whether it was new."""
        text = to_json(storyboard)
        latest = self.latest_path()
        if latest is not None and _same(latest, storyboard):
            return latest, False
        number = int(_VERSION.match(latest.name).group(1)) + 1 if latest else 1
        with leased(self.storyboards) as lease:
            return self._save_version(text, number, lease.token)

    def _save_version(self, text: str, number: int, token: str) -> tuple[Path, bool]:
        fd, name = tempfile.mkstemp(prefix=f"{token}.version.", suffix=".part.json",
                                    dir=self.storyboards)
        tmp = Path(name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.chmod(tmp, file_mode())  # mkstemp makes 0600: follow the umask
            while True:  # claim the next free number; never replace anyone's version
                target = self.storyboards / f"v{number:04d}.json"
                try:
                    os.link(tmp, target)
                    break
                except FileExistsError:
                    number += 1
        finally:
            tmp.unlink(missing_ok=True)
        log.info("saved storyboard version %s", target.name)
        return target, True

    def sweep(self) -> int:
        """Remove the unfinished writes (artifacts, storyboard versions) of processes that
        are gone; returns how many."""
        return self.store.sweep() + self._sweep_versions()

    def _sweep_versions(self) -> int:
        def version_token(name: str) -> str | None:
            return token_at_start(name) if name.endswith(".part.json") else None

        return sweep(self.storyboards, version_token)

    def iter_storyboards(self) -> Iterator[tuple[Path, Storyboard]]:
        """Every saved version that still validates, with its path."""
        for path in self.versions():
            try:
                yield path, load(path)
            except StoryboardError as error:
                log.warning("skipping %s: %s", path, error)

    # -- schedules and garbage collection ------------------------------------------------------
    def record(self, graph: nx.DiGraph) -> None:
        """Remember what a graph was made from (its storyboard as a version, its schedule
        settings), so that ``gc`` keeps its artifacts."""
        storyboard: Storyboard | None = graph.graph.get("storyboard")
        config: ScheduleConfig | None = graph.graph.get("config")
        if storyboard is None or config is None:
            raise UserError("this graph was not made by director.schedule(); it cannot be "
                            "recorded in a project")
        self.save_storyboard(storyboard)
        data = config.model_dump(mode="json")
        path = self.schedules / f"{digest(data)[:16]}.json"
        if not path.exists():
            atomic_write_text(path, json.dumps(data, indent=1, sort_keys=True) + "\n")

    def schedule_configs(self) -> list[ScheduleConfig]:
        """Every recorded schedule setting."""
        configs = []
        for path in sorted(self.schedules.glob("*.json")):
            try:
                configs.append(ScheduleConfig.model_validate_json(path.read_text("utf-8")))
            except ValueError as error:
                log.warning("skipping %s: %s", path, error)
        return configs

    def reachable_keys(self) -> set[str]:
        """Keys of every job of every saved storyboard under every recorded setting."""
        configs = self.schedule_configs()
        keys: set[str] = set()
        for _, storyboard in self.iter_storyboards():
            for config in configs:
                keys |= graph_keys(schedule_config(storyboard, config))
        return keys

    def gc(self) -> GcResult:
        """Drop the artifacts that no saved storyboard version reaches. Refuses (UserError)
        when the project records no storyboard version or no schedule setting: then it
        cannot tell what is reachable, and would otherwise drop everything. Holds the
        project (no render runs meanwhile) and removes gone writers' unfinished writes."""
        if not self.versions() or not self.schedule_configs():
            raise UserError(f"{str(self.root)!r} records no rendered storyboard (storyboards/"
                            f" and schedules/ are empty), so nothing would be kept; gc refused")
        with self.lock():
            versions = self._sweep_versions()
            result = self.store.gc(self.reachable_keys())
        return result.model_copy(update={
            "unfinished_removed": result.unfinished_removed + versions})


def _same(path: Path, storyboard: Storyboard) -> bool:
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return digest(saved) == digest(storyboard.model_dump(mode="json"))
