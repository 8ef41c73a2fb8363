"""The `director` commands on storyboard files: validate, schema, sheet."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from PIL import Image

from director.cli import main


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run `director ARGS` in this process; return (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as caught:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return caught.value.code, out, err


@pytest.fixture
def storyboard_file(storyboard_dict, tmp_path):
    path = tmp_path / "storyboard.json"
    path.write_text(json.dumps(storyboard_dict, indent=2), encoding="utf-8")
    return path


@pytest.fixture
def invalid_storyboard_file(storyboard_dict, tmp_path):
    storyboard_dict["format"]["width"] = 650
    storyboard_dict["entities"][0]["color"] = "red"
    storyboard_dict["scenes"][0]["shots"][1]["keyframes"][0]["layout"][0]["box"] = [0, 0, 2, 1]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(storyboard_dict, indent=2), encoding="utf-8")
    return path


def test_validate_a_valid_file(capsys, storyboard_file):
    code, out, err = run_cli(capsys, "validate", storyboard_file)
    assert code == 0
    assert out.strip() == f"{storyboard_file}: valid (2 scenes, 3 shots, 3 entities, 12.5 s)"
    assert err == ""


def test_validate_lists_every_problem_with_its_path(capsys, invalid_storyboard_file):
    code, out, err = run_cli(capsys, "validate", invalid_storyboard_file)
    assert code == 1
    lines = err.strip().splitlines()
    assert lines[0] == f"{invalid_storyboard_file}: 3 problem(s)"
    paths = {line.strip().split(":")[0] for line in lines[1:]}
    assert paths == {"format.width", "entities[0].color",
                     "scenes[0].shots[1].keyframes[0].layout[0].box"}
    assert "multiple of 8" in err and "Traceback" not in err
    assert out == ""


@pytest.mark.parametrize("content, expected", [
    (None, "no such file"),
    ("{ not json", "is not valid JSON"),
    ("[]", "holds JSON list"),
])
def test_validate_a_bad_file_is_one_line(capsys, tmp_path, content, expected):
    path = tmp_path / "in.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code, out, err = run_cli(capsys, "validate", path)
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("error: ") and expected in err
    assert "in.json" in err


def test_schema_prints_the_json_schema(capsys):
    code, out, err = run_cli(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert "Storyboard" in schema["title"]
    assert {"Entity", "Scene", "Shot", "Keyframe"} <= set(schema["$defs"])


def test_sheet_writes_a_png(capsys, storyboard_file, tmp_path):
    output = tmp_path / "out" / "sheet.png"
    code, out, err = run_cli(capsys, "sheet", storyboard_file, "-o", output)
    assert code == 0, err
    assert str(output) in out
    with Image.open(output) as image:
        assert image.format == "PNG"
        assert image.width > 600 and image.height > 600


def test_sheet_of_a_missing_file(capsys, tmp_path):
    output = tmp_path / "sheet.png"
    code, out, err = run_cli(capsys, "sheet", tmp_path / "missing.json", "-o", output)
    assert code != 0
    assert err.strip() == f"error: no such file: {str(tmp_path / 'missing.json')!r}"
    assert not output.exists()


def test_sheet_of_an_invalid_storyboard(capsys, invalid_storyboard_file, tmp_path):
    code, _, err = run_cli(capsys, "sheet", invalid_storyboard_file, "-o", tmp_path / "s.png")
    assert code == 1
    assert err.count("\n") == 1 and "is not valid" in err and "director validate" in err


def test_sheet_to_a_non_png_name(capsys, storyboard_file, tmp_path):
    code, _, err = run_cli(capsys, "sheet", storyboard_file, "-o", tmp_path / "sheet.jpg")
    assert code == 1
    assert err.count("\n") == 1 and "PNG" in err


def test_sheet_into_an_unwritable_folder(capsys, storyboard_file, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, _, err = run_cli(capsys, "sheet", storyboard_file, "-o", blocker / "sheet.png")
    assert code == 1
    assert err.count("\n") == 1 and "cannot create folder" in err


def test_the_console_command_prints_no_traceback(tmp_path):
    """The real entry point in a fresh interpreter, as a person runs it."""
    result = subprocess.run(
        [sys.executable, "-c", "from director.cli import main; main()",
         "sheet", str(tmp_path / "missing.json"), "-o", str(tmp_path / "sheet.png")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: no such file")
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
