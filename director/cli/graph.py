"""`director graph`: the job graph of a storyboard, as JSON or Graphviz DOT."""

from __future__ import annotations

import json

import click

from animator.base import Capabilities


@click.command()
@click.argument("storyboard", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["json", "dot"]), default="json",
              show_default=True, help="JSON (jobs by kind and level, depth, edges) or DOT.")
@click.option("--inbetweens", "-m", type=click.IntRange(min=1), default=15, show_default=True,
              help="In-between frames the animator makes per call (m).")
@click.option("--clip-frames", type=click.IntRange(min=0), default=0, show_default=True,
              help="Frames per clip call of an image/text-to-video animator (0: none).")
@click.option("--strategy", type=click.Choice(["auto", "hierarchical", "autoregressive", "clip"]),
              default="auto", show_default=True, help="How in-between frames are planned.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write to this file instead of printing.")
def graph(storyboard: str, fmt: str, inbetweens: int, clip_frames: int, strategy: str,
          output: str | None) -> None:
    """Print the job graph of STORYBOARD for an animator making M in-betweens per call.

    Job keys depend on the animator's fingerprint, so they are not shown here."""
    from director import api
    from director.schedule import schedule, summary, to_dot

    board = api.load(storyboard)
    jobs = schedule(board, Capabilities(max_inbetweens=inbetweens, clip_frames=clip_frames),
                    strategy=strategy)
    text = to_dot(jobs) if fmt == "dot" else json.dumps(summary(jobs), indent=1) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        from storyboard.io import atomic_write_text

        atomic_write_text(output, text)
        click.echo(f"{jobs.number_of_nodes()} jobs, depth {summary(jobs)['depth']} -> {output}")
