"""The examples run as the README says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_quickstart_plans_renders_and_revises(tmp_path):
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py"), str(tmp_path / "out"),
         str(EXAMPLES / "requests" / "robot.txt")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("storyboard.json", "sheet.png", "film.mp4"):
        assert (tmp_path / "out" / name).is_file()
    lines = result.stdout.splitlines()
    assert lines[1].startswith("changes: shot ") and "camera changed" in lines[1]
    run, reused = (int(w) for w in lines[2].split() if w.isdigit())
    assert 0 < run < reused
