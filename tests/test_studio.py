"""The studio's handlers and workspace, without a browser: real plans, real renders and
real project folders; the page's parts are checked as the handlers return them."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest

from animator import registry
from director import api
from director.progress import RunProgress
from director.studio.captions import srt_to_vtt
from director.studio.handlers import Handlers
from director.studio.jobs import JobRunner
from director.studio.progress import ProgressTracker
from director.studio.settings import Settings
from director.studio.workspace import Workspace
from director.video import count_frames
from storyboard.errors import UserError
from tests.animators import SolidAnimator

REQUEST = "A fox runs across a snowy field. An owl watches from a pine."


def finish(handlers: Handlers, update: dict, timeout: float = 120) -> dict:
    """Poll as the page does until the job it started has ended; the last update."""
    assert update.get("polling") is True, update
    watching = update["watching"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        update = handlers.poll(watching)
        if "chat" in update or update.get("polling") is False:
            return update
        time.sleep(0.05)
    raise AssertionError("the job did not end")


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A project with one planned and rendered version, made through the handlers."""
    root = tmp_path_factory.mktemp("studio") / "fox.director"
    handlers = Handlers(Workspace(root))
    started = handlers.send(REQUEST)
    return root, started, finish(handlers, started)


@pytest.fixture
def project(made, tmp_path):
    """A private copy of the made project, to change."""
    root = tmp_path / "fox.director"
    shutil.copytree(made[0], root)
    return root


def test_the_first_message_plans_and_renders_a_film(made):
    root, started, done = made
    assert started["chat"] == [{"role": "user", "content": REQUEST}]
    assert started["request"] == "" and started["watching"] is not None

    answer = done["chat"][-1]
    assert answer["role"] == "assistant"
    assert "as v1 and rendered it" in answer["content"]
    report = api.load(root / "storyboards" / "v0001.json")
    film, subtitles = done["film"]
    assert film == root / "studio" / "films" / "v0001.mp4"
    assert count_frames(film) > report.format.fps  # a real film, more than a second
    assert subtitles.read_text().startswith("WEBVTT")
    assert "A fox runs across a snowy field." in subtitles.read_text()
    assert done["sheet"] == root / "studio" / "sheets" / "v0001.png"
    assert json.loads(done["editor"]) == report.model_dump(mode="json")
    assert [value for _, value in done["versions"][0]] == [1]
    assert "| keyframe |" in done["report"] and "0 failed" in done["report"]
    assert done["film_label"] == "Film · v1" and done["render_button"] is False
    assert done["polling"] is False and done["error"] == ""


def test_a_new_page_shows_the_project_and_its_chat(made):
    root = made[0]
    shown = Handlers(Workspace(root)).load()
    assert [m["role"] for m in shown["chat"]] == ["user", "assistant"]
    assert shown["film"][0] == root / "studio" / "films" / "v0001.mp4"
    assert shown["polling"] is False


def test_a_project_made_by_the_command_line_is_rendered_here_reusing_everything(tmp_path):
    film = tmp_path / "fox.mp4"
    api.make(REQUEST, film, progress=False)
    handlers = Handlers(Workspace(tmp_path / "fox.director"))
    shown = handlers.load()
    assert shown["film"] == (None, None) and shown["render_button"] is True
    assert shown["film_label"] == "Film: v1 is not rendered here yet"
    done = finish(handlers, handlers.render_latest())
    assert done["notice"].startswith("Rendered v1 (the storyboard is unchanged):")
    assert "every job reused" in done["notice"]
    assert done["film"][0].read_bytes() == film.read_bytes()
    assert done["render_button"] is False


def test_a_broken_newest_version_is_shown_to_fix_and_nothing_is_lost(project):
    broken = project / "storyboards" / "v0001.json"
    broken.write_text(broken.read_text().replace('"fps": 24', '"fps": "fast"'))
    shown = Handlers(Workspace(project)).load()
    assert "format.fps" in shown["error"]
    assert shown["editor"] == broken.read_text()
    assert len(shown["chat"]) == 2 and shown["versions"][0][0][1] == 1


def test_an_invalid_edit_names_its_json_path_and_saves_nothing(project):
    handlers = Handlers(Workspace(project))
    data = json.loads(handlers.load()["editor"])
    data["scenes"][0]["shots"][0]["duration"] = -2
    data["entities"][0]["colour"] = "white"
    update = handlers.apply_edit(json.dumps(data))
    message = update["edit_message"]
    assert "`scenes[0].shots[0].duration`" in message
    assert "`entities[0].colour`" in message and "nothing was saved" in message
    assert "polling" not in update  # nothing started
    assert [p.name for p in (project / "storyboards").iterdir()] == ["v0001.json"]

    broken = handlers.apply_edit('{"title": "x",')
    assert "not valid JSON" in broken["edit_message"] and "line 1" in broken["edit_message"]


def test_a_valid_edit_becomes_a_new_version_and_reuses_the_rest(project):
    handlers = Handlers(Workspace(project))
    data = json.loads(handlers.load()["editor"])
    data["entities"][0]["color"] = "#f4f4f4"
    done = finish(handlers, handlers.apply_edit(json.dumps(data, indent=2)))
    assert "Saved the edited storyboard as v2" in done["notice"]
    assert done["film"][0] == project / "studio" / "films" / "v0002.mp4"
    first = project / "studio" / "films" / "v0001.mp4"
    assert first.is_file() and first.read_bytes() != done["film"][0].read_bytes()
    assert api.load(project / "storyboards" / "v0002.json").entities[0].color == "#f4f4f4"
    assert "| **all** |" in done["report"]
    reused = json.loads(sorted((project / "reports").glob("*.json"))[-1].read_text())
    assert reused["jobs"]["reused"] > 0  # the owl's shot

    compare = handlers.compare(1)["compare"]
    assert "Restoring v1" in compare and "entity fox: color changed" in compare


def test_later_messages_revise_and_a_restore_remakes_nothing(project):
    handlers = Handlers(Workspace(project))
    done = finish(handlers, handlers.send("make the fox white"))
    answer = done["chat"][-1]["content"]
    assert answer.startswith("Revised into v2:") and "reused" in answer
    assert "fox" in answer.split("\n", 1)[1]  # the operation, in words
    (newest, number), _ = done["versions"][0]
    assert number == 2 and newest.startswith("v2 · ")
    assert newest.endswith(" · make the fox white")
    films = project / "studio" / "films"
    assert (films / "v0002.mp4").read_bytes() != (films / "v0001.mp4").read_bytes()
    assert "entity fox" in handlers.compare(1)["compare"]

    restored = finish(handlers, handlers.restore(1))
    assert restored["notice"].startswith("Restored v1 as v3:")
    assert "every job reused" in restored["notice"]
    assert (films / "v0003.mp4").read_bytes() == (films / "v0001.mp4").read_bytes()
    assert [value for _, value in restored["versions"][0]] == [3, 2, 1]
    assert "same storyboard" in handlers.compare(1)["compare"]

    undone = finish(handlers, handlers.undo())  # back to v2, before the restore
    assert undone["notice"].startswith("Undo: back to version 2, as v4:")
    assert (films / "v0004.mp4").read_bytes() == (films / "v0002.mp4").read_bytes()
    redone = finish(handlers, handlers.redo())
    assert redone["notice"].startswith("Redo: forward to version 3, as v5:")
    assert (films / "v0005.mp4").read_bytes() == (films / "v0001.mp4").read_bytes()
    assert [m["content"] for m in redone["chat"] if m["role"] == "user"][-2:] == ["Undo", "Redo"]


def test_a_message_the_reviser_cannot_map_changes_nothing(project):
    handlers = Handlers(Workspace(project))
    done = finish(handlers, handlers.send("zzz qqq"))
    assert "Could not do that" in done["chat"][-1]["content"] and done["error"]
    assert [p.name for p in (project / "storyboards").iterdir()] == ["v0001.json"]


def test_a_failed_render_says_so_and_keeps_the_earlier_film(project, monkeypatch):
    monkeypatch.setitem(registry.BACKENDS, "broken", f"{__name__}:BrokenAnimator")
    workspace = Workspace(project)
    handlers = Handlers(workspace)
    assert "broken animator" in handlers.configure("broken", "", 1)["notice"]
    data = json.loads(handlers.load()["editor"])
    data["title"] = "The Broken Fox"
    done = finish(handlers, handlers.apply_edit(json.dumps(data)))
    assert "the render of v2 failed" in done["error"] and "job(s) failed" in done["error"]
    assert "Nothing already made was lost" in done["chat"][-1]["content"]
    assert done["film"][0] == project / "studio" / "films" / "v0001.mp4"
    assert done["film_label"] == "Film of v1 (v2 is not rendered yet)"
    assert done["render_button"] is True


def test_one_job_at_a_time_per_project(project):
    workspace = Workspace(project)
    gate = threading.Event()
    workspace.jobs.start("a long render", lambda job: gate.wait(30))
    try:
        refused = Handlers(workspace).send("make the fox white")
        assert "a long render is still running" in refused["error"]
        assert workspace.transcript.messages()[-1]["role"] == "assistant"  # not added
    finally:
        gate.set()


def test_the_job_runner_reports_errors_as_one_line():
    runner = JobRunner()

    def fail(job):
        raise RuntimeError("disk full\nmore detail")

    job = runner.start("rendering", fail)
    assert job.wait(10)
    assert job.error == "rendering failed: RuntimeError: disk full"
    user = runner.start("planning", lambda job: (_ for _ in ()).throw(UserError("bad request")))
    assert user.wait(10) and user.error == "bad request"


def test_empty_messages_and_bad_settings_are_refused_before_work(project):
    handlers = Handlers(Workspace(project))
    assert "the message is empty" in handlers.send("   ")["error"]
    assert "unknown animator 'nope'" in handlers.configure("nope", "", 2)["error"]
    assert "workers must be a whole number from 1" in handlers.configure("animatic", "", 0)["error"]
    assert "workers must be a whole number" in handlers.configure("animatic", "", 1.5)["error"]
    assert handlers.configure("animatic", "", 3)["settings"] == Settings(workers=3)
    assert "no version 9" in handlers.restore(9)["error"]


def test_the_preset_setting_reaches_the_diffusion_animator_only(project):
    handlers = Handlers(Workspace(project))
    assert "nope" in handlers.configure("diffusion", "", 2, "nope")["error"]
    saved = handlers.configure("diffusion", "", 2, "sdxl")
    assert "preset sdxl" in saved["notice"]
    assert saved["settings"].render_options() == {
        "animator": "diffusion", "workers": 2, "animator_options": {"preset": "sdxl"}}
    animatic = handlers.configure("animatic", "", 2, "sdxl")["settings"]
    assert "animator_options" not in animatic.render_options()


def test_the_progress_listener_sees_every_job(storyboard_dict, tmp_path):
    storyboard_dict["format"] = {"width": 96, "height": 64, "fps": 8}
    board = api.validate(storyboard_dict)
    seen: list[RunProgress] = []
    first = api.render(board, tmp_path / "a.mp4", project=tmp_path / "p", progress=seen.append)
    assert seen[0].done == dict.fromkeys(seen[0].todo, 0)
    assert seen[-1].done == seen[-1].todo == {
        kind: stats.run for kind, stats in first.jobs.by_kind.items()}
    assert len(seen) == first.jobs.run + 1

    tracker = ProgressTracker()
    api.render(board, tmp_path / "a.mp4", project=tmp_path / "p", progress=tracker)
    assert tracker.run.reused == {k: s.total for k, s in first.jobs.by_kind.items()}
    assert tracker.run.done == dict.fromkeys(first.jobs.by_kind, 0)
    assert "| film | 0 | 0 | 1 |" in tracker.markdown()


def test_srt_cues_become_webvtt():
    srt = ("1\n00:00:02,000 --> 00:00:05,750\nA fox.\n\n"
           "2\r\n00:00:05,750 --> 00:00:09,875\r\nAn owl\r\nflies.\r\n")
    assert srt_to_vtt(srt) == ("WEBVTT\n\n00:00:02.000 --> 00:00:05.750\nA fox.\n\n"
                               "00:00:05.750 --> 00:00:09.875\nAn owl\nflies.\n")


def test_without_gradio_the_command_says_how_to_install_it(tmp_path):
    code = ("import sys; sys.modules['gradio'] = None; from director.cli import main;"
            f" main(['studio', '--project', {str(tmp_path / 'p')!r}])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: the studio needs Gradio, which is not installed:"
        " pip install -c constraints.txt -e '.[studio]'"]
    assert not (tmp_path / "p").exists()


def test_share_warns_and_a_busy_port_is_one_line_before_gradio_starts(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-c", "from director.cli import main; main()", "studio",
             "--project", str(tmp_path / "p"), "--port", str(port), "--share"],
            capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    warning, error = done.stderr.strip().splitlines()
    assert warning.startswith("warning: --share publishes this studio on a public")
    assert error.startswith(f"error: cannot listen on 127.0.0.1:{port}: ")
    assert error.endswith("choose another with --port")
    assert not (tmp_path / "p").exists()


class BrokenAnimator(SolidAnimator):
    """Every frame fails: a render that cannot finish."""

    name = "broken"

    def __init__(self) -> None:
        super().__init__(fail=lambda request: True)
