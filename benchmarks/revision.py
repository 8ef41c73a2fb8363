"""Revising a film: a 12-shot, 60 s film rendered with the animatic, then revisions in
plain words through ``api.revise`` (the offline reviser) and an undo, each re-rendering
only what changed. Prints for each: jobs run / total, frame jobs run, and its render
seconds beside the full render's, measured in this run; ends with
``revision_single_shot_max_ratio: <x>`` (goal <= 0.15; an undo runs no frame job).

    python benchmarks/revision.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from director import api
from storyboard import validate

FRAME_KINDS = ("keyframe", "interpolate", "clip")
ENTITIES = [
    ("fox", "Fox", "a small red fox with a white-tipped tail", "#e07a3f"),
    ("owl", "Owl", "a grey barn owl with round amber eyes", "#3f7ae0"),
    ("cat", "Cat", "a black cat with a green collar", "#444444"),
]
REVISIONS = [  # (message, touches one shot)
    ("make the cat white", True),  # the cat shows in shot 7 only
    ("narration for shot 2: The wind rose.", True),
    ("make shot 4 six seconds long", True),
    ("shot 5 should be a close-up", True),
    ("cut shot 9", True),
    ("add a shot of the fox sleeping after shot 3", True),
    ("swap shots 2 and 3", True),
    ("put the fox on the left in shot 6", True),
    ("crossfade into shot 8", True),
    ("make scene 2 happen at night", False),  # four shots
    ("make it a watercolor film", False),  # the animatic reads no style: no frame job
    ("undo", False),
    ("redo", False),
]


def storyboard():
    """12 shots of 5 s in 3 scenes at 640x360, 24 fps; the cat only in shot 7."""
    scenes = []
    for s, (setting, time_of_day) in enumerate([("a snowy pine forest", "dusk"),
                                                 ("a frozen lake", "day"),
                                                 ("a rocky hill", "dawn")]):
        shots = []
        for h in range(4):
            n = s * 4 + h + 1
            shown = ["fox", "owl"] if n % 2 else ["fox"]
            if n == 7:
                shown = ["cat"]
            shots.append({
                "id": f"shot-{n}", "description": f"moment {n}", "duration": 5.0,
                "camera": {"size": "wide" if h == 0 else "medium",
                           "movement": "pan-right" if n % 3 == 0 else "static"},
                "narration": f"Line {n}." if n % 4 == 1 else "",
                "keyframes": [{"t": t, "prompt": f"moment {n}, part {k}", "layout": [
                    {"entity": e, "phrase": e,
                     "box": [0.1 + 0.4 * i + 0.2 * t, 0.45, 0.35 + 0.4 * i + 0.2 * t, 0.9]}
                    for i, e in enumerate(shown)]}
                    for k, t in enumerate((0.0, 0.5, 1.0))],
            })
        scenes.append({"id": f"scene-{s + 1}", "setting": setting, "time_of_day": time_of_day,
                       "shots": shots})
    return validate({
        "title": "The Fox and the Owl", "format": {"width": 640, "height": 360, "fps": 24},
        "entities": [{"id": i, "name": n, "appearance": a, "color": c}
                     for i, n, a, c in ENTITIES],
        "scenes": scenes})


def frame_jobs(report) -> int:
    return sum(report.jobs.by_kind[k].run for k in FRAME_KINDS if k in report.jobs.by_kind)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        film, project = Path(folder) / "fox.mp4", Path(folder) / "fox.director"
        full = api.render(storyboard(), film, project=project, progress=False)
        assert full.ok, full.failure_summary()
        print(f"full render: {full.frames} frames, {full.jobs.total} jobs, "
              f"{frame_jobs(full)} frame jobs, {full.wall_seconds:.2f} s")
        print(f"{'revision':46} {'jobs run/total':>15} {'frame jobs':>10} "
              f"{'re-render s':>11} {'full s':>7} {'ratio':>6}")
        single: list[float] = []
        for message, one_shot in REVISIONS:
            if message == "undo":
                revision = api.undo(project, progress=False)
            elif message == "redo":
                revision = api.redo(project, progress=False)
            else:
                revision = api.revise(project, message, progress=False)
            report = revision.report
            assert report is not None and report.ok, message
            ratio = report.wall_seconds / full.wall_seconds
            if one_shot:
                single.append(ratio)
            print(f"{message:46} {report.jobs.run:>7}/{report.jobs.total:<7} "
                  f"{frame_jobs(report):>10} {report.wall_seconds:>11.2f} "
                  f"{full.wall_seconds:>7.2f} {ratio:>6.3f}")
            if message in ("undo", "redo"):
                assert frame_jobs(report) == 0, f"{message} re-made frames"
        start = time.perf_counter()
        api.render(storyboard(), film, project=project, progress=False)
        print(f"the first version again: every job reused in "
              f"{time.perf_counter() - start:.2f} s")
    print(f"revision_single_shot_max_ratio: {max(single):.3f}")


if __name__ == "__main__":
    main()
