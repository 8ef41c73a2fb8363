"""Commands that revise a film: revise, chat, history, undo, redo.

They take the render options of ``make`` and ``render`` (``render_options``); an option not
given on the command line is the one the film was last made with (the project remembers
it), so ``--project P`` (or the film's path with ``-o``) is enough.
"""

from __future__ import annotations

from typing import Any

import click
from click.core import ParameterSource

from director import api
from director.cli.film_commands import _finish, animator_flags, render_options
from director.cli.storyboard_commands import describe
from director.session import Revision, Session, Turn
from storyboard.errors import UserError

CHAT_HELP = ("type a change ('make the owl white, cut shot 3'), or: undo, redo, history,"
             " show, help, quit")


def _given(options: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The project folder and the render options given on the command line (the rest are
    remembered by the project)."""
    context = click.get_current_context()
    given = {name: value for name, value in options.items()
             if context.get_parameter_source(name) != ParameterSource.DEFAULT}
    animator_options = animator_flags(given)
    if animator_options:
        given["animator_options"] = animator_options
    project, output = given.pop("project", None), given.get("output")
    if project is None and output is None:
        raise UserError("name the film's project with --project DIR (or the film with -o"
                        " FILM.mp4, whose project is FILM.director beside it)")
    return str(project or api.default_project(output)), given


def _session(options: dict[str, Any], llm: str | None = None, llm_timeout: float | None = None,
             render: bool = True) -> Session:
    project, given = _given(options)
    return Session(project, llm, llm_timeout=llm_timeout, render=render, **given)


def _show(revision: Revision) -> None:
    for note in revision.notes:
        click.echo(f"note: {note}", err=True)
    if not revision.changed:
        click.echo(f"no change: the storyboard already is as asked (version"
                   f" {revision.version})")
        return
    for line in revision.described:
        click.echo(f"- {line}")
    click.echo(f"diff:\n  {revision.diff.replace(chr(10), chr(10) + '  ')}")
    click.echo(f"saved storyboard version {revision.version}")
    if revision.report is not None:
        _finish(revision.report)


def _turn_line(turn: Turn) -> str:
    what = "; ".join(turn.described) or turn.diff.replace("\n", "; ")
    jobs = f" [{turn.report['run']} run, {turn.report['reused']} reused]" if turn.report else ""
    return f"v{turn.version:<4} {turn.created}  {turn.reviser:<8} {turn.message!r}: {what}{jobs}"


_LLM = click.option("--llm", default=None,
                    help="'offline' (rules, no network) or 'openai:MODEL'. Default: the"
                         " configured one, else offline.")
_LLM_TIMEOUT = click.option("--llm-timeout", type=click.FloatRange(min=0, min_open=True),
                            default=None, help="Seconds the LLM may take for one revision.")
_NO_RENDER = click.option("--no-render", is_flag=True,
                          help="Save the new version without rendering the film.")


@click.command()
@click.argument("message")
@render_options
@_LLM
@_LLM_TIMEOUT
@_NO_RENDER
def revise(message: str, llm: str | None, llm_timeout: float | None, no_render: bool,
           **options: Any) -> None:
    """Revise the film as MESSAGE asks ("make the owl white, cut shot 3"), save the next
    storyboard version and render only what changed. Render options not given (the film's
    path included) are the ones the film was last made with."""
    _show(_session(options, llm, llm_timeout, not no_render).send(message))


@click.command()
@render_options
@_LLM
@_LLM_TIMEOUT
@_NO_RENDER
def chat(llm: str | None, llm_timeout: float | None, no_render: bool, **options: Any) -> None:
    """Revise the film turn by turn at a prompt (undo, redo, history, show, quit)."""
    session = _session(options, llm, llm_timeout, not no_render)
    click.echo(f"{session.storyboard.title!r}, version {session.version}: {CHAT_HELP}")
    while True:
        try:
            line = click.prompt("you", prompt_suffix="> ", default="", show_default=False)
        except click.exceptions.Abort:  # end of input
            click.echo()
            return
        command = line.strip().lower()
        try:
            if command in ("quit", "exit", "q"):
                return
            if command in ("", "help", "?"):
                click.echo(CHAT_HELP)
            elif command == "undo":
                _show(session.undo())
            elif command == "redo":
                _show(session.redo())
            elif command == "history":
                for turn in session.history():
                    click.echo(_turn_line(turn))
            elif command == "show":
                board = session.storyboard
                click.echo(f"version {session.version}: {board.title!r}: {describe(board)}")
                for number, (scene, shot) in enumerate(board.iter_shots(), 1):
                    click.echo(f"  shot {number} ({shot.id}, scene {scene.id}):"
                               f" {shot.duration:g} s, {shot.camera.size}, {shot.description}")
            else:
                _show(session.send(line))
        except UserError as error:  # the session goes on; nothing was changed
            click.echo(f"error: {error}", err=True)


@click.command()
@click.option("--project", type=click.Path(file_okay=False), required=True,
              help="The film's project folder.")
def history(project: str) -> None:
    """List the chat turns of a project, oldest first."""
    turns = api.history(project)
    if not turns:
        click.echo("no revisions yet")
    for turn in turns:
        click.echo(_turn_line(turn))


@click.command()
@render_options
@_NO_RENDER
def undo(no_render: bool, **options: Any) -> None:
    """Undo the last revision (a new version equal to the one before; re-makes nothing)."""
    _show(_session(options, render=not no_render).undo())


@click.command()
@render_options
@_NO_RENDER
def redo(no_render: bool, **options: Any) -> None:
    """Redo the revision the last undo took back."""
    _show(_session(options, render=not no_render).redo())
