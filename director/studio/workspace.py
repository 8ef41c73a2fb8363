"""One project folder opened in the studio: what the page shows and the actions it offers.

Every action calls the Python API (``api.make``, ``api.revise``, ``api.render``,
``api.restore``): the studio holds no planning, revising or rendering of its own. Actions
that make frames run as background jobs (one at a time per project). The film is made
where the command line makes it (``NAME.mp4`` beside ``NAME.director``, or where it was
last made); a copy of it and the contact sheet are kept per version under ``DIR/studio/``:

    DIR/studio/films/v0003.mp4 (+ .vtt)    a copy of each version's film made here
    DIR/studio/sheets/v0003.png            its contact sheet
    DIR/studio/chat.json                   the chat transcript
    DIR/studio/versions.json               what made the versions that no chat turn made
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from director import api
from director.execute import RenderReport
from director.project import Project
from director.session import film_record
from director.studio import views
from director.studio.captions import write_vtt
from director.studio.jobs import Job, JobRunner
from director.studio.settings import Settings
from director.studio.transcript import Transcript
from storyboard import Storyboard
from storyboard.errors import UserError
from storyboard.io import atomic_path, atomic_write_text, writable_dir

_NUMBER = re.compile(r"^v(\d+)\.json$")


@dataclass(frozen=True)
class Outcome:
    """What a background job ended with: the version it left current, and the answer."""

    version: int | None
    answer: str
    report: RenderReport | None = None


@dataclass(frozen=True)
class Version:
    """A saved storyboard version, for the versions list."""

    number: int
    path: Path
    created: datetime
    message: str
    """the chat turn (or the action) that made it; empty when unknown"""

    @property
    def label(self) -> str:
        return f"v{self.number}"


@dataclass(frozen=True)
class Current:
    """What the page shows for the newest version."""

    version: int | None
    storyboard: Storyboard | None
    film: Path | None
    film_version: int | None
    """the version the film shows: the newest version that has one"""
    subtitles: Path | None
    sheet: Path | None


class Workspace:
    """A project folder, its settings, its transcript and its one background job."""

    def __init__(self, root: str | os.PathLike, settings: Settings | None = None) -> None:
        self.project = Project(root)
        self.root = self.project.root.resolve()
        studio = writable_dir(self.root / "studio")
        self.films = writable_dir(studio / "films")
        self.sheets = writable_dir(studio / "sheets")
        self.transcript = Transcript(studio / "chat.json")
        self.labels = studio / "versions.json"
        self.settings = (settings or Settings()).checked(self.root)
        self.jobs = JobRunner()
        self._start_lock = threading.Lock()

    # -- what the page shows ---------------------------------------------------------------
    def versions(self) -> list[Version]:
        """Every saved version, newest first, with the chat turn that made it."""
        messages = self._turn_messages()
        found = []
        for path in self.project.versions():
            number = _number(path)
            created = datetime.fromtimestamp(path.stat().st_mtime)
            found.append(Version(number, path, created, messages.get(number, "")))
        return found[::-1]

    def latest_version(self) -> int | None:
        path = self.project.latest_path()
        return _number(path) if path else None

    def latest_text(self) -> str:
        """The newest version's file as it is (to fix by hand when it does not load)."""
        path = self.project.latest_path()
        return path.read_text(encoding="utf-8", errors="replace") if path else ""

    def storyboard(self, version: int) -> Storyboard:
        """A saved version, or UserError when there is none by that number."""
        path = self.project.storyboards / f"v{version:04d}.json"
        if not path.is_file():
            raise UserError(f"there is no version {version} in {str(self.root)!r}")
        return api.load(path)

    def current(self) -> Current:
        """The newest version, its contact sheet, and the newest film rendered here."""
        version = self.latest_version()
        if version is None:
            return Current(None, None, None, None, None, None)
        board = self.storyboard(version)
        film_version = next((v.number for v in self.versions() if self.film(v.number)), None)
        film = self.film(film_version) if film_version else None
        subtitles = film.with_suffix(".vtt") if film else None
        return Current(version, board, film, film_version,
                       subtitles if subtitles and subtitles.exists() else None,
                       self.sheet(version, board))

    def film(self, version: int | None) -> Path | None:
        """The film of ``version`` rendered in the studio, if there is one."""
        if version is None:
            return None
        path = self.films / f"v{version:04d}.mp4"
        return path if path.is_file() else None

    def sheet(self, version: int, board: Storyboard | None = None) -> Path:
        """The contact sheet of ``version`` (drawn the first time it is asked for)."""
        path = self.sheets / f"v{version:04d}.png"
        if not path.is_file():
            api.sheet(board or self.storyboard(version), path)
        return path

    def compare(self, version: int) -> str:
        """What restoring ``version`` would change in the newest one, as Markdown."""
        latest = self.latest_version()
        if latest is None:
            raise UserError("there is no version yet: type a request to make the first")
        if version == latest:
            return f"**v{version}** is the current version."
        changes = api.diff(self.storyboard(latest), self.storyboard(version))
        return views.diff_markdown(version, latest, changes)

    # -- settings ----------------------------------------------------------------------------
    def configure(self, settings: Settings) -> Settings:
        """Use ``settings`` from the next action on; UserError if one is unusable."""
        self.settings = settings.checked(self.root)
        return self.settings

    # -- actions (each starts a background job and returns it at once) -------------------------
    def chat(self, message: str) -> Job[Outcome]:
        """The first message plans and renders a film; later ones revise it."""
        message = (message or "").strip()
        if not message:
            raise UserError("the message is empty: describe the film, or what to change")
        if self.latest_version() is None:
            return self._start("planning and rendering", message,
                               lambda job: self._make(job, message))
        return self._start("revising", message, lambda job: self._revise(job, message))

    def apply_edit(self, text: str) -> Job[Outcome]:
        """A hand-edited storyboard (JSON text) becomes a new version and is rendered.
        Checked before anything starts: StoryboardError lists every problem with its
        JSON path, and nothing is saved."""
        board = parse_storyboard(text)
        return self._start("rendering the edited storyboard", "Apply the edited storyboard",
                           lambda job: self._render(job, board, "edited by hand"))

    def render_latest(self) -> Job[Outcome]:
        """Render the newest version (opened from a project that has no film here yet)."""
        version = self.latest_version()
        if version is None:
            raise UserError("there is no version yet: type a request to make the first")
        board = self.storyboard(version)
        return self._start(f"rendering v{version}", f"Render v{version}",
                           lambda job: self._render(job, board, None))

    def restore(self, version: int) -> Job[Outcome]:
        """Make ``version`` current again as a new version (reusing what is stored)."""
        self.storyboard(version)  # UserError for a version that does not exist
        return self._start(f"restoring v{version}", f"Restore v{version}",
                           lambda job: self._restore(job, version))

    # -- the work of the jobs (in the job's thread) -------------------------------------------
    def _make(self, job: Job, message: str) -> Outcome:
        planned: list = []

        def on_plan(result) -> None:
            planned.append(result)
            job.progress.step("rendering")

        job.progress.step("planning the storyboard")
        with _project_lock(self.project):
            report = api.make(message, self._film_output(), project=self.root,
                              llm=self.settings.llm, on_plan=on_plan, progress=job.progress,
                              **self.settings.render_options())
            version = self._publish(job, report)
            self._label(version, f"planned: {message}")
        return Outcome(version, views.made_answer(planned[0], version, report), report)

    def _revise(self, job: Job, message: str) -> Outcome:
        job.progress.step("revising the storyboard")
        with _project_lock(self.project):
            revision = api.revise(self.root, message, llm=self.settings.llm,
                                  progress=job.progress, **self.settings.render_options())
            if not revision.changed:
                return Outcome(revision.version, views.unchanged_answer(revision))
            version = self._publish(job, revision.report)
        return Outcome(version, views.revised_answer(revision), revision.report)

    def _render(self, job: Job, board: Storyboard, label: str | None) -> Outcome:
        job.progress.step("rendering")
        before = self.latest_version()
        with _project_lock(self.project):
            report = api.render(board, self._film_output(), project=self.root,
                                progress=job.progress, **self.settings.render_options())
            version = self.latest_version()
            if label is not None and version != before:
                self._label(version, label)
            version = self._publish(job, report)
        return Outcome(version, views.rendered_answer(version, before, report), report)

    def _restore(self, job: Job, version: int) -> Outcome:
        job.progress.step(f"restoring v{version}")
        with _project_lock(self.project):
            revision = api.restore(self.root, version, progress=job.progress,
                                   **self.settings.render_options())
            current = self._publish(job, revision.report)
        return Outcome(current, views.restored_answer(version, revision), revision.report)

    # -- helpers -------------------------------------------------------------------------------
    def _start(self, title: str, message: str, work: Callable[[Job], Outcome]) -> Job[Outcome]:
        """Start ``work`` as the project's job, with ``message`` as the person's turn in
        the chat; UserError when a job is running."""
        with self._start_lock:
            if self.jobs.current is not None and self.jobs.current.running:
                raise UserError(f"{self.jobs.current.title} is still running for this"
                                f" project: wait for it to finish, then try again")
            self.transcript.add("user", message)
            return self.jobs.start(title, work, on_end=self._answer)

    def _answer(self, job: Job[Outcome]) -> None:
        if job.error is not None:
            self.transcript.add("assistant", views.error_answer(job.error))
        elif job.result is not None:
            self.transcript.add("assistant", job.result.answer)

    def _film_output(self) -> Path:
        """Where the project's film goes: where it was last made (``director revise``
        renders there too), else ``NAME.mp4`` beside ``NAME.director``."""
        return Path(film_record(self.project)["output"])

    def _publish(self, job: Job, report: RenderReport) -> int:
        """Keep a copy of the rendered film (with its subtitles as WebVTT) as the newest
        version's film in the studio, and draw that version's contact sheet. A failed
        render raises UserError; the films of earlier versions stay as they were."""
        version = self.latest_version()
        if not report.ok:
            raise UserError(f"the render of v{version} failed: {report.failure_summary()}")
        job.progress.step("publishing the film")
        film = self.films / f"v{version:04d}.mp4"
        with atomic_path(film) as tmp:
            shutil.copyfile(report.output, tmp)
        srt = Path(report.output).with_suffix(".srt")
        if srt.is_file():
            write_vtt(srt, film.with_suffix(".vtt"))
        else:
            film.with_suffix(".vtt").unlink(missing_ok=True)
        self.sheet(version)
        return version

    def _label(self, version: int, words: str) -> None:
        """Remember what made ``version`` when it was not a chat turn (a plan, an edit)."""
        labels = self._labels()
        labels[str(version)] = words
        atomic_write_text(self.labels, json.dumps(labels, indent=1) + "\n")

    def _labels(self) -> dict[str, str]:
        try:
            data = json.loads(self.labels.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {k: v for k, v in data.items() if isinstance(v, str)} \
            if isinstance(data, dict) else {}

    def _turn_messages(self) -> dict[int, str]:
        """What made each version: its chat turn, else what the studio remembered."""
        messages = {int(k): v for k, v in self._labels().items() if k.isdigit()}
        try:
            turns = api.history(self.root)
        except UserError:
            return messages
        return messages | {turn.version: turn.message for turn in turns}


_PROJECT_LOCKS: dict[Path, threading.Lock] = {}
_PROJECT_LOCKS_LOCK = threading.Lock()


def _project_lock(project: Project) -> threading.Lock:
    """One render per project folder at a time in this process."""
    with _PROJECT_LOCKS_LOCK:
        return _PROJECT_LOCKS.setdefault(project.root.resolve(), threading.Lock())


def parse_storyboard(text: str) -> Storyboard:
    """A storyboard from the editor's JSON text; UserError (StoryboardError with JSON
    paths for validation problems) saying what is wrong and where."""
    try:
        data = json.loads(text or "")
    except json.JSONDecodeError as error:
        raise UserError(f"the storyboard is not valid JSON: {error.msg} at line"
                        f" {error.lineno}, column {error.colno}") from None
    if not isinstance(data, dict):
        raise UserError(f"the storyboard must be a JSON object; got {type(data).__name__}")
    return api.validate(data, source="the edited storyboard")


def _number(path: Path) -> int:
    match = _NUMBER.match(path.name)
    if match is None:
        raise ValueError(f"not a storyboard version file: {path}")
    return int(match.group(1))

