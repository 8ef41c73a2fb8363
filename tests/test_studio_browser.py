"""The studio in a real browser: `director studio` serves a project on 127.0.0.1 and Debian's
chromium, driven by Playwright, makes a film, plays it, revises it by chat, applies a
broken storyboard edit and restores the first version. Offline director, animatic."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="no chromium at /usr/bin/chromium (install Debian's: apt-get install chromium;"
           " .ci/run does)")

ARGS = ["--autoplay-policy=no-user-gesture-required", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
REQUEST = "A fox runs across a snowy field."
VIDEO = "document.querySelector('#film video')"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """`director studio` for a new project, in its own process; (url, project folder)."""
    root = tmp_path_factory.mktemp("browser") / "fox.director"
    port = _free_port()
    log = (root.parent / "studio.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-c", "from director.cli import main; main()", "studio",
         "--project", str(root), "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "DIRECTOR_LLM": "offline"})
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("the studio did not start: "
                                         + (root.parent / "studio.log").read_text()) from None
                time.sleep(0.3)
        yield url, root
    finally:
        server.terminate()
        server.wait(20)
        log.close()


def _attribute(page, selector: str, name: str) -> str | None:
    return page.locator(selector).first.get_attribute(name)


def test_make_watch_revise_edit_and_restore_in_chromium(studio, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    url, root = studio
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            hosts: set[str | None] = set()
            page.on("request", lambda request: hosts.add(urlsplit(request.url).hostname))
            page.goto(url, wait_until="load")

            # 1. the first message plans and renders a film; it loads and plays
            page.locator("#request textarea").fill(REQUEST)
            page.locator("#send").click()
            expect(page.locator("#progress")).to_contain_text(re.compile("planning|jobs"))
            expect(page.locator("#chat")).to_contain_text("as v1 and rendered it",
                                                          timeout=90_000)
            page.wait_for_function(f"{VIDEO} && {VIDEO}.readyState >= 2", timeout=30_000)
            start = page.evaluate(f"async () => {{ const v = {VIDEO}; v.muted = true;"
                                  f" await v.play(); return v.currentTime; }}")
            page.wait_for_function(f"{VIDEO}.currentTime > {start} + 0.25", timeout=15_000)
            page.wait_for_function(f"{VIDEO}.textTracks.length > 0 &&"
                                   f" {VIDEO}.textTracks[0].cues &&"
                                   f" {VIDEO}.textTracks[0].cues.length > 0", timeout=15_000)
            cue = page.evaluate(f"{VIDEO}.textTracks[0].cues[0].text")
            assert cue == "A fox runs across a snowy field."
            first_film = _attribute(page, "#film video", "src")
            first_sheet = _attribute(page, "#sheet img", "src")
            expect(page.locator("#versions input[type=radio]")).to_have_count(1)
            page.get_by_role("tab", name="Render report").click()
            expect(page.locator("#report table")).to_contain_text("keyframe")
            page.get_by_role("tab", name="Versions").click()

            # 2. a revision by chat: a new version, a new film, a new sheet
            page.locator("#request textarea").fill("make the fox white")
            page.locator("#send").click()
            expect(page.locator("#chat")).to_contain_text("Revised into v2", timeout=60_000)
            expect(page.locator("#versions input[type=radio]")).to_have_count(2)
            expect(page.locator("#versions")).to_contain_text("make the fox white")
            page.wait_for_function(f"{VIDEO} && {VIDEO}.readyState >= 2", timeout=30_000)
            assert _attribute(page, "#film video", "src") != first_film
            assert _attribute(page, "#sheet img", "src") != first_sheet
            expect(page.locator("#film-label")).to_contain_text("v2")
            page.wait_for_function(f"{VIDEO} && {VIDEO}.readyState >= 2", timeout=30_000)
            page.evaluate(f"{VIDEO}.currentTime = 2.5")  # a frame of the film, not the title
            page.wait_for_function(f"!{VIDEO}.seeking && {VIDEO}.readyState >= 2")
            page.screenshot(path=tmp_path / "studio.png", full_page=True)

            # 3. an invalid edit: its JSON path is shown and nothing is saved
            page.get_by_role("tab", name="Storyboard JSON").click()
            board = json.loads((root / "storyboards" / "v0002.json").read_text())
            board["scenes"][0]["shots"][0]["duration"] = -1
            page.locator("#editor .cm-content").click()
            page.keyboard.press("Control+A")
            page.keyboard.insert_text(json.dumps(board, indent=2))
            page.locator("#apply").click()
            expect(page.locator("#edit-message")).to_contain_text("scenes[0].shots[0].duration",
                                                                  timeout=15_000)
            assert len(list((root / "storyboards").glob("v*.json"))) == 2

            # 4. pick v1 in the versions list: its diff; restore it as v3
            page.get_by_role("tab", name="Versions").click()
            page.locator("#versions label").filter(has_text="v1 ·").click()
            expect(page.locator("#compare")).to_contain_text("Restoring v1", timeout=15_000)
            expect(page.locator("#compare")).to_contain_text("entity fox")
            page.locator("#restore").click()
            expect(page.locator("#chat")).to_contain_text("Restored v1 as v3", timeout=60_000)
            expect(page.locator("#chat")).to_contain_text("every job reused")
            expect(page.locator("#versions input[type=radio]")).to_have_count(3)

        finally:
            browser.close()
    assert (tmp_path / "studio.png").stat().st_size > 10_000
    assert hosts == {"127.0.0.1"}, f"the page reached beyond loopback: {hosts}"


def test_it_listens_on_loopback_and_serves_only_the_project_folder(studio, tmp_path):
    url, root = studio
    port = urlsplit(url).port
    listening = [line.split()[1] for table in ("tcp", "tcp6")
                 for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]
                 if line.split()[3] == "0A"]  # 0A: LISTEN
    on_port = [address for address in listening if address.endswith(f":{port:04X}")]
    assert on_port == [f"0100007F:{port:04X}"]  # 127.0.0.1 only

    outside = tmp_path / "secret.txt"
    outside.write_text("not for the page")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{url}gradio_api/file={quote(str(outside))}", timeout=5)
    assert refused.value.code == 403
    inside = root / "notes.txt"
    inside.write_text("the project's own file")
    with urllib.request.urlopen(f"{url}gradio_api/file={quote(str(inside))}") as answer:
        assert answer.read() == b"the project's own file"
