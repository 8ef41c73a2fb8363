"""Quickstart: plan a film offline, draw its contact sheet, render it, then revise one shot.

    python examples/quickstart.py [OUTPUT_FOLDER] [REQUEST_FILE]

Writes into OUTPUT_FOLDER (default ``quickstart-output``): the storyboard, its contact
sheet, the film with its subtitles, and the project folder that makes a second render
(and the revision) reuse every job that did not change.
"""

from __future__ import annotations

import sys
from pathlib import Path

from director import api

REQUEST = (
    "A 20-second film. A fox lives in a snowy forest. One night she watches an owl fly over"
    " the moon. She climbs the tallest hill and jumps."
)


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "quickstart-output")
    request = Path(sys.argv[2]).read_text() if len(sys.argv) > 2 else REQUEST
    out.mkdir(parents=True, exist_ok=True)

    board = api.plan(request)
    api.save(board, out / "storyboard.json")
    api.sheet(board, out / "sheet.png")
    report = api.render(board, out / "film.mp4")
    print(f"{board.title!r}: {report.frames} frames, {report.jobs.run} jobs run"
          f" in {report.wall_seconds:.1f} s -> {report.output}")

    # A revision: the last shot becomes a slow zoom. Only its jobs and the film run again.
    data = board.model_dump(mode="json")
    data["scenes"][-1]["shots"][-1]["camera"]["movement"] = "zoom-in"
    revised = api.validate(data)
    print("changes:", "; ".join(api.diff(board, revised).summary()))
    report = api.render(revised, out / "film.mp4")
    print(f"revision: {report.jobs.run} jobs run, {report.jobs.reused} reused")


if __name__ == "__main__":
    main()
