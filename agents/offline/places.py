"""Where the story is: the place each clause happens in, and where the story goes next.

A place is a mention of a place noun ('the forest', 'the frozen river') or of a building
one can go into ('the castle'). Its context says what the clause does with it: 'in the
forest', 'crossed the river' (the clause is there), 'walked to the observatory' (the story
goes there next), 'left the village' (the story leaves it). A place that may just be part of
where the story is ('on the hill', 'the village slept') is weak: a scene takes it only when
it has no place yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from agents.offline.entities import Draft, Mention
from agents.offline.text import verb_base
from agents.offline.words import ENTERABLE, IMPLIED_SETTINGS, MOTION, PLACE_CUES, TRAVEL, Noun

if TYPE_CHECKING:
    from agents.offline.story import Unit

PARTICLES = {"up", "down", "out", "back", "off", "away", "over", "along", "straight", "right"}
HOME = Draft("home", Noun("place", "setting", 2.0, 1.0, "", ""), "home")  # 'she flies home'


@dataclass(frozen=True)
class Place:
    """The place of a scene: a place entity, seen from inside for a building one enters."""

    entity: Draft
    inside: bool = False
    weak: bool = False  # a place the scene only takes when it has none ('on the hill')

    def setting(self, seed: int) -> str:
        """The scene's setting in words: 'a frozen river ...', 'inside a grey stone castle'."""
        e = self.entity
        if e is HOME:
            return IMPLIED_SETTINGS["home"]
        if e.noun.kind == "place":
            return e.appearance(seed)
        if self.inside:
            return f"inside {e.appearance(seed)}"
        return IMPLIED_SETTINGS.get(e.noun_word or "", e.appearance(seed))


def cue(lower: list[str], start: int) -> tuple[str | None, str]:
    """'here', 'next' or 'left' by the cue word just before token ``start`` (else None), and
    that word ('in'; 'cross' for 'crossed'); a particle may stand between ('went up to')."""
    for k in (start - 1, start - 2):
        word = verb_base(lower[k]) or lower[k] if k >= 0 else ""
        if word in PLACE_CUES:
            return PLACE_CUES[word], word
        if word not in PARTICLES:
            break
    return None, ""


def locate(tokens: list[str], mentions: list[Mention]) -> tuple[Place | None, Place | None]:
    """(where the clause happens, where the story goes after it); None for either when the
    clause does not say."""
    lower = [t.lower() for t in tokens]
    found_here: list[Place] = []
    goes = None
    homes = [Mention(HOME, k, k + 1) for k, w in enumerate(lower) if w == "home" and k and (
        lower[k - 1] in {"at", "back"} or verb_base(lower[k - 1]) in MOTION)]
    for mention in sorted([*mentions, *homes], key=lambda m: m.start):
        e = mention.entity
        if e.noun.kind != "place" and e.noun_word not in ENTERABLE:
            continue
        found, word = ("here", "at") if e is HOME else cue(lower, mention.start)
        inside = mention.start > 0 and lower[mention.start - 1] in {"in", "inside", "into"}
        if found == "next":
            goes = Place(e, inside)
        elif found == "here":  # 'on the hill' is weak: beside where the story is
            found_here.append(Place(e, inside, e.noun.prior == "landmark" and word not in TRAVEL))
        elif found is None and e.noun.prior == "setting":
            found_here.append(Place(e, weak=True))
    strong = sorted((p for p in found_here if not p.weak),  # 'in a tent on the beach': the beach
                    key=lambda p: p.entity.noun.prior != "setting")
    return (strong or found_here or [None])[0], goes


def follow_places(units: list[Unit]) -> None:
    """Each unit's ``place``: the one it names, else where the story went before it ('to
    the observatory. Inside, ...'), else None (the scene's place goes on)."""
    going: Place | None = None
    for unit in units:
        here, goes = locate(unit.tokens, unit.mentions)
        if (here is None or here.weak) and going is not None:
            inside = unit.tokens[0].lower() in {"inside", "indoors"}
            here = Place(going.entity, inside or going.inside)  # 'Inside, ...'
        unit.place, going = here, goes
