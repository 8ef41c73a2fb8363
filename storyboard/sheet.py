"""The contact sheet: every shot's keyframes as panels, the picture a person checks before
any pixel is generated.

Layout, top to bottom: a header (title, logline, running time, format, style and a legend
of the entities), then per scene a band (id, setting, time of day) and per shot a row:
the shot's facts in the left column (id, duration in seconds and frames, film time,
camera, transition, narration) and its keyframes left to right as panels with the
frame's aspect ratio. A panel shows a sky and ground tinted by the scene's time of day,
each layout box in its entity's colour (outline, translucent fill, name tag) and, under
it, the keyframe time, frame and prompt.

Long storyboards are paginated so that no picture grows without bound: a page holds
shots until it would pass ``max_page_height`` pixels. Page 1 is written to ``output``
itself; pages 2, 3, ... go beside it as ``<stem>-2.png``, ``<stem>-3.png``, ... Every
page is rendered into a temporary file first and all are renamed only when every page
has been drawn, so a failure never replaces a good sheet with a broken one.

:func:`plan_sheet` computes where everything goes (pure, no drawing) and
:func:`box_to_pixels` maps a normalised box into a panel; :func:`render_sheet` draws.
"""

from __future__ import annotations

import math
import os
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw

from storyboard.daytime import phase_of
from storyboard.errors import UserError
from storyboard.fonts import fit_text, font, wrap_text
from storyboard.io import atomic_path, writable_dir
from storyboard.models import Box, Scene, Shot, Storyboard
from storyboard.timing import ShotTiming, film_frame_count, timeline

# -- measures (pixels) -----------------------------------------------------------------
MARGIN = 36
"""space around the page content"""
GUTTER = 16
"""space between panels and between the info column and the first panel"""
INFO_WIDTH = 248
"""width of the left column that holds each shot's facts"""
MAX_COLUMNS = 6
"""a shot with more keyframes wraps its panels onto further lines"""
CAPTION_HEIGHT = 96
"""room under each panel for 't = .. · frame ..', up to three lines of prompt and a line
of relations (the scene graph)"""
CAPTION_PROMPT_LINES = 3
ROW_GAP = 22
"""space between two shot rows (a thin rule is drawn in the middle)"""
SCENE_BAND_HEIGHT = 40
SCENE_BAND_GAP = 14
MIN_PAGE_WIDTH = 720
MAX_PAGE_HEIGHT = 8000
"""a page ends before a shot row would pass this height (a single row may exceed it)"""
PANEL_WIDTH_RANGE = (64, 2048)
FILL_ALPHA = 72
"""opacity (0..255) of a layout box's fill over the panel background"""
OUTLINE_WIDTH = 2
GROUND_LEVEL = 0.78
"""height of the ground line, as a fraction of the panel from the top"""

# -- colours ---------------------------------------------------------------------------
PAGE = "#f7f6f2"
INK = "#23252b"
MUTED = "#6c6f78"
FAINT = "#b9b7b0"
RULE = "#e0ddd5"
BAND = "#ebe8e0"
PANEL_BORDER = "#9a9890"

# (sky at the top, sky at the horizon, ground) per time of day
SKY_TINTS: dict[str, tuple[str, str, str]] = {
    "night": ("#28324f", "#46517a", "#252a38"),
    "dusk": ("#d9a7a0", "#f4d6bd", "#b3a596"),
    "evening": ("#aaa6cf", "#e3cbd4", "#a39d9f"),
    "dawn": ("#f1cdb9", "#fbecdc", "#d3c6b0"),
    "morning": ("#cfe5f4", "#f4f6e6", "#cbd9b9"),
    "day": ("#c4e0f5", "#eef6fb", "#c9d8b8"),
    "neutral": ("#d9dde3", "#f0f1f3", "#d2d1ca"),
}
# -- pure layout -----------------------------------------------------------------------
@dataclass(frozen=True)
class Rect:
    """A rectangle in page pixels: left, top, width, height."""

    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height


def box_to_pixels(box: Box, panel: Rect) -> tuple[int, int, int, int]:
    """The pixel rectangle (x0, y0, x1, y1, both ends inclusive) of a normalised box
    [x0, y0, x1, y1] inside ``panel``: 0 is the panel's first pixel, 1 its last."""
    x0, y0, x1, y1 = box
    last_x, last_y = panel.width - 1, panel.height - 1
    return (panel.x + round(x0 * last_x), panel.y + round(y0 * last_y),
            panel.x + round(x1 * last_x), panel.y + round(y1 * last_y))


@dataclass(frozen=True)
class ShotRow:
    """One shot on a page: its facts column and its keyframe panels."""

    scene: Scene
    shot: Shot
    timing: ShotTiming
    top: int
    height: int
    panels: tuple[Rect, ...]
    """one per keyframe, in keyframe order"""


@dataclass(frozen=True)
class SceneBand:
    """The header of a scene (repeated, marked continued, at the top of a new page)."""

    scene: Scene
    number: int
    top: int
    continued: bool


@dataclass
class SheetPage:
    """One picture of the sheet."""

    number: int
    width: int
    height: int
    header_height: int
    bands: list[SceneBand] = field(default_factory=list)
    rows: list[ShotRow] = field(default_factory=list)


@dataclass
class SheetLayout:
    """Where everything of a contact sheet goes, page by page."""

    panel_width: int
    panel_height: int
    columns: int
    pages: list[SheetPage]

    def panel(self, shot_id: str, keyframe_index: int) -> tuple[int, Rect]:
        """The page index (0-based) and pixel rectangle of a keyframe's panel."""
        for index, page in enumerate(self.pages):
            for row in page.rows:
                if row.shot.id == shot_id:
                    return index, row.panels[keyframe_index]
        raise KeyError(f"no shot {shot_id!r} on the sheet")


def panel_height_for(storyboard: Storyboard, panel_width: int) -> int:
    """Panel height with the film's aspect ratio."""
    return max(1, round(panel_width * storyboard.format.height / storyboard.format.width))


def plan_sheet(storyboard: Storyboard, panel_width: int = 320, *,
               max_page_height: int = MAX_PAGE_HEIGHT) -> SheetLayout:
    """Compute the pages, scene bands, shot rows and panel rectangles of the sheet."""
    low, high = PANEL_WIDTH_RANGE
    if not low <= panel_width <= high:
        raise UserError(f"panel width must be {low}..{high} pixels; got {panel_width}")
    panel_h = panel_height_for(storyboard, panel_width)
    most = max((len(shot.keyframes) for _, shot in storyboard.iter_shots()), default=1)
    columns = max(1, min(MAX_COLUMNS, most))
    width = max(MIN_PAGE_WIDTH, MARGIN + INFO_WIDTH + GUTTER
                + columns * panel_width + (columns - 1) * GUTTER + MARGIN)
    spans = iter(timeline(storyboard))

    def new_page(number: int) -> SheetPage:
        header = _draw_header(None, storyboard, width, number, 1)
        return SheetPage(number, width, header, header)

    pages = [new_page(1)]
    for scene_number, scene in enumerate(storyboard.scenes, start=1):
        page = pages[-1]
        page.bands.append(SceneBand(scene, scene_number, page.height, continued=False))
        page.height += SCENE_BAND_HEIGHT + SCENE_BAND_GAP
        for shot in scene.shots:
            lines = math.ceil(len(shot.keyframes) / columns)
            row_h = lines * (panel_h + CAPTION_HEIGHT) + (lines - 1) * GUTTER
            if page.rows and page.height + row_h + MARGIN > max_page_height:
                page = new_page(len(pages) + 1)
                pages.append(page)
                page.bands.append(SceneBand(scene, scene_number, page.height, continued=True))
                page.height += SCENE_BAND_HEIGHT + SCENE_BAND_GAP
            x0 = MARGIN + INFO_WIDTH + GUTTER
            panels = tuple(
                Rect(x0 + (i % columns) * (panel_width + GUTTER),
                     page.height + (i // columns) * (panel_h + CAPTION_HEIGHT + GUTTER),
                     panel_width, panel_h)
                for i in range(len(shot.keyframes)))
            page.rows.append(ShotRow(scene, shot, next(spans), page.height, row_h, panels))
            page.height += row_h + ROW_GAP
    for page in pages:
        page.height += MARGIN - ROW_GAP
    return SheetLayout(panel_width, panel_h, columns, pages)


def page_paths(output: str | os.PathLike, count: int) -> list[Path]:
    """``output`` for page 1, then ``<stem>-2.png``, ``<stem>-3.png``, ... beside it."""
    output = Path(output)
    return [output] + [output.with_name(f"{output.stem}-{n}{output.suffix}")
                       for n in range(2, count + 1)]


# -- drawing ---------------------------------------------------------------------------
def render_sheet(storyboard: Storyboard, output: str | os.PathLike, *,
                 panel_width: int = 320, max_page_height: int = MAX_PAGE_HEIGHT) -> Path:
    """Draw the contact sheet as PNG at ``output`` (further pages beside it as
    ``<stem>-2.png``, ...) and return ``output``. Raises UserError for a path that is not
    a writable .png file."""
    output = Path(output)
    if output.suffix.lower() != ".png":
        raise UserError(f"the contact sheet is a PNG picture: name the output '*.png',"
                        f" not {str(output)!r}")
    if output.is_dir():
        raise UserError(f"{str(output)!r} is a folder: name a .png file to write")
    writable_dir(output.parent if str(output.parent) else ".")
    layout = plan_sheet(storyboard, panel_width, max_page_height=max_page_height)
    paths = page_paths(output, len(layout.pages))
    try:
        with ExitStack() as stack:
            for page, path in zip(layout.pages, paths, strict=True):
                tmp = stack.enter_context(atomic_path(path))
                image = _draw_page(storyboard, layout, page, paths)
                image.save(tmp, format="PNG", optimize=False)
    except OSError as error:
        raise UserError(f"cannot write the contact sheet {str(output)!r}:"
                        f" {error.strerror or error}") from None
    return output


def _draw_page(storyboard: Storyboard, layout: SheetLayout, page: SheetPage,
               paths: list[Path]) -> Image.Image:
    image = Image.new("RGB", (page.width, page.height), PAGE)
    draw = ImageDraw.Draw(image)
    _draw_header(draw, storyboard, page.width, page.number, len(layout.pages), paths)
    content_right = page.width - MARGIN
    for band in page.bands:
        _draw_scene_band(draw, band, content_right)
    for index, row in enumerate(page.rows):
        if index and not any(b.top == row.top - SCENE_BAND_HEIGHT - SCENE_BAND_GAP
                             for b in page.bands):
            rule_y = row.top - ROW_GAP // 2
            draw.line([(MARGIN, rule_y), (content_right, rule_y)], fill=RULE, width=1)
        _draw_shot_info(draw, storyboard, row)
        for keyframe_index, rect in enumerate(row.panels):
            _draw_panel(image, storyboard, row, keyframe_index, rect)
    return image


def _draw_header(draw: ImageDraw.ImageDraw | None, storyboard: Storyboard, width: int,
                 page_number: int, page_count: int, paths: list[Path] | None = None) -> int:
    """Draw the page header if ``draw`` is given; return its height either way."""
    text_width = width - 2 * MARGIN
    y = MARGIN
    title_font = font(28 if page_number == 1 else 20, "bold")
    notes = []
    if page_count > 1:
        notes.append((f"page {page_number} of {page_count}", font(13)))
        if page_number == 1 and paths:
            rest = paths[1].name + (f" … {paths[-1].name}" if page_count > 2 else "")
            notes.append((f"continues in {rest}", font(12)))
    note_width = max((face.getlength(text) + 24 for text, face in notes), default=0)
    title = storyboard.title if page_number == 1 else f"{storyboard.title} (continued)"
    if draw:
        draw.text((MARGIN, y), fit_text(title, title_font, text_width - note_width),
                  font=title_font, fill=INK)
        for line, (text, face) in enumerate(notes):
            draw.text((width - MARGIN, y + 4 + 18 * line), text, font=face, fill=MUTED,
                      anchor="ra")
    y += 38 if page_number == 1 else 30
    if page_number == 1:
        if storyboard.logline:
            for line in wrap_text(storyboard.logline, font(16, "italic"), text_width, 2):
                if draw:
                    draw.text((MARGIN, y), line, font=font(16, "italic"), fill=INK)
                y += 22
        y += 4
        fmt = storyboard.format
        seconds = sum(shot.duration for _, shot in storyboard.iter_shots())
        shots = sum(len(scene.shots) for scene in storyboard.scenes)
        facts = (f"{_clock(film_frame_count(storyboard) / fmt.fps)} running time"
                 f" ({film_frame_count(storyboard)} frames; shots total {round(seconds, 2):g} s)"
                 f"  ·  {fmt.width}×{fmt.height} at {fmt.fps} fps"
                 f"  ·  {len(storyboard.scenes)} scenes, {shots} shots  ·  seed {storyboard.seed}")
        if draw:
            draw.text((MARGIN, y), fit_text(facts, font(14), text_width), font=font(14),
                      fill=MUTED)
        y += 21
        if storyboard.style.prompt:
            if draw:
                draw.text((MARGIN, y), fit_text(f"style: {storyboard.style.prompt}", font(14),
                                                text_width), font=font(14), fill=MUTED)
            y += 21
        if storyboard.entities:
            y += 8
            y = _draw_legend(draw, storyboard, y, width)
    y += 12
    if draw:
        draw.line([(MARGIN, y), (width - MARGIN, y)], fill=FAINT, width=1)
    return y + 18


def _draw_legend(draw: ImageDraw.ImageDraw | None, storyboard: Storyboard, y: int,
                 width: int) -> int:
    """Colour swatch, name and kind of every entity, flowing into rows; returns the y
    below the legend."""
    name_font, kind_font = font(14, "bold"), font(12)
    right = width - MARGIN
    x = MARGIN
    row_height = 24
    for entity in storyboard.entities:
        name = fit_text(entity.name, name_font, 220)
        item = 18 + name_font.getlength(name) + 6 + kind_font.getlength(entity.kind)
        if x > MARGIN and x + item > right:
            x, y = MARGIN, y + row_height
        if draw:
            draw.rounded_rectangle([x, y + 2, x + 13, y + 15], radius=3, fill=entity.color,
                                   outline=_darker(entity.color), width=1)
            draw.text((x + 19, y), name, font=name_font, fill=INK)
            draw.text((x + 19 + name_font.getlength(name) + 6, y + 2), entity.kind,
                      font=kind_font, fill=MUTED)
        x += int(item) + 26
    return y + row_height


def _draw_scene_band(draw: ImageDraw.ImageDraw, band: SceneBand, right: int) -> None:
    scene = band.scene
    top, bottom = band.top, band.top + SCENE_BAND_HEIGHT
    draw.rounded_rectangle([MARGIN, top, right, bottom], radius=8, fill=BAND)
    sky, horizon, _ = sky_tint(scene.time_of_day)
    draw.rounded_rectangle([MARGIN + 10, top + 10, MARGIN + 30, bottom - 10], radius=4,
                           fill=sky, outline=_darker(sky), width=1)
    x = MARGIN + 42
    label_font, text_font = font(15, "bold"), font(15)
    label = fit_text(f"Scene {band.number} · {scene.id}", label_font, INFO_WIDTH - 52)
    draw.text((x, top + SCENE_BAND_HEIGHT // 2), label, font=label_font, fill=INK, anchor="lm")
    x = MARGIN + INFO_WIDTH + GUTTER
    tail = f"  ·  {scene.time_of_day}" + ("  ·  continued" if band.continued else "")
    tail_width = text_font.getlength(tail)
    setting = fit_text(scene.setting, text_font, right - 12 - x - tail_width)
    draw.text((x, top + SCENE_BAND_HEIGHT // 2), setting, font=text_font, fill=INK, anchor="lm")
    draw.text((x + text_font.getlength(setting), top + SCENE_BAND_HEIGHT // 2), tail,
              font=text_font, fill=MUTED, anchor="lm")


def _draw_shot_info(draw: ImageDraw.ImageDraw, storyboard: Storyboard, row: ShotRow) -> None:
    shot, timing, fps = row.shot, row.timing, storyboard.format.fps
    x, y, width = MARGIN, row.top, INFO_WIDTH - 8
    bottom = row.top + row.height
    body, small = font(14), font(13)
    draw.text((x, y), fit_text(shot.id, font(18, "bold"), width), font=font(18, "bold"),
              fill=INK)
    y += 28
    if shot.transition == "cut":
        entry = "← cut"
    else:
        entry = (f"← {shot.transition} {round(shot.transition_duration, 2):g} s"
                 f" ({timing.transition_frames} frames)")
    lines = [
        (f"{round(shot.duration, 2):g} s  ·  {timing.frames} frames", body, INK),
        (f"{_clock(timing.start / fps)} → {_clock(timing.end / fps)}", small, MUTED),
        (f"{shot.camera.size}  ·  {shot.camera.movement}", body, INK),
        (entry, body, INK),
    ]
    for text, face, colour in lines:
        if y + 20 > bottom:
            return
        draw.text((x, y), fit_text(text, face, width), font=face, fill=colour)
        y += 21
    if shot.narration.strip():
        y += 6
        italic = font(13, "italic")
        available = (bottom - y) // 18
        for line in wrap_text(f"“{shot.narration.strip()}”", italic, width, available):
            draw.text((x, y), line, font=italic, fill=INK)
            y += 18


def _draw_panel(image: Image.Image, storyboard: Storyboard, row: ShotRow, keyframe_index: int,
                rect: Rect) -> None:
    keyframe = row.shot.keyframes[keyframe_index]
    image.paste(_background(row.scene.time_of_day, rect.width, rect.height), (rect.x, rect.y))
    entities = storyboard.entity_map
    draw = ImageDraw.Draw(image)
    boxes = []
    for placement in keyframe.layout:
        entity = entities.get(placement.entity)
        colour = entity.color if entity else "#888888"
        name = entity.name if entity else placement.entity
        pixels = box_to_pixels(placement.box, rect)
        _fill_translucent(image, pixels, colour)
        boxes.append((pixels, colour, name))
    for pixels, colour, _ in boxes:
        draw.rectangle(pixels, outline=colour, width=OUTLINE_WIDTH)
    tag_font = font(12, "bold")
    for (x0, y0, x1, _), colour, name in boxes:
        room = min(max(x1 - x0, 70), rect.right - x0) - 8
        label = fit_text(name, tag_font, room)
        if not label:
            continue
        tag_w, tag_h = int(tag_font.getlength(label)) + 8, 17
        ty = min(y0, rect.bottom - tag_h)
        draw.rectangle([x0, ty, x0 + tag_w, ty + tag_h], fill=colour)
        draw.text((x0 + 4, ty + tag_h // 2), label, font=tag_font, fill=_text_on(colour),
                  anchor="lm")
    draw.rectangle([rect.x - 1, rect.y - 1, rect.right, rect.bottom], outline=PANEL_BORDER,
                   width=1)
    # caption: time and frame, then the prompt
    y = rect.bottom + 7
    frame = row.timing.keyframe_index(keyframe.t)
    when = f"t = {keyframe.t:.3g}  ·  frame {frame + 1}/{row.timing.frames}"
    draw.text((rect.x, y), fit_text(when, font(12, "bold"), rect.width), font=font(12, "bold"),
              fill=MUTED)
    y += 18
    prompt_font = font(13)
    for line in wrap_text(keyframe.prompt, prompt_font, rect.width, CAPTION_PROMPT_LINES):
        draw.text((rect.x, y), line, font=prompt_font, fill=INK)
        y += 17
    if keyframe.relations:
        def name(entity_id: str) -> str:
            return entities[entity_id].name if entity_id in entities else entity_id

        graph = "  ·  ".join(f"{name(r.subject)} {r.predicate} {name(r.object)}"
                             for r in keyframe.relations)
        y = rect.bottom + 7 + 18 + 17 * CAPTION_PROMPT_LINES + 3
        draw.text((rect.x, y), fit_text(graph, font(12, "italic"), rect.width),
                  font=font(12, "italic"), fill=MUTED)


def _fill_translucent(image: Image.Image, pixels: tuple[int, int, int, int], colour: str) -> None:
    x0, y0, x1, y1 = pixels
    region = image.crop((x0, y0, x1 + 1, y1 + 1)).convert("RGBA")
    overlay = Image.new("RGBA", region.size, (*_rgb(colour), FILL_ALPHA))
    image.paste(Image.alpha_composite(region, overlay).convert("RGB"), (x0, y0))


@lru_cache(maxsize=32)
def _background(time_of_day: str, width: int, height: int) -> Image.Image:
    """Sky gradient above the ground line, ground below it, for a time of day."""
    sky, horizon, ground = (_rgb(c) for c in sky_tint(time_of_day))
    image = Image.new("RGB", (width, height), ground)
    draw = ImageDraw.Draw(image)
    ground_y = round(height * GROUND_LEVEL)
    for y in range(ground_y):
        w = y / max(1, ground_y - 1)
        draw.line([(0, y), (width, y)], fill=tuple(round(a + (b - a) * w)
                                                   for a, b in zip(sky, horizon, strict=True)))
    draw.line([(0, ground_y), (width, ground_y)], fill=_darker(ground, 0.72), width=2)
    return image


def sky_tint(time_of_day: str) -> tuple[str, str, str]:
    """(sky top, horizon, ground) colours for a free-text time of day."""
    return SKY_TINTS[phase_of(time_of_day) or "neutral"]


def _rgb(colour: str | tuple[int, int, int]) -> tuple[int, int, int]:
    if isinstance(colour, tuple):
        return colour
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _darker(colour: str | tuple[int, int, int], factor: float = 0.8) -> tuple[int, int, int]:
    return tuple(round(c * factor) for c in _rgb(colour))


def _text_on(colour: str) -> str:
    r, g, b = _rgb(colour)
    return INK if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "#ffffff"


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:04.1f}"
