"""The `director` command: a thin shell over the Python API in `director.api`.

Every subcommand has the name of the library function it calls. Wrong input ends with a
one-line message and a non-zero exit, never a traceback (``--verbose`` shows one).
"""

from __future__ import annotations

import logging
import sys
import traceback

import click

from director.cli.cache import cache
from director.cli.eval import eval_command
from director.cli.film_commands import make, render
from director.cli.graph import graph
from director.cli.storyboard_commands import plan, schema, sheet, validate
from director.cli.studio import studio
from storyboard.errors import UserError

GLOBAL_FLAGS = ("--verbose", "-v")
"""Options of the group that are accepted after the subcommand too."""


class _Cli(click.Group):
    """The command group; global flags may come anywhere before ``--``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_flags(args))


def hoist_global_flags(args: list[str]) -> list[str]:
    """``args`` with the global flags moved before the subcommand (``plan x --verbose``
    is ``--verbose plan x``); nothing after ``--`` is moved."""
    end = args.index("--") if "--" in args else len(args)
    flags = [a for a in args[:end] if a in GLOBAL_FLAGS]
    return flags + [a for a in args[:end] if a not in GLOBAL_FLAGS] + args[end:]


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--verbose", "-v", is_flag=True, help="Show debug logs and tracebacks.")
@click.version_option(package_name="llm-director", prog_name="director")
def cli(verbose: bool) -> None:
    """Plan and render films from a plain-language request, offline by default."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


for command in (make, render, plan, validate, schema, sheet, graph, cache, eval_command,
                studio):
    cli.add_command(command)


def one_line(text: str) -> str:
    """A message on one line: its lines joined, runs of spaces collapsed."""
    return " ".join(text.split())


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script: runs the command, turns errors into one line."""
    args = sys.argv[1:] if argv is None else argv
    before = args[:args.index("--")] if "--" in args else args
    verbose = any(flag in before for flag in GLOBAL_FLAGS)
    try:
        code = cli.main(args=args, prog_name="director", standalone_mode=False)
    except click.ClickException as error:
        error.show()
        code = error.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("interrupted: what was finished is kept; run the same command again to"
                   " resume", err=True)
        code = 130
    except UserError as error:
        if verbose:
            traceback.print_exc()
        click.echo(f"error: {one_line(str(error))}", err=True)
        code = 1
    except Exception as error:  # noqa: BLE001 - the last line of defence of a CLI
        if verbose:
            traceback.print_exc()
        hint = "" if verbose else " (run with --verbose for details)"
        click.echo(f"error: {type(error).__name__}: {one_line(str(error))}{hint}", err=True)
        code = 1
    sys.exit(code if isinstance(code, int) else 0)
