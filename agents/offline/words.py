"""The offline director's vocabulary: words.txt read into lexicon, verb and phrase tables."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Noun:
    kind: str  # character | object | place
    prior: str  # figure | sky | prop | landmark | setting (see words.txt)
    aspect: float  # width / height, in pixels
    height: float  # fraction of the frame height in a full shot
    look: str  # default adjectives
    detail: str  # default "with ..." words


def _vocabulary() -> dict[str, list[str]]:
    """words.txt: '[section]' headings, each followed by its lines ('#' comments)."""
    sections: dict[str, list[str]] = {}
    for line in Path(__file__).with_name("words.txt").read_text("utf-8").splitlines():
        if line.startswith("["):
            lines = sections.setdefault(line.strip("[] "), [])
        elif line.strip() and not line.startswith("#"):
            lines.append(line)
    return sections


def _noun(row: str) -> tuple[str, Noun]:
    head, look, detail = row.split("|")
    noun, kind, prior, aspect, height = head.split()
    return noun, Noun(kind, prior, float(aspect), float(height), look.strip(), detail.strip())


WORDS = _vocabulary()
_words = {name: " ".join(lines).split() for name, lines in WORDS.items()}
LEXICON = dict(_noun(row) for row in WORDS["nouns"])
UNKNOWN = Noun("object", "prop", 1.0, 0.25, "", "")
PERSON = LEXICON["person"]
MOTION = {verb: name.split()[1] for name, verbs in _words.items() if name.startswith("motion")
          for verb in verbs}
TALK_OR_FEEL = set(_words["talk or feel"])
VERBS = set(MOTION) | TALK_OR_FEEL | set(_words["verbs"])
IRREGULAR = dict(pair.split(":") for pair in _words["irregular verbs"])
ADJECTIVES, FEATURES, RANKS = (set(_words[k]) for k in ("adjectives", "features", "ranks"))
ARTICLE_STARTS = {art: tuple(starts.split()) for art, starts in (
    line.split(":") for line in WORDS["articles"])}
IMPLIED_SETTINGS = dict((w.strip(), place.strip()) for w, place in (
    line.split(":", 1) for line in WORDS["implied settings"]))
PLURALS = dict(pair.split(":") for pair in _words["plurals"])
PRONOUNS = dict(pair.split(":") for pair in _words["pronouns"])
DETERMINERS, FILM_WORDS = set(_words["determiners"]), set(_words["film words"])
POSSESSIVES = set(_words["possessives"])
PLACE_PREPOSITIONS = set(_words["place prepositions"])
PLACE_CUES = {word: cue.strip() for cue, words in (
    line.split(":") for line in WORDS["place cues"]) for word in words.split()}
ENTERABLE = set(_words["enterable"])
TRAVEL = set(_words["travel"])
PERSON_ENDINGS = tuple(_words["person endings"])
GROUP_LOOKS = [line.strip() for line in WORDS["group looks"]]
RANK_NAMES = ["first", "second", "third", "fourth", "fifth"]  # the members of a group
SOMEONE = Noun("character", "figure", 0.40, 0.75, "", "")  # 'a clockmaker named Ada'
SOMEWHERE = Noun("place", "setting", 2.0, 1.0, "", "")  # 'at the gazebo'
STOPWORDS = DETERMINERS | set(PRONOUNS) | set(_words["stopwords"])
LENGTH_CUES, SPLITTERS = set(_words["length cues"]), set(_words["clause splitters"])
CHASE, CARRY = set(_words["chase"]), set(_words["carry"])
PREPOSITIONS = {tuple(words.split()): predicate.strip() for words, predicate in sorted(
    (line.split(":") for line in WORDS["prepositions"]), key=lambda p: -len(p[0].split()))}
TIMES = [pair.split(":") for pair in _words["times"]]
SCENE_BREAK = re.compile(rf"\b({'|'.join(WORDS['scene breaks'])})\b", re.I)
STYLES = [line.strip() for line in WORDS["styles"]]
NUMBERS = {w: i for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
     "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
     "nineteen", "twenty"])}
NUMBERS |= {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
            "ninety": 90, "hundred": 100}
_NUM = "|".join(sorted(NUMBERS, key=len, reverse=True))
COUNTS = {w: n for w, n in NUMBERS.items() if 2 <= n <= 20}  # 'two men', 'three apples'
COUNT_WORDS = {n: w for w, n in COUNTS.items()}
NUMBERS |= {"a": 1, "an": 1}
LENGTH = re.compile(
    rf"\b(?P<num>[0-9]+(?:\.[0-9]+)?|half an?|(?:{_NUM})(?:[- ](?:{_NUM}))*|an?)(?P<half>\s+and\s+a"
    r"\s+half)?\s*-?\s*(?P<unit>hours?|hrs?|minutes?|mins?|seconds?|secs?)\b(?P<half2>\s+and\s+a"
    r"\s+half)?", re.I)
_ADJ = "|".join(sorted(ADJECTIVES | {"animated", "silent", "funny", "short", "long", "cute"}
                      | {w for style in STYLES for w in style.split()}, key=len, reverse=True))
PREAMBLE = re.compile(
    r"^\s*(?:please\s+)?(?:(?:make|create|generate|produce|render|write|give|show)\s+(?:me\s+)?)?"
    rf"(?:an?\s+|the\s+)?(?:(?:\S*\d\S*|[\w-]*(?:second|minute|hour)[\w-]*|{_ADJ})\s+){{0,4}}"
    rf"(?:{'|'.join(sorted(FILM_WORDS - {'long'}, key=len, reverse=True))})\s+"
    r"(?:(?:about|of|where|in which|showing)\s+)+", re.I)
TOKEN = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*|[^\w\s]")
