"""Words for the page: chat answers, the render report, diffs, validation problems and
the versions table. Plain functions of API results; Markdown where the page shows it."""

from __future__ import annotations

from director.cli.storyboard_commands import describe
from director.execute import RenderReport
from storyboard import StoryboardDiff
from storyboard.errors import StoryboardError, UserError


def jobs_line(report: RenderReport) -> str:
    """'327 frames; 32 jobs: 30 run, 2 reused; 4.3 s' (the words of `director make`)."""
    jobs = report.jobs
    reused = "every job reused" if jobs.run == 0 else f"{jobs.run} run, {jobs.reused} reused"
    return f"{report.frames} frames; {jobs.total} jobs: {reused}; {report.wall_seconds:.1f} s"


def made_answer(planned, version: int | None, report: RenderReport) -> str:
    """The answer to the first message: the plan, the planner's notes and the render."""
    board = planned.storyboard
    lines = [f"Planned **{board.title}** ({describe(board)}) as v{version} and rendered it:"
             f" {jobs_line(report)}."]
    lines += [f"- note: {note}" for note in planned.notes]
    return "\n".join(lines)


def revised_answer(revision) -> str:
    """What a revision changed, in words, and how much was made again."""
    lines = [f"Revised into v{revision.version}: {jobs_line(revision.report)}."]
    lines += [f"- {line}" for line in revision.described]
    lines += [f"- note: {note}" for note in revision.notes]
    return "\n".join(lines)


def unchanged_answer(revision) -> str:
    """A revision whose operations left the storyboard as it was."""
    said = "; ".join(revision.described)
    return (f"Nothing changed: v{revision.version} already is like that"
            f"{f' ({said})' if said else ''}.")


def rendered_answer(version: int | None, before: int | None, report: RenderReport) -> str:
    """The answer to an applied storyboard edit (or a render of the newest version)."""
    if version == before:
        return f"Rendered v{version} (the storyboard is unchanged): {jobs_line(report)}."
    return f"Saved the edited storyboard as v{version} and rendered it: {jobs_line(report)}."


def restored_answer(restored: int, revision) -> str:
    """The answer to a restore."""
    return f"Restored v{restored} as v{revision.version}: {jobs_line(revision.report)}."


def error_answer(message: str) -> str:
    return f"**Could not do that:** {message}\n\nNothing already made was lost."


def error_markdown(error: UserError) -> str:
    """A problem for the page: every validation problem with its JSON path, else one line."""
    if isinstance(error, StoryboardError) and error.problems:
        count = len(error.problems)
        lines = [f"**{error.source} is not valid** ({count} problem{'s' * (count != 1)};"
                 f" nothing was saved):"]
        lines += [f"- `{problem.path or '<root>'}`: {problem.message}"
                  for problem in error.problems]
        return "\n".join(lines)
    return f"**{error}**"


def report_markdown(report: RenderReport) -> str:
    """The render report: a table of jobs per kind, then depth, time and failures."""
    lines = ["| jobs | total | run | reused | seconds |", "| --- | ---: | ---: | ---: | ---: |"]
    for kind, stats in report.jobs.by_kind.items():
        lines.append(f"| {kind} | {stats.total} | {stats.run} | {stats.reused} |"
                     f" {stats.seconds:.2f} |")
    jobs = report.jobs
    lines.append(f"| **all** | **{jobs.total}** | **{jobs.run}** | **{jobs.reused}** |"
                 f" {report.wall_seconds:.2f} wall |")
    lines += ["", f"{report.frames} frames · graph depth {report.depth} ·"
                  f" {jobs.failed} failed"]
    lines += [f"- failed: `{f.job}` ({f.kind}): {f.message}" for f in report.failures]
    return "\n".join(lines)


def diff_markdown(version: int, latest: int, changes: StoryboardDiff) -> str:
    """What restoring ``version`` would change in the current version ``latest``."""
    if not changes:
        return f"**v{version}** has the same storyboard as the current v{latest}."
    lines = [f"**Restoring v{version}** would change the current v{latest}:"]
    lines += [f"- {line}" for line in changes.summary()]
    return "\n".join(lines)

