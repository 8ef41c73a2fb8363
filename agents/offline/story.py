"""The story: clauses read into units, with their relations and motion."""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents.offline.entities import Draft, Mention, Reader
from agents.offline.languages import gloss
from agents.offline.places import Place, follow_places
from agents.offline.text import split_clauses, split_sentences, verb_base
from agents.offline.words import MOTION, PREPOSITIONS, SCENE_BREAK, TIMES, TOKEN


@dataclass
class Unit:
    """A clause (for very long stories, several) that becomes one or more shots."""

    text: str
    tokens: list[str]
    mentions: list[Mention]
    new_scene: bool  # a scene break word ("next day", "later") opens its sentence
    place: Place | None  # where it happens, if it says (places.py)
    time_of_day: str | None
    narration: str  # the whole sentence for its first clause, "" for the others


def read_story(text: str, reader: Reader, language: str = "en") -> list[Unit]:
    """The story's units: its clauses, or for a story in another language (languages.py)
    its sentences, read in their English gloss."""
    units = []
    for sentence in split_sentences(text) or [text]:
        if language == "en":
            clauses = [(c, TOKEN.findall(c) or [c]) for c in split_clauses(sentence) or [sentence]]
        else:
            clauses = [(sentence, gloss(TOKEN.findall(sentence), language) or [sentence])]
        lower = " ".join(clauses[0][1] if language != "en" else [sentence]).lower()
        time = next((t for word, t in TIMES if re.search(rf"\b{word}\b", lower)), None)
        for n, (clause, tokens) in enumerate(clauses):
            mentions = reader.read(tokens, sentence_start=n == 0)
            units.append(Unit(clause, tokens, mentions, n == 0 and bool(SCENE_BREAK.search(lower)),
                              None, time if n == 0 else None, "" if n else sentence))
    follow_places(units)
    return units


def merge_units(units: list[Unit], count: int) -> list[Unit]:
    """At most ``count`` units, joining neighbours (for stories longer than the shot cap)."""
    if len(units) <= count:
        return units
    merged = []
    for g in range(count):
        group = units[g * len(units) // count:(g + 1) * len(units) // count]
        tokens, mentions = [], []
        for unit in group:
            mentions += [Mention(m.entity, m.start + len(tokens), m.end + len(tokens))
                         for m in unit.mentions]
            tokens += unit.tokens + ["."]
        merged.append(Unit(" ".join(u.text for u in group), tokens, mentions,
                           any(u.new_scene for u in group),
                           next((u.place for u in group if u.place), None),
                           next((u.time_of_day for u in group if u.time_of_day), None),
                           " ".join(u.narration for u in group if u.narration)))
    return merged


def relations(unit: Unit, default: Draft | None) -> list[tuple[Draft, str, Draft]]:
    """Scene-graph edges: a preposition between two mentions ('the cat on the table'), or a
    verb joining two ('the fox chases the rabbit')."""
    lower, found, covered, i = [t.lower() for t in unit.tokens], [], set(), 0
    while i < len(lower):
        prep = next((p for p in PREPOSITIONS if tuple(lower[i:i + len(p)]) == p), None)
        if prep is None:
            i += 1
            continue
        end = i + len(prep)
        obj = next((m.entity for m in unit.mentions if end <= m.start <= end + 1), None)
        before = [m for m in unit.mentions if m.end <= i]
        for subject in alongside(unit, before[-1]) if before else [default]:
            if obj and subject and subject is not obj:
                found.append((subject, PREPOSITIONS[prep], obj))
        covered.update(range(i, end))
        i = end
    for a, b in zip(unit.mentions, unit.mentions[1:], strict=False):
        verb = next((k for k in range(a.end, b.start) if verb_base(lower[k])), None)
        if verb is None or b.start - a.end > 3 or covered & set(range(a.end, b.start)):
            continue
        particle = {"to", "towards", "at", "after"} & {lower[verb + 1]}  # 'walks to'
        found += [(subject, " ".join([lower[verb], *particle]), b.entity)
                  for subject in subjects_before(unit, lower, verb) if subject is not b.entity]
    return list(dict.fromkeys(found))


def alongside(unit: Unit, mention: Mention) -> list[Draft]:
    """The entities of the words of ``mention``: one, or several for 'they'."""
    return [m.entity for m in unit.mentions if (m.start, m.end) == (mention.start, mention.end)]


def subjects_before(unit: Unit, lower: list[str], i: int) -> list[Draft]:
    """The nearest mention before token ``i`` that is not a preposition's object."""
    mention = next((m for m in reversed(unit.mentions) if m.end <= i and not (
        m.start and any(lower[m.start - 1] == p[-1] for p in PREPOSITIONS))), None)
    return alongside(unit, mention) if mention else []


def motion_of(unit: Unit, default: Draft | None) -> tuple | None:
    """(movers, kind, direction +1 right / -1 left, target) of the clause's first motion verb.
    The mover is the nearest mention before the verb that is not a preposition's object, with
    those joined to it by 'and' ('Mia and Tom walk') or meant by the same word ('they')."""
    lower = [t.lower() for t in unit.tokens]
    for i, word in enumerate(lower):
        kind = MOTION.get(verb_base(word) or "")
        if not kind:
            continue
        before = [m for m in unit.mentions if m.end <= i and not (
            m.start and any(lower[m.start - 1] == p[-1] for p in PREPOSITIONS))]
        if not before and default is None:
            return None
        k = len(before) - 1
        while k > 0 and (before[k - 1].start == before[k].start or before[k - 1].end == (
                before[k].start - 1) and lower[before[k].start - 1] in {"and", ","}):
            k -= 1  # 'Mia and Tom walk', 'they walk'
        movers = list(dict.fromkeys(m.entity for m in before[max(k, 0):])) or [default]
        after = set(lower[i + 1:i + 8])
        target = next((m.entity for m in unit.mentions if m.start > i and m.entity not in movers
                       and (kind == "climb" or lower[m.start - 1] in {"to", "toward", "towards",
                                                                        "at"})), None)
        if kind in {"across", "fly", "approach"} and after & {"up", "upward", "upwards", "sky"}:
            kind = "up"
        elif kind in {"across", "fly"} and after & {"down", "downward", "downwards"}:
            kind = "down"
        elif after & {"camera", "us", "closer", "viewer"}:
            kind = "approach"
        elif "away" in after:
            kind = "recede"
        elif kind == "fly":
            kind = "across" if movers[0].noun.prior == "sky" or "over" in after else "up"
        return movers, kind, -1.0 if "left" in after else 1.0, target
    return None
