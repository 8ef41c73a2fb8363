"""The reliability sweep: nothing lost, nothing left behind, every bad input refused before
work. Real renders (a solid-colour test animator at 64x64, 8 fps), real ffmpeg, real
processes killed with SIGKILL, a real full disk (a small tmpfs, where it can be mounted)
and a real immutable file (chattr, where the file system allows it)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from animators import SolidAnimator, end_colours, small_storyboard, small_storyboard_dict

from director import api
from director.execute import execute
from director.project import Project
from director.schedule import iter_jobs, schedule
from director.store import Store
from storyboard import json_schema, load, validate
from storyboard.errors import StoryboardError, UserError
from tests.test_cli_storyboard import run_cli

TESTS = Path(__file__).parent
PARTS = (".part.", ".lock", ".old.")


def render(project: Path, output: Path | None = None, board=None, **options):
    """Render ``board`` (default: the small storyboard) with the test animator."""
    animator = SolidAnimator(m=3)
    graph = schedule(board or small_storyboard(), animator, **options)
    return execute(graph, animator, Project(project), progress=False, output=output)


def narrated(text: str):
    data = small_storyboard_dict()
    data["scenes"][0]["shots"][0]["narration"] = text
    return validate(data)


def litter(*folders: Path) -> list[str]:
    """Temporary files and writers' lock files left in ``folders`` (recursively; a
    project's own ``.lock`` stays)."""
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.name == ".lock":
                continue
            if any(mark in path.name for mark in PARTS) or (
                    path.parent.name == "tmp" and path.parent.parent.name == "store"):
                found.append(str(path.relative_to(folder)))
    return found


def one_line_error(err: str) -> bool:
    return err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err


# -- 1. the film and its .srt are published as a pair --------------------------------------

@contextmanager
def immutable(path: Path) -> Iterator[None]:
    result = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if result.returncode:
        pytest.skip(f"chattr +i is not possible here: {result.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_an_immutable_srt_keeps_the_previous_film_and_srt(tmp_path):
    film = tmp_path / "out" / "film.mp4"
    assert render(tmp_path / "p", film, narrated("The first telling.")).ok
    before = film.read_bytes(), film.with_suffix(".srt").read_bytes()
    with immutable(film.with_suffix(".srt")), pytest.raises(UserError) as caught:
        render(tmp_path / "p", film, narrated("The second telling."))
    assert "film.srt" in str(caught.value) and "unchanged" in str(caught.value)
    assert (film.read_bytes(), film.with_suffix(".srt").read_bytes()) == before
    assert litter(film.parent) == []
    assert render(tmp_path / "p", film, narrated("The second telling.")).ok  # fixed: goes
    assert "The second telling." in film.with_suffix(".srt").read_text()


def test_an_srt_that_is_a_folder_keeps_the_previous_film(tmp_path):
    film = tmp_path / "film.mp4"
    assert render(tmp_path / "p", film).ok
    before = film.read_bytes()
    film.with_suffix(".srt").unlink()
    film.with_suffix(".srt").mkdir()
    with pytest.raises(UserError, match="film.srt"):
        render(tmp_path / "p", film, narrated("Another telling."))
    assert film.read_bytes() == before and litter(tmp_path / "film.srt") == []


@pytest.fixture
def tiny_disk(tmp_path) -> Iterator[Path]:
    """A 2 MiB tmpfs (root only; skipped where it cannot be mounted)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                            capture_output=True, text=True)
    if result.returncode:
        pytest.skip(f"cannot mount a small tmpfs for a full disk: {result.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def fill(disk: Path, leave: int = 0) -> None:
    """Fill ``disk`` to the last page, then free ``leave`` bytes (whole pages)."""
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for chunk in (b"\0" * 65536, b"\0" * 4096):
            try:
                while os.write(fd, chunk):
                    pass
            except OSError:
                pass
        size = os.fstat(fd).st_size
        os.ftruncate(fd, max(0, size - size % 4096 - leave))
    finally:
        os.close(fd)


def test_a_disk_that_fills_between_the_film_and_its_srt_keeps_both(tmp_path, tiny_disk):
    film = tiny_disk / "film.mp4"
    assert render(tmp_path / "p", film, narrated("The first telling.")).ok
    before = film.read_bytes(), film.with_suffix(".srt").read_bytes()
    new = narrated("The second telling, which will not fit.")
    made = render(tmp_path / "p", None, new)  # made, stored, not published
    assert made.ok
    pages = -(-Path(made.output).stat().st_size // 4096)
    fill(tiny_disk, leave=pages * 4096)  # the new film fits, its .srt does not
    with pytest.raises(UserError, match="No space left on device"):
        render(tmp_path / "p", film, new)
    assert (film.read_bytes(), film.with_suffix(".srt").read_bytes()) == before
    assert litter(tiny_disk) == []


def test_a_full_disk_is_one_line_and_the_next_run_resumes(capsys, tmp_path, tiny_disk):
    board = tmp_path / "board.json"
    api.save(small_storyboard(), board)
    project, film = tiny_disk / "p", tmp_path / "film.mp4"
    fill(tiny_disk, leave=64 * 1024)
    code, out, err = run_cli(capsys, "render", board, "-o", film, "--project", project)
    assert code == 1 and one_line_error(err), err
    assert "disk is full" in err and "run again" in err and "WARNING" not in err
    (tiny_disk / "filler").unlink()
    code, out, err = run_cli(capsys, "render", board, "-o", film, "--project", project)
    assert code == 0, err
    assert film.is_file() and litter(tiny_disk) == []


# -- kills: during a store write and during publishing -------------------------------------

KILLED = """
import sys, time
sys.path.insert(0, {tests!r})
from contextlib import contextmanager
from animators import SolidAnimator, small_storyboard
import director.publish, director.store
from director.execute import execute
from director.project import Project
from director.schedule import iter_jobs, schedule
from director.store import Store

def pause():
    print("paused", flush=True)
    time.sleep(120)

if {where!r} == "store":
    real, calls = director.store.Store.writing, []

    @contextmanager
    def writing(self, key, meta):
        with real(self, key, meta) as work:
            yield work
            calls.append(key)
            if len(calls) == 6:  # the artifact is written, not yet renamed into place
                pause()

    director.store.Store.writing = writing
else:
    real_copy = director.publish._copy

    def copy(source, target):
        real_copy(source, target)
        pause()  # the new film is beside the old one under its temporary name

    director.publish._copy = copy
animator = SolidAnimator(m=3, batch_size=1)
execute(schedule(small_storyboard(), animator), animator, Project({project!r}), workers=1,
        progress=False, output={output!r})
"""


def kill_while(where: str, project: Path, output: Path) -> None:
    script = KILLED.format(tests=str(TESTS), where=where, project=str(project),
                           output=str(output))
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "paused"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(30)
    assert child.returncode == -signal.SIGKILL


@pytest.fixture(scope="module")
def reference_film(tmp_path_factory) -> bytes:
    """The film of an uninterrupted render."""
    folder = tmp_path_factory.mktemp("reference")
    assert render(folder / "p", folder / "film.mp4").ok
    return (folder / "film.mp4").read_bytes()


@pytest.mark.parametrize("where", ["store", "publish"])
def test_a_run_killed_while_writing_resumes_identically_and_leaves_no_litter(
        tmp_path, where, reference_film):
    project, film = tmp_path / "p", tmp_path / "out" / "film.mp4"
    if where == "publish":
        film.parent.mkdir()
        film.write_bytes(b"the previous film")
    kill_while(where, project, film)
    assert litter(project, film.parent)  # the killed writer's unfinished write is there
    if where == "publish":
        assert film.read_bytes() == b"the previous film"
    assert render(project, film).ok  # a clean rerun
    assert film.read_bytes() == reference_film
    assert litter(project, film.parent) == []


def test_gc_removes_the_unfinished_writes_of_a_killed_process_at_once(tmp_path):
    kill_while("store", tmp_path / "p", tmp_path / "film.mp4")
    project = Project(tmp_path / "p")
    assert litter(project.root)
    assert project.gc().unfinished_removed == 1
    assert litter(project.root) == []


# -- the project lock --------------------------------------------------------------------

HOLDER = """
import sys, time
from director.project import Project
with Project({project!r}).lock():
    print("holding", flush=True)
    time.sleep(120)
"""


def test_a_second_render_of_a_project_refuses_and_a_killed_holder_frees_it(capsys, tmp_path):
    project = tmp_path / "p"
    child = subprocess.Popen([sys.executable, "-c", HOLDER.format(project=str(project))],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "holding"
        with pytest.raises(UserError, match=f"busy.*process {child.pid}") as caught:
            render(project, tmp_path / "film.mp4")
        assert "\n" not in str(caught.value)
        assert not (tmp_path / "film.mp4").exists() and list(Project(project).versions()) == []
        board = tmp_path / "board.json"
        api.save(small_storyboard(), board)
        code, _, err = run_cli(capsys, "render", board, "-o", tmp_path / "f.mp4", "--project",
                               project)
        assert code == 1 and one_line_error(err) and "busy" in err
        os.kill(child.pid, signal.SIGKILL)  # a crash: the OS releases the lock
    finally:
        child.wait(30)
    assert render(project, tmp_path / "film.mp4").ok


def test_the_project_lock_is_reentrant_and_can_wait(tmp_path):
    project = Project(tmp_path)
    with project.lock(), project.lock():  # the holder may render inside its own lock
        assert render(tmp_path).ok
    marker = tmp_path / "done"
    holder = HOLDER.format(project=str(tmp_path)).replace(
        "time.sleep(120)", f"time.sleep(0.5); open({str(marker)!r}, 'w').close()")
    child = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "holding"
        with project.lock(wait=True):  # waits for the holder to finish
            assert marker.exists()
    finally:
        child.wait(30)


# -- permissions ----------------------------------------------------------------------------

def test_everything_a_render_writes_follows_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        assert render(tmp_path / "p", tmp_path / "film.mp4").ok
        assert os.umask(0o027) == 0o027  # the render left the process umask alone
    finally:
        os.umask(old)
    files = [tmp_path / "film.mp4", tmp_path / "film.srt",
             *(p for p in (tmp_path / "p").rglob("*") if p.is_file() and p.name != ".lock")]
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in files} == {"0o640"}
    folders = [p for p in (tmp_path / "p").rglob("*") if p.is_dir()]
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in folders} == {"0o750"}


def test_importing_the_director_never_sets_the_umask():
    code = ("import os; calls = []; real = os.umask\n"
            "os.umask = lambda mask: calls.append(mask) or real(mask)\n"
            "import director.store, director.project, director.execute, director.api\n"
            "print(len(calls))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "0"


# -- bad input refused before any work, creating nothing -------------------------------------

def test_audio_that_is_not_audio_is_refused_before_the_first_job(tmp_path):
    noise = tmp_path / "music.mp3"
    noise.write_bytes(b"this is not audio" * 100)
    with pytest.raises(UserError, match="music.mp3") as caught:
        api.render(small_storyboard(), tmp_path / "film.mp4", audio=noise, progress=False)
    assert "\n" not in str(caught.value) and "run again" not in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["music.mp3"]  # no job, no folder


@pytest.mark.parametrize("args", [
    ["make", "   "],
    ["make", "a fox", "--llm", "nonsense:model"],
    ["make", "a fox", "--audio", "{noise}"],
])
def test_a_failed_make_creates_nothing(capsys, tmp_path, args):
    noise = tmp_path / "noise.wav"
    noise.write_bytes(b"not audio")
    args = [a.replace("{noise}", str(noise)) for a in args]
    code, _, err = run_cli(capsys, *args, "-o", tmp_path / "out" / "fox.mp4")
    assert code == 1 and one_line_error(err), err
    assert not (tmp_path / "out").exists()


def test_a_wrong_keyword_argument_of_make_is_reported_before_planning(tmp_path, monkeypatch):
    planned = []
    monkeypatch.setattr(api, "plan_with_notes", lambda *a, **k: planned.append(1))
    with pytest.raises(TypeError, match="wokers"):
        api.make("a fox", tmp_path / "fox.mp4", wokers=2)
    assert planned == [] and list(tmp_path.iterdir()) == []


def test_every_text_field_of_the_schema_is_bounded():
    unbounded = []

    def walk(node, where):
        if isinstance(node, dict):
            if node.get("type") == "string" and not ({"maxLength", "enum", "const"} & set(node)):
                unbounded.append(where)
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}[{i}]")

    walk(json_schema(), "schema")
    assert unbounded == []


@pytest.mark.parametrize("field, limit", [
    (("logline",), 2000), (("title",), 200), (("style", "prompt"), 2000),
    (("scenes", 0, "shots", 0, "narration"), 1000),
])
def test_validate_refuses_text_longer_than_its_limit(capsys, tmp_path, field, limit):
    data = small_storyboard_dict()
    target = data
    for part in field[:-1]:
        target = target[part]
    target[field[-1]] = "x" * limit
    validate(data)  # at the limit: fine
    target[field[-1]] = "x" * 5_000_000
    path = tmp_path / "board.json"
    path.write_text(json.dumps(data))
    code, _, err = run_cli(capsys, "validate", path)
    assert code == 1 and f"must be at most {limit} characters; got 5000000" in err
    assert len(err) < 500  # the text itself is not echoed
    code, _, err = run_cli(capsys, "render", path, "-o", tmp_path / "film.mp4")
    assert code == 1 and one_line_error(err) and not (tmp_path / "film.director").exists()


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_must_be_finite_numbers(tmp_path, value):
    text = json.dumps(small_storyboard_dict()).replace('"duration": 4.0', f'"duration": {value}')
    text = text.replace('"t": 0.5', f'"t": {value}')
    path = tmp_path / "board.json"
    path.write_text(text)
    with pytest.raises(StoryboardError) as caught:
        load(path)
    messages = {str(p) for p in caught.value.problems}
    expected = value.replace("Infinity", "inf").replace("NaN", "nan")
    assert f"scenes[0].shots[0].duration: must be a finite number; got {expected}" in messages
    assert any(m.startswith("scenes[0].shots[1].keyframes[1].t: must be a finite number")
               for m in messages)


# -- text: control characters, a BOM ---------------------------------------------------------

def test_control_characters_are_stripped_from_every_text_field(tmp_path):
    data = small_storyboard_dict()
    nasty = "\x1b[31mThe fox\x1b[0m\x00 watched\x07 the \x1b]0;owned\x07owl.\x9b2J"
    data["title"] = data["scenes"][0]["shots"][0]["narration"] = nasty
    data["entities"][0]["name"] = nasty
    board = validate(data)
    assert board.title == board.entities[0].name == "The fox watched the owl."
    film = tmp_path / "film.mp4"
    assert render(tmp_path / "p", film, board).ok
    srt = film.with_suffix(".srt").read_text(encoding="utf-8")
    assert "The fox watched the owl." in srt
    assert not any(ord(c) < 32 and c not in "\n" or 0x7f <= ord(c) < 0xa0 for c in srt)


def test_a_storyboard_with_a_utf8_bom_loads(tmp_path):
    path = tmp_path / "board.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(small_storyboard_dict()).encode())
    assert load(path) == small_storyboard()


# -- messages -----------------------------------------------------------------------------

def test_global_options_are_accepted_after_the_subcommand(capsys, tmp_path):
    code, _, err = run_cli(capsys, "plan", "a fox", "-o", tmp_path / "b.json", "--verbose")
    assert code == 0 and "No such option" not in err, err
    # (that --verbose there turns the details on: see the traceback test below)


def test_graph_into_a_folder_it_cannot_write_is_one_clean_line(capsys, tmp_path):
    board = tmp_path / "board.json"
    api.save(small_storyboard(), board)
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    with immutable(blocked):
        code, _, err = run_cli(capsys, "graph", board, "-o", blocked / "graph.json")
    assert code == 1 and one_line_error(err), err
    assert "graph.json" in err and ".part" not in err and "Error:" not in err
    code, _, err = run_cli(capsys, "graph", board, "-o", board / "graph.json")
    assert code == 1 and one_line_error(err) and ".part" not in err, err


def test_an_mp4_without_a_name_gets_a_sensible_message(capsys, tmp_path):
    code, _, err = run_cli(capsys, "render", "missing.json", "-o", ".mp4")
    assert code == 1 and "no such file" in err  # the storyboard is read first
    board = tmp_path / "board.json"
    api.save(small_storyboard(), board)
    code, _, err = run_cli(capsys, "render", board, "-o", tmp_path / ".mp4")
    assert code == 1 and one_line_error(err) and "needs a name before .mp4" in err


def test_an_unexpected_error_is_one_line_with_details_under_verbose(capsys, tmp_path,
                                                                   monkeypatch):
    from director.cli import storyboard_commands

    def broken(*args, **kwargs):
        raise RuntimeError("first line\nsecond line")

    monkeypatch.setattr(storyboard_commands.api, "plan_with_notes", broken)
    code, _, err = run_cli(capsys, "plan", "a fox", "-o", tmp_path / "b.json")
    assert code == 1 and one_line_error(err) and "first line second line" in err
    code, _, err = run_cli(capsys, "plan", "a fox", "-o", tmp_path / "b.json", "-v")
    assert code == 1 and "Traceback" in err and err.strip().endswith("second line")
    shutil.rmtree(tmp_path, ignore_errors=True)


# -- hygiene --------------------------------------------------------------------------------

def test_every_inbetween_is_made_from_its_own_end_frames_in_order(tmp_path):
    animator = SolidAnimator(m=3)
    graph = schedule(small_storyboard(), animator)
    frames = graph.subgraph([n for n, d in graph.nodes(data=True)
                             if d["job"].kind in ("keyframe", "interpolate")])
    store = Store(tmp_path)
    assert execute(frames, animator, store, progress=False).ok
    jobs = {job.id: job for job in iter_jobs(frames)}
    checked = 0
    for job in jobs.values():
        if job.kind != "interpolate":
            continue
        first, last = (tuple(store.frame(jobs[p].key, end)[0, 0].tolist())
                       for p, end in zip(job.parents, job.ends, strict=True))
        assert first != last  # else a swap would go unseen
        for index in job.frames:
            assert end_colours(store.frame(job.key, index)) == (first, last)
            checked += 1
    assert checked > 20


def test_moviepy_is_not_declared_and_fonttools_is():
    text = (TESTS.parent / "pyproject.toml").read_text()
    assert "moviepy" not in text and "fonttools" in text


# -- text: characters the fonts lack -----------------------------------------------------------

NO_GLYPH = "\U0010fffd"
"""a private-use character no font draws"""


def test_characters_no_font_has_are_left_out_not_drawn_as_boxes(tmp_path):
    from director.assemble import title_card
    from director.subtitles import subtitle_overlay
    from storyboard.sheet import render_sheet

    assert (title_card(f"Fox{NO_GLYPH}", f"{NO_GLYPH}runs", 160, 96)
            == title_card("Fox", "runs", 160, 96)).all()
    with_box, without = subtitle_overlay(f"Hello{NO_GLYPH}", 160, 96), subtitle_overlay(
        "Hello", 160, 96)
    assert (with_box.colour == without.colour).all() and with_box.left == without.left
    data = small_storyboard_dict()
    data["title"] += NO_GLYPH
    data["entities"][0]["name"] += NO_GLYPH
    sheets = [render_sheet(board, tmp_path / f"{name}.png")
              for name, board in (("odd", validate(data)), ("plain", small_storyboard()))]
    from PIL import Image

    assert Image.open(sheets[0]).tobytes() == Image.open(sheets[1]).tobytes()


def test_cjk_is_drawn_with_an_installed_font_that_has_it():
    from director.assemble import title_card
    from storyboard.fonts import coverage, fallback_fonts

    if not any("東" in coverage(path) for path in fallback_fonts()):
        pytest.skip("no installed font has CJK glyphs (Debian: fonts-droid-fallback)")
    drawn = title_card("東京", "", 160, 96)
    assert drawn.any()  # drawn, and not as the box a missing glyph gets:
    assert not (drawn == title_card(NO_GLYPH * 2, "", 160, 96)).all()
    assert not (drawn == title_card("京東", "", 160, 96)).all()


def test_the_storyboard_package_has_no_import_cycle():
    import ast

    import networkx as nx

    root = TESTS.parent
    graph = nx.DiGraph()
    for path in (root / "storyboard").rglob("*.py"):
        module = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(
            ".__init__")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                       and getattr(block.test, "id", "") == "TYPE_CHECKING"
                       for stmt in block.body for n in ast.walk(stmt)}
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            else:
                continue
            for name in names:  # the package's own __init__ imports every module: left out
                if name.startswith("storyboard.") and name != module:
                    graph.add_edge(module, name)
    assert "storyboard.timing" not in nx.ancestors(graph, "storyboard.models")
    assert list(nx.simple_cycles(graph)) == []
