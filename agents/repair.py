"""Deterministic repairs of what a weak model gets wrong, each one recorded.

Small local models often answer with JSON that fits the schema but not the film: boxes
in pixels or outside the frame, durations of 0, names where ids belong, the same shot
twice, keyframes missing at the ends. What has one sensible fix is fixed here and noted
in a :class:`Repairs` log that the planner shows to the person; what has none is left to
the storyboard validation (and so to the model, asked again with the error).
"""

from __future__ import annotations

import colorsys
import difflib
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from storyboard.models import Entity, Format, Placement, Relation, Shot

DEFAULT_SHOT_SECONDS = 4.0
MAX_SHOT_SECONDS = 60.0
"""a planned shot longer than this is taken as a mistake (the format allows 600 s)"""
FORMAT_MAX_SHOT_SECONDS = float(next(
    m.le for m in Shot.model_fields["duration"].metadata if getattr(m, "le", None)))
"""the longest shot the storyboard format allows"""
MIN_SHOT_FRAMES = 2
"""a shot needs its first and last keyframe on different frames"""
MIN_BOX_SIZE = 0.05


@dataclass
class Repairs:
    """What was repaired, grouped by kind for a short report."""

    items: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, kind: str, where: str) -> None:
        self.items[kind].append(where)

    def extend(self, other: Repairs) -> None:
        for kind, places in other.items.items():
            self.items[kind].extend(places)

    def __len__(self) -> int:
        return sum(len(v) for v in self.items.values())

    def summary(self, limit: int = 3) -> list[str]:
        """One line per kind of repair: what, how often and the first places."""
        lines = []
        for kind, places in self.items.items():
            shown = ", ".join(places[:limit]) + (", ..." if len(places) > limit else "")
            lines.append(f"repaired {len(places)}x: {kind} ({shown})")
        return lines


# -- names and ids --------------------------------------------------------------------
def slugify(text: str, fallback: str = "entity") -> str:
    """'Old Oak Tree!' -> 'old-oak-tree' (an id the storyboard accepts)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40].strip("-")
    return slug or fallback


def entity_color(i: int) -> str:
    """The i-th entity's colour: hues a golden angle apart, so neighbours are far apart."""
    r, g, b = colorsys.hls_to_rgb((0.02 + i * 0.381966) % 1, 0.5 if i < 8 else 0.38, 0.75)
    return "#{:02x}{:02x}{:02x}".format(*(round(v * 255) for v in (r, g, b)))


def _plain(text: str) -> str:
    words = re.sub(r"[^\w\s-]", " ", text.lower()).split()
    return " ".join(w for w in words if w not in ("the", "a", "an", "my", "his", "her"))


class EntityIndex:
    """The storyboard's entities, found by id, by name, or by a near spelling of either."""

    def __init__(self, entities: Sequence[Entity]) -> None:
        self.entities = list(entities)
        self._keys: dict[str, str] = {}
        for entity in self.entities:
            for key in (entity.id, _plain(entity.name), slugify(entity.name)):
                self._keys.setdefault(key, entity.id)

    def resolve(self, ref: str) -> str | None:
        """The id that ``ref`` names, or None when it names no entity."""
        if not isinstance(ref, str) or not ref.strip():
            return None
        for key in (ref, _plain(ref), slugify(ref)):
            if key in self._keys:
                return self._keys[key]
        plain = _plain(ref)
        for key, entity_id in self._keys.items():  # 'the red fox' -> 'fox'
            if key and plain and (re.search(rf"\b{re.escape(key)}\b", plain)
                                  or re.search(rf"\b{re.escape(plain)}\b", key)):
                return entity_id
        close = difflib.get_close_matches(plain, list(self._keys), n=1, cutoff=0.8)
        return self._keys[close[0]] if close else None


def build_entities(drafts: Iterable, repairs: Repairs) -> list[Entity]:
    """Entities with unique ids from the model's named entities (duplicates merged)."""
    entities: list[Entity] = []
    seen_names: dict[str, str] = {}
    for i, draft in enumerate(drafts):
        name = draft.name.strip() or f"entity {i + 1}"
        if _plain(name) in seen_names:
            repairs.add("entity named twice, merged", f"entities[{i}] {name!r}")
            continue
        entity_id = slugify(name, f"entity-{i + 1}")
        ids = {e.id for e in entities}
        n = 2
        while entity_id in ids:
            entity_id, n = f"{slugify(name)}-{n}", n + 1
        kind = choose(draft.kind, ENTITY_KINDS, "character", repairs, f"entities[{i}].kind")
        appearance = draft.appearance.strip() or name
        entities.append(Entity(id=entity_id, name=name, kind=kind, appearance=appearance,
                               color=entity_color(len(entities))))
        seen_names[_plain(name)] = entity_id
    return entities


# -- closed vocabularies --------------------------------------------------------------
CAMERA_SIZES = {
    "extreme-wide": ("extreme-wide-shot", "establishing", "establishing-shot", "aerial"),
    "wide": ("long", "long-shot", "wide-shot", "ws", "ls", "full-wide"),
    "full": ("full-shot", "full-body"),
    "medium": ("medium-shot", "mid", "mid-shot", "ms", "medium-wide", "medium-close-up"),
    "close-up": ("closeup", "close", "cu", "close-shot", "close-up-shot"),
    "extreme-close-up": ("extreme-closeup", "ecu", "macro", "extreme-close"),
}
CAMERA_MOVEMENTS = {
    "static": ("still", "fixed", "none", "locked", "locked-off", "tracking", "handheld"),
    "pan-left": ("pan-to-the-left", "left"),
    "pan-right": ("pan", "pan-to-the-right", "right"),
    "tilt-up": ("tilt", "up", "crane-up"),
    "tilt-down": ("down", "crane-down"),
    "zoom-in": ("zoom", "dolly-in", "push-in", "push", "in"),
    "zoom-out": ("dolly-out", "pull-out", "pull-back", "out"),
}
TRANSITIONS = {
    "cut": ("hard-cut", "straight-cut", "none", "match-cut", "jump-cut"),
    "crossfade": ("dissolve", "cross-fade", "cross-dissolve", "mix"),
    "fade": ("fade-in", "fade-out", "fade-to-black", "fade-from-black", "dip-to-black"),
}
ENTITY_KINDS = {
    "character": ("person", "animal", "creature", "human", "people", "protagonist"),
    "object": ("thing", "prop", "item", "vehicle"),
    "place": ("location", "setting", "building", "landmark", "landscape"),
}


def choose(value: object, vocabulary: dict[str, tuple[str, ...]], default: str,
           repairs: Repairs, where: str) -> str:
    """``value`` as one of the vocabulary's words (synonyms mapped), else ``default``."""
    word = re.sub(r"[\s_]+", "-", str(value or "").strip().lower())
    if word in vocabulary:
        if word != value:
            repairs.add("word mapped to an allowed value", f"{where} {value!r}->{word!r}")
        return word
    for target, synonyms in vocabulary.items():
        if word in synonyms or word.removesuffix("-shot") == target:
            repairs.add("word mapped to an allowed value", f"{where} {value!r}->{target!r}")
            return target
    if value not in (None, ""):
        repairs.add("unknown word replaced by the default", f"{where} {value!r}->{default!r}")
    return default


# -- time -----------------------------------------------------------------------------
def shot_duration(value: float, repairs: Repairs, where: str) -> float:
    """A usable shot length: impossible or absurd values become 4 s."""
    if not math.isfinite(value) or value < 0.5 or value > MAX_SHOT_SECONDS:
        repairs.add(f"impossible shot duration replaced by {DEFAULT_SHOT_SECONDS:g} s",
                    f"{where} {value!r}")
        return DEFAULT_SHOT_SECONDS
    return value


def fit_durations(durations: Sequence[float], total: float, floors: Sequence[float],
                  cap: float = FORMAT_MAX_SHOT_SECONDS) -> list[float]:
    """``durations`` (all > 0) scaled by one factor so that they sum to ``total`` seconds,
    each kept within its floor and ``cap``, in hundredths of a second (the round-off spread
    over those with room). ValueError when the floors or the cap leave no such fit: drop
    or split shots first (see :func:`min_shot_seconds`)."""
    if not durations:
        return []
    n = len(durations)
    units = round(total * 100)
    low = [math.ceil(f * 100 - 1e-6) for f in floors]
    high = math.floor(cap * 100 + 1e-6)
    if sum(low) > units or n * high < units or max(low) > high:
        raise ValueError(f"{n} shot(s) cannot fill {total:g} s within their floors and cap")

    def filled(scale: float) -> list[float]:
        return [min(high, max(lo, d * scale)) for d, lo in zip(durations, low, strict=True)]

    lo_scale, hi_scale = 0.0, max(high / d for d in durations)
    for _ in range(100):  # the scale at which the clamped durations fill ``total``
        middle = (lo_scale + hi_scale) / 2
        lo_scale, hi_scale = (middle, hi_scale) if sum(filled(middle)) < units \
            else (lo_scale, middle)
    exact = filled(hi_scale)
    fitted = [max(lo, min(high, math.floor(v))) for v, lo in zip(exact, low, strict=True)]
    by_remainder = sorted(range(n), key=lambda i: exact[i] - fitted[i], reverse=True)
    while sum(fitted) != units:  # whole hundredths to those with room, largest share first
        step = 1 if sum(fitted) < units else -1
        for i in by_remainder:
            if sum(fitted) != units and low[i] <= fitted[i] + step <= high:
                fitted[i] += step
    return [v / 100 for v in fitted]


def min_shot_seconds(times: Sequence[float], fps: int) -> float:
    """The shortest duration, in hundredths of a second up to one second, at which a shot
    with keyframes at ``times`` gets at least 2 frames with each keyframe on a frame of its
    own, whatever round-off the shots before it carry in (one frame more or less); one
    second when none is (closer keyframes are then dropped by :func:`complete_keyframes`)."""
    wanted = len(set(times))
    for hundredths in range(1, 101):
        frames = hundredths / 100 * fps
        if frames < MIN_SHOT_FRAMES + 1e-3:  # a margin for the round-off of summed seconds
            continue
        possible = range(math.floor(frames - 1e-3), math.floor(frames + 1e-3) + 2)
        if all(len({round(t * (n - 1)) for t in times}) == wanted for n in possible):
            return hundredths / 100
    return 1.0


def frame_counts(durations: Sequence[float], fps: int) -> list[int]:
    """The frames each shot of ``durations`` gets in a film, the round-off carried from
    shot to shot exactly as the storyboard counts them (``storyboard.timing``)."""
    from storyboard.timing import shot_frame_counts

    return shot_frame_counts(durations, fps)


def transition_seconds(wanted: float, frames: Sequence[int], seconds: Sequence[float],
                       fps: int) -> float:
    """``wanted`` seconds of transition, at most a quarter of the shorter of the shots it
    joins (``frames`` and ``seconds`` of both), in frames and in seconds: then the
    transitions in and out of a shot together never take more than half of it."""
    limit = min(min(seconds) / 4, min(frames) // 4 / fps)
    if wanted <= limit:
        return wanted
    return math.floor(limit * 100 + 1e-9) / 100


def keyframe_times(times: Sequence[float], duration: float, repairs: Repairs,
                   where: str) -> list[float | None]:
    """Each keyframe's time in 0..1 (None: drop it). Times in seconds are divided by the
    shot's duration, others clamped."""
    times = [t if isinstance(t, (int, float)) and math.isfinite(t) else math.nan for t in times]
    finite = [t for t in times if not math.isnan(t)]
    in_seconds = bool(finite) and max(finite) > 1 and max(finite) <= duration + 1e-6
    result: list[float | None] = []
    for i, t in enumerate(times):
        if math.isnan(t):
            repairs.add("keyframe without a usable time dropped", f"{where}.keyframes[{i}]")
            result.append(None)
            continue
        if in_seconds:
            t = t / duration
            repairs.add("keyframe time in seconds divided by the shot duration",
                        f"{where}.keyframes[{i}]")
        if t < 0 or t > 1:
            repairs.add("keyframe time clamped to 0..1", f"{where}.keyframes[{i}] t={t}")
            t = min(1.0, max(0.0, t))
        result.append(round(t, 4))
    return result


def complete_keyframes(keyframes: list[tuple[float, str]], frames: int, description: str,
                       repairs: Repairs, where: str) -> list[tuple[float, str]]:
    """Keyframes sorted, one per frame, with t=0 and t=1 present (the nearest copied when
    one is missing; the shot's description used when there are none)."""
    if not keyframes:
        repairs.add("shot without keyframes given two from its description", where)
        text = description.strip() or "the scene"
        return [(0.0, text), (1.0, text)]
    keyframes = sorted(keyframes, key=lambda k: k[0])
    if keyframes[0][0] != 0:
        repairs.add("missing keyframe at t=0 copied from the nearest", where)
        keyframes.insert(0, (0.0, keyframes[0][1]))
    if keyframes[-1][0] != 1:
        repairs.add("missing keyframe at t=1 copied from the nearest", where)
        keyframes.append((1.0, keyframes[-1][1]))
    kept: list[tuple[float, str]] = []
    used: set[int] = set()
    last = len(keyframes) - 1
    for i, (t, prompt) in enumerate(keyframes):
        index = round(t * (frames - 1))
        if index in used and i != last:
            repairs.add("keyframe on the same frame as another dropped", f"{where} t={t}")
            continue
        if index in used:  # the end wins over an inner keyframe on its frame
            kept = [k for k in kept if round(k[0] * (frames - 1)) != index]
            repairs.add("keyframe on the same frame as another dropped", f"{where} t={t}")
        used.add(index)
        kept.append((t, prompt))
    return kept


# -- boxes ----------------------------------------------------------------------------
def repair_box(box: Sequence[float], fmt: Format, repairs: Repairs,
               where: str) -> tuple[float, float, float, float] | None:
    """A box inside the frame, or None when ``box`` is not four finite numbers. Pixels are
    divided by the frame size, values clamped to 0..1, swapped corners put in order, and
    boxes smaller than 5% of the frame grown around their centre."""
    if len(box) != 4 or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in box):
        repairs.add("box that is not four numbers dropped", f"{where} {list(box)}")
        return None
    x0, y0, x1, y1 = (float(v) for v in box)
    if max(x0, y0, x1, y1) > 1.5:
        if max(x0, x1) <= 100 and max(y0, y1) <= 100 and max(x0, x1, y0, y1) > 1.5 \
                and max(x0, x1) < fmt.width / 4:
            x0, y0, x1, y1 = x0 / 100, y0 / 100, x1 / 100, y1 / 100
            repairs.add("box in percent divided by 100", where)
        else:
            x0, x1 = x0 / fmt.width, x1 / fmt.width
            y0, y1 = y0 / fmt.height, y1 / fmt.height
            repairs.add(f"box in pixels divided by {fmt.width}x{fmt.height}", where)
    if x0 > x1 or y0 > y1:
        x0, x1 = sorted((x0, x1))
        y0, y1 = sorted((y0, y1))
        repairs.add("box corners swapped into order", where)
    clamped = [min(1.0, max(0.0, v)) for v in (x0, y0, x1, y1)]
    if clamped != [x0, y0, x1, y1]:
        repairs.add("box clamped to the frame", where)
    x0, y0, x1, y1 = clamped
    if x1 - x0 < MIN_BOX_SIZE or y1 - y0 < MIN_BOX_SIZE:
        x0, x1 = _grow(x0, x1)
        y0, y1 = _grow(y0, y1)
        repairs.add(f"box smaller than {MIN_BOX_SIZE:g} of the frame grown", where)
    return (round(x0, 4), round(y0, 4), round(x1, 4), round(y1, 4))


def _grow(a: float, b: float) -> tuple[float, float]:
    if b - a >= MIN_BOX_SIZE:
        return a, b
    centre = min(1 - MIN_BOX_SIZE / 2, max(MIN_BOX_SIZE / 2, (a + b) / 2))
    return centre - MIN_BOX_SIZE / 2, centre + MIN_BOX_SIZE / 2


def placements(drafts: Iterable, index: EntityIndex, fmt: Format, repairs: Repairs,
               where: str) -> list[Placement]:
    """Layout boxes with entity ids; unknown entities, bad boxes and repeats dropped."""
    result: list[Placement] = []
    for i, draft in enumerate(drafts):
        at = f"{where}.layout[{i}]"
        entity_id = index.resolve(draft.entity)
        if entity_id is None:
            repairs.add("box of an unknown entity dropped", f"{at} {draft.entity!r}")
            continue
        if entity_id != draft.entity:
            repairs.add("entity name mapped to its id", f"{at} {draft.entity!r}->{entity_id!r}")
        if any(p.entity == entity_id for p in result):
            repairs.add("second box of the same entity dropped", at)
            continue
        box = repair_box(draft.box, fmt, repairs, at)
        if box is not None:
            name = next(e.name for e in index.entities if e.id == entity_id)
            result.append(Placement(entity=entity_id, phrase=name, box=box))
    return result


def relations(drafts: Iterable, index: EntityIndex, repairs: Repairs,
              where: str) -> list[Relation]:
    """Scene-graph edges with entity ids; those naming unknown entities dropped."""
    result: list[Relation] = []
    for i, draft in enumerate(drafts):
        at = f"{where}.relations[{i}]"
        ends = [index.resolve(draft.subject), index.resolve(draft.object)]
        if None in ends:
            repairs.add("relation naming an unknown entity dropped", at)
            continue
        if ends != [draft.subject, draft.object]:
            repairs.add("entity name mapped to its id", at)
        relation = Relation(subject=ends[0], predicate=draft.predicate.strip(), object=ends[1])
        if relation not in result:
            result.append(relation)
    return result


def shot_signature(description: str, prompts: Iterable[str]) -> str:
    """What makes two shots 'the same shot repeated'."""
    return "|".join(_plain(x) for x in (description, *prompts))
