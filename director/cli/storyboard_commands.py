"""Commands on the storyboard document: plan, validate, schema, sheet."""

from __future__ import annotations

import json
from pathlib import Path

import click

from director import api
from storyboard import Storyboard


def _count(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def describe(board: Storyboard) -> str:
    """'2 scenes, 4 shots, 5 entities, 14.5 s'."""
    shots = sum(len(scene.shots) for scene in board.scenes)
    seconds = sum(shot.duration for _, shot in board.iter_shots())
    return (f"{_count(len(board.scenes), 'scene')}, {_count(shots, 'shot')},"
            f" {len(board.entities)} {'entity' if len(board.entities) == 1 else 'entities'},"
            f" {seconds:.1f} s")


@click.command()
@click.argument("request")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="storyboard.json",
              show_default=True, help="Where to write the storyboard JSON.")
@click.option("--llm", default=None,
              help="'offline' (rule-based, no network) or 'openai:MODEL'. "
                   "Default: the configured one, else offline.")
@click.option("--llm-timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds the LLM may take for the whole plan, retries and repairs"
                   " included (default 600).")
@click.option("--project", type=click.Path(file_okay=False), default=None,
              help="Project folder whose director.toml holds LLM settings.")
@click.option("--seed", type=int, default=0, show_default=True, help="Storyboard seed.")
def plan(request: str, output: str, llm: str | None, llm_timeout: float | None,
         project: str | None, seed: int) -> None:
    """Plan a storyboard from a plain-language REQUEST."""
    result = api.plan_with_notes(request, llm=llm, seed=seed, llm_timeout=llm_timeout,
                                 project=project)
    storyboard = result.storyboard
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    api.save(storyboard, output)
    click.echo(f"planned {storyboard.title!r}: {describe(storyboard)} -> {output}")


@click.command()
@click.argument("storyboard", type=click.Path(dir_okay=False))
def validate(storyboard: str) -> None:
    """Check a STORYBOARD JSON file; list every problem with its JSON path."""
    from storyboard.errors import StoryboardError

    try:
        board = api.load(storyboard)
    except StoryboardError as error:
        click.echo(f"{storyboard}: {len(error.problems)} problem(s)", err=True)
        for problem in error.problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(1) from None
    click.echo(f"{storyboard}: valid ({describe(board)})")


@click.command()
def schema() -> None:
    """Print the JSON Schema of the storyboard format."""
    click.echo(json.dumps(api.json_schema(), indent=2))


@click.command()
@click.argument("storyboard", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="sheet.png",
              show_default=True, help="Where to write the contact sheet (PNG).")
@click.option("--project", type=click.Path(file_okay=False), default=None,
              help="Show the entity reference images this project's renders made.")
def sheet(storyboard: str, output: str, project: str | None) -> None:
    """Draw the contact sheet of a STORYBOARD: every shot's keyframes with their boxes."""
    path = api.sheet(api.load(storyboard), output, project=project,
                     assets=Path(storyboard).parent)
    click.echo(f"contact sheet -> {path}")
