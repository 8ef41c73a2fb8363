"""Storyboard JSON files: round trips, the JSON Schema, and clear errors for bad files."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import jsonschema
import pytest

from storyboard import (
    StoryboardError,
    UserError,
    atomic_path,
    atomic_write_text,
    json_schema,
    load,
    save,
    to_json,
)


def test_save_then_load_gives_the_same_storyboard(storyboard, tmp_path):
    path = save(storyboard, tmp_path / "film" / "storyboard.json")
    assert path.is_file()
    again = load(path)
    assert again == storyboard
    assert to_json(again) == path.read_text(encoding="utf-8")


def test_the_file_is_the_public_format(storyboard, storyboard_dict, tmp_path):
    path = save(storyboard, tmp_path / "storyboard.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert list(data) == ["title", "logline", "style", "format", "seed", "entities", "scenes"]
    shot = data["scenes"][0]["shots"][0]
    assert shot["keyframes"][0]["layout"][0] == {
        "entity": "tree", "phrase": "a pine", "box": [0.55, 0.05, 0.9, 0.8]}
    # defaults are written out, so a person sees every field they may edit
    assert data["scenes"][0]["shots"][1]["transition_duration"] == 0.5
    assert data["scenes"][0]["shots"][1]["keyframes"][0]["relations"] == []
    assert data["entities"] == [{**e, "reference": None} for e in storyboard_dict["entities"]]


def test_unicode_survives_the_round_trip(storyboard, tmp_path):
    changed = storyboard.model_copy(update={"title": "Le renard qui volait 🦊 — 狐"})
    path = save(changed, tmp_path / "s.json")
    assert "🦊" in path.read_text(encoding="utf-8")
    assert load(path).title == "Le renard qui volait 🦊 — 狐"


def test_saved_files_have_ordinary_permissions(storyboard, tmp_path):
    old = os.umask(0o022)
    try:
        path = save(storyboard, tmp_path / "s.json")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_the_json_schema_is_a_valid_schema_with_the_public_names(storyboard_dict):
    schema = json_schema()
    validator_class = jsonschema.validators.validator_for(schema)
    assert validator_class is jsonschema.Draft202012Validator
    validator_class.check_schema(schema)
    assert set(schema["properties"]) == {
        "title", "logline", "style", "format", "seed", "entities", "scenes"}
    defs = schema["$defs"]
    assert set(defs["Entity"]["properties"]) == {"id", "name", "kind", "appearance", "color",
                                                 "reference"}
    assert set(defs["Scene"]["properties"]) == {"id", "setting", "time_of_day", "shots"}
    assert {"id", "description", "duration", "camera", "transition", "narration",
            "keyframes"} <= set(defs["Shot"]["properties"])
    assert set(defs["Keyframe"]["properties"]) == {"t", "prompt", "layout", "relations"}
    assert set(defs["Placement"]["properties"]) == {"entity", "phrase", "box"}
    assert set(defs["Relation"]["properties"]) == {"subject", "predicate", "object"}
    assert set(defs["Camera"]["properties"]) == {"size", "movement"}
    assert set(defs["Format"]["properties"]) == {"width", "height", "fps"}
    assert set(defs["Style"]["properties"]) == {"prompt", "negative_prompt"}
    assert defs["Entity"]["additionalProperties"] is False


def test_the_schema_accepts_a_storyboard_and_rejects_unknown_fields(storyboard_dict):
    validator = jsonschema.Draft202012Validator(json_schema())
    assert list(validator.iter_errors(storyboard_dict)) == []
    storyboard_dict["entities"][0]["colour"] = "#ffffff"
    storyboard_dict["scenes"][0]["shots"][0]["transition"] = "wipe"
    errors = list(validator.iter_errors(storyboard_dict))
    assert len(errors) == 2


def test_a_missing_file(tmp_path):
    with pytest.raises(UserError, match="no such file") as caught:
        load(tmp_path / "nope.json")
    assert "nope.json" in str(caught.value)


def test_a_folder_instead_of_a_file(tmp_path):
    with pytest.raises(UserError, match="is a folder"):
        load(tmp_path)


def test_invalid_json_names_the_file_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "title": "x",\n  "scenes": [1, 2,]\n}\n', encoding="utf-8")
    with pytest.raises(UserError) as caught:
        load(path)
    message = str(caught.value)
    assert "broken.json" in message and "not valid JSON" in message
    assert "line 3" in message and "column" in message
    assert not isinstance(caught.value, StoryboardError)


def test_json_that_is_not_an_object(tmp_path):
    path = tmp_path / "list.json"
    path.write_text("[1, 2, 3]", encoding="utf-8")
    with pytest.raises(UserError, match="holds JSON list, not a storyboard object") as caught:
        load(path)
    assert "list.json" in str(caught.value)


def test_a_file_that_is_not_text(tmp_path):
    path = tmp_path / "binary.json"
    path.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(UserError, match="cannot read"):
        load(path)


def test_an_invalid_storyboard_file_lists_its_problems(storyboard_dict, tmp_path):
    storyboard_dict["format"]["fps"] = 0
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(storyboard_dict), encoding="utf-8")
    with pytest.raises(StoryboardError) as caught:
        load(path)
    assert [p.path for p in caught.value.problems] == ["format.fps"]
    assert str(caught.value).startswith(f"{path} is not valid: format.fps")


def test_save_into_an_unwritable_place_is_a_user_error(storyboard, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UserError, match="cannot create folder"):
        save(storyboard, blocker / "storyboard.json")


def test_a_failed_atomic_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "doc.txt"
    atomic_write_text(target, "good")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half-writ", encoding="utf-8")
        raise RuntimeError("crash while writing")
    assert target.read_text(encoding="utf-8") == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["doc.txt"]
    atomic_write_text(target, "better")
    assert target.read_text(encoding="utf-8") == "better"
    assert [p.name for p in tmp_path.iterdir()] == ["doc.txt"]


def test_saved_files_follow_the_umask(storyboard, tmp_path):
    old = os.umask(0o027)
    try:
        path = save(storyboard, tmp_path / "s.json")
        assert os.umask(0o027) == 0o027  # saving left the process umask alone
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_neither_import_nor_save_touches_the_process_umask(tmp_path):
    # os.umask can only read the umask by setting it: a process-wide change another
    # thread may see, so storyboard.io must not call it
    code = ("import os, sys; calls = []; real = os.umask\n"
            "os.umask = lambda mask: calls.append(mask) or real(mask)\n"
            "import storyboard\n"
            "from storyboard import Storyboard, save\n"
            "board = Storyboard.model_validate({'title': 't', 'scenes': [{'id': 'a',"
            " 'setting': 'x', 'shots': [{'id': 's', 'duration': 1, 'keyframes':"
            " [{'t': 0, 'prompt': 'x'}, {'t': 1, 'prompt': 'x'}]}]}]})\n"
            "save(board, sys.argv[1])\n"
            "print(len(calls))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "s.json")],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "0"


def test_save_onto_a_folder_is_a_user_error(storyboard, tmp_path):
    (tmp_path / "film.json").mkdir()
    with pytest.raises(UserError, match="is a folder") as caught:
        save(storyboard, tmp_path / "film.json")
    assert "\n" not in str(caught.value)
    assert not [p for p in tmp_path.iterdir() if p.name != "film.json"]  # no temporary left
