"""Chat sessions: revise a film turn by turn, with history, undo and redo.

A turn loads the project's newest storyboard version, asks a reviser (``agents.revise``:
offline rules or an LLM) for edit operations, applies them (``storyboard.edits``), saves
the result as the next version, appends the turn to ``DIR/chat/history.json`` and renders
the film again: only the jobs whose output changed run. Undo, redo and restore save a
version equal to an earlier one, so they re-make nothing (every job is reused).

    session = Session("fox.director")
    revision = session.send("make the owl white, cut shot 3")
    revision.described, revision.diff, revision.version, revision.report.jobs.run
    session.undo()

The project remembers its film (``DIR/film.json``: the output path and the render options
it was made with), so a revision needs only the project folder.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from director.project import Project
from director.report import RenderReport
from storyboard import Storyboard, diff
from storyboard.edits import Operation, apply, describe, dump, parse_operations
from storyboard.errors import UserError
from storyboard.io import atomic_write_text, load

FILM_RECORD = "film.json"
HISTORY = Path("chat") / "history.json"
TurnKind = Literal["revise", "undo", "redo", "restore"]


class Turn(BaseModel):
    """One entry of the chat history."""

    version: int = Field(description="the storyboard version this turn saved")
    message: str = Field(description="what the person asked ('undo' etc. for those)")
    reviser: str = Field(description="'offline', 'openai:MODEL', or 'undo'/'redo'/'restore'")
    described: list[str] = Field(default_factory=list, description="the operations in words")
    diff: str = ""
    created: str = Field(description="UTC time, ISO 8601")
    kind: TurnKind = "revise"
    base: int = Field(description="the version the turn started from")
    operations: list[dict[str, Any]] = Field(default_factory=list,
                                             description="the operations, JSON form")
    report: dict[str, Any] | None = Field(None, description="jobs run and reused, seconds")


@dataclass
class Revision:
    """What one turn did."""

    operations: list[Operation]
    described: list[str]
    diff: str
    version: int
    report: RenderReport | None = None
    storyboard: Storyboard | None = field(default=None, repr=False)
    notes: list[str] = field(default_factory=list)
    """what the reviser repaired or wants the person to know"""
    changed: bool = True
    """False when the operations left the storyboard as it was (no version saved)"""


# -- the film a project makes ------------------------------------------------------------


def remember_film(project: Project, output: str | os.PathLike, options: dict[str, Any]) -> None:
    """Record the project's film path and the render options it was made with."""
    plain = {k: str(v) if isinstance(v, os.PathLike) else v for k, v in options.items()
             if v is None or isinstance(v, (str, int, float, bool, os.PathLike))}
    record = {"output": str(Path(output).resolve()), "options": plain}
    path = project.root / FILM_RECORD
    try:
        if json.loads(path.read_text(encoding="utf-8")) == record:
            return
    except (OSError, ValueError):
        pass
    atomic_write_text(path, json.dumps(record, indent=1, sort_keys=True) + "\n")


def film_record(project: Project) -> dict[str, Any]:
    """``{"output": path, "options": {...}}`` of the project's film; a guess
    (``NAME.mp4`` beside ``NAME.director``) when no render recorded one."""
    try:
        record = json.loads((project.root / FILM_RECORD).read_text(encoding="utf-8"))
        if isinstance(record, dict) and isinstance(record.get("output"), str):
            return {"output": record["output"], "options": dict(record.get("options") or {})}
    except (OSError, ValueError):
        pass
    root = project.root
    return {"output": str(root.with_suffix(".mp4") if root.suffix == ".director"
                          else root / "film.mp4"), "options": {}}


# -- history -------------------------------------------------------------------------------


def version_number(path: Path) -> int:
    """``v0012.json`` -> 12."""
    return int(path.stem.removeprefix("v"))


class History:
    """The chat history of a project: ``DIR/chat/history.json``, a JSON list of turns."""

    def __init__(self, project: Project) -> None:
        self.path = project.root / HISTORY

    def turns(self) -> list[Turn]:
        if not self.path.exists():
            return []
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return [Turn.model_validate(t) for t in data]
        except (OSError, ValueError, TypeError, ValidationError) as error:
            raise UserError(f"cannot read the chat history {str(self.path)!r}: "
                            f"{str(error).splitlines()[0]}; move it away to start afresh"
                            ) from None

    def append(self, turn: Turn) -> None:
        turns = [t.model_dump(mode="json") for t in self.turns()]
        turns.append(turn.model_dump(mode="json"))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, json.dumps(turns, indent=1, ensure_ascii=False) + "\n")

    def stacks(self) -> tuple[list[int], list[int]]:
        """Versions that undo and redo go back to, the next one last."""
        undo: list[int] = []
        redo: list[int] = []
        for turn in self.turns():
            if turn.kind in ("revise", "restore"):
                undo.append(turn.base)
                redo.clear()
            elif turn.kind == "undo" and undo:
                undo.pop()
                redo.append(turn.base)
            elif turn.kind == "redo" and redo:
                redo.pop()
                undo.append(turn.base)
        return undo, redo


# -- the session ----------------------------------------------------------------------------


class Session:
    """Turn-by-turn revision of one project's film (see the module docstring).

    ``llm`` and ``llm_timeout`` choose the reviser as for planning; ``render=False`` saves
    versions without rendering; ``output`` overrides the remembered film path;
    ``render_options`` are those of :func:`director.api.render` and override the ones the
    film was made with."""

    def __init__(self, project: str | os.PathLike, llm: str | None = None, *,
                 llm_timeout: float | None = None, render: bool = True,
                 output: str | os.PathLike | None = None,
                 report: str | os.PathLike | None = None, progress: bool = True,
                 **render_options: Any) -> None:
        self.project = Project(project)
        self.llm, self.llm_timeout = llm, llm_timeout
        self.render, self.output, self.report, self.progress = render, output, report, progress
        self.render_options = render_options
        self.log = History(self.project)
        if self.render:
            self._render_target()  # bad output or options: say so before any work

    # -- reading -------------------------------------------------------------------------------
    @property
    def storyboard(self) -> Storyboard:
        """The project's newest storyboard version."""
        return self._latest()[1]

    @property
    def version(self) -> int:
        """The newest version's number."""
        return self._latest()[0]

    def history(self) -> list[Turn]:
        """Every turn, oldest first."""
        return self.log.turns()

    # -- turns -----------------------------------------------------------------------------------
    def send(self, message: str) -> Revision:
        """Revise the film as ``message`` asks; UserError (nothing changed) when the
        reviser cannot map it or the operations cannot be applied."""
        import agents.revise

        if not message or not message.strip():
            raise UserError("the message is empty: say what to change, e.g. 'cut shot 3'")
        base, board = self._latest()
        proposed = agents.revise.revise(board, message, llm=self.llm,
                                        llm_timeout=self.llm_timeout,
                                        project=self.project.root)
        new = apply(board, proposed.operations)
        revision = self._save("revise", message, proposed.reviser, base, board, new,
                              proposed.operations)
        revision.notes = list(proposed.notes)
        return revision

    def apply(self, operations: list[Operation | dict], message: str = "",
              reviser: str = "operations") -> Revision:
        """Apply operations given directly (their JSON form or models) as one turn."""
        ops = parse_operations([op if isinstance(op, dict) else op.model_dump()
                                for op in operations])
        base, board = self._latest()
        return self._save("revise", message or "; ".join(describe(ops)), reviser, base,
                          board, apply(board, ops), ops)

    def undo(self) -> Revision:
        """Go back to the version before the last revision (a new version equal to it)."""
        undo, _ = self.log.stacks()
        if not undo:
            raise UserError("nothing to undo: no revision has been made in this project")
        return self._go_to("undo", undo[-1])

    def redo(self) -> Revision:
        """Make again the revision the last undo took back."""
        _, redo = self.log.stacks()
        if not redo:
            raise UserError("nothing to redo: no undo since the last revision")
        return self._go_to("redo", redo[-1])

    def restore(self, version: int) -> Revision:
        """Go back to any saved version (a new version equal to it)."""
        return self._go_to("restore", version)

    # -- inside -------------------------------------------------------------------------------
    def _latest(self) -> tuple[int, Storyboard]:
        path = self.project.latest_path()
        if path is None:
            raise UserError(f"{str(self.project.root)!r} holds no storyboard yet: make the"
                            f" film first (director make REQUEST --project"
                            f" {self.project.root})")
        return version_number(path), load(path)

    def _go_to(self, kind: TurnKind, version: int) -> Revision:
        path = self.project.storyboards / f"v{version:04d}.json"
        if not path.is_file():
            known = ", ".join(str(version_number(p)) for p in self.project.versions())
            raise UserError(f"no storyboard version {version} in {str(self.project.root)!r};"
                            f" versions: {known}")
        base, board = self._latest()
        target = load(path)
        words = {"undo": "undo: back to", "redo": "redo: forward to",
                 "restore": "restore:"}[kind]
        return self._save(kind, kind if kind != "restore" else f"restore {version}", kind,
                          base, board, target, [], described=[f"{words} version {version}"])

    def _save(self, kind: TurnKind, message: str, reviser: str, base: int, old: Storyboard,
              new: Storyboard, operations: list[Operation],
              described: list[str] | None = None) -> Revision:
        changes = diff(old, new)
        described = describe(operations) if described is None else described
        if not changes and kind == "revise":
            return Revision(operations, described, str(changes), base, None, new, changed=False)
        path, _ = self.project.save_storyboard(new)
        version = version_number(path)
        report = self._render(new) if self.render else None
        self.log.append(Turn(
            version=version, message=message, reviser=reviser, described=described,
            diff=str(changes), created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            kind=kind, base=base, operations=dump(operations),
            report=None if report is None else {
                "ok": report.ok, "run": report.jobs.run, "reused": report.jobs.reused,
                "total": report.jobs.total, "seconds": round(report.wall_seconds, 3),
                "output": report.output}))
        return Revision(operations, described, str(changes), version, report, new)

    def _render_target(self) -> tuple[str, dict[str, Any]]:
        from director import api

        record = film_record(self.project)
        output = str(self.output) if self.output is not None else record["output"]
        options = {**record["options"], **{k: v for k, v in self.render_options.items()}}
        options.pop("project", None)
        api.check_render_target(output, project=self.project.root, audio=options.get("audio"),
                                animator=options.get("animator", "animatic"),
                                report=self.report)
        return output, options

    def _render(self, board: Storyboard) -> RenderReport:
        from director import api

        output, options = self._render_target()
        return api.render(board, output, project=self.project.root, report=self.report,
                          progress=self.progress, **options)
