"""Reference jobs and per-role keys: scheduled and executed with a test animator that has
roles (tests/animators.py RoleAnimator); no diffusers here."""

from __future__ import annotations

import numpy as np
import pytest
from animators import RoleAnimator, SolidAnimator, small_storyboard, small_storyboard_dict
from PIL import Image

from director.execute import execute
from director.project import Project
from director.schedule import iter_jobs, schedule
from storyboard import validate
from storyboard.errors import UserError


def keys(board, animator=None, **options) -> dict[str, str]:
    graph = schedule(board, animator or RoleAnimator(), **options)
    return {job.id: job.key for job in iter_jobs(graph)}


def test_one_reference_per_shown_entity_and_keyframes_depend_on_theirs():
    graph = schedule(small_storyboard(), RoleAnimator())
    jobs = {job.id: job for job in iter_jobs(graph)}
    assert sorted(j for j in jobs if j.startswith("reference/")) == \
        ["reference/fox", "reference/owl", "reference/tree"]
    assert jobs["s1/keyframe/0"].parents == ("reference/tree", "reference/fox", "reference/owl")
    assert jobs["s2/keyframe/0"].parents == ("reference/owl",)
    assert graph.has_edge("reference/owl", "s2/keyframe/0")
    assert jobs["reference/fox"].level == 0 and jobs["reference/fox"].frames == (0,)


def test_an_animator_without_references_schedules_none():
    graph = schedule(small_storyboard(), SolidAnimator())
    assert not any(job.kind == "reference" for job in iter_jobs(graph))
    assert all(not job.parents for job in iter_jobs(graph) if job.kind == "keyframe")


def test_changing_an_appearance_remakes_its_reference_and_exactly_the_keyframes_showing_it():
    data = small_storyboard_dict()
    before = keys(validate(data))
    data["entities"][1]["appearance"] = "a white snowy owl"
    after = keys(validate(data))
    changed = {j for j in before if before[j] != after[j]}
    kinds = {j for j in changed if "/keyframe/" in j or j.startswith("reference/")}
    assert kinds == {"reference/owl", "s1/keyframe/0", "s1/keyframe/31", "s2/keyframe/0",
                     "s2/keyframe/14", "s2/keyframe/27"}  # s3 shows only the fox


def test_a_jobs_key_holds_only_the_fingerprint_of_its_role():
    board = small_storyboard()
    base = keys(board)
    new_inbetween = keys(board, RoleAnimator({"inbetween": 2}))
    changed = {j for j in base if base[j] != new_inbetween[j]}
    assert changed and all("/interpolate/" in j or j.endswith(("/shot", "film"))
                           for j in changed)
    new_reference = keys(board, RoleAnimator({"reference": 2}))
    changed = {j for j in base if base[j] != new_reference[j]}
    assert {j for j in changed if j.startswith("reference/")} == \
        {"reference/fox", "reference/owl", "reference/tree"}
    assert any("/keyframe/" in j for j in changed)  # keyframes read the references


def test_the_animatic_keys_are_the_whole_fingerprints():
    board = small_storyboard()
    animator = SolidAnimator()
    graph = schedule(board, animator)
    assert graph.graph["config"].role_fingerprints == {}
    whole = schedule(board, animator.capabilities, fingerprint=animator.fingerprint(),
                     reads=animator.reads())
    assert {n: d["job"].key for n, d in graph.nodes(data=True)} == \
        {n: d["job"].key for n, d in whole.nodes(data=True)}


def test_a_users_reference_picture_is_keyed_by_content(tmp_path):
    data = small_storyboard_dict()
    data["entities"][0]["reference"] = "fox.png"
    board = validate(data)
    with pytest.raises(UserError, match="'fox'.*'fox.png' is not a file"):
        schedule(board, RoleAnimator(), assets=tmp_path)
    Image.new("RGB", (16, 16), (200, 10, 10)).save(tmp_path / "fox.png")
    first = keys(board, assets=tmp_path)
    assert keys(board, SolidAnimator(), assets=tmp_path) == keys(board, SolidAnimator())
    Image.new("RGB", (16, 16), (10, 200, 10)).save(tmp_path / "fox.png")
    second = keys(board, assets=tmp_path)
    changed = {j for j in first if first[j] != second[j]}
    assert {j for j in changed if j.startswith("reference/")} == {"reference/fox"}
    assert "s2/keyframe/0" not in changed  # the owl's shot


def test_references_run_once_and_reach_the_keyframes_that_show_them(tmp_path):
    data = small_storyboard_dict()
    data["entities"][0]["reference"] = "fox.png"
    Image.new("RGB", (16, 16), (99, 10, 10)).save(tmp_path / "fox.png")
    board = validate(data)
    animator = RoleAnimator()
    project = Project(tmp_path / "film.director")
    report = execute(schedule(board, animator, assets=tmp_path), animator, project,
                     progress=False)
    assert report.ok and report.jobs.by_kind["reference"].run == 3
    assert sorted(size for kind, size in animator.calls if kind == "reference") == [1, 2]
    assert sorted(set(animator.references_seen)) == [("fox",), ("owl",), ("tree", "fox", "owl")]
    graph = schedule(board, animator, assets=tmp_path)
    fox = next(j for j in iter_jobs(graph) if j.id == "reference/fox")
    assert np.array_equal(project.store.frame(fox.key, 0)[0, 0], [99, 10, 10])
    meta = project.store.meta(fox.key)
    assert meta["kind"] == "reference" and meta["entity"] == "fox" and meta["made_from"]
    again = RoleAnimator()
    second = execute(schedule(board, again, assets=tmp_path), again, project, progress=False)
    assert second.jobs.run == 0 and again.calls == []


def test_the_contact_sheet_shows_stored_references(tmp_path):
    from director import api

    board = small_storyboard()
    animator = RoleAnimator()
    execute(schedule(board, animator), animator, Project(tmp_path / "p"), progress=False)
    with_refs = api.sheet(board, tmp_path / "with.png", project=tmp_path / "p")
    plain = api.sheet(board, tmp_path / "plain.png")
    a, b = Image.open(with_refs), Image.open(plain)
    assert a.height > b.height  # the legend row holds the pictures
    changed = validate({**small_storyboard_dict(), "seed": 99})  # new seed: none match
    other = api.sheet(changed, tmp_path / "other.png", project=tmp_path / "p")
    assert Image.open(other).height == b.height
