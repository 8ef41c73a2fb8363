"""The page's event handlers, free of Gradio: each takes the page's inputs and returns
the parts of the page to update, by name (a part not named stays as it is).

Actions that make frames start a background job and return at once; the page then polls
(:meth:`Handlers.poll`) for its progress and, when it ends, refreshes every part.
"""

from __future__ import annotations

from typing import Any

from director.execute import RenderReport
from director.studio import views
from director.studio.workspace import Current, Workspace
from storyboard import to_json
from storyboard.errors import UserError

Update = dict[str, Any]
"""Parts of the page by name: chat, request, error, notice, progress, film, film_label, sheet,
editor, edit_message, versions, compare, report, render_button, settings, polling,
watching (the id of the job this page waits for, or None)"""


class Handlers:
    """The studio's handlers for one workspace (shared by every open page)."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    # -- the whole page ----------------------------------------------------------------------
    def load(self) -> Update:
        """Everything, as a newly opened page shows it; follows a job already running."""
        update = self.refresh()
        job = self.workspace.jobs.current
        if job is not None and job.running:
            update.update(progress=job.progress.markdown(), polling=True, watching=job.id)
        return update

    def refresh(self) -> Update:
        """Every part from the project folder as it is now."""
        ws = self.workspace
        try:
            current, problem = ws.current(), None
        except UserError as error:  # the newest version was broken on disk
            current, problem = Current(ws.latest_version(), None, None, None, None, None), error
        versions = ws.versions()
        report = self._latest_report()
        update = {
            "chat": ws.transcript.messages(),
            "film": (current.film, current.subtitles),
            "film_label": _film_label(current),
            "sheet": current.sheet,
            "editor": to_json(current.storyboard) if current.storyboard else "",
            "versions": ([(_version_choice(v), v.number) for v in versions], None),
            "compare": "",
            "report": views.report_markdown(report) if report else "No render yet.",
            "render_button": current.version is not None
                             and current.film_version != current.version,
            "settings": ws.settings,
            "progress": "",
            "polling": False,
            "watching": None,
        }
        if problem is not None:  # show it, and its text to fix and apply
            update.update(_failed(problem), editor=ws.latest_text())
        return update

    # -- actions -------------------------------------------------------------------------------
    def send(self, message: str) -> Update:
        """A chat message: plan and render the first film, or revise the current one."""
        try:
            job = self.workspace.chat(message)
        except UserError as error:
            return _failed(error)
        return self._started(job, chat=self.workspace.transcript.messages(), request="")

    def apply_edit(self, text: str) -> Update:
        """The storyboard editor's Apply: problems with JSON paths, or a new version."""
        try:
            job = self.workspace.apply_edit(text)
        except UserError as error:
            return {"edit_message": views.error_markdown(error)}
        return self._started(job, edit_message="The edit is valid: rendering it as a new"
                                               " version…")

    def render_latest(self) -> Update:
        return self._action(self.workspace.render_latest)

    def compare(self, version: int | None) -> Update:
        """A version picked in the list: its diff from the current version."""
        if version is None:
            return {"compare": ""}
        try:
            return {"compare": self.workspace.compare(int(version))}
        except UserError as error:
            return {"compare": views.error_markdown(error)}

    def restore(self, version: int | None) -> Update:
        if version is None:
            return _failed(UserError("pick a version to restore in the list first"))
        return self._action(lambda: self.workspace.restore(int(version)))

    def undo(self) -> Update:
        return self._action(self.workspace.undo)

    def redo(self) -> Update:
        return self._action(self.workspace.redo)

    def configure(self, animator: str, llm: str, workers: Any, preset: str = "") -> Update:
        """Settings for the next actions."""
        ws = self.workspace
        try:
            settings = ws.configure(ws.settings.with_changes(animator=animator, llm=llm,
                                                             workers=workers, preset=preset))
        except UserError as error:
            return {**_failed(error), "settings": ws.settings}
        llm_name = settings.llm or "the configured LLM (offline unless one is set)"
        preset = f" (preset {settings.preset})" if settings.preset else ""
        return {"error": "", "notice": f"Settings saved: the {settings.animator} animator{preset},"
                          f" {settings.workers} workers, {llm_name}.",
                "settings": settings}

    # -- polling ------------------------------------------------------------------------------
    def poll(self, watching: int | None) -> Update:
        """The progress of the job this page waits for; everything once it has ended."""
        job = self.workspace.jobs.current
        if job is None or job.id != watching:
            return {"polling": False, "watching": None}
        if job.running:
            return {"progress": job.progress.markdown()}
        update = self.refresh()
        if job.error is not None:
            update.update(_failed(UserError(job.error)))
        else:
            update.update(error="", notice=job.result.answer if job.result else "")
            if job.result is not None and job.result.report is not None:
                update["report"] = views.report_markdown(job.result.report)
        return update

    # -- helpers -------------------------------------------------------------------------------
    def _action(self, start) -> Update:
        try:
            job = start()
        except UserError as error:
            return _failed(error)
        return self._started(job, chat=self.workspace.transcript.messages())

    def _started(self, job, **parts: Any) -> Update:
        return {"error": "", "notice": "", "progress": job.progress.markdown(), "polling": True,
                "watching": job.id, **parts}

    def _latest_report(self) -> RenderReport | None:
        reports = sorted(self.workspace.project.reports.glob("render-*.json"))
        for path in reversed(reports):
            try:
                return RenderReport.model_validate_json(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
        return None


def _failed(error: UserError) -> Update:
    return {"error": views.error_markdown(error), "notice": ""}


def _film_label(current) -> str:
    if current.version is None:
        return "Film: type a request to make one"
    if current.film_version is None:
        return f"Film: v{current.version} is not rendered here yet"
    if current.film_version != current.version:
        return f"Film of v{current.film_version} (v{current.version} is not rendered yet)"
    return f"Film · v{current.version}"


def _version_choice(version) -> str:
    turn = f" · {version.message}" if version.message else ""
    return f"v{version.number} · {version.created:%H:%M:%S}{turn}"
