"""Exact invalidation: for each kind of edit, exactly the jobs whose output changes get new
keys (and so run again), checked against hand-written expectations; and the executor runs
exactly those."""

from __future__ import annotations

import pytest

from animator.base import REQUEST_FIELDS
from director import Project, execute, schedule
from director.schedule import iter_jobs
from storyboard.edits import OPERATION_NAMES, apply
from tests.animators import SolidAnimator, small_storyboard

# the small storyboard at 8 fps: s1 (forest; fox, owl, tree; 2 keyframes; fade in) 32
# frames, s2 (forest; owl; 3 keyframes; cut) 28 frames, s3 (cliff; fox; 2 keyframes;
# 0.5 s crossfade) 40 frames
EVERYTHING = frozenset(REQUEST_FIELDS)
NO_COLOUR = EVERYTHING - {"layout.color"}  # a diffusion backend never reads preview colours
PIXELS_ONLY = frozenset({"width", "height", "t", "setting", "time_of_day", "camera_size",
                         "camera_movement", "layout.box", "layout.color", "layout.kind",
                         "layout.name"})  # what the animatic reads without captions


def expand(spec: set[str], graph) -> set[str]:
    """Job ids named by ``spec``: 'film', 's1/shot', 's1/*' (every job of s1),
    's1/interpolate' (its in-between jobs), 's1/keyframe@0.5' (its keyframe at t=0.5)."""
    jobs = list(iter_jobs(graph))
    ids: set[str] = set()
    for item in spec:
        shot, _, what = item.partition("/")
        mine = [j for j in jobs if j.shot == shot] if what else [j for j in jobs
                                                                   if j.id == item]
        if what == "*":
            ids |= {j.id for j in mine}
        elif what == "interpolate":
            ids |= {j.id for j in mine if j.kind == "interpolate"}
        elif what.startswith("keyframe@"):
            t = float(what.removeprefix("keyframe@"))
            ids |= {j.id for j in mine if j.kind == "keyframe"
                    and j.payload.shot.keyframes[j.payload.keyframe_frames.index(j.frames[0])].t
                    == t}
        elif what:
            ids |= {f"{shot}/{what}"}
        else:
            ids |= {j.id for j in mine}
        assert ids, item
    return ids


def rerun(old, new, reads=EVERYTHING) -> set[str]:
    """Ids of the jobs of ``new`` whose keys ``old``'s graph lacks: what a render of
    ``new`` after one of ``old`` runs."""
    animator = SolidAnimator()
    before = schedule(old, animator, reads=reads)
    after = schedule(new, animator, reads=reads)
    known = {j.key for j in iter_jobs(before)}
    return {j.id for j in iter_jobs(after) if j.key not in known}


ALL_FRAMES_BUT_ENDS = {"s2/interpolate", "s2/keyframe@0.5", "s2/shot", "film"}

CASES = [
    # (operation, reads, hand-written expectation)
    ({"op": "set_entity", "entity": "owl", "appearance": "a white owl"}, EVERYTHING,
     {"s1/*", "s2/*", "film"}),
    ({"op": "set_entity", "entity": "owl", "appearance": "a white owl"}, PIXELS_ONLY,
     {"film"}),  # the prompt changed, and the animatic does not read prompts
    ({"op": "set_entity", "entity": "owl", "color": "#ffffff"}, EVERYTHING,
     {"s1/*", "s2/*", "film"}),
    ({"op": "set_entity", "entity": "owl", "color": "#ffffff"}, NO_COLOUR, {"film"}),
    ({"op": "set_entity", "entity": "tree", "name": "Pine"}, EVERYTHING, {"s1/*", "film"}),
    ({"op": "add_entity", "name": "Cat", "appearance": "a cat"}, EVERYTHING, {"film"}),
    ({"op": "remove_entity", "entity": "tree"}, EVERYTHING, {"s1/*", "film"}),
    ({"op": "set_duration", "shot": "s2", "seconds": 4.0}, EVERYTHING,
     {"s2/interpolate", "s2/shot", "film"}),  # its keyframes and the other shots are kept
    ({"op": "set_duration", "shot": "s1", "seconds": 4.02}, EVERYTHING, {"film"}),  # 32 frames
    ({"op": "set_camera", "shot": "s3", "movement": "pan-left"}, EVERYTHING, {"s3/*", "film"}),
    ({"op": "set_transition", "shot": "s2", "transition": "crossfade"}, EVERYTHING,
     {"s1/shot", "s2/shot", "film"}),  # the crossfade is cut from s1's tail and s2's head
    ({"op": "set_transition", "shot": "s3", "seconds": 1.0}, EVERYTHING,
     {"s2/shot", "s3/shot", "film"}),
    ({"op": "set_narration", "shot": "s1", "text": "Hello."}, EVERYTHING, {"s1/shot", "film"}),
    ({"op": "set_description", "shot": "s1", "text": "x"}, EVERYTHING, {"film"}),
    ({"op": "add_shot", "after": "s1", "description": "the fox sleeps", "entities": ["fox"]},
     EVERYTHING, {"s4/*", "film"}),
    ({"op": "remove_shot", "shot": "s2"}, EVERYTHING, {"s1/shot", "film"}),  # s3's crossfade
    ({"op": "move_shot", "shot": "s2", "after": "s3"}, EVERYTHING,
     {"s1/shot", "s2/*", "film"}),  # s2 joins the cliff scene; s1 now crossfades into s3
    ({"op": "swap_shots", "first": "s1", "second": "s2"}, EVERYTHING,
     {"s1/shot", "s2/shot", "film"}),
    ({"op": "split_shot", "shot": "s3", "seconds": 2.5}, EVERYTHING,
     {"s3/interpolate", "s3/keyframe@1.0", "s3/shot", "s4/*", "film"}),
    ({"op": "set_keyframe_prompt", "shot": "s2", "keyframe": 1, "prompt": "higher"},
     EVERYTHING, ALL_FRAMES_BUT_ENDS),
    ({"op": "add_keyframe", "shot": "s3", "t": 0.5, "prompt": "mid-leap"}, EVERYTHING,
     {"s3/interpolate", "s3/keyframe@0.5", "s3/shot", "film"}),
    ({"op": "remove_keyframe", "shot": "s2", "keyframe": 1}, EVERYTHING,
     {"s2/interpolate", "s2/shot", "film"}),
    ({"op": "place_entity", "entity": "fox", "shot": "s3", "position": "left"}, EVERYTHING,
     {"s3/*", "film"}),
    ({"op": "place_entity", "entity": "owl", "shot": "s2", "keyframe": 1, "scale": 1.2},
     EVERYTHING, ALL_FRAMES_BUT_ENDS),
    ({"op": "set_scene", "scene": "cliff", "time_of_day": "dawn"}, EVERYTHING,
     {"s3/*", "film"}),
    ({"op": "set_style", "prompt": "watercolor"}, EVERYTHING, {"s1/*", "s2/*", "s3/*", "film"}),
    ({"op": "set_style", "prompt": "watercolor"}, PIXELS_ONLY, {"film"}),
    ({"op": "set_title", "title": "Night"}, EVERYTHING, {"film"}),
    ({"op": "retime_film", "seconds": 10}, EVERYTHING,
     {"s1/interpolate", "s1/shot", "s2/interpolate", "s2/shot", "s3/interpolate", "s3/shot",
      "film"}),
]


def test_the_table_covers_every_operation():
    assert {op["op"] for op, _, _ in CASES} == set(OPERATION_NAMES)


@pytest.mark.parametrize("op, reads, expected", CASES,
                         ids=[f"{op['op']}-{i}" for i, (op, _, _) in enumerate(CASES)])
def test_exactly_the_changed_jobs_run_again(op, reads, expected):
    old = small_storyboard()
    new = apply(old, [op])
    graph = schedule(new, SolidAnimator(), reads=reads)
    assert rerun(old, new, reads) == expand(expected, graph)


def test_the_executor_runs_exactly_those_jobs(tmp_path):
    old = small_storyboard()
    new = apply(old, [{"op": "set_duration", "shot": "s2", "seconds": 4.0}])
    animator, project = SolidAnimator(), Project(tmp_path / "p")
    assert execute(schedule(old, animator), animator, project, progress=False).ok
    report = execute(schedule(new, animator), animator, project, progress=False)
    assert report.ok
    assert report.jobs.run == len(rerun(old, new))
    assert report.jobs.by_kind["keyframe"].run == 0  # s2's keyframes kept their keys
    back = execute(schedule(old, animator), animator, project, progress=False)
    assert back.jobs.run == 0  # going back (an undo) re-makes nothing


def test_a_keyframe_request_does_not_depend_on_the_frame_count():
    old = small_storyboard()
    new = apply(old, [{"op": "set_duration", "shot": "s2", "seconds": 4.0}])
    animator = SolidAnimator()

    def keyframe_requests(board):
        return [r for j in iter_jobs(schedule(board, animator)) if j.kind == "keyframe"
                and j.shot == "s2" for r in j.frame_requests()]

    assert keyframe_requests(old) == keyframe_requests(new)
