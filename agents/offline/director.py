"""The director: scenes, shots, camera, durations and the validated Storyboard."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from agents.offline.entities import Draft, Mention, Reader
from agents.offline.languages import gloss, language_of
from agents.offline.layout import arrange, base_layout, fit, follow, trajectory, where
from agents.offline.story import Unit, merge_units, motion_of, read_story, relations
from agents.offline.text import clean, find_length, noun_of, split_sentences, verb_base
from agents.offline.words import (
    CARRY,
    CHASE,
    IMPLIED_SETTINGS,
    LEXICON,
    PREAMBLE,
    STYLES,
    TALK_OR_FEEL,
    TOKEN,
    UNKNOWN,
)
from agents.repair import entity_color, slugify
from storyboard.errors import UserError
from storyboard.models import Storyboard


@dataclass(frozen=True)
class DirectorConfig:
    width: int = 640  # frame size of the film, pixels
    height: int = 360
    fps: int = 24
    long_shot_seconds: float = 4.5  # target shot length when a long film is asked for
    min_shot_seconds: float = 1.5  # a requested length never makes shots shorter than this
    max_shots: int = 120  # longer stories merge neighbouring clauses into one shot
    max_entities: int = 24  # further names and nouns are left out of the cast
    min_length_seconds: float = 1.0  # a requested length below this is refused
    max_length_seconds: float = 3600.0  # a requested length above this is refused
    style: str = "cinematic storyboard, soft light"
    negative: str = "blurry, distorted, deformed hands, extra limbs, text, watermark, low quality"


def implied_setting(units: list[Unit]) -> str | None:
    """The setting that the things the clauses name imply, when they name none: a place ('a
    hill': rolling green hills) before a landmark ('a lighthouse') before anything else ('home');
    the first-named among equals."""
    found = [((k := LEXICON.get(key, UNKNOWN)).kind != "place", k.prior != "landmark", n, key)
             for n, key in enumerate(noun_of(t) or t.lower() for u in units for t in u.tokens)
             if key in IMPLIED_SETTINGS]
    return IMPLIED_SETTINGS[min(found)[-1]] if found else None


COVERAGE = ["wide", "medium", "close-up", "full", "medium", "close-up", "extreme-wide"]
MOVES = ["static", "pan-right", "zoom-in", "pan-left", "zoom-out", "tilt-up", "static"]
CAMERA_FOR = {"up": "tilt-up", "climb": "tilt-up", "down": "tilt-down", "jump": "static",
              "approach": "static", "recede": "zoom-out"}


@dataclass
class ShotPlan:
    unit: Unit
    text: str  # the clause, its subject named if the sentence left it out ('(Rex) chases a crow')
    coverage: int  # 0: the clause's own shot; 1, 2 ...: extra coverage of a long film
    size: str
    focus: Draft | None
    shown: list[Draft]
    edges: list[tuple[Draft, str, Draft]]
    motion: tuple | None
    talk: bool


def plan_offline(request: str, *, seed: int = 0,
                 config: DirectorConfig | None = None) -> Storyboard:
    """A valid storyboard for ``request``, by rules alone: same request and seed, same board."""
    config = config or DirectorConfig()
    if not isinstance(seed, int) or not 0 <= seed <= 2**32 - 1:
        raise UserError(f"the seed must be a whole number from 0 to {2**32 - 1}; got {seed!r}")
    text = clean(request if isinstance(request, str) else "")
    if not text:
        raise UserError("the request is empty: describe the film, e.g. "
                        "'a two-minute film about a fox who learns to fly'")
    language = language_of(text)  # a story in Spanish, French or German is read in its gloss
    if language == "en":
        length, text = find_length(text)
    else:
        length = find_length(" ".join(gloss(TOKEN.findall(text), language)))[0]
    if length is not None and not (
            config.min_length_seconds <= length <= config.max_length_seconds):
        raise UserError(f"the request asks for a {length:g}-second film; the offline director"
                        f" makes films of {config.min_length_seconds:g} s to"
                        f" {config.max_length_seconds / 60:g} minutes:"
                        " ask for a length in that range")
    preamble = PREAMBLE.match(text) if language == "en" else None
    story = text[preamble.end():] if preamble and text[preamble.end():].strip(" .!?") else text
    reader = Reader(config.max_entities)
    cap = config.max_shots if length is None else max(1, min(
        config.max_shots, int(length / config.min_shot_seconds)))
    units = merge_units(read_story(story, reader, language), cap)
    for i, e in enumerate(reader.entities):  # ids: slugs of the names, unique, always ascii
        e.id = slugify(e.name, f"entity-{i + 1}")
        e.id += f"-{i + 1}" if any(o.id == e.id for o in reader.entities[:i]) else ""

    # coverage: one shot per unit, more for the longest clauses when a long film is asked for
    wanted = len(units) if length is None else min(cap, round(length / config.long_shot_seconds))
    extra = [0] * len(units)
    for _ in range(wanted - len(units)):
        busiest = max(range(len(units)), key=lambda i: (len(units[i].tokens) + 5) / (extra[i] + 1))
        extra[busiest] += 1

    scenes, plans, place, time_of_day, last_subject = [], [], None, "day", None
    scene_units: list[list[Unit]] = []  # for a setting implied by what a scene names
    first_place = next((u.place for u in units if u.place), None)
    for index, unit in enumerate(units):
        here = None if unit.place and unit.place.weak and place else unit.place  # 'on the hill'
        if index == 0 or unit.new_scene or here not in (None, place) or (
                unit.time_of_day not in (None, time_of_day)):
            place = here or place or first_place
            time_of_day = unit.time_of_day or time_of_day
            scenes.append({"id": f"scene-{len(scenes) + 1}", "time_of_day": time_of_day,
                           "setting": place.setting(seed) if place else None,
                           "shots": []})
            scene_units.append([])
        scene_units[-1].append(unit)
        elided = verb_base(unit.tokens[0]) and (not unit.mentions or unit.mentions[0].start)
        if language != "en":  # 'Una noche ve al búho': no subject before the verb, the last one
            verb = next((n for n, t in enumerate(unit.tokens) if verb_base(t)), None)
            elided = verb is not None and not any(m.start < verb for m in unit.mentions)
        default = last_subject if elided else next(
            (m.entity for m in unit.mentions if m.entity.noun.kind == "character"), last_subject)
        said = unit.text
        if elided and default:
            unit.mentions.insert(0, Mention(default, 0, 0))  # '(she) tries to fly'
            if language == "en":  # the prompt names who; another language's text stays whole
                said = f"{default.name if default.proper else 'the ' + default.name} {said}"
        last_subject = default
        named = [m.entity for m in unit.mentions]
        shown = sorted(dict.fromkeys([e for e in named if e.noun.prior != "setting"]
                                     or ([default] if default else [])), key=reader.entities.index)
        motion, edges = motion_of(unit, default), relations(unit, default)
        talk = '"' in unit.text or any(verb_base(w) in TALK_OR_FEEL for w in unit.tokens)
        for k in range(1 + extra[index]):
            if k:
                size = COVERAGE[(k + index) % len(COVERAGE)]
            elif not scenes[-1]["shots"]:  # a scene opens on an establishing shot
                size = "wide" if shown else "extreme-wide"
            else:
                size = "close-up" if talk else "medium"
            focus = shown[(k // 3) % len(shown)] if k and shown else (
                motion[0][0] if motion else shown[0] if shown else None)
            scenes[-1]["shots"].append(len(plans))
            plans.append(ShotPlan(unit, said, k, size, focus, shown, edges, motion, talk))
    for n, scene in enumerate(scenes):  # no setting named: one the scene's things imply
        scene["setting"] = scene["setting"] or implied_setting(scene_units[n]) or (
            scenes[n - 1]["setting"] if n else None) or implied_setting(units) or (
            "an open landscape")

    if length is not None:  # a shot needs 3 frames for its keyframes: keep as many as fit
        keep = max(1, round(length * config.fps) // 3)
        plans = plans[:keep]
        for scene in scenes:
            scene["shots"] = [i for i in scene["shots"] if i < keep]
        scenes = [scene for scene in scenes if scene["shots"]]

    # durations in whole frames: about 4 s a shot, or the requested length exactly
    weights = [min(6.0, max(3.0, 2.8 + 0.12 * len(p.unit.tokens))) if p.coverage == 0 else 4.0
               for p in plans]
    if length is None:
        frames = [round(w * config.fps) for w in weights]
    else:
        total, cumulative = round(length * config.fps), [0.0]
        for w in weights:
            cumulative.append(cumulative[-1] + w)
        bounds = [round(total * c / cumulative[-1]) for c in cumulative]
        frames = [b - a for a, b in zip(bounds, bounds[1:], strict=False)]
    rng = random.Random(f"offline-director:{seed}")
    shots = [make_shot(n, p, frames[n] / config.fps, config, rng) for n, p in enumerate(plans)]
    for n, scene in enumerate(scenes):
        first = scene["shots"][0]  # a transition: at most a quarter of either shot it joins
        shorter = min(frames[first], frames[first - 1] if first else frames[first])
        scene["shots"] = [shots[i] for i in scene["shots"]]
        same_time = n and scene["time_of_day"] == scenes[n - 1]["time_of_day"]
        length = min(round(0.5 * config.fps), shorter // 4)  # frames
        kind = "crossfade" if same_time else "fade"
        scene["shots"][0]["transition"] = kind if length else "cut"  # no zero-length fade
        scene["shots"][0]["transition_duration"] = length / config.fps

    style = next((s for s in STYLES if s in text.lower()), None)
    return Storyboard.model_validate({
        "title": title(text, preamble, story, reader, language),
        "logline": (lambda line: line[:1].upper() + line[1:])(
            trim((split_sentences(story) or [story])[0], 200)),
        "style": {"prompt": f"{style}, {config.style}" if style else config.style,
                  "negative_prompt": config.negative},
        "format": {"width": config.width, "height": config.height, "fps": config.fps},
        "seed": seed,
        "entities": [{"id": e.id, "name": e.name, "kind": e.noun.kind, "color": entity_color(i),
                      "appearance": e.appearance(seed)} for i, e in enumerate(reader.entities)],
        "scenes": scenes,
    })


def make_shot(n: int, plan: ShotPlan, duration: float, config: DirectorConfig, rng) -> dict:
    """One shot: layout, relations placed, motion as a box trajectory, keyframes, camera."""
    close = plan.size in {"close-up", "extreme-close-up"}
    boxes = base_layout([plan.focus] if close and plan.focus else plan.shown, plan.size,
                        plan.focus, config.height / config.width)
    movers, kind, d, target = plan.motion or ([], "", 1.0, None)
    lead = movers[0] if movers and movers[0] in boxes else None
    over = next((o for s, p, o in plan.edges if s is lead and p == "above" and o in boxes
                 and kind in {"jump", "across"} and o.noun.prior != "sky"), None)
    if not close:
        arrange(boxes, plan.edges, (lead, over))
    tracks, group = {e: [box, box] for e, box in boxes.items()}, []
    movement = MOVES[rng.randrange(len(MOVES))] if plan.coverage else (
        "zoom-in" if close and plan.talk else "static")
    if lead is not None:
        tracks[lead] = trajectory(boxes[lead], kind, d, close, boxes.get(target), boxes.get(over))
        step = tracks[lead][-1][0] - tracks[lead][0][0]
        movement = CAMERA_FOR.get(kind) or ("pan-right" if step >= 0 else "pan-left")
        chased = [o for s, v, o in plan.edges if s is lead and (  # and what it carries
            v == "with" or verb_base(v.split()[0]) in CHASE | CARRY)]
        group = [lead, *dict.fromkeys(
            o for o in movers[1:] + chased if o in boxes and o is not lead)]
        for other in group[1:]:
            tracks[other] = follow(boxes[lead], tracks[lead], boxes[other])
        tracks |= dict(zip(group, fit(*(tracks[e] for e in group)), strict=True))
    tracks = {e: track if e in group else fit(track)[0] for e, track in tracks.items()}
    times = [0.0, 0.5, 1.0] if any(len(t) == 3 for t in tracks.values()) else [0.0, 1.0]
    relations_json = [{"subject": s.id, "predicate": p, "object": o.id} for s, p, o in plan.edges]
    keyframes = []
    for ti, t in enumerate(times):
        layout, notes = [], []
        for e, track in tracks.items():
            box = track[ti] if len(track) == len(times) else [
                round((a + b) / 2, 4) for a, b in zip(track[0], track[-1], strict=True)
            ] if ti == 1 and len(times) == 3 else track[-1 if ti else 0]
            layout.append({"entity": e.id, "phrase": e.name, "box": box})
            if e is lead:
                notes.append(f"{e.name} {where(box)}")
        prompt = f"{plan.size} shot: {trim(plan.text, 300).rstrip('.!?;, ')}"
        prompt += "".join(f"; {note}" for note in notes)
        keyframes.append({"t": t, "prompt": prompt, "layout": layout, "relations": relations_json})
    coverage_note = f" ({plan.size} on {plan.focus.name})" if plan.coverage and plan.focus else ""
    return {"id": f"shot-{n + 1}", "description": trim(plan.text, 280) + coverage_note,
            "duration": round(duration, 4), "camera": {"size": plan.size, "movement": movement},
            "transition": "cut", "narration": "" if plan.coverage else trim(plan.unit.narration),
            "keyframes": keyframes}


def trim(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def title(text: str, preamble, story: str, reader: Reader, language: str) -> str:
    """The subject after 'a film about', else the main character (by name only in another
    language than English: its nouns are English glosses), else the first words."""
    characters = [e for e in reader.entities if e.noun.kind == "character"
                  and (e.proper or language == "en")]
    if preamble:  # 'a film about a robot who finds a flower in the desert'
        words = re.split(r"[.!?;,]", story)[0].split()[:7]
        cut = [n for n, w in enumerate(words) if n > 2 and w.lower() in
               {"in", "at", "on", "and", "with", "into", "from", "by"}]
        words = [w if n == 0 or w.lower() in {"a", "an", "the", "of", "to"} else w.capitalize()
                 for n, w in enumerate(words[:cut[0]] if cut else words)]
    elif characters:
        main = characters[0]
        words = [main.name if main.proper else f"The {main.name.title()}"]
    else:
        words = re.split(r"[.!?;,。！？]", text)[0].split()[:6] or text.split()[:6]
    result = " ".join(words)[:80].strip()
    return result[:1].upper() + result[1:] if result else "Untitled film"
