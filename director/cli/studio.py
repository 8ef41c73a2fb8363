"""`director studio`: serve the web studio for a project folder (the `studio` extra)."""

from __future__ import annotations

import importlib.util
import socket

import click

from storyboard.errors import UserError

INSTALL = "pip install -c constraints.txt -e '.[studio]'"


@click.command()
@click.option("--project", type=click.Path(file_okay=False), default="film.director",
              show_default=True,
              help="Project folder (created when missing; `director make -o film.mp4` uses"
                   " film.director).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but 127.0.0.1 lets others reach it.")
@click.option("--port", type=click.IntRange(1, 65535), default=7860, show_default=True)
@click.option("--animator", default="animatic", show_default=True,
              help="Backend that makes the frames (changeable in the page).")
@click.option("--llm", default=None,
              help="'offline' or 'openai:MODEL' for planning and revising."
                   " Default: the configured one, else offline.")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
              help="Jobs run in parallel.")
@click.option("--share", is_flag=True,
              help="Also make a public share link through Gradio's servers (off by default).")
def studio(project: str, host: str, port: int, animator: str, llm: str | None, workers: int,
           share: bool) -> None:
    """Serve the studio: chat, player, contact sheet, storyboard editor and versions."""
    if importlib.util.find_spec("gradio") is None:
        raise UserError(f"the studio needs Gradio, which is not installed: {INSTALL}")
    if share:
        click.echo("warning: --share publishes this studio on a public gradio.live link"
                   " through Gradio's servers: anyone with the link can use it and read the"
                   " project's files", err=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: listening on {host}: other machines can reach this studio",
                   err=True)
    _check_port(host, port)
    from director.studio.app import serve
    from director.studio.settings import Settings
    from director.studio.workspace import Workspace

    workspace = Workspace(project, Settings(animator=animator, llm=llm, workers=workers))
    click.echo(f"starting the studio for {workspace.root} on http://{host}:{port}"
               f" (Ctrl+C stops it)")
    serve(workspace, host=host, port=port, share=share)


def _check_port(host: str, port: int) -> None:
    """UserError, before the slow start of Gradio, when ``host:port`` cannot be listened on."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        raise UserError(f"cannot listen on {host}:{port}: {error.strerror or error};"
                        f" choose another with --port") from None
