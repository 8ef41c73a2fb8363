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
from director.cli.film_commands import make, render
from director.cli.graph import graph
from director.cli.storyboard_commands import plan, schema, sheet, validate
from director.cli.studio import studio
from storyboard.errors import UserError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--verbose", "-v", is_flag=True, help="Show debug logs and tracebacks.")
@click.version_option(package_name="llm-director", prog_name="director")
def cli(verbose: bool) -> None:
    """Plan and render films from a plain-language request, offline by default."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


for command in (make, render, plan, validate, schema, sheet, graph, cache, studio):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script: runs the command, turns errors into one line."""
    args = sys.argv[1:] if argv is None else argv
    verbose = "--verbose" in args or "-v" in args
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
        click.echo(f"error: {error}", err=True)
        code = 1
    except Exception as error:  # noqa: BLE001 - the last line of defence of a CLI
        if verbose:
            traceback.print_exc()
        click.echo(f"error: {type(error).__name__}: {error} (run with --verbose for details)",
                   err=True)
        code = 1
    sys.exit(code if isinstance(code, int) else 0)
