"""The offline reviser: chat messages mapped to edit operations by rules, no LLM.

A message is split into clauses at commas, semicolons, full stops, "and" and "then"
(a clause that reads only together with the next, "swap shots 2 | and | 3", is joined
back); each clause must match one rule below, or nothing changes and the error lists what
is understood. Shots are named by number ("shot 3", "shot three"), ordinal ("the third
shot", "the last shot", "the second to last shot") or id ("shot s3", "s3"); scenes the
same way ("scene 2", "the last scene", "the forest scene"); entities by name or id ("the
owl", "Ada"). Numbers and ordinals count in film order of the storyboard the person saw.
Narration after "narration for shot 1:" runs to the end of the message (or sits in quotes).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from storyboard import Storyboard
from storyboard.edits import Operation, new_id
from storyboard.edits.operations import (
    AddEntity,
    AddShot,
    MoveShot,
    PlaceEntity,
    RemoveEntity,
    RemoveShot,
    RetimeFilm,
    SetCamera,
    SetDescription,
    SetDuration,
    SetEntity,
    SetKeyframePrompt,
    SetNarration,
    SetScene,
    SetStyle,
    SetTitle,
    SetTransition,
    SplitShot,
    SwapShots,
)
from storyboard.errors import UserError
from storyboard.timing import film_frame_count

UNDERSTOOD = (
    "appearance ('make the owl white', 'give Ada a blue coat', 'the owl looks like a snowy"
    " owl', 'rename the owl to Hoot', 'remove the owl', 'add a cat to shot 2');"
    " shots ('cut shot 3', 'delete the last shot', 'swap shots 2 and 3', 'move shot 4 after"
    " shot 1', 'split shot 2 in half', 'add a shot of the fox sleeping after shot 2');"
    " durations ('make shot 2 six seconds long', 'make shot 2 shorter', 'make the film 45"
    " seconds', 'shorter'); camera ('shot 1 should be a close-up', 'pan left in shot 5');"
    " transitions ('crossfade into shot 4', 'make the crossfade into shot 4 1 second');"
    " placement ('put the fox on the right in shot 3', 'make the moon bigger'); narration"
    " ('narration for shot 1: ...', 'no narration in shot 2'); what a shot shows ('shot 2"
    " should show the fox asleep'); scenes ('make scene 2 happen at night', 'set scene 1"
    " in a desert', 'make it night'); style ('make it a watercolor film'); title ('call the"
    " film The Long Night'); several joined by 'and' or commas"
)

_UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen"
          " fourteen fifteen sixteen seventeen eighteen nineteen twenty")
_NUMBER_WORDS = {w: i for i, w in enumerate(_UNITS.split())}
_NUMBER_WORDS |= {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90, "a": 1,
                  "an": 1, "half": 0.5, "half a": 0.5}
_ORDINAL_WORDS = ("zeroth first second third fourth fifth sixth seventh eighth ninth tenth"
                  " eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth"
                  " eighteenth nineteenth twentieth")
_ORDINALS = {w: i for i, w in enumerate(_ORDINAL_WORDS.split())}
_FROM_END = {"last": -1, "final": -1, "penultimate": -2, "second to last": -2,
             "second-to-last": -2, "next to last": -2, "next-to-last": -2}
COLOURS = {
    "white": "#f2f2f2", "snow-white": "#fafafa", "black": "#1a1a1a", "grey": "#8a8a8a",
    "gray": "#8a8a8a", "silver": "#c0c0c0", "red": "#d43a2f", "crimson": "#b0203a",
    "orange": "#e8832a", "yellow": "#f2cf3a", "gold": "#d4a92a", "golden": "#d4a92a",
    "green": "#3f9e4a", "blue": "#3a6ed4", "navy": "#1f3a7a", "purple": "#7a3fb0",
    "violet": "#8a4fd0", "pink": "#e88ab0", "brown": "#7a4f2a", "beige": "#d9c7a3",
    "teal": "#2a9e9e", "cyan": "#3ac8d9", "turquoise": "#3ad1c0",
}
SIZES = {"extreme close-up": "extreme-close-up", "extreme closeup": "extreme-close-up",
         "extreme close up": "extreme-close-up", "close-up": "close-up", "closeup": "close-up",
         "close up": "close-up", "extreme wide": "extreme-wide", "establishing": "extreme-wide",
         "wide": "wide", "long": "wide", "full": "full", "medium": "medium", "mid": "medium"}
TIMES = {"dawn": "dawn", "sunrise": "dawn", "morning": "morning", "day": "day",
         "daytime": "day", "noon": "noon", "midday": "noon", "afternoon": "afternoon",
         "dusk": "dusk", "sunset": "dusk", "evening": "evening", "twilight": "dusk",
         "night": "night", "nighttime": "night", "night-time": "night", "midnight": "night"}
POSITIONS = {"left": "left", "right": "right", "centre": "center", "center": "center",
             "middle": "center", "top": "top", "bottom": "bottom", "top left": "top-left",
             "top right": "top-right", "bottom left": "bottom-left",
             "bottom right": "bottom-right", "top-left": "top-left", "top-right": "top-right",
             "bottom-left": "bottom-left", "bottom-right": "bottom-right"}
BIGGER = {"bigger": 1.3, "larger": 1.3, "huge": 1.8, "enormous": 2.0, "smaller": 0.75,
          "tiny": 0.5, "tinier": 0.6}
FILM = r"(?:the\s+)?(?:whole\s+|entire\s+)?(?:film|movie|video|animation|thing)|it|everything"


def _alternation(words) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len,
                                                                         reverse=True))


_NUM = (rf"(?:\d+(?:\.\d+)?|(?:{_alternation(_NUMBER_WORDS)})"
        r"(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine))?)")
_SECONDS = rf"(?P<amount>{_NUM})\s*(?:-\s*)?(?P<unit>s|secs?|seconds?|mins?|minutes?)\b" \
           rf"(?:\s*(?:and\s+)?(?P<extra>\d+(?:\.\d+)?)\s*(?:s|secs?|seconds?)\b)?"
_ORD = rf"(?:{_alternation([*_ORDINALS, *_FROM_END])}|\d+(?:st|nd|rd|th))"


def number(text: str) -> float:
    """'6', '6.5', 'six', 'forty-five', 'a' -> the number."""
    text = re.sub(r"\s+", " ", text.strip().lower())
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    if text in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[text])
    tens, _, ones = text.replace("-", " ").partition(" ")
    return float(_NUMBER_WORDS[tens] + _NUMBER_WORDS[ones])


def seconds_of(match: re.Match) -> float:
    """Seconds of a :data:`_SECONDS` match: '45 seconds', 'a minute', '1 minute 30 s'."""
    amount = number(match.group("amount"))
    if match.group("unit").startswith("m"):
        amount *= 60
    return amount + float(match.group("extra") or 0)


class _Unmapped(Exception):
    """A clause no rule maps (or one that names something the storyboard lacks)."""


@dataclass
class _Refs:
    """Resolves the names a person uses to the storyboard's ids."""

    board: Storyboard

    def __post_init__(self) -> None:
        self.shots = [shot for _, shot in self.board.iter_shots()]
        ids = [s.id for s in self.shots]
        self.shot_pattern = (rf"(?:the\s+)?(?:{_ORD})\s+shot|shot\s+(?:number\s+|no\.?\s*|#)?"
                             rf"(?:{_NUM}|{_alternation(ids)})\b|(?:{_alternation(ids)})\b")
        names: dict[str, str] = {}
        for e in self.board.entities:
            for key in (e.id, e.name.lower(), e.name.lower().split()[-1]):
                names.setdefault(key, e.id) if key not in names or names[key] == e.id \
                    else names.update({key: ""})  # a word two entities share names neither
        self.entity_names = {k: v for k, v in names.items() if v}
        self.entity_pattern = rf"(?:the\s+)?(?:{_alternation(self.entity_names)})(?:'s)?\b" \
            if self.entity_names else r"(?!x)x"
        scene_words = [s.id for s in self.board.scenes]
        self.scene_pattern = (rf"(?:the\s+)?(?:{_ORD})\s+scene|scene\s+(?:{_NUM}|"
                              rf"{_alternation(scene_words)})\b|the\s+[\w-]+\s+scene")

    def shot(self, text: str) -> str:
        text = re.sub(r"\s+", " ", text.strip().lower()).removeprefix("the ")
        ids = {s.id: s.id for s in self.shots}
        if text in ids:
            return text
        word = re.sub(r"^shot (?:number |no\.? ?|#)?", "", text)
        if word in ids:
            return word
        index = self._index(text.removesuffix(" shot"), word, len(self.shots), "shot")
        return self.shots[index].id

    def scene(self, text: str) -> str:
        text = re.sub(r"\s+", " ", text.strip().lower()).removeprefix("the ")
        scenes = self.board.scenes
        word = text.removeprefix("scene ")
        if word in {s.id for s in scenes}:
            return word
        named = re.fullmatch(r"([\w-]+) scene", text)
        if named and named.group(1) not in _ORDINALS and named.group(1) not in _FROM_END:
            found = [s.id for s in scenes if named.group(1) in s.id or
                     re.search(rf"\b{re.escape(named.group(1))}\b", s.setting.lower())]
            if len(found) != 1:
                raise _Unmapped(f"no single scene is '{text}'")
            return found[0]
        return scenes[self._index(text.removesuffix(" scene"), word, len(scenes), "scene")].id

    @staticmethod
    def _index(ordinal: str, word: str, count: int, kind: str) -> int:
        if ordinal in _FROM_END:
            index = count + _FROM_END[ordinal]
        elif ordinal in _ORDINALS:
            index = _ORDINALS[ordinal] - 1
        elif re.fullmatch(r"\d+(?:st|nd|rd|th)", ordinal):
            index = int(ordinal[:-2]) - 1
        else:
            try:
                index = int(number(word)) - 1
            except (KeyError, ValueError):
                raise _Unmapped(f"no {kind} '{word}'") from None
        if not 0 <= index < count:
            raise _Unmapped(f"there is no {kind} {index + 1}: the film has {count}")
        return index

    def entity(self, text: str) -> str:
        key = re.sub(r"\s+", " ", text.strip().lower()).removeprefix("the ").removesuffix("'s")
        return self.entity_names[key]

    def entities_in(self, text: str) -> list[str]:
        found = re.findall(self.entity_pattern, text, re.I)
        return list(dict.fromkeys(self.entity(f) for f in found))


# -- the rules ---------------------------------------------------------------------------

Rule = Callable[[re.Match, _Refs], list[Operation]]
_RULES: list[tuple[str, Rule]] = []


def rule(*patterns: str):
    """Register a rule for clauses matching any of ``patterns`` (whole clause, any case;
    SHOT, SHOT2, SCENE, ENTITY, SECONDS, NUM, ORD expand to the references above)."""
    def register(handler: Rule) -> Rule:
        _RULES.extend((p, handler) for p in patterns)
        return handler
    return register


@rule(r"(?:cut|remove|delete|drop|lose|skip|get\s+rid\s+of|take\s+out)\s+(?P<shot>SHOT)",
      r"(?:cut|remove|delete|drop)\s+shots?\s+(?P<a>NUM)\s+(?:and|&)\s+(?:shot\s+)?(?P<b>NUM)")
def _remove_shot(m: re.Match, refs: _Refs) -> list[Operation]:
    if m.groupdict().get("shot"):
        return [RemoveShot(shot=refs.shot(m["shot"]))]
    return [RemoveShot(shot=refs.shot(f"shot {m['a']}")), RemoveShot(shot=refs.shot(
        f"shot {m['b']}"))]


@rule(r"(?:swap|switch|exchange|flip)\s+(?:shots\s+)?(?P<a>NUM)\s+(?:and|with|&)\s+"
      r"(?:shot\s+)?(?P<b>NUM)",
      r"(?:swap|switch|exchange|flip)\s+(?P<sa>SHOT)\s+(?:and|with|&)\s+(?P<sb>SHOT2)")
def _swap(m: re.Match, refs: _Refs) -> list[Operation]:
    a = refs.shot(m["sa"]) if m.groupdict().get("sa") else refs.shot(f"shot {m['a']}")
    b = refs.shot(m["sb"]) if m.groupdict().get("sb") else refs.shot(f"shot {m['b']}")
    return [SwapShots(first=a, second=b)]


@rule(r"(?:move|put|place)\s+(?P<shot>SHOT)\s+(?P<where>after|before|behind)\s+(?P<other>SHOT2)",
      r"(?:move|put|place)\s+(?P<shot>SHOT)\s+to\s+the\s+(?P<end>start|beginning|front|end)"
      r"(?:\s+of\s+the\s+(?:film|movie))?")
def _move(m: re.Match, refs: _Refs) -> list[Operation]:
    shot = refs.shot(m["shot"])
    ids = [s.id for s in refs.shots]
    if m.groupdict().get("end"):
        after = None if m["end"] != "end" else ids[-1]
    else:
        other = refs.shot(m["other"])
        if m["where"] in ("after", "behind"):
            after = other
        else:
            before = [i for i in ids if i != shot]
            position = before.index(other) if other in before else 0
            after = before[position - 1] if position else None
    return [MoveShot(shot=shot, after=after)]


@rule(r"split\s+(?P<shot>SHOT)(?:\s+(?:in\s+(?:half|two)|into\s+two(?:\s+shots)?|"
      r"at\s+SECONDS))?")
def _split(m: re.Match, refs: _Refs) -> list[Operation]:
    shot = refs.shot(m["shot"])
    duration = refs.board.shot(shot)[1].duration
    at = seconds_of(m) if m.groupdict().get("amount") else round(duration / 2, 4)
    return [SplitShot(shot=shot, seconds=at)]


@rule(r"(?:add|insert)\s+(?:an?\s+)?(?:(?P<amount>NUM)\s*(?:-\s*)?(?P<unit>s|secs?|seconds?)"
      r"(?:\s+long)?\s+)?(?:new\s+)?shot\s+(?:of\s+|showing\s+|where\s+|in\s+which\s+)?"
      r"(?P<what>.+?)\s+(?P<where>after|before)\s+(?P<shot>SHOT)",
      r"(?:add|insert)\s+(?:an?\s+)?(?:new\s+)?shot\s+(?P<where>after|before)\s+(?P<shot>SHOT)"
      r"\s*[:,-]?\s*(?:of\s+|showing\s+|where\s+)?(?P<what>.+)",
      r"(?:add|insert)\s+(?:an?\s+)?(?:new\s+)?shot\s+(?:of\s+|showing\s+|where\s+)?(?P<what>.+?)"
      r"\s+at\s+the\s+(?P<end>start|beginning|end)(?:\s+of\s+the\s+(?:film|movie))?")
def _add_shot(m: re.Match, refs: _Refs) -> list[Operation]:
    groups = m.groupdict()
    ids = [s.id for s in refs.shots]
    if groups.get("end"):
        after = None if groups["end"] != "end" else ids[-1]
    else:
        shot = refs.shot(m["shot"])
        after = shot if m["where"] == "after" else (ids[ids.index(shot) - 1]
                                                     if ids.index(shot) else None)
    seconds = number(groups["amount"]) if groups.get("amount") else 4.0
    what = m["what"].strip(" .:")
    return [AddShot(after=after, description=what, seconds=seconds,
                    entities=refs.entities_in(what))]


@rule(r"(?:make\s+)?(?P<shot>SHOT)\s+(?:should\s+)?(?:be\s+|last\s+|lasts\s+)?SECONDS"
      r"(?:\s+long)?",
      r"(?:make|set)\s+(?P<shot>SHOT)(?:'s)?\s+(?:length\s+|duration\s+)?(?:to\s+)?SECONDS"
      r"(?:\s+long)?",
      r"(?:make|set)\s+the\s+(?:length|duration)\s+of\s+(?P<shot>SHOT)\s+(?:to\s+)?SECONDS")
def _shot_seconds(m: re.Match, refs: _Refs) -> list[Operation]:
    return [SetDuration(shot=refs.shot(m["shot"]), seconds=seconds_of(m))]


_RELATIVE = {"shorter": 0.75, "longer": 4 / 3, "a bit shorter": 0.85, "a little shorter": 0.85,
             "slightly shorter": 0.85, "a bit longer": 1.2, "a little longer": 1.2,
             "slightly longer": 1.2, "much shorter": 0.5, "much longer": 2.0,
             "a lot shorter": 0.5, "a lot longer": 2.0, "twice as long": 2.0,
             "half as long": 0.5, "quicker": 0.75, "faster": 0.75, "slower": 4 / 3}
_REL = _alternation(_RELATIVE)


@rule(rf"make\s+(?P<shot>SHOT)\s+(?P<rel>{_REL})",
      rf"(?P<shot>SHOT)\s+(?:should\s+be\s+|is\s+too\s+long,?\s+make\s+it\s+)?(?P<rel>{_REL})",
      r"make\s+(?P<shot>SHOT)\s+SECONDS\s+(?P<dir>shorter|longer)")
def _shot_relative(m: re.Match, refs: _Refs) -> list[Operation]:
    shot = refs.shot(m["shot"])
    current = refs.board.shot(shot)[1].duration
    if m.groupdict().get("dir"):
        change = seconds_of(m) * (1 if m["dir"] == "longer" else -1)
        seconds = current + change
        if seconds <= 0:
            raise _Unmapped(f"{shot} lasts only {current:g} s")
    else:
        seconds = current * _RELATIVE[re.sub(r"\s+", " ", m["rel"].lower())]
    return [SetDuration(shot=shot, seconds=round(seconds, 2))]


@rule(rf"(?:make|set)\s+(?:{FILM})\s+(?:(?:last|be)\s+)?(?:to\s+)?SECONDS(?:\s+long)?",
      rf"(?:{FILM})\s+should\s+(?:last|be)\s+SECONDS(?:\s+long)?",
      r"(?:retime|fit)\s+(?:the\s+)?(?:film|movie)\s+(?:to|in)\s+SECONDS")
def _film_seconds(m: re.Match, refs: _Refs) -> list[Operation]:
    return [RetimeFilm(seconds=seconds_of(m))]


@rule(rf"(?:make\s+(?:{FILM})\s+)?(?P<rel>{_REL})")
def _film_relative(m: re.Match, refs: _Refs) -> list[Operation]:
    now = film_frame_count(refs.board) / refs.board.format.fps
    factor = _RELATIVE[re.sub(r"\s+", " ", m["rel"].lower())]
    return [RetimeFilm(seconds=round(now * factor, 2))]


_SIZE = _alternation(SIZES)
_MOVE = (r"(?P<move>pans?\s+(?:to\s+the\s+)?(?:left|right)|panning\s+(?:left|right)|"
         r"tilts?\s+(?:up|down)|tilting\s+(?:up|down)|zooms?\s+(?:in|out)|zooming\s+(?:in|out)|"
         r"static|still|locked\s+off|no\s+camera\s+(?:movement|move))")


def _movement(text: str) -> str:
    words = re.sub(r"\s+", " ", text.lower())
    if words.startswith(("static", "still", "locked", "no camera")):
        return "static"
    verb = re.match(r"(pan|tilt|zoom)", words).group(1)
    return f"{verb}-{words.split()[-1]}"


@rule(rf"(?P<shot>SHOT)\s+(?:should\s+be|is|as|becomes?)\s+(?:an?\s+)?(?P<size>{_SIZE})"
      r"(?:\s+shot)?",
      rf"make\s+(?P<shot>SHOT)\s+(?:an?\s+)?(?P<size>{_SIZE})(?:\s+shot)?",
      rf"(?:use\s+)?(?:an?\s+)?(?P<size>{_SIZE})(?:\s+shot)?\s+(?:for|in|on)\s+(?P<shot>SHOT)")
def _size(m: re.Match, refs: _Refs) -> list[Operation]:
    return [SetCamera(shot=refs.shot(m["shot"]),
                      size=SIZES[re.sub(r"\s+", " ", m["size"].lower())])]


@rule(rf"(?:the\s+camera\s+)?(?:should\s+)?{_MOVE}\s+(?:in|on|during|for|through)\s+"
      r"(?P<shot>SHOT)",
      rf"(?:in\s+)?(?P<shot>SHOT),?\s+(?:the\s+camera\s+)?(?:should\s+)?{_MOVE}",
      rf"make\s+(?P<shot>SHOT)\s+(?:a\s+)?{_MOVE}",
      r"(?:keep|hold)\s+the\s+camera\s+(?P<move>still|static)\s+(?:in|on|during)\s+(?P<shot>SHOT)")
def _move_camera(m: re.Match, refs: _Refs) -> list[Operation]:
    return [SetCamera(shot=refs.shot(m["shot"]), movement=_movement(m["move"]))]


_TRANSITIONS = {"crossfade": "crossfade", "cross-fade": "crossfade", "cross fade": "crossfade",
                "dissolve": "crossfade", "fade": "fade", "fade to black": "fade",
                "fade through black": "fade", "cut": "cut", "hard cut": "cut",
                "straight cut": "cut"}
_TRANS = _alternation(_TRANSITIONS)


@rule(rf"(?:use\s+)?(?:an?\s+)?(?:(?P<amount>NUM)\s*(?:-\s*)?(?P<unit>s|secs?|seconds?)\s+)?"
      rf"(?P<kind>{_TRANS})\s+(?:in)?to\s+(?P<shot>SHOT)",
      rf"(?:use\s+)?(?:an?\s+)?(?:(?P<amount>NUM)\s*(?:-\s*)?(?P<unit>s|secs?|seconds?)\s+)?"
      rf"(?P<kind>{_TRANS})\s+(?:before|into|at\s+the\s+start\s+of)\s+(?P<shot>SHOT)",
      rf"make\s+the\s+transition\s+(?:into|to|before)\s+(?P<shot>SHOT)\s+an?\s+(?P<kind>{_TRANS})",
      rf"(?P<shot>SHOT)\s+should\s+(?:start|open)\s+with\s+an?\s+(?P<kind>{_TRANS})")
def _transition(m: re.Match, refs: _Refs) -> list[Operation]:
    seconds = number(m["amount"]) if m.groupdict().get("amount") else None
    return [SetTransition(shot=refs.shot(m["shot"]), seconds=seconds,
                          transition=_TRANSITIONS[re.sub(r"\s+", " ", m["kind"].lower())])]


@rule(r"make\s+the\s+(?:crossfade|fade|dissolve|transition)\s+(?:into|to|before)\s+"
      r"(?P<shot>SHOT)\s+SECONDS(?:\s+long)?")
def _transition_length(m: re.Match, refs: _Refs) -> list[Operation]:
    return [SetTransition(shot=refs.shot(m["shot"]), seconds=seconds_of(m))]


_POS = _alternation(POSITIONS)
_PLACE_IN = r"(?:\s+(?:in|of|for|during)\s+(?P<shot>SHOT))?"


@rule(rf"(?:in\s+(?P<shot0>SHOT),?\s+)?(?:put|move|place)\s+(?P<entity>ENTITY)\s+(?:on|to|at|in)"
      rf"\s+the\s+(?P<pos>{_POS})(?:\s+(?:side|edge|corner))?(?:\s+of\s+the\s+"
      rf"(?:frame|screen|picture))?{_PLACE_IN}")
def _position(m: re.Match, refs: _Refs) -> list[Operation]:
    shot = m["shot"] or m["shot0"]
    return [PlaceEntity(entity=refs.entity(m["entity"]), shot=refs.shot(shot) if shot else None,
                        position=POSITIONS[re.sub(r"\s+", " ", m["pos"].lower())])]


@rule(rf"(?:in\s+(?P<shot0>SHOT),?\s+)?make\s+(?P<entity>ENTITY)\s+(?:(?P<much>a\s+bit|a\s+little|"
      rf"slightly|much|a\s+lot)\s+)?(?P<size>{_alternation(BIGGER)}){_PLACE_IN}",
      rf"(?:in\s+(?P<shot0>SHOT),?\s+)?make\s+(?P<entity>ENTITY)\s+(?P<times>twice|three\s+times"
      rf"|half)\s+as\s+(?:big|large){_PLACE_IN}")
def _scale(m: re.Match, refs: _Refs) -> list[Operation]:
    shot = m["shot"] or m["shot0"]
    if m.groupdict().get("times"):
        scale = {"twice": 2.0, "half": 0.5}.get(m["times"].lower(), 3.0)
    else:
        scale = BIGGER[m["size"].lower()]
        much = re.sub(r"\s+", " ", (m["much"] or "").lower())
        if much in ("a bit", "a little", "slightly"):
            scale = 1 + (scale - 1) / 2
        elif much in ("much", "a lot"):
            scale = scale ** 2
    return [PlaceEntity(entity=refs.entity(m["entity"]), shot=refs.shot(shot) if shot else None,
                        scale=round(scale, 3))]


_TIME = _alternation(TIMES)


def _scenes(m: re.Match, refs: _Refs) -> list[str]:
    if m.groupdict().get("scene"):
        return [refs.scene(m["scene"])]
    return [s.id for s in refs.board.scenes]


@rule(rf"make\s+(?P<scene>SCENE)\s+(?:happen|take\s+place|be\s+set|be)?\s*(?:at|in|during)?\s*"
      rf"(?:the\s+)?(?P<time>{_TIME})(?:\s*time)?",
      rf"(?P<scene>SCENE)\s+(?:should\s+)?(?:happens?|takes?\s+place|be|is|be\s+set|is\s+set)\s+"
      rf"(?:at|in|during)\s+(?:the\s+)?(?P<time>{_TIME})",
      rf"set\s+(?P<scene>SCENE)\s+(?:at|in|during)\s+(?:the\s+)?(?P<time>{_TIME})",
      rf"make\s+(?:it|everything|the\s+(?:whole\s+)?(?:film|movie))\s+(?:happen\s+)?(?:at\s+|in\s+"
      rf"the\s+|during\s+the\s+)?(?P<time>{_TIME})(?:\s*time)?")
def _time_of_day(m: re.Match, refs: _Refs) -> list[Operation]:
    time = TIMES[m["time"].lower()]
    return [SetScene(scene=s, time_of_day=time) for s in _scenes(m, refs)]


@rule(r"(?:set|move)\s+(?P<scene>SCENE)\s+(?:in|on|at|to)\s+(?P<setting>.+)",
      r"(?P<scene>SCENE)\s+(?:should\s+)?(?:happens?|takes?\s+place|be\s+set|is\s+set)\s+"
      r"(?:in|on|at)\s+(?P<setting>.+)",
      r"make\s+(?P<scene>SCENE)\s+(?:happen|take\s+place)\s+(?:in|on|at)\s+(?P<setting>.+)",
      r"(?:the\s+)?setting\s+of\s+(?P<scene>SCENE)\s+(?:should\s+be|is|to)\s+(?P<setting>.+)")
def _setting(m: re.Match, refs: _Refs) -> list[Operation]:
    setting = m["setting"].strip(" .")
    if setting.lower() in TIMES or setting.lower().removeprefix("the ") in TIMES:
        raise _Unmapped("a time of day, not a setting")
    return [SetScene(scene=s, setting=setting) for s in _scenes(m, refs)]


@rule(r"(?:narration|subtitles?|caption)\s+(?:for|of|in|on|to)\s+(?P<shot>SHOT)\s*[:=]\s*"
      r"(?P<text>.*)",
      r"(?P<shot>SHOT)(?:'s)?\s+(?:narration|subtitle)\s*[:=]\s*(?P<text>.*)",
      r"(?:set|change|make)\s+the\s+(?:narration|subtitle)\s+(?:of|for|in)\s+(?P<shot>SHOT)\s+"
      r"(?:to|say)\s*:?\s*(?P<text>.*)",
      r"(?:in\s+)?(?P<shot>SHOT),?\s+the\s+narrator\s+(?:should\s+)?says?\s*:?\s*(?P<text>.*)",
      r"(?:remove|delete|drop|cut)\s+the\s+(?:narration|subtitles?)\s+(?:of|from|in|for)\s+"
      r"(?P<shot>SHOT)",
      r"no\s+(?:narration|subtitles?)\s+(?:in|for|on)\s+(?P<shot>SHOT)")
def _narration(m: re.Match, refs: _Refs) -> list[Operation]:
    text = (m.groupdict().get("text") or "").strip()
    if len(text) >= 2 and text[0] in "\"'“‘" and text[-1] in "\"'”’":
        text = text[1:-1].strip()
    return [SetNarration(shot=refs.shot(m["shot"]), text=text)]


@rule(r"(?P<shot>SHOT)\s+should\s+show\s+(?P<what>.+)",
      r"(?:in\s+)?(?P<shot>SHOT),?\s+show\s+(?P<what>.+)",
      r"show\s+(?P<what>.+?)\s+in\s+(?P<shot>SHOT)")
def _shows(m: re.Match, refs: _Refs) -> list[Operation]:
    shot_id = refs.shot(m["shot"])
    shot = refs.board.shot(shot_id)[1]
    what = m["what"].strip(" .")
    return [SetDescription(shot=shot_id, text=what)] + [
        SetKeyframePrompt(shot=shot_id, keyframe=i, prompt=what) for i in
        range(len(shot.keyframes))]


def _appearance_with_colour(appearance: str, colour: str) -> str:
    words = _alternation(COLOURS)
    if re.search(rf"\b(?:{words})\b", appearance, re.I):
        return re.sub(rf"\b(?:{words})\b", colour, appearance, count=1, flags=re.I)
    return f"{colour} {appearance}" if not re.match(r"(?:an?|the)\s", appearance, re.I) else \
        re.sub(r"^(an?|the)\s+", lambda a: f"{'a' if a.group(1).lower() == 'an' else a.group(1)}"
                                           f" {colour} ", appearance, flags=re.I)


_COLOUR = rf"(?:(?:bright|dark|light|pale|deep|snow)[\s-]+)?(?:{_alternation(COLOURS)})"


@rule(rf"(?:make|turn|paint|colou?r)\s+(?P<entity>ENTITY)\s+(?P<colour>{_COLOUR})",
      rf"(?P<entity>ENTITY)\s+should\s+be\s+(?P<colour>{_COLOUR})")
def _colour(m: re.Match, refs: _Refs) -> list[Operation]:
    entity_id = refs.entity(m["entity"])
    entity = refs.board.entity_map[entity_id]
    colour = re.sub(r"\s+", " ", m["colour"].lower())
    hex_colour = COLOURS[colour.split()[-1].split("-")[-1]]
    return [SetEntity(entity=entity_id, appearance=_appearance_with_colour(entity.appearance,
                                                                           colour),
                      color=hex_colour)]


@rule(r"give\s+(?P<entity>ENTITY)\s+(?P<what>.+)",
      r"(?P<entity>ENTITY)\s+should\s+(?:wear|have)\s+(?P<what>.+)",
      r"make\s+(?P<entity>ENTITY)\s+look\s+(?P<adj>(?!like\s)[\w\s-]+)")
def _appearance_add(m: re.Match, refs: _Refs) -> list[Operation]:
    entity_id = refs.entity(m["entity"])
    appearance = refs.board.entity_map[entity_id].appearance.rstrip(" .")
    if m.groupdict().get("adj"):
        return [SetEntity(entity=entity_id, appearance=f"{appearance}, {m['adj'].strip()}")]
    what = m["what"].strip(" .")
    noun = what.split()[-1].lower()
    existing = re.search(rf"\b(?:an?|the|with)\s+(?:[\w-]+\s+){{0,3}}{re.escape(noun)}\b",
                         appearance, re.I)
    if existing:  # 'a red coat' becomes 'a blue coat'
        start = existing.group(0).split()[0]
        replacement = f"with {what}" if start.lower() == "with" else what
        return [SetEntity(entity=entity_id, appearance=appearance[:existing.start()]
                          + replacement + appearance[existing.end():])]
    return [SetEntity(entity=entity_id, appearance=f"{appearance}, with {what}")]


@rule(r"(?P<entity>ENTITY)\s+(?:should\s+)?looks?\s+like\s+(?P<what>.+)",
      r"(?:describe|draw|show)\s+(?P<entity>ENTITY)\s+as\s+(?P<what>.+)",
      r"make\s+(?P<entity>ENTITY)\s+(?P<what>an?\s+.+)")
def _appearance_set(m: re.Match, refs: _Refs) -> list[Operation]:
    return [SetEntity(entity=refs.entity(m["entity"]), appearance=m["what"].strip(" ."))]


@rule(r"(?:rename|call)\s+(?P<entity>ENTITY)\s+(?:to\s+)?(?P<name>.+)")
def _rename(m: re.Match, refs: _Refs) -> list[Operation]:
    return [SetEntity(entity=refs.entity(m["entity"]), name=m["name"].strip(" .\"'"))]


@rule(r"(?:remove|delete|cut|drop|get\s+rid\s+of|take\s+out)\s+(?P<entity>ENTITY)"
      r"(?:\s+(?:from\s+the\s+(?:film|movie|story)|entirely|everywhere|altogether))?")
def _remove_entity(m: re.Match, refs: _Refs) -> list[Operation]:
    return [RemoveEntity(entity=refs.entity(m["entity"]))]


@rule(r"(?:add|put)\s+(?P<what>(?:an?|the)\s+[\w\s-]+?)\s+(?:to|in|into)\s+(?P<shot>SHOT)")
def _add_entity(m: re.Match, refs: _Refs) -> list[Operation]:
    shot = refs.shot(m["shot"])
    what = re.sub(r"\s+", " ", m["what"].strip())
    known = re.fullmatch(refs.entity_pattern, what, re.I)
    if known:
        return [PlaceEntity(entity=refs.entity(what), shot=shot, position="center")]
    name = re.sub(r"^(?:an?|the)\s+", "", what, flags=re.I)
    taken = {e.id for e in refs.board.entities}
    entity_id = new_id(re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "entity", taken)
    return [AddEntity(id=entity_id, name=name, appearance=what, kind="character"),
            PlaceEntity(entity=entity_id, shot=shot, position="center")]


@rule(rf"make\s+(?:{FILM})\s+(?:look\s+like\s+)?(?:an?\s+)?(?P<style>.+?)(?:\s+(?:film|movie|"
      r"video|animation|cartoon|style|one))",
      rf"make\s+(?:{FILM})\s+look\s+like\s+(?:an?\s+)?(?P<style>.+)",
      r"(?:use\s+|in\s+)?(?:an?\s+|the\s+)?(?P<style>.+?)\s+style(?:\s+please)?",
      r"(?:change\s+the\s+)?style\s*(?:[:=]|to)\s*(?P<style>.+)")
def _style(m: re.Match, refs: _Refs) -> list[Operation]:
    style = m["style"].strip(" .\"'")
    if re.fullmatch(_TIME + "|" + _REL + r"|\d.*", style, re.I):
        raise _Unmapped("not a style")
    return [SetStyle(prompt=style)]


@rule(r"(?:call|name|title)\s+(?:it|the\s+(?:film|movie))\s+(?P<title>.+)",
      r"(?:rename|retitle)\s+the\s+(?:film|movie)\s+(?:to\s+)?(?P<title>.+)",
      r"(?:change|set)\s+the\s+title\s+to\s+(?P<title>.+)",
      r"title\s*[:=]\s*(?P<title>.+)")
def _title(m: re.Match, refs: _Refs) -> list[Operation]:
    return [SetTitle(title=m["title"].strip(" .\"'“”"))]


# -- reading a message ---------------------------------------------------------------------

_LEAD = re.compile(r"^(?:(?:please|ok(?:ay)?|now|also|and|then|can\s+you|could\s+you|would\s+you|"
                   r"i\s+(?:want|would\s+like)\s+(?:you\s+)?to|let'?s)\s*,?\s+)+", re.I)
_SEPARATOR = re.compile(r"(\s*(?:[,;!?]|\.(?!\d))\s*(?:and\s+|then\s+)?|"
                        r"\s+(?:and\s+then|and|then)\s+)", re.I)
_TO_THE_END = re.compile(r"(?:narration|subtitles?|caption|narrator)\b[^:,;.]*?(?::|\bto\b|"
                         r"\bsays?\b)", re.I)


_CARRIED_VERBS = {"make", "put", "move", "give", "set", "cut", "remove", "delete", "swap"}
"""A clause without a verb takes the one of the clause before."""


def _compiled(refs: _Refs) -> list[tuple[re.Pattern, Rule]]:
    expand = {"SHOT2": refs.shot_pattern, "SHOT": refs.shot_pattern,
              "SCENE": refs.scene_pattern, "ENTITY": refs.entity_pattern,
              "SECONDS": _SECONDS, "NUM": _NUM, "ORD": _ORD}
    compiled = []
    for pattern, handler in _RULES:
        for name, value in expand.items():
            pattern = pattern.replace(name, f"(?:{value})")
        compiled.append((re.compile(pattern, re.I), handler))
    return compiled


def _clause_ops(clause: str, rules, refs: _Refs) -> list[Operation] | None:
    clause = _LEAD.sub("", clause.strip())
    if not clause.strip(" .!"):
        return []
    last_problem = None
    for pattern, handler in rules:  # narration keeps its full stop; other rules need none
        match = pattern.fullmatch(clause) or pattern.fullmatch(clause.rstrip(" .!"))
        if match:
            try:
                return handler(match, refs)
            except (_Unmapped, KeyError, ValueError) as error:
                last_problem = error
    if isinstance(last_problem, _Unmapped):
        raise last_problem
    return None


def _split(message: str) -> list[str]:
    """Clauses and separators, alternating; text after a narration head ("narration for
    shot 1:") stays one clause to the end of the message."""
    head = _TO_THE_END.search(message)
    tail = ""
    if head:
        start = max((m.end() for m in _SEPARATOR.finditer(message[:head.start()])), default=0)
        message, tail = message[:start], message[start:]
    parts = _SEPARATOR.split(message) if message.strip() else [""]
    if tail:
        parts[-1:] = [parts[-1] + tail] if not parts[-1].strip() else [parts[-1], " ", tail]
    return parts


def revise_offline(board: Storyboard, message: str) -> list[Operation]:
    """Edit operations for ``message`` (see the module docstring), or a UserError that
    names the part not understood and lists what is; nothing is changed then."""
    refs = _Refs(board)
    rules = _compiled(refs)
    parts = _split(message.strip())
    pieces, separators = parts[0::2], parts[1::2] + [""]

    def joined(first: int, last: int) -> str:
        return "".join(pieces[k] + (separators[k] if k < last else "")
                       for k in range(first, last + 1))

    def quietly(text: str) -> list[Operation] | None:
        try:
            return _clause_ops(text, rules, refs)
        except _Unmapped:
            return None

    clauses: list[tuple[int, int, list[Operation]]] = []  # first piece, last piece, ops
    i = 0
    while i < len(pieces):
        found = None
        for j in range(i, len(pieces)):  # the shortest run of pieces that reads as a clause
            try:
                found = _clause_ops(joined(i, j), rules, refs)
            except _Unmapped as problem:
                raise UserError(f"cannot revise {joined(i, j).strip()!r}: {problem}; nothing"
                                f" was changed") from None
            if found is not None:
                clauses.append((i, j, found))
                break
        if found is None and clauses:  # it goes on with the clause before: 'cut shot 1 and 2'
            first = clauses[-1][0]
            verb = joined(first, clauses[-1][1]).split()[0].lower()
            longer = quietly(joined(first, i))
            if longer is not None:
                clauses[-1], j, found = (first, i, longer), i, longer
            elif verb in _CARRIED_VERBS:  # 'make shot 2 shorter and the owl white'
                found = quietly(f"{verb} {pieces[i]}")
                clauses.append((i, i, found or []))
                j = i
        if found is None:
            raise UserError(f"the offline reviser does not understand {pieces[i].strip()!r}"
                            f" (nothing was changed). It understands: {UNDERSTOOD}; or use"
                            f" --llm openai:MODEL for free-form requests")
        i = j + 1
    operations = [op for _, _, ops in clauses for op in ops]
    if not operations:
        raise UserError(f"the message asks for no change; the offline reviser understands:"
                        f" {UNDERSTOOD}")
    return operations
