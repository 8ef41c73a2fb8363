"""`director graph`: the job graph of a storyboard, as JSON or Graphviz DOT."""

from __future__ import annotations

import json

import click

from animator.base import Capabilities


@click.command()
@click.argument("storyboard", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["json", "dot"]), default="json",
              show_default=True, help="JSON (jobs by kind and level, depth, edges) or DOT.")
@click.option("--inbetweens", "-m", type=click.IntRange(min=1), default=None,
              help="In-between frames the animator makes per call (m). Default: the "
                   "animator's, else 15.")
@click.option("--animator", default=None,
              help="Plan for this animator backend (e.g. animatic): its capabilities, and "
                   "job keys as a render with it would store them.")
@click.option("--clip-frames", type=click.IntRange(min=0), default=0, show_default=True,
              help="Frames per clip call of an image/text-to-video animator (0: none).")
@click.option("--strategy", type=click.Choice(["auto", "hierarchical", "autoregressive", "clip"]),
              default="auto", show_default=True, help="How in-between frames are planned.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write to this file instead of printing.")
def graph(storyboard: str, fmt: str, inbetweens: int | None, animator: str | None,
          clip_frames: int, strategy: str, output: str | None) -> None:
    """Print the job graph of STORYBOARD for an animator making M in-betweens per call.

    Job keys depend on the animator's fingerprint: they are shown with --animator only."""
    from director import api
    from director.schedule import schedule, summary, to_dot

    board = api.load(storyboard)
    if animator is not None:
        from animator.registry import get_animator

        options = {} if inbetweens is None else {"max_inbetweens": inbetweens}
        backend = get_animator(animator, **options)
        jobs = schedule(board, backend, strategy=strategy)
    else:
        caps = Capabilities(max_inbetweens=inbetweens or 15, clip_frames=clip_frames)
        jobs = schedule(board, caps, strategy=strategy)
    if fmt == "dot":
        text = to_dot(jobs)
    else:
        data = summary(jobs)
        if animator is not None:
            for node in data["nodes"]:
                node["key"] = jobs.nodes[node["id"]]["job"].key
        text = json.dumps(data, indent=1) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        from storyboard.io import atomic_write_text

        atomic_write_text(output, text)
        click.echo(f"{jobs.number_of_nodes()} jobs, depth {summary(jobs)['depth']} -> {output}")
