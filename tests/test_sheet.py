"""The contact sheet: its size follows the shots and keyframes, boxes land where the layout
says in their entity's colour, bad outputs give a UserError and writes are atomic."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from PIL import Image

from storyboard import Keyframe, UserError, validate
from storyboard.sheet import (
    CAPTION_HEIGHT,
    FILL_ALPHA,
    GUTTER,
    MAX_COLUMNS,
    ROW_GAP,
    Rect,
    box_to_pixels,
    page_paths,
    plan_sheet,
    render_sheet,
)


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])


def _pixels(path) -> np.ndarray:
    with Image.open(path) as image:
        assert image.mode == "RGB"
        return np.asarray(image).astype(int)


def _without_layouts(data: dict) -> dict:
    data = copy.deepcopy(data)
    for scene in data["scenes"]:
        for shot in scene["shots"]:
            for keyframe in shot["keyframes"]:
                keyframe["layout"] = []
                keyframe["relations"] = []
    return data


# -- size --------------------------------------------------------------------------------
def test_png_size_is_the_planned_page_size(storyboard, tmp_path):
    out = render_sheet(storyboard, tmp_path / "sheet.png")
    assert out == tmp_path / "sheet.png"
    layout = plan_sheet(storyboard)
    assert len(layout.pages) == 1
    with Image.open(out) as image:
        assert image.format == "PNG"
        assert image.size == (layout.pages[0].width, layout.pages[0].height)
    # panels keep the film's aspect ratio (640x360)
    assert (layout.panel_width, layout.panel_height) == (320, 180)


def test_one_more_keyframe_column_widens_the_sheet_by_one_panel(storyboard_dict, tmp_path):
    base = render_sheet(validate(storyboard_dict), tmp_path / "a.png", panel_width=200)
    shot = storyboard_dict["scenes"][0]["shots"][1]  # the widest shot: 3 keyframes
    shot["keyframes"].insert(2, {"t": 0.75, "prompt": "the owl circles"})
    wider = render_sheet(validate(storyboard_dict), tmp_path / "b.png", panel_width=200)
    (w0, h0), (w1, h1) = Image.open(base).size, Image.open(wider).size
    assert w1 - w0 == 200 + GUTTER
    assert h1 == h0


def test_one_more_shot_adds_one_row(storyboard_dict, tmp_path):
    base = render_sheet(validate(storyboard_dict), tmp_path / "a.png", panel_width=160)
    extra = copy.deepcopy(storyboard_dict["scenes"][1]["shots"][0])
    extra["id"] = "s4"
    storyboard_dict["scenes"][1]["shots"].append(extra)
    longer = render_sheet(validate(storyboard_dict), tmp_path / "b.png", panel_width=160)
    (w0, h0), (w1, h1) = Image.open(base).size, Image.open(longer).size
    panel_height = 90  # 160 wide at 640x360
    assert w1 == w0
    assert h1 - h0 == panel_height + CAPTION_HEIGHT + ROW_GAP


def test_many_keyframes_wrap_onto_a_second_line(storyboard_dict):
    base = plan_sheet(validate(storyboard_dict), 120)
    shot = storyboard_dict["scenes"][0]["shots"][1]
    count = MAX_COLUMNS + 2
    shot["duration"] = 8.0
    shot["keyframes"] = [{"t": i / (count - 1), "prompt": f"moment {i}"} for i in range(count)]
    shot["keyframes"][-1]["t"] = 1.0
    layout = plan_sheet(validate(storyboard_dict), 120)
    assert layout.columns == MAX_COLUMNS
    page = layout.pages[0]
    assert page.width == base.pages[0].width + (MAX_COLUMNS - 3) * (120 + GUTTER)
    panel_height = layout.panel_height
    assert page.height - base.pages[0].height == panel_height + CAPTION_HEIGHT + GUTTER
    _, first = layout.panel("s2", 0)
    _, wrapped = layout.panel("s2", MAX_COLUMNS)
    assert wrapped.x == first.x
    assert wrapped.y == first.y + panel_height + CAPTION_HEIGHT + GUTTER


def test_long_storyboards_are_paginated_with_bounded_pages(storyboard_dict, tmp_path):
    scene = storyboard_dict["scenes"][0]
    template = scene["shots"][1]
    scene["shots"] = []
    for i in range(40):
        shot = copy.deepcopy(template)
        shot["id"] = f"shot-{i}"
        scene["shots"].append(shot)
    board = validate(storyboard_dict)
    limit = 1500
    layout = plan_sheet(board, 100, max_page_height=limit)
    assert len(layout.pages) > 1
    assert all(page.height <= limit for page in layout.pages)
    assert sum(len(page.rows) for page in layout.pages) == 41
    out = render_sheet(board, tmp_path / "film.png", panel_width=100, max_page_height=limit)
    expected = page_paths(out, len(layout.pages))
    assert expected[1].name == "film-2.png"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in expected)
    for page, path in zip(layout.pages, expected, strict=True):
        assert Image.open(path).size == (page.width, page.height)
    # the continuation page repeats the scene header, marked as continued
    assert layout.pages[1].bands[0].continued


# -- boxes -------------------------------------------------------------------------------
def test_box_to_pixels_maps_the_unit_square_onto_the_panel():
    panel = Rect(100, 50, 321, 181)
    assert box_to_pixels((0, 0, 1, 1), panel) == (100, 50, 420, 230)
    assert box_to_pixels((0.5, 0.5, 0.75, 1.0), panel) == (260, 140, 340, 230)


def test_boxes_land_where_the_layout_says_in_their_colour(storyboard_dict, tmp_path):
    board = validate(storyboard_dict)
    drawn = _pixels(render_sheet(board, tmp_path / "boxes.png"))
    empty = _pixels(render_sheet(validate(_without_layouts(storyboard_dict)),
                                 tmp_path / "empty.png"))
    assert drawn.shape == empty.shape
    layout = plan_sheet(board)
    checked = centres = 0
    for scene in board.scenes:
        for shot in scene.shots:
            for k, keyframe in enumerate(shot.keyframes):
                _, panel = layout.panel(shot.id, k)
                for placement in keyframe.layout:
                    colour = _rgb(board.entity_map[placement.entity].color)
                    x0, y0, x1, y1 = box_to_pixels(placement.box, panel)
                    mid_x, mid_y = (x0 + x1) // 2, (y0 + y1) // 2
                    # the outline: left, right and bottom edges in the entity's colour
                    for x, y in ((x0, mid_y), (x1, mid_y), (mid_x, y1)):
                        assert (drawn[y, x] == colour).all(), (shot.id, k, placement.entity)
                    # just outside the box: not this entity's colour
                    for x, y in ((x0 - 3, mid_y), (x1 + 3, mid_y), (mid_x, y1 + 3)):
                        assert not (drawn[y, x] == colour).all()
                    # the centre: the background tinted towards the colour by the fill
                    inside = [p for p in keyframe.layout if p is not placement and _covers(
                        box_to_pixels(p.box, panel), mid_x, mid_y)]
                    if not inside:
                        background = empty[mid_y, mid_x]
                        expected = background + (colour - background) * FILL_ALPHA / 255
                        assert np.abs(drawn[mid_y, mid_x] - expected).max() <= 2
                        assert (np.abs(drawn[mid_y, mid_x] - colour).sum()
                                < np.abs(background - colour).sum())
                        centres += 1
                    checked += 1
    assert (checked, centres) == (11, 9)  # the owl sits inside the pine's box twice


def _covers(pixels, x, y) -> bool:
    x0, y0, x1, y1 = pixels
    return x0 <= x <= x1 and y0 <= y <= y1


def test_the_entity_colour_appears_only_inside_its_box(storyboard_dict, tmp_path):
    board = validate(storyboard_dict)
    drawn = _pixels(render_sheet(board, tmp_path / "sheet.png"))
    layout = plan_sheet(board)
    _, panel = layout.panel("s3", 1)  # the fox alone at night
    (placement,) = board.shot("s3")[1].keyframes[1].layout
    x0, y0, x1, y1 = box_to_pixels(placement.box, panel)
    region = drawn[panel.y:panel.bottom, panel.x:panel.right]
    ys, xs = np.nonzero((region == _rgb("#e07a3f")).all(axis=2))
    assert len(xs) > 2 * ((x1 - x0) + (y1 - y0))  # at least the outline
    assert xs.min() + panel.x == x0 and xs.max() + panel.x == x1
    assert ys.min() + panel.y == y0 and ys.max() + panel.y == y1


def test_moving_a_box_moves_its_pixels(storyboard_dict, tmp_path):
    box = [0.05, 0.1, 0.25, 0.4]
    storyboard_dict["scenes"][1]["shots"][0]["keyframes"][0]["layout"][0]["box"] = box
    board = validate(storyboard_dict)
    drawn = _pixels(render_sheet(board, tmp_path / "sheet.png"))
    _, panel = plan_sheet(board).panel("s3", 0)
    x0, y0, x1, y1 = box_to_pixels(box, panel)
    assert (drawn[(y0 + y1) // 2, x1] == _rgb("#e07a3f")).all()
    old_x1 = box_to_pixels((0.2, 0.3, 0.8, 0.95), panel)[2]
    assert not (drawn[(y0 + y1) // 2, old_x1] == _rgb("#e07a3f")).all()


# -- output paths and atomic writes -------------------------------------------------------
def test_an_output_under_a_file_is_a_user_error(storyboard, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(UserError, match="cannot create folder"):
        render_sheet(storyboard, blocker / "sheet.png")


def test_a_folder_as_output_is_a_user_error(storyboard, tmp_path):
    (tmp_path / "sheet.png").mkdir()
    with pytest.raises(UserError, match="is a folder"):
        render_sheet(storyboard, tmp_path / "sheet.png")


def test_the_output_must_be_a_png(storyboard, tmp_path):
    with pytest.raises(UserError, match=r"\*\.png"):
        render_sheet(storyboard, tmp_path / "sheet.jpg")
    assert list(tmp_path.iterdir()) == []


def test_the_output_folder_is_created(storyboard, tmp_path):
    out = render_sheet(storyboard, tmp_path / "new" / "deeper" / "sheet.png", panel_width=96)
    assert out.is_file()


def test_panel_width_out_of_range_is_a_user_error(storyboard, tmp_path):
    with pytest.raises(UserError, match="panel width"):
        render_sheet(storyboard, tmp_path / "sheet.png", panel_width=10)


def test_a_failing_render_keeps_every_existing_page(storyboard_dict, tmp_path):
    scene = storyboard_dict["scenes"][0]
    for i in range(12):
        shot = copy.deepcopy(scene["shots"][1])
        shot["id"] = f"extra-{i}"
        scene["shots"].append(shot)
    board = validate(storyboard_dict)
    pages = len(plan_sheet(board, 80, max_page_height=900).pages)
    assert pages >= 3
    paths = page_paths(tmp_path / "sheet.png", pages)
    for path in paths:
        path.write_bytes(b"a good sheet from before")
    # a keyframe whose prompt cannot be drawn, on the last page: page 1 is drawn first
    _, last = board.shot("s3")
    broken = Keyframe.model_construct(t=1.0, prompt=None, layout=[], relations=[])
    board.scenes[1].shots[0] = last.model_copy(update={"keyframes": [last.keyframes[0], broken]})
    with pytest.raises((AttributeError, TypeError)):
        render_sheet(board, tmp_path / "sheet.png", panel_width=80, max_page_height=900)
    for path in paths:
        assert path.read_bytes() == b"a good sheet from before"
    assert sorted(tmp_path.iterdir()) == sorted(paths)  # no temporary files left behind


def test_a_second_render_replaces_the_sheet(storyboard, tmp_path):
    out = tmp_path / "sheet.png"
    out.write_bytes(b"old")
    render_sheet(storyboard, out, panel_width=96)
    assert Image.open(out).format == "PNG"
    assert [p.name for p in tmp_path.iterdir()] == ["sheet.png"]
