"""`director cache ls|gc`: the artifact store of a project folder."""

from __future__ import annotations

from collections import defaultdict

import click


def _size(count: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count} B"


def _project(path: str | None):
    """The named project folder, or the only one in the working directory."""
    from pathlib import Path

    from director.project import Project
    from storyboard.errors import UserError

    if path is None:
        found = sorted(str(p.parent) for p in Path(".").glob("*/store")
                       if p.is_dir() and (p.parent / "storyboards").is_dir())
        if len(found) != 1:
            where = f"found {', '.join(found)}" if found else "none found here"
            raise UserError(f"name the project folder with --project DIR ({where};"
                            f" `director make -o NAME.mp4` keeps it in NAME.director)")
        path = found[0]
    if not ((Path(path) / "store").is_dir() and (Path(path) / "storyboards").is_dir()):
        raise UserError(f"{path!r} is not a project folder (it has no store/ and"
                        f" storyboards/); name one with --project DIR")
    return Project(path)


@click.group()
def cache() -> None:
    """List or clean the artifact store of a project."""


@cache.command("ls")
@click.option("--project", "project_dir", type=click.Path(file_okay=False),
              default=None, help="The project folder (default: the only one here).")
@click.option("--summary", is_flag=True, help="Only the totals by kind.")
def ls(project_dir: str, summary: bool) -> None:
    """List the artifacts: key, kind, job, size, seconds taken, when made."""
    infos = _project(project_dir).store.ls()
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for info in infos:
        totals[info.kind][0] += 1
        totals[info.kind][1] += info.bytes
        if not summary:
            click.echo(f"{info.key[:12]}  {info.kind:<11} {info.job:<34} {_size(info.bytes):>10}"
                       f"  {info.seconds:7.3f} s  {info.created}")
    for kind, (count, size) in sorted(totals.items()):
        click.echo(f"{kind}: {count} artifacts, {_size(size)}")
    click.echo(f"total: {len(infos)} artifacts, {_size(sum(i.bytes for i in infos))}")


@cache.command("gc")
@click.option("--project", "project_dir", type=click.Path(file_okay=False),
              default=None, help="The project folder (default: the only one here).")
def gc(project_dir: str) -> None:
    """Remove the artifacts that no saved storyboard version reaches."""
    result = _project(project_dir).gc()
    click.echo(f"removed {result.removed} artifacts ({_size(result.removed_bytes)}) and "
               f"{result.unfinished_removed} unfinished writes; kept {result.kept}")
