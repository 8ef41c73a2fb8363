"""The animatic: a procedural previz renderer that needs no model weights.

A frame is drawn in four steps, top to bottom in this file:

1. **Look.** Words of the scene's setting and time of day pick a scenery (forest, city,
   sea, interior, ...), a sky (night, dusk, dawn, day, overcast) and a light colour that
   tints everything lit by it; colour words ("golden", "red") tint the ground.
2. **Background.** The scenery is painted once per (setting, time of day, frame size,
   camera size) on a canvas wider and taller than the frame (the "world"): sky gradient,
   stars and moon glow or sun, ground band below a horizon, and silhouettes (pines,
   buildings, dunes, waves, mountains, a room's wall and window). Canvases are cached,
   one copy each, the cache bounded by bytes (``CACHE_BYTES``); a canvas over
   ``WORLD_PIXELS`` is painted at a lower resolution and scaled up by the camera.
3. **Camera.** Camera size sets how much the world is magnified; the movement moves a
   viewport over it with the request's time ``t``: pans slide it sideways, tilts up and
   down, zooms scale it about the centre. Layout boxes are positions in the frame (as the
   storyboard defines them), so the camera moves the background, not the entities.
4. **Blocking.** Each entity of the layout is drawn at its (already interpolated) box in
   its colour, at least 10 px each way: places behind, then objects, then characters
   (``draw_order``). A word of the name picks the shape (``SHAPES``: a hill is a mound, a
   river a band, a house has a roof, a moon is a disc, a cloud soft ellipses); otherwise
   characters are rounded figures, objects rounded blocks, places soft areas mixed with
   the ground. Things on the ground cast a shadow. Name tags come last, placed
   (``place_tags``) so that no two overlap and all stay inside the frame.
   The keyframe's own prompt is a small caption bar at the top (the bottom is left to
   the film's subtitles).

Same request, same pixels: the only randomness (star, tree and building positions) comes
from ``numpy.random.default_rng`` seeded by the words of the setting and time of day, not
by the request's seed: the scheduler gives every frame its own seed, and scenery that
changed with it would flicker. So every shot of a scene shares one world.
Speed: about a millisecond per 640x360 frame on one core (benchmarks/preview.py).
"""

from __future__ import annotations

import functools
import math
import re
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from animator.base import (
    Animator,
    Capabilities,
    EntityBox,
    Frame,
    FrameRequest,
    InbetweenRequest,
)
from storyboard.daytime import phase_of
from storyboard.fonts import fit_text, font

CODE_VERSION = "6"  # 6: fallback fonts; the time-of-day words of storyboard.daytime
"""Bump when a change to this file changes the pixels it draws."""

RGB = tuple[float, float, float]

# -- 1. Look: words to scenery, sky and light ---------------------------------------------

SCENERY_WORDS: dict[str, tuple[str, ...]] = {
    # first match wins, so more specific sceneries come first
    "interior": ("room", "kitchen", "house", "inside", "indoor", "office", "bedroom", "hall",
                 "classroom", "library", "attic", "cellar", "shop", "cafe", "restaurant",
                 "studio", "workshop", "castle", "palace", "barn", "cabin", "hospital"),
    "space": ("space", "orbit", "planet", "galaxy", "moon surface", "asteroid", "spaceship"),
    "village": ("village", "cottage", "hamlet", "farmhouse", "thatched"),
    "city": ("city", "street", "town", "rooftop", "alley", "downtown", "market",
             "square", "station", "harbor", "harbour", "road", "bridge"),
    "sea": ("sea", "ocean", "beach", "coast", "shore", "lake", "river", "bay", "island",
            "harbor", "pond", "water"),
    "desert": ("desert", "dune", "sahara", "canyon", "wasteland", "savanna"),
    "forest": ("forest", "wood", "jungle", "pine", "tree", "grove", "taiga"),
    "mountain": ("mountain", "peak", "cliff", "valley", "glacier", "ridge", "volcano"),
    "field": ("field", "meadow", "grass", "hill", "farm", "park", "garden", "prairie",
              "orchard", "countryside", "pasture"),
}
SNOW_WORDS = ("snow", "ice", "icy", "winter", "frozen", "arctic", "glacier", "frost")
WEATHER_WORDS = ("storm", "rain", "overcast", "fog", "mist", "cloudy", "grey sky", "gray sky")
GROUND: dict[str, tuple[RGB, RGB]] = {  # (far, near) ground colours in daylight
    "forest": ((78, 118, 66), (46, 84, 42)),
    "field": ((122, 170, 86), (84, 136, 60)),
    "village": ((128, 160, 92), (96, 128, 70)),
    "mountain": ((128, 136, 118), (96, 104, 88)),
    "desert": ((226, 196, 136), (204, 162, 104)),
    "sea": ((226, 206, 160), (206, 182, 134)),
    "city": ((132, 132, 138), (92, 92, 98)),
    "space": ((120, 118, 126), (84, 82, 90)),
    "interior": ((168, 128, 92), (128, 92, 64)),
    "plain": ((132, 156, 100), (100, 124, 78)),
}
SNOW_GROUND: tuple[RGB, RGB] = ((236, 241, 247), (208, 220, 234))
COLOUR_WORDS: dict[str, RGB] = {
    "red": (200, 60, 50), "crimson": (170, 30, 50), "orange": (230, 130, 40),
    "golden": (225, 180, 60), "gold": (225, 180, 60), "yellow": (235, 210, 70),
    "green": (70, 160, 70), "emerald": (40, 150, 100), "blue": (60, 110, 200),
    "purple": (130, 70, 170), "violet": (140, 90, 200), "pink": (230, 140, 170),
    "white": (240, 240, 240), "silver": (190, 195, 205), "grey": (128, 128, 128),
    "gray": (128, 128, 128), "black": (30, 30, 34), "brown": (130, 90, 55),
    "autumn": (200, 120, 50), "rusty": (170, 90, 50),
}


@dataclass(frozen=True)
class Look:
    """What the words of a setting and a time of day mean for the picture."""

    scenery: str
    snow: bool
    phase: str
    """night, dusk, dawn or day"""
    sky_top: RGB
    sky_horizon: RGB
    light: RGB
    """multiplier for everything lit (ground, silhouettes)"""
    tint: RGB | None
    """a colour word of the setting, mixed into the ground"""


def _has(text: str, words: Sequence[str]) -> bool:
    return any(re.search(rf"\b{re.escape(w)}", text) for w in words)


def look_of(setting: str, time_of_day: str) -> Look:
    """Scenery, sky and light for a setting and a time of day, from their words."""
    setting, when = setting.lower(), time_of_day.lower()
    scenery = next((k for k, words in SCENERY_WORDS.items() if _has(setting, words)), "plain")
    snow = _has(setting, SNOW_WORDS) or _has(when, ("winter",))
    named = phase_of(when)  # evening is drawn as dusk, morning as day
    if named == "night" or _has(setting, ("at night", "moonlit")):
        phase, top, horizon, light = "night", (8, 12, 36), (34, 46, 88), (0.34, 0.38, 0.58)
    elif named in ("dusk", "evening"):
        phase, top, horizon, light = "dusk", (58, 56, 118), (252, 148, 86), (0.84, 0.64, 0.56)
    elif named == "dawn":
        phase, top, horizon, light = "dawn", (118, 148, 204), (255, 192, 160), (0.94, 0.84, 0.8)
    else:
        phase, top, horizon, light = "day", (66, 132, 214), (184, 216, 242), (1.0, 1.0, 1.0)
    if scenery == "space":
        top, horizon = (2, 2, 8), (16, 14, 34)
    if _has(setting + " " + when, WEATHER_WORDS):
        top, horizon = _grey(top, 0.7), _grey(horizon, 0.7)
        light = tuple(v * 0.85 for v in light)
    tint = next((c for w, c in COLOUR_WORDS.items() if _has(setting, (w,))), None)
    return Look(scenery, snow, phase, top, horizon, light, tint)


def _grey(colour: RGB, amount: float) -> RGB:
    luma = 0.3 * colour[0] + 0.59 * colour[1] + 0.11 * colour[2]
    return tuple(c + (luma - c) * amount for c in colour)


def _mix(a: RGB, b: RGB, w: float) -> RGB:
    return tuple(x + (y - x) * w for x, y in zip(a, b, strict=True))


def _rgb(colour: RGB) -> tuple[int, int, int]:
    return tuple(int(min(255, max(0, round(c)))) for c in colour)


def hex_rgb(colour: str) -> tuple[int, int, int]:
    """'#e07a3f' to (224, 122, 63)."""
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


# -- 2. Background: the world canvas, painted once and cached -------------------------------

CAMERA_SIZE = {  # magnification of the world for each shot size
    "extreme-wide": 1.0, "wide": 1.12, "full": 1.25, "medium": 1.4,
    "close-up": 1.75, "extreme-close-up": 2.2,
}
WORLD_W, WORLD_H = 1.6, 1.5
"""The world in frame widths and frame heights, seen whole at magnification 1."""
HORIZON = 0.58
"""The horizon's height in the world, as a fraction from the top."""
PAN, TILT, ZOOM = 0.16, 0.12, 1.4
"""How far a pan and a tilt move the view (world units, each way), and a zoom's factor."""


WORLD_PIXELS = 25_000_000
"""Most pixels of a world canvas (100 MB): a 1920x1080 frame's fit at every camera size; a
larger one is painted at a lower resolution (``Background.scale``)."""
CACHE_BYTES = 512 * 2**20
"""Most bytes of world canvases kept between frames (least recently used go first)."""


@dataclass(frozen=True)
class Background:
    image: Image.Image
    """the world canvas (RGB); never drawn on"""
    horizon: int
    """canvas row of the horizon"""
    scale: float = 1.0
    """canvas pixels per frame pixel at the camera size's magnification (1: the frame is
    a crop of the canvas; below 1 for a canvas capped at ``WORLD_PIXELS``)"""

    @property
    def nbytes(self) -> int:
        return self.image.width * self.image.height * 4  # Pillow keeps RGB in 4 bytes


class _BackgroundCache:
    """``background`` memoised, least recently used first out, bounded by total bytes
    (``CACHE_BYTES``) rather than by count: one large canvas weighs as much as hundreds of
    small ones. Safe from several threads (a canvas two threads miss at once is painted
    twice; both are the same pixels)."""

    def __init__(self, paint: Callable[..., Background], max_bytes: int) -> None:
        self._paint = paint
        self.max_bytes = max_bytes
        """bytes of canvases kept at most (one canvas larger than this is still kept)"""
        self._entries: OrderedDict[tuple, Background] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        functools.update_wrapper(self, paint)

    def __call__(self, *key: Any) -> Background:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        world = self._paint(*key)
        with self._lock:
            if key not in self._entries:
                self._entries[key] = world
                self._bytes += world.nbytes
                while self._bytes > self.max_bytes and len(self._entries) > 1:
                    _, old = self._entries.popitem(last=False)
                    self._bytes -= old.nbytes
            return self._entries[key]

    def cache_clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def cache_bytes(self) -> int:
        """Bytes of the canvases kept now."""
        with self._lock:
            return self._bytes


def _paint_background(setting: str, time_of_day: str, width: int, height: int,
                      camera_size: str, sky_light: bool = True) -> Background:
    """The world canvas for a scene, at the magnification of ``camera_size``. Without
    ``sky_light`` the sky has no sun or moon of its own (the shot shows one as an entity);
    the scenery is the same either way."""
    look = look_of(setting, time_of_day)
    m0 = CAMERA_SIZE.get(camera_size, CAMERA_SIZE["medium"])
    full = width * m0 * WORLD_W * height * m0 * WORLD_H
    scale = 1.0 if full <= WORLD_PIXELS else math.sqrt(WORLD_PIXELS / full)
    cw, ch = round(width * m0 * WORLD_W * scale), round(height * m0 * WORLD_H * scale)
    unit = height * m0 * scale  # canvas pixels per frame height
    horizon = round(HORIZON * ch)
    rng = np.random.default_rng(zlib.crc32(f"{setting}|{time_of_day}".encode()))

    far, near = SNOW_GROUND if look.snow else GROUND[look.scenery]
    if look.tint and not look.snow:
        far, near = _mix(far, look.tint, 0.35), _mix(near, look.tint, 0.35)
    far, near = _lit(far, look), _lit(near, look)

    canvas = np.empty((ch, cw, 3), np.float32)
    _gradient(canvas[:horizon], look.sky_top, look.sky_horizon, power=0.8)
    _gradient(canvas[horizon:], far, near, power=1.0)
    sky = canvas[:horizon]
    if look.phase == "night" or look.scenery == "space":
        _stars(canvas, horizon, rng, density=3.0 if look.scenery == "space" else 1.0)
    glow = None  # (x, y, radius, core, halo); its random draw is made either way
    if look.phase == "night":
        glow = (cw * rng.uniform(0.36, 0.64), horizon * 0.62, unit * 0.04,
                (246, 242, 220), (120, 140, 200))
    elif look.phase in ("dusk", "dawn") and look.scenery != "interior":
        glow = (cw * rng.uniform(0.34, 0.5), horizon * 0.97, unit * 0.09,
                (255, 226, 150), (255, 140, 60))
    elif look.scenery not in ("interior", "space"):
        glow = (cw * rng.uniform(0.34, 0.5), horizon * 0.6, unit * 0.045,
                (255, 252, 230), (255, 240, 180))
    if glow and sky_light:
        _glow(sky, *glow)

    image = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    SCENERY_PAINTERS.get(look.scenery, _paint_plain)(draw, rng, look, cw, ch, horizon, unit)
    return Background(image, horizon, scale)


background = _BackgroundCache(_paint_background, CACHE_BYTES)
"""The world canvas for (setting, time of day, frame width, frame height, camera size),
painted once and cached."""


def _lit(colour: RGB, look: Look) -> RGB:
    return tuple(c * k for c, k in zip(colour, look.light, strict=True))


def _haze(colour: RGB, look: Look, amount: float) -> tuple[int, int, int]:
    """A lit colour faded toward the horizon sky: far things look paler."""
    return _rgb(_mix(_lit(colour, look), look.sky_horizon, amount))


def _gradient(rows: np.ndarray, top: RGB, bottom: RGB, power: float) -> None:
    n = rows.shape[0]
    w = (np.linspace(0, 1, n, dtype=np.float32) ** power)[:, None, None]
    rows[:] = np.asarray(top, np.float32) * (1 - w) + np.asarray(bottom, np.float32) * w


def _stars(canvas: np.ndarray, horizon: int, rng: np.random.Generator, density: float) -> None:
    count = int(canvas.shape[1] * horizon / 700 * density)
    ys = rng.integers(0, max(1, int(horizon * 0.95)), count)
    xs = rng.integers(0, canvas.shape[1], count)
    brightness = rng.uniform(110, 255, count).astype(np.float32)[:, None]
    canvas[ys, xs] = np.maximum(canvas[ys, xs], brightness)


def _glow(canvas: np.ndarray, cx: float, cy: float, radius: float, core: RGB, halo: RGB) -> None:
    """A disc (sun or moon) of ``radius`` with a soft halo, added onto the sky."""
    reach = int(radius * 6)
    y0, y1 = max(0, int(cy) - reach), min(canvas.shape[0], int(cy) + reach)
    x0, x1 = max(0, int(cx) - reach), min(canvas.shape[1], int(cx) + reach)
    if y0 >= y1 or x0 >= x1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    d = np.hypot(xx - cx, yy - cy) / radius
    halo_w = (np.exp(-(d / 2.2) ** 2) * 0.55)[..., None]
    disc_w = np.clip(1.5 - d, 0, 1)[..., None]
    patch = canvas[y0:y1, x0:x1]
    patch[:] = patch + (np.asarray(halo, np.float32) - patch) * halo_w
    patch[:] = patch + (np.asarray(core, np.float32) - patch) * disc_w


def _pines(draw, rng, look, cw, horizon, unit, count, heights, colour, haze, base) -> None:
    for _ in range(count):
        x = rng.uniform(-0.05, 1.05) * cw
        h = rng.uniform(*heights) * unit
        w = h * rng.uniform(0.32, 0.42)
        y = horizon + base * unit + rng.uniform(0, 0.02) * unit
        draw.polygon([(x, y - h), (x - w / 2, y), (x + w / 2, y)], fill=_haze(colour, look, haze))
        if look.snow:
            draw.polygon([(x, y - h), (x - w * 0.14, y - h * 0.72), (x + w * 0.14, y - h * 0.72)],
                         fill=_haze((240, 244, 250), look, haze))


def _paint_forest(draw, rng, look, cw, ch, horizon, unit) -> None:
    _pines(draw, rng, look, cw, horizon, unit, int(cw / unit * 14), (0.14, 0.26), (52, 100, 64),
           0.45, 0.0)
    _pines(draw, rng, look, cw, horizon, unit, int(cw / unit * 5), (0.3, 0.5), (30, 72, 42),
           0.12, 0.03)


def _hills(draw, rng, look, cw, horizon, unit, colour, haze, count) -> None:
    for _ in range(count):
        x, w = rng.uniform(-0.1, 1.1) * cw, rng.uniform(0.6, 1.4) * unit
        h = rng.uniform(0.05, 0.13) * unit
        draw.ellipse((x - w, horizon - h, x + w, horizon + h), fill=_haze(colour, look, haze))


def _paint_field(draw, rng, look, cw, ch, horizon, unit) -> None:
    _hills(draw, rng, look, cw, horizon, unit, (104, 150, 84), 0.4, int(cw / unit * 2.5))
    _hills(draw, rng, look, cw, horizon, unit, GROUND["field"][0], 0.05, int(cw / unit * 1.5))


def _paint_plain(draw, rng, look, cw, ch, horizon, unit) -> None:
    colour = SNOW_GROUND[0] if look.snow else (118, 140, 104)
    _hills(draw, rng, look, cw, horizon, unit, colour, 0.45, int(cw / unit * 2))


def _mountains(draw, rng, look, cw, horizon, unit, count) -> None:
    for _ in range(count):
        x, h = rng.uniform(-0.1, 1.1) * cw, rng.uniform(0.22, 0.5) * unit
        w = h * rng.uniform(1.4, 2.2)
        draw.polygon([(x, horizon - h), (x - w / 2, horizon), (x + w / 2, horizon)],
                     fill=_haze((108, 118, 140), look, 0.4))
        draw.polygon([(x, horizon - h), (x - w * 0.13, horizon - h * 0.74),
                      (x + w * 0.13, horizon - h * 0.74)], fill=_haze((244, 246, 252), look, 0.25))


def _paint_mountain(draw, rng, look, cw, ch, horizon, unit) -> None:
    _mountains(draw, rng, look, cw, horizon, unit, int(cw / unit * 4))


def _paint_desert(draw, rng, look, cw, ch, horizon, unit) -> None:
    for layer, (colour, haze) in enumerate((((232, 200, 146), 0.35), ((214, 176, 120), 0.1))):
        phase, period = rng.uniform(0, 6.3), rng.uniform(0.5, 0.9) * unit
        height, base = (0.06 + 0.03 * layer) * unit, horizon + layer * 0.04 * unit
        xs = np.linspace(0, cw, 64)
        top = base - height * (0.5 + 0.5 * np.sin(xs / period + phase))
        draw.polygon([(0, ch), *zip(xs, top, strict=True), (cw, ch)],
                     fill=_haze(colour, look, haze))


def _paint_sea(draw, rng, look, cw, ch, horizon, unit) -> None:
    shore = horizon + 0.42 * (ch - horizon)
    water = (48, 108, 170) if look.phase == "day" else _mix((48, 108, 170), look.sky_horizon, 0.3)
    draw.rectangle((0, horizon, cw, shore), fill=_rgb(_lit(water, look)))
    draw.rectangle((0, shore, cw, shore + 0.012 * unit), fill=_haze((240, 244, 246), look, 0.0))
    for _ in range(int(cw / unit * 25)):
        y = rng.uniform(horizon + 2, shore - 2)
        x = rng.uniform(0, cw)
        w = rng.uniform(0.02, 0.07) * unit * (y - horizon) / (shore - horizon)
        draw.line((x, y, x + w, y), fill=_haze((150, 196, 230), look, 0.1), width=1)


def _paint_city(draw, rng, look, cw, ch, horizon, unit) -> None:
    for layer, (grey, haze) in enumerate(((150, 0.45), (112, 0.15))):
        x = -rng.uniform(0, 0.2) * unit
        while x < cw:
            w = rng.uniform(0.12, 0.3) * unit
            h = rng.uniform(0.15, 0.5 if layer else 0.62) * unit
            g = grey + rng.uniform(-14, 14)
            top = horizon - h
            draw.rectangle((x, top, x + w - 1, horizon), fill=_haze((g, g, g + 6), look, haze))
            if layer:
                _windows(draw, rng, look, x, top, w, h, unit)
            x += w + rng.uniform(0, 0.04) * unit
    draw.rectangle((0, horizon, cw, horizon + 0.03 * unit), fill=_haze((170, 170, 172), look, 0.0))


def _windows(draw, rng, look, x, top, w, h, unit) -> None:
    size, gap = 0.022 * unit, 0.05 * unit
    lit = (255, 214, 120)
    dark = _haze((70, 86, 110), look, 0.0)
    for row in np.arange(top + gap * 0.6, top + h - gap, gap):
        for col in np.arange(x + gap * 0.5, x + w - size - gap * 0.3, gap):
            on = look.phase in ("night", "dusk") and rng.random() < 0.45
            draw.rectangle((col, row, col + size, row + size), fill=lit if on else dark)


def _paint_village(draw, rng, look, cw, ch, horizon, unit) -> None:
    _hills(draw, rng, look, cw, horizon, unit, (104, 146, 84), 0.45, int(cw / unit * 2))
    x = -rng.uniform(0, 0.2) * unit
    while x < cw:
        w, h = rng.uniform(0.12, 0.22) * unit, rng.uniform(0.07, 0.12) * unit
        base = horizon + rng.uniform(0.0, 0.03) * unit
        wall = _haze((214, 196, 164), look, 0.2)
        roof = _haze((150, 118, 70) if rng.random() < 0.6 else (150, 70, 56), look, 0.2)
        draw.rectangle((x, base - h, x + w, base), fill=wall)
        draw.polygon([(x - 0.1 * w, base - h), (x + w / 2, base - h - 0.55 * w),
                      (x + 1.1 * w, base - h)], fill=roof)
        size = 0.022 * unit
        for wx in (x + 0.25 * w, x + 0.65 * w):
            on = look.phase in ("night", "dusk") and rng.random() < 0.7
            draw.rectangle((wx, base - h * 0.65, wx + size, base - h * 0.65 + size),
                           fill=(255, 214, 120) if on else _haze((70, 86, 110), look, 0.2))
        x += w + rng.uniform(0.05, 0.3) * unit


def _paint_interior(draw, rng, look, cw, ch, horizon, unit) -> None:
    wall = _lit((214, 202, 180), look) if look.phase == "day" else _mix(
        _lit((214, 202, 180), look), (60, 50, 40), 0.3)
    draw.rectangle((0, 0, cw, horizon), fill=_rgb(wall))
    for x in np.arange(rng.uniform(0.2, 0.5) * unit, cw, 1.3 * unit):  # windows on the sky
        w, h = 0.34 * unit, 0.36 * unit
        top = horizon - 0.56 * unit
        frame = _rgb(_mix(wall, (70, 50, 35), 0.5))
        draw.rectangle((x - 6, top - 6, x + w + 6, top + h + 6), fill=frame)
        sky = Image.new("RGB", (int(w), int(h)), _rgb(look.sky_top))
        sky.paste(_rgb(look.sky_horizon), (0, int(h * 0.55), int(w), int(h)))
        draw._image.paste(sky, (int(x), int(top)))
        draw.line((x + w / 2, top, x + w / 2, top + h), fill=frame, width=max(2, int(unit / 90)))
        draw.line((x, top + h / 2, x + w, top + h / 2), fill=frame, width=max(2, int(unit / 90)))
    skirting = _rgb(_mix(wall, (60, 40, 30), 0.5))
    draw.rectangle((0, horizon - 0.02 * unit, cw, horizon), fill=skirting)
    for y in np.arange(horizon + 0.06 * unit, ch, 0.09 * unit):  # floor boards
        draw.line((0, y, cw, y), fill=_haze(_mix(GROUND["interior"][1], (0, 0, 0), 0.25), look, 0),
                  width=1)


def _paint_space(draw, rng, look, cw, ch, horizon, unit) -> None:
    for _ in range(int(cw / unit * 6)):
        x, y = rng.uniform(0, cw), rng.uniform(horizon + 0.02 * unit, ch)
        r = rng.uniform(0.01, 0.05) * unit * (0.4 + (y - horizon) / (ch - horizon))
        draw.ellipse((x - r, y - r * 0.4, x + r, y + r * 0.4), fill=_haze((80, 78, 88), look, 0))


SCENERY_PAINTERS = {
    "forest": _paint_forest, "field": _paint_field, "plain": _paint_plain,
    "mountain": _paint_mountain, "desert": _paint_desert, "sea": _paint_sea,
    "city": _paint_city, "village": _paint_village, "interior": _paint_interior,
    "space": _paint_space,
}


# -- 3. Camera: a viewport over the world --------------------------------------------------

def _ease(t: float) -> float:
    return t * t * (3 - 2 * t)


def viewport(camera_size: str, movement: str, t: float) -> tuple[float, float, float]:
    """The view's centre (world units: frame widths, frame heights) and magnification at
    time ``t`` of a shot."""
    m0 = CAMERA_SIZE.get(camera_size, CAMERA_SIZE["medium"])
    s = _ease(min(1.0, max(0.0, t)))
    m = m0 * (1 + (ZOOM - 1) * (s if movement == "zoom-in" else 1 - s)) if "zoom" in movement \
        else m0
    cx, cy = WORLD_W / 2, WORLD_H / 2
    pan = min(PAN, (WORLD_W - 1 / m) / 2)
    tilt = min(TILT, (WORLD_H - 1 / m) / 2)
    if movement == "pan-left":
        cx += pan * (1 - 2 * s)
    elif movement == "pan-right":
        cx -= pan * (1 - 2 * s)
    elif movement == "tilt-up":
        cy += tilt * (1 - 2 * s)
    elif movement == "tilt-down":
        cy -= tilt * (1 - 2 * s)
    return cx, cy, m


# -- 4. Blocking: entities, tags and caption ----------------------------------------------

@functools.lru_cache(maxsize=1024)
def _text_mask(text: str, size: int, bold: bool) -> Image.Image:
    face = font(size, "bold" if bold else "regular")
    left, top, right, bottom = face.getbbox(text or " ")
    mask = Image.new("L", (max(1, right - left), max(1, size + 2)))
    ImageDraw.Draw(mask).text((-left, 0), text, font=face, fill=255)
    return mask


@functools.lru_cache(maxsize=256)
def _caption_bar(caption: str, shot_id: str, width: int,
                 size: int) -> tuple[Image.Image, Image.Image]:
    """The caption bar's shade mask and its text mask (caption left, shot id right)."""
    pad = max(2, size // 3)
    height = size + 2 * pad + 1
    shade = Image.new("L", (width, height), 150)
    text = Image.new("L", (width, height))
    draw = ImageDraw.Draw(text)
    label = font(size, "bold")
    right = label.getlength(shot_id) if shot_id else 0
    draw.text((width - pad - right, pad), shot_id, font=label, fill=190)
    caption = fit_text(caption, font(size), width - 3 * pad - right - size)
    draw.text((pad, pad), caption, font=font(size), fill=255)
    return shade, text


Box = tuple[float, float, float, float]
"""A box in frame pixels: left, top, right, bottom."""
Shape = Callable[[ImageDraw.ImageDraw, Box, tuple[int, int, int], int], None]
"""Draws an entity in its box: (draw, box, fill colour, line width)."""


def _shade(colour: tuple[int, int, int], k: float) -> tuple[int, int, int]:
    return tuple(int(c * k) for c in colour)


def _lighter(colour: tuple[int, int, int], k: float) -> tuple[int, int, int]:
    return tuple(int(c + (255 - c) * k) for c in colour)


def place_tags(boxes: Sequence[Box], sizes: Sequence[tuple[int, int]], width: int,
               height: int, *, inside: Sequence[bool] = (), top: int = 0,
               gap: int = 2) -> list[tuple[int, int]]:
    """Top-left corners of name tags of ``sizes`` (w, h), one per box, in priority order.

    Each tag takes the first of its candidate spots (above its box, below it, inside its
    top, beside it, then nudged sideways; an ``inside`` box, a place, tries inside first)
    that, kept inside the frame and below ``top``, overlaps no tag placed before it; then,
    among those, the one covering the least of its own box and of the other boxes.
    Pure and deterministic, so tags never flicker between frames of a still layout.
    """
    inside = tuple(inside) + (False,) * (len(boxes) - len(inside))
    placed: list[Box] = []
    corners: list[tuple[int, int]] = []
    for i, ((x0, y0, x1, y1), (w, h)) in enumerate(zip(boxes, sizes, strict=True)):
        cx, cy = (x0 + x1) / 2 - w / 2, (y0 + y1) / 2 - h / 2
        above, below, within = y0 - gap - h, y1 + gap, y0 + gap
        spots = [(cx, above), (cx, below), (cx, within), (x1 + gap, cy), (x0 - gap - w, cy)]
        spots += [(cx + k * (w + gap), y) for k in (1, -1, 2, -2) for y in (above, below)]
        if inside[i]:
            spots.insert(0, (cx, y0 + (y1 - y0) * 0.4 - h / 2))
        others = [b for j, b in enumerate(boxes) if j != i and not inside[j]]
        best: tuple | None = None
        for order, (sx, sy) in enumerate(spots):
            tx = int(min(max(0, sx), width - w))
            ty = int(min(max(top, sy), height - h))
            tag = (tx, ty, tx + w, ty + h)
            score = (sum(_overlap(tag, p) for p in placed),
                     0 if inside[i] else _overlap(tag, (x0, y0, x1, y1)),
                     sum(_overlap(tag, b) for b in others), order)
            if best is None or score < best[0]:
                best = (score, tx, ty, tag)
                if score[:3] == (0, 0, 0):
                    break
        corners.append((best[1], best[2]))
        placed.append(best[3])
    return corners


def _overlap(a: Box, b: Box) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _draw_tag(image: Image.Image, draw: ImageDraw.ImageDraw, mask: Image.Image, pad: int,
              colour, corner: tuple[int, int]) -> None:
    x0, y0 = corner
    draw.rounded_rectangle((x0, y0, x0 + mask.width + 2 * pad, y0 + mask.height),
                           radius=pad + 1, fill=_shade(colour, 0.35))
    image.paste((255, 255, 255), (x0 + pad, y0 + 1), mask)


def at_least(box: Box, size: float, width: int, height: int) -> Box:
    """``box`` grown to at least ``size`` pixels each way (about its centre across, up from
    its bottom, so what stands keeps standing), kept inside the frame where it can."""
    x0, y0, x1, y1 = box
    if x1 - x0 < size:
        cx = min(max((x0 + x1) / 2, size / 2), width - 1 - size / 2)
        x0, x1 = cx - size / 2, cx + size / 2
    if y1 - y0 < size:
        y1 = min(max(y1, size), height - 1)
        y0 = y1 - size
    return x0, y0, x1, y1


# Shapes, chosen by a word of the entity's name (SHAPES below)

def _figure(draw, box, colour, line) -> None:
    """A character: a rounded body filling the box below a head at its top. Its proportions
    follow the box smoothly, so a figure never changes shape mid-shot."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    edge = _shade(colour, 0.45)
    d = min(w * 0.6, h * 0.34, max(w, h) * 0.3)
    cx = (x0 + x1) / 2
    body = (x0 + w * 0.06, y0 + d * 0.82, x1 - w * 0.06, y1)
    draw.rounded_rectangle(body, radius=min(body[2] - body[0], body[3] - body[1]) * 0.45,
                           fill=colour, outline=edge, width=line)
    draw.ellipse((cx - d / 2, y0, cx + d / 2, y0 + d), fill=colour, outline=edge, width=line)
    eye = max(1.0, d * 0.08)
    for dx in (-0.17, 0.17):
        ex, ey = cx + dx * d, y0 + d * 0.45
        draw.ellipse((ex - eye, ey - eye, ex + eye, ey + eye), fill=(20, 20, 24))


def _block(draw, box, colour, line) -> None:
    """An object with no shape of its own: a rounded block with a highlight."""
    x0, y0, x1, y1 = box
    r = min(x1 - x0, y1 - y0) * 0.22
    draw.rounded_rectangle(box, radius=r, fill=colour, outline=_shade(colour, 0.45), width=line)
    inset = max(2.0, r * 0.5)
    if x1 - x0 > 3 * inset and y1 - y0 > 3 * inset:
        draw.line((x0 + inset, y0 + inset, x1 - inset, y0 + inset), fill=_lighter(colour, 0.4),
                  width=line)


def _soft(draw, box, colour, line) -> None:
    """A place with no shape of its own: a large soft rounded area."""
    draw.rounded_rectangle(box, radius=min(box[2] - box[0], box[3] - box[1]) * 0.3,
                           fill=colour, outline=_shade(colour, 0.8), width=2)


def _mound(draw, box, colour, line) -> None:
    """A hill or dune: the top half of an ellipse standing on the box's bottom."""
    x0, y0, x1, y1 = box
    draw.chord((x0, y0, x1, 2 * y1 - y0), 180, 360, fill=colour, outline=_shade(colour, 0.8),
               width=line)


def _ridge(draw, box, colour, line) -> None:
    """A mountain: a jagged ridge with a pale cap on its peak."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    peak = (x0 + 0.6 * w, y0)
    draw.polygon([(x0, y1), (x0 + 0.28 * w, y0 + 0.35 * h), (x0 + 0.42 * w, y0 + 0.5 * h), peak,
                  (x1, y1)], fill=colour, outline=_shade(colour, 0.8))
    draw.polygon([peak, (peak[0] - 0.12 * w, y0 + 0.22 * h), (peak[0] + 0.1 * w, y0 + 0.2 * h)],
                 fill=_lighter(colour, 0.7))


def _water(draw, box, colour, line) -> None:
    """A river, sea or lake: a flat band, a little wider near, with a lighter far edge."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    draw.polygon([(x0 + 0.04 * w, y0), (x1 - 0.04 * w, y0), (x1, y1), (x0, y1)], fill=colour)
    light = _lighter(colour, 0.55)
    draw.line((x0 + 0.04 * w, y0, x1 - 0.04 * w, y0), fill=light, width=max(2, line))
    for k, (a, b) in enumerate(((0.15, 0.4), (0.5, 0.8), (0.3, 0.55))):
        y = y0 + h * (0.35 + 0.2 * k)
        draw.line((x0 + a * w, y, x0 + b * w, y), fill=light, width=1)


def _house(draw, box, colour, line) -> None:
    """A house or barn: walls under a pitched roof, with a door."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    eaves = y0 + 0.42 * h
    draw.rectangle((x0 + 0.08 * w, eaves, x1 - 0.08 * w, y1), fill=colour,
                   outline=_shade(colour, 0.6), width=line)
    draw.polygon([(x0, eaves), ((x0 + x1) / 2, y0), (x1, eaves)], fill=_shade(colour, 0.6))
    cx, door = (x0 + x1) / 2, min(0.09 * w, 0.12 * h)
    draw.rectangle((cx - door, y1 - 0.3 * h, cx + door, y1), fill=_shade(colour, 0.35))


def _tower(draw, box, colour, line) -> None:
    """A tower or lighthouse: a tall body under a pointed roof, one lit window."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    cx, half = (x0 + x1) / 2, min(0.22 * w, 0.16 * h)
    eaves = y0 + 0.22 * h
    draw.rectangle((cx - half, eaves, cx + half, y1), fill=colour, outline=_shade(colour, 0.6),
                   width=line)
    draw.polygon([(cx - 1.4 * half, eaves), (cx, y0), (cx + 1.4 * half, eaves)],
                 fill=_shade(colour, 0.6))
    pane = half * 0.4
    draw.rectangle((cx - pane, eaves + 0.1 * h, cx + pane, eaves + 0.1 * h + 2 * pane),
                   fill=(255, 214, 120))


def _castle(draw, box, colour, line) -> None:
    """A castle or fort: a wall between two towers, all with battlements, and a gate."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    edge, tw = _shade(colour, 0.6), 0.22 * w
    draw.rectangle((x0 + tw, y0 + 0.35 * h, x1 - tw, y1), fill=colour, outline=edge, width=line)
    for left in (x0, x1 - tw):
        draw.rectangle((left, y0 + 0.1 * h, left + tw, y1), fill=colour, outline=edge, width=line)
    merlon = min(0.1 * h, tw / 3)
    for left, top, right in ((x0, y0 + 0.1 * h, x0 + tw), (x0 + tw, y0 + 0.35 * h, x1 - tw),
                             (x1 - tw, y0 + 0.1 * h, x1)):
        for mx in np.arange(left, right - merlon / 2, 2 * merlon):
            draw.rectangle((mx, top - merlon, mx + merlon, top), fill=colour)
    cx, gate = (x0 + x1) / 2, 0.1 * w
    draw.rectangle((cx - gate, y1 - 0.3 * h, cx + gate, y1), fill=_shade(colour, 0.35))


def _tree(draw, box, colour, line) -> None:
    """A tree: a trunk under a round crown."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    cx, trunk = (x0 + x1) / 2, max(1.0, 0.08 * w)
    draw.rectangle((cx - trunk, y0 + 0.55 * h, cx + trunk, y1), fill=(96, 66, 40))
    draw.ellipse((x0, y0, x1, y0 + 0.7 * h), fill=colour, outline=_shade(colour, 0.6),
                 width=line)


def _woods(draw, box, colour, line) -> None:
    """A forest or grove: a few pines side by side."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    for k, (at, tall) in enumerate(((0.2, 0.75), (0.5, 1.0), (0.8, 0.85))):
        cx, half = x0 + at * w, 0.2 * w
        tone = _shade(colour, 0.8 + 0.1 * k)
        draw.polygon([(cx, y1 - tall * h), (cx - half, y1), (cx + half, y1)], fill=tone)


def _disc(draw, box, colour, line) -> None:
    """A moon or planet: a round disc with a lighter rim and two craters."""
    x0, y0, x1, y1 = box
    r = min(x1 - x0, y1 - y0) / 2
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour, outline=_lighter(colour, 0.5),
                 width=line)
    for dx, dy, k in ((-0.3, -0.2, 0.22), (0.25, 0.3, 0.15)):
        c = r * k
        draw.ellipse((cx + dx * r - c, cy + dy * r - c, cx + dx * r + c, cy + dy * r + c),
                     fill=_shade(colour, 0.85))


def _sun(draw, box, colour, line) -> None:
    """A sun: a disc with eight short rays."""
    x0, y0, x1, y1 = box
    r = min(x1 - x0, y1 - y0) / 2
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    for k in range(8):
        a = k * math.pi / 4
        draw.line((cx + 0.75 * r * math.cos(a), cy + 0.75 * r * math.sin(a),
                   cx + r * math.cos(a), cy + r * math.sin(a)), fill=colour, width=max(1, line))
    c = 0.65 * r
    draw.ellipse((cx - c, cy - c, cx + c, cy + c), fill=colour, outline=_lighter(colour, 0.5),
                 width=line)


def _star(draw, box, colour, line) -> None:
    """A star: five points."""
    x0, y0, x1, y1 = box
    r = min(x1 - x0, y1 - y0) / 2
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    draw.polygon([(cx + r * (1 if k % 2 == 0 else 0.42) * math.sin(k * math.pi / 5),
                   cy - r * (1 if k % 2 == 0 else 0.42) * math.cos(k * math.pi / 5))
                  for k in range(10)], fill=colour, outline=_lighter(colour, 0.5))


def _cloud(draw, box, colour, line) -> None:
    """A cloud: soft overlapping ellipses on a flat base."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    for a, b, top in ((0.0, 0.45, 0.35), (0.25, 0.75, 0.0), (0.55, 1.0, 0.3)):
        draw.ellipse((x0 + a * w, y0 + top * h, x0 + b * w, y1), fill=colour)
    draw.line((x0 + 0.15 * w, y1 - 1, x1 - 0.15 * w, y1 - 1), fill=_shade(colour, 0.85))


SHAPES: dict[str, Shape] = {
    **dict.fromkeys(("hill", "mound", "dune", "knoll", "slope", "hillside", "hilltop"), _mound),
    **dict.fromkeys(("mountain", "peak", "volcano", "ridge", "cliff", "rock", "crag", "summit"),
                    _ridge),
    **dict.fromkeys(("river", "lake", "sea", "ocean", "pond", "stream", "water", "creek",
                     "pool", "bay", "brook", "waterfall"), _water),
    **dict.fromkeys(("house", "home", "cottage", "cabin", "barn", "hut", "shed", "shop",
                     "building", "inn", "school", "farmhouse", "church", "station"), _house),
    **dict.fromkeys(("tower", "lighthouse", "steeple", "spire", "minaret", "windmill"), _tower),
    **dict.fromkeys(("castle", "fort", "fortress", "palace", "citadel"), _castle),
    **dict.fromkeys(("tree", "oak", "willow", "birch", "maple", "bush"), _tree),
    **dict.fromkeys(("forest", "wood", "grove", "pine", "jungle", "orchard"), _woods),
    **dict.fromkeys(("moon", "planet"), _disc),
    "sun": _sun, "star": _star,
    **dict.fromkeys(("cloud", "smoke", "fog", "mist"), _cloud),
}
"""How a word of an entity's name draws it (places and objects; characters are figures)."""


SKY_LIGHTS = frozenset({"moon", "sun"})
"""Entity name words that replace the sky's own moon or sun glow."""


def shape_of(entity: EntityBox) -> Shape:
    """How to draw an entity: a figure for a character, else the shape of the last word of
    its name found in SHAPES ("tree house" is a house), else a block or a soft place."""
    if entity.kind == "character":
        return _figure
    for word in reversed(re.findall(r"[a-z]+", entity.name.lower())):
        shape = SHAPES.get(word) or (SHAPES.get(word[:-1]) if word.endswith("s") else None)
        if shape:
            return shape
    return _soft if entity.kind == "place" else _block


DRAW_RANK = {"place": 0, "object": 1, "character": 2}


def draw_order(entity: EntityBox) -> tuple:
    """Sort key: places behind, then objects, then characters in front; places larger
    first, the others farther (higher bottom edge on screen) first, then larger first."""
    x0, y0, x1, y1 = entity.box
    area = (x1 - x0) * (y1 - y0)
    rank = DRAW_RANK.get(entity.kind, 1)
    return (rank, -area, y1) if rank == 0 else (rank, y1, -area)


# -- The animator ----------------------------------------------------------------------------

class AnimaticAnimator(Animator):
    """Previz frames from layouts, with no model: fast, deterministic, offline.

    ``captions`` draws the keyframe prompt and shot id at the top; ``labels`` draws
    entity name tags. Frames are drawn one by one, so a large ``batch_size`` only holds
    more frames in memory at once (64 in-between jobs are ~660 MB at 640x360): keep it small.
    """

    name = "animatic"

    def __init__(self, *, captions: bool = True, labels: bool = True,
                 max_inbetweens: int = 15, batch_size: int = 4) -> None:
        self.captions = captions
        self.labels = labels
        self._capabilities = Capabilities(max_inbetweens=max_inbetweens, batch_size=batch_size)

    def fingerprint(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "code_version": CODE_VERSION,
            "settings": {"captions": self.captions, "labels": self.labels},
        }

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    def keyframes(self, requests: Sequence[FrameRequest]) -> list[Frame]:
        return [self.render(request) for request in requests]

    def inbetweens(self, requests: Sequence[InbetweenRequest]) -> list[list[Frame]]:
        """The in-between layouts drawn at their own times (the end frames are not needed:
        the animatic draws every frame from its request)."""
        return [[self.render(frame) for frame in request.frames] for request in requests]

    def render(self, request: FrameRequest) -> Frame:
        """One frame: the background seen through the camera, the blocking, the caption."""
        width, height = request.width, request.height
        sky_light = not any(word in SKY_LIGHTS for e in request.layout
                            for word in re.findall(r"[a-z]+", e.name.lower()))
        world = background(request.setting, request.time_of_day, width, height,
                           request.camera_size, sky_light)
        image, horizon = self._view(world, request, width, height)

        draw = ImageDraw.Draw(image)
        line = max(1, round(height / 200))
        tag_size = max(8, round(height * 0.042))
        caption_size = max(8, round(height * 0.036))
        top_limit = caption_size + 2 * max(2, caption_size // 3) + 2 if self.captions else 0
        self._draw_blocking(image, draw, request.layout, horizon, line, tag_size, top_limit)
        if self.captions and (request.caption or request.shot_id):
            shade, text = _caption_bar(request.caption, request.shot_id, width, caption_size)
            image.paste((0, 0, 0), (0, 0), shade)
            image.paste((255, 255, 255), (0, 0), text)
        return np.array(image)

    @staticmethod
    def _view(world: Background, request: FrameRequest, width: int,
              height: int) -> tuple[Image.Image, float]:
        """The frame's background through the camera, and the horizon's row in the frame."""
        cx, cy, m = viewport(request.camera_size, request.camera_movement, request.t)
        m0 = CAMERA_SIZE.get(request.camera_size, CAMERA_SIZE["medium"])
        px, py = width * m0 * world.scale, height * m0 * world.scale  # per world unit
        x0, y0 = (cx - 0.5 / m) * px, (cy - 0.5 / m) * py
        x1, y1 = (cx + 0.5 / m) * px, (cy + 0.5 / m) * py
        if math.isclose(m, m0) and world.scale == 1:  # the frame is a crop of the canvas
            ix = min(max(0, round(x0)), world.image.width - width)
            iy = min(max(0, round(y0)), world.image.height - height)
            return world.image.crop((ix, iy, ix + width, iy + height)), world.horizon - iy
        image = world.image.resize((width, height), Image.Resampling.BILINEAR,
                                   box=(x0, y0, x1, y1))
        return image, (world.horizon - y0) * height / (y1 - y0)

    def _draw_blocking(self, image, draw, layout: Sequence[EntityBox], horizon: float,
                       line: int, tag_size: int, top_limit: int) -> None:
        """The entities back to front (see ``draw_order``), then their name tags, placed
        front entity first so that no two tags overlap."""
        width, height = image.size
        entities = sorted(layout, key=draw_order)
        smallest = max(10, height / 36)
        boxes = []
        for entity in entities:
            bx0, by0, bx1, by1 = entity.box
            box = at_least((bx0 * (width - 1), by0 * (height - 1), bx1 * (width - 1),
                            by1 * (height - 1)), smallest, width, height)
            if entity.kind != "place" and box[1] < top_limit:  # not hidden by the caption bar
                box = (box[0], top_limit, box[2], box[3] + top_limit - box[1])
            boxes.append(box)
            colour = hex_rgb(entity.color)
            if entity.kind == "place":  # the place's colour mixed with the ground it is on
                ground = image.getpixel((int(min(width - 1, max(0, (box[0] + box[2]) / 2))),
                                         int(min(height - 1, max(0, (box[1] + box[3]) / 2)))))
                colour = tuple(int(c * 0.4 + g * 0.6) for c, g in zip(colour, ground,
                                                                     strict=True))
            elif box[3] > horizon + 2:  # standing on the ground: a shadow under it
                w, sh = box[2] - box[0], max(2.0, (box[3] - box[1]) * 0.06)
                draw.ellipse((box[0] - w * 0.05, box[3] - sh, box[2] + w * 0.05, box[3] + sh),
                             fill=self._shadow(image, box))
            shape_of(entity)(draw, box, colour, line)
        if not self.labels or not entities:
            return
        pad = max(1, tag_size // 4)
        front = entities[::-1]
        masks = [_text_mask(e.name, tag_size, True) for e in front]
        corners = place_tags(boxes[::-1], [(m.width + 2 * pad, m.height) for m in masks],
                             width, height, inside=[e.kind == "place" for e in front],
                             top=top_limit)
        for entity, mask, corner in zip(front, masks, corners, strict=True):
            _draw_tag(image, draw, mask, pad, hex_rgb(entity.color), corner)

    @staticmethod
    def _shadow(image: Image.Image, box) -> tuple[int, int, int]:
        x = int(min(image.width - 1, max(0, (box[0] + box[2]) / 2)))
        y = int(min(image.height - 1, max(0, box[3] + 2)))
        return _shade(image.getpixel((x, y)), 0.6)
