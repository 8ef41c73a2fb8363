"""The local executor: runs, reuse, revisions, failures, kills, batching, the report."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from animators import SolidAnimator, colour_of, small_storyboard, small_storyboard_dict

from director.execute import RenderReport, execute
from director.project import Project
from director.schedule import iter_jobs, schedule
from director.store import Store
from director.video import count_frames
from storyboard import validate
from storyboard.errors import UserError
from storyboard.timing import timeline

TESTS = Path(__file__).parent


def frame_graph(graph):
    """The graph without its shot and film jobs (frames only: fast, no encoding)."""
    return graph.subgraph([n for n, d in graph.nodes(data=True)
                           if d["job"].kind in ("keyframe", "interpolate", "clip")])


def test_a_film_is_made_and_a_second_run_reuses_every_job(tmp_path, monkeypatch):
    board, animator = small_storyboard(), SolidAnimator(m=3, batch_size=3)
    graph = schedule(board, animator)
    output = tmp_path / "out" / "film.mp4"
    report = execute(graph, animator, Store(tmp_path / "store"), workers=2, progress=False,
                     output=output, report=tmp_path / "report.json")
    assert report.ok and report.failures == []
    assert report.jobs.total == report.jobs.run == graph.number_of_nodes()
    assert report.jobs.reused == report.jobs.failed == 0
    assert report.jobs.by_kind["film"].run == 1 and report.jobs.by_kind["shot"].run == 3
    assert report.output == str(output) and output.is_file()
    assert output.with_suffix(".srt").is_file()
    title = 2 * 8  # the title card: 2 s at 8 fps
    assert report.frames == count_frames(output) == timeline(board)[-1].end + title
    assert report.depth == graph.graph["depth"]
    saved = json.loads((tmp_path / "report.json").read_text())
    assert set(saved) == {"jobs", "depth", "wall_seconds", "frames", "output", "failures",
                          "roles", "executor", "nodes", "animator"}
    assert saved["animator"] == {"backend": "solid"}
    assert saved["roles"] == {}  # the test animator loads no models
    assert saved["executor"] == "local" and saved["nodes"] == {}
    assert set(saved["jobs"]) == {"total", "run", "reused", "failed", "by_kind"}
    assert set(saved["jobs"]["by_kind"]["interpolate"]) == {"total", "run", "reused", "seconds"}

    calls_before = len(animator.calls)

    def no_frames(*args, **kwargs):
        raise AssertionError("a finished film must be reused without reading frames")

    monkeypatch.setattr(Store, "frame", no_frames)
    monkeypatch.setattr(Store, "frames", no_frames)
    output.unlink()
    again = execute(graph, animator, Store(tmp_path / "store"), progress=False, output=output)
    assert again.ok and again.jobs.run == 0 and again.jobs.reused == again.jobs.total
    assert all(stats.seconds == 0 for stats in again.jobs.by_kind.values())
    assert len(animator.calls) == calls_before
    assert count_frames(output) == report.frames


def test_shot_clips_hold_the_frames_the_animator_made(tmp_path):
    board, animator = small_storyboard(), SolidAnimator(m=4)
    graph = schedule(board, animator)
    store = Store(tmp_path)
    assert execute(frame_graph(graph), animator, store, progress=False).ok
    for job in iter_jobs(frame_graph(graph)):
        requests = job.frame_requests()
        for index, request in zip(job.frames, requests, strict=True):
            assert tuple(store.frame(job.key, index)[0, 0]) == colour_of(request)


def test_hierarchical_and_autoregressive_make_the_same_frames(tmp_path):
    """Each frame's pixels depend only on its request, so both strategies must give the
    same frame at every index when each covers every frame exactly once."""
    board, animator = small_storyboard(), SolidAnimator(m=3)
    made = {}
    for strategy in ("hierarchical", "autoregressive"):
        graph = frame_graph(schedule(board, animator, strategy=strategy))
        store = Store(tmp_path / strategy)
        assert execute(graph, animator, store, progress=False).ok
        made[strategy] = {(j.shot, f): store.frame(j.key, f)[0, 0].tolist()
                          for j in iter_jobs(graph) for f in j.frames}
    assert made["hierarchical"] == made["autoregressive"]
    assert len(made["hierarchical"]) == sum(t.frames for t in timeline(board))


def test_a_revision_runs_only_the_changed_shot_and_the_film(tmp_path):
    animator, project = SolidAnimator(m=3), Project(tmp_path)
    first = schedule(small_storyboard(), animator)
    assert execute(first, animator, project, progress=False).ok
    data = small_storyboard_dict()
    data["scenes"][0]["shots"][1]["keyframes"][1]["prompt"] = "the owl dives"
    second = schedule(validate(data), animator)
    report = execute(second, animator, project, progress=False)
    changed = {j.id for j in iter_jobs(second)} - {j.id for j in iter_jobs(second)
                                                   if j.key in {k.key for k in iter_jobs(first)}}
    assert report.jobs.run == len(changed) > 0
    assert {job.split("/")[0] for job in changed} == {"s2", "film"}
    assert report.jobs.by_kind["shot"].run == 1
    assert len(project.versions()) == 2


def test_a_failing_job_is_recorded_independent_jobs_are_kept_and_the_next_run_completes(
        tmp_path):
    def owl_dives(request):
        return request.shot_id == "s2" and 0.3 < request.t < 0.4

    broken, healthy = SolidAnimator(m=3, batch_size=4, fail=owl_dives), SolidAnimator(m=3)
    graph = schedule(small_storyboard(), healthy)
    store = Store(tmp_path)
    report = execute(graph, broken, store, workers=2, progress=False)
    assert not report.ok
    assert report.failures and all(f.shot == "s2" and f.kind == "interpolate"
                                   for f in report.failures)
    assert "injected failure at s2" in report.failures[0].message
    assert report.failures[0].job in graph
    assert "failed" in report.failure_summary() and report.failures[0].job in \
        report.failure_summary()
    assert report.jobs.run + report.jobs.reused + report.jobs.failed == report.jobs.total
    jobs = {j.id: j for j in iter_jobs(graph)}
    assert store.has(jobs["s1/shot"].key) and store.has(jobs["s3/shot"].key)
    assert not store.has(jobs["s2/shot"].key) and not store.has(jobs["film"].key)
    # batch mates of the failing job were retried alone and kept
    s2_made = [j for j in jobs.values() if j.shot == "s2" and store.has(j.key)]
    assert any(j.kind == "interpolate" for j in s2_made)
    assert report.output is None and report.frames == 0

    resumed = execute(graph, healthy, store, progress=False)
    assert resumed.ok
    assert resumed.jobs.run == report.jobs.failed
    assert store.has(jobs["film"].key)


def test_bad_animator_output_fails_the_job_not_the_run(tmp_path):
    class WrongSize(SolidAnimator):
        def keyframes(self, requests):
            return [np.zeros((8, 8, 3), np.uint8) for _ in requests]

    animator = WrongSize(m=3)
    graph = frame_graph(schedule(small_storyboard(), animator))
    report = execute(graph, animator, Store(tmp_path), progress=False)
    assert len(report.failures) == 7 and report.jobs.run == 0
    assert "expected uint8 (64, 64, 3)" in report.failures[0].message


def test_same_kind_jobs_go_in_batches_up_to_the_batch_size(tmp_path):
    animator = SolidAnimator(m=3, batch_size=4)
    graph = frame_graph(schedule(small_storyboard(), animator))
    assert execute(graph, animator, Store(tmp_path), workers=1, progress=False).ok
    sizes = [size for _, size in animator.calls]
    assert max(sizes) == 4 and sum(sizes) == graph.number_of_nodes()
    assert len(sizes) < graph.number_of_nodes() / 2
    assert {kind for kind, _ in animator.calls} == {"keyframe", "interpolate"}


def test_clip_jobs_run_on_a_clip_animator(tmp_path):
    animator = SolidAnimator(m=3, clip_frames=40)
    graph = schedule(small_storyboard(), animator)
    report = execute(graph, animator, Store(tmp_path), progress=False)
    assert report.ok and report.jobs.by_kind["clip"].run == 4
    assert "interpolate" not in report.jobs.by_kind


def test_a_graph_for_another_animator_is_refused(tmp_path):
    graph = schedule(small_storyboard(), SolidAnimator(m=3))
    with pytest.raises(UserError, match="scheduled for another animator"):
        execute(graph, SolidAnimator(m=3, version=2), Store(tmp_path), progress=False)
    with pytest.raises(UserError, match="in-betweens per call"):
        execute(schedule(small_storyboard(), SolidAnimator(m=5)), SolidAnimator(m=3),
                Store(tmp_path), progress=False)
    with pytest.raises(UserError, match="workers"):
        execute(graph, SolidAnimator(m=3), Store(tmp_path), workers=0)


def test_project_runs_write_a_report_and_the_storyboard(tmp_path):
    animator, project = SolidAnimator(m=3), Project(tmp_path)
    graph = frame_graph(schedule(small_storyboard(), animator))
    report = execute(graph, animator, project, progress=False)
    (saved,) = project.reports.iterdir()
    assert RenderReport.model_validate_json(saved.read_text()) == report
    assert project.latest() == small_storyboard()
    assert report.frames == sum(t.frames for t in timeline(small_storyboard()))


KILL_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from animators import SolidAnimator, small_storyboard
from director.execute import execute
from director.project import Project
from director.schedule import schedule
animator = SolidAnimator(m=3, batch_size=1, delay=0.05)
execute(schedule(small_storyboard(), animator), animator, Project({project!r}), workers=1,
        progress=False)
print("finished", flush=True)
"""


def test_a_killed_run_loses_nothing_finished_and_the_next_run_completes(tmp_path):
    script = textwrap.dedent(KILL_SCRIPT.format(tests=str(TESTS), project=str(tmp_path)))
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    store = Store(tmp_path / "store")
    try:
        deadline = time.monotonic() + 60
        while len(list(store.keys())) < 8:
            assert child.poll() is None, "the run ended before it was killed"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(10)
    assert child.returncode == -signal.SIGKILL
    finished = set(store.keys())
    for key in finished:  # every artifact that exists is whole
        assert store.frames(key)
    animator = SolidAnimator(m=3)
    graph = schedule(small_storyboard(), animator)
    report = execute(graph, animator, Project(tmp_path), progress=False)
    assert report.ok
    assert report.jobs.reused >= len(finished)
    assert report.jobs.run == report.jobs.total - report.jobs.reused
    assert finished <= set(store.keys())
    assert count_frames(report.output) == report.frames


def test_narration_or_a_transition_reruns_only_shot_jobs_and_the_film(tmp_path):
    animator, project = SolidAnimator(m=3), Project(tmp_path)
    graph = schedule(small_storyboard(), animator)
    assert execute(graph, animator, project, progress=False).ok
    jobs = {j.id: j for j in iter_jobs(graph)}
    s1 = project.store.meta(jobs["s1/shot"].key)
    assert s1["segments"] == {"head": 4, "body": 28, "tail": 0}  # 0.5 s fade in at 8 fps
    assert s1["files"] == ["body.mp4", "head.mp4"]  # no tail: a cut follows
    calls = len(animator.calls)
    data = small_storyboard_dict()
    data["scenes"][0]["shots"][0]["narration"] = "The fox watched and waited."
    data["scenes"][0]["shots"][1].update(transition="fade", transition_duration=0.5)
    revised = schedule(validate(data), animator)
    output = tmp_path / "film.mp4"
    report = execute(revised, animator, project, progress=False, output=output)
    assert report.ok and len(animator.calls) == calls  # no frame made again
    ran = {kind: stats.run for kind, stats in report.jobs.by_kind.items()}
    assert ran == {"keyframe": 0, "interpolate": 0, "shot": 2, "film": 1}
    assert report.frames == count_frames(output) == 16 + timeline(validate(data))[-1].end
    assert "The fox watched and waited." in output.with_suffix(".srt").read_text()
