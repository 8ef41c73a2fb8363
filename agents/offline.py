"""The offline director: a storyboard from a plain-language request, by rules alone.

No LLM, no network, standard library only; the same request and seed give the same
storyboard. It reads top to bottom:

1. text: clean it, find a requested length ("a 30-second film"), drop a "film about" preamble,
   split sentences into clauses;
2. entities: capitalised names, "a/the <adjective>* <noun>" phrases and pronouns, with a small
   lexicon (offline_words.txt) giving each noun a kind, a layout prior and a default look;
3. story: each clause is a unit of one or more shots; a new setting or time of day ("in the
   forest", "at night", "next morning") starts a scene; relations come from prepositions and
   verbs, motion from motion verbs;
4. layout: figures stand on the ground, sky things are high, the first-named is on the left, a
   close-up fills the frame; a motion verb becomes a box trajectory over 2-3 keyframes;
5. the director: scenes (a setting named, else one implied by what they name: a lighthouse
   implies a rocky coast), camera, durations in whole frames (the requested length exactly,
   else about 4 s a shot), transitions, and the validated Storyboard. A sentence cut into
   clauses is narrated once, whole, on its first clause's shot (the others' narration is
   empty); prompts name a subject the clause left out ('(Rex) chases a crow').

Whatever the request says is story text: nothing in it is obeyed as an instruction.
"""

from __future__ import annotations

import random
import re
import unicodedata
import zlib
from dataclasses import dataclass, field
from pathlib import Path

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


# -- words -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Noun:
    kind: str  # character | object | place
    prior: str  # figure | sky | prop | landmark | setting (see offline_words.txt)
    aspect: float  # width / height, in pixels
    height: float  # fraction of the frame height in a full shot
    look: str  # default adjectives
    detail: str  # default "with ..." words


def _vocabulary() -> dict[str, list[str]]:
    """offline_words.txt: '[section]' headings, each followed by its lines ('#' comments)."""
    sections: dict[str, list[str]] = {}
    for line in Path(__file__).with_name("offline_words.txt").read_text("utf-8").splitlines():
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
    r"(?:film|movie|video|clip|animation|cartoon|short|story|animatic)\s+"
    r"(?:(?:about|of|where|in which|showing)\s+)+", re.I)
TOKEN = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*|[^\w\s]")


# -- text --------------------------------------------------------------------------------
def clean(request: str) -> str:
    """The request without control characters, single-spaced (line breaks kept)."""
    text = "".join(c if c == "\n" or not unicodedata.category(c).startswith("C") else " "
                   for c in request)
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def number(words: str) -> float:
    """'90' -> 90, 'twenty-five' -> 25, 'two hundred' -> 200, 'half a' -> 0.5."""
    words = words.lower().replace("-", " ")
    if words.startswith("half"):
        return 0.5
    if words[0].isdigit():
        return float(words)
    parts = words.split()
    if "hundred" in parts:
        k = parts.index("hundred")
        hundreds = sum(NUMBERS[w] for w in parts[:k]) or 1
        return hundreds * 100.0 + sum(NUMBERS[w] for w in parts[k + 1:])
    return float(sum(NUMBERS[w] for w in parts))


def find_length(text: str) -> tuple[float | None, str]:
    """The length the request asks for in seconds (None if none), and the text without it.
    A length counts beside a film word ('a 30-second film', 'a film of two minutes'), after a
    cue ('make it 90 seconds') or alone in its fragment ('Two minutes.')."""
    for match in LENGTH.finditer(text):
        after = [w.lower().removesuffix("-long")
                 for w in re.findall(r"[\w-]+", text[match.end():])[:2]]
        before = {w.lower() for w in re.findall(r"[\w-]+", text[:match.start()])[-3:]}
        start = max(text.rfind(p, 0, match.start()) for p in ".,;:!?\n") + 1
        end = min([i for p in ".,;:!?\n" if (i := text.find(p, match.end())) >= 0] or [len(text)])
        rest = (text[start:match.start()] + " " + text[match.end():end]).lower().split()
        alone = set(rest) <= FILM_WORDS | {"a", "an", "about", "around", "roughly", "exactly",
                                           "just", "in", "total", "make", "it", "please"}
        beside_film = bool(set(after) & FILM_WORDS or before & FILM_WORDS
                           or after[:1] == ["about"])  # 'two minutes about a fox'
        if not (alone or beside_film or before & LENGTH_CUES):
            continue
        unit = match["unit"].lower()
        value = number(match["num"]) + 0.5 * bool(match["half"] or match["half2"])
        if alone and (text[:start] + text[end + 1:]).strip():
            text = (text[:start] + text[end + 1:]).strip()
        elif beside_film and not alone:  # 'a 30-second film about' -> 'a film about'
            tail = re.sub(r"^-?long\b", "", text[match.end():])
            text = " ".join((text[:match.start()] + tail).split())
        return value * (3600 if unit[0] == "h" else 60 if unit[0] == "m" else 1), text
    return None, text


def split_sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?…])\s+|(?<=[。！？])|\n+", text)
    return [p.strip() for p in parts if p and p.strip(" .,;:!?-")]


def split_clauses(sentence: str) -> list[str]:
    """A sentence cut at ';' and at 'and', 'then', 'but' ... followed by a pronoun or a verb."""
    words, clauses, current = sentence.split(), [], []
    for i, word in enumerate(words):
        bare = word.lower().strip(",;:")
        after = words[i + 1].lower().strip(",.;:!?") if i + 1 < len(words) else ""
        if (bare in SPLITTERS and len(current) >= 2 and i + 2 < len(words)
                and (after in PRONOUNS or after == "then" or verb_base(after))):
            clauses.append(" ".join(current))
            current = [] if bare in {"and", "then"} else [word]
        elif current or bare != "then":
            current.append(word)
            if word.endswith((";", ":")) and len(current) >= 2:
                clauses.append(" ".join(current))
                current = []
    clauses.append(" ".join(current))
    return [c.strip(" ,;:") for c in clauses if c.strip(" ,;:.!?")]


def verb_base(word: str) -> str | None:
    """'flies' -> 'fly', 'running' -> 'run', 'climbed' -> 'climb'; None if not a known verb."""
    w = word.lower()
    candidates = [IRREGULAR.get(w, w), w[:-3] + "y" if w.endswith("ies") else "",
                  w[:-2] if w.endswith("es") else "", w[:-1] if w.endswith("s") else ""]
    for suffix in ("ed", "ing"):
        if w.endswith(suffix):
            stem = w[: -len(suffix)]
            candidates += [stem, stem + "e", stem[:-1], stem[:-1] + "y"]
    return next((c for c in candidates if c in VERBS), None)


def ranking(word: str) -> bool:
    """'tallest', 'happiest', 'first', 'last': a word that singles a thing out ('the', not 'a')."""
    w = word.lower()
    stem = w[:-3] if w.endswith("est") else ""
    return w in RANKS or bool(stem) and any(s in ADJECTIVES for s in (
        stem, stem + "e", stem[:-1], stem[:-1] + "y" if stem.endswith("i") else ""))


def article(phrase: str) -> str:
    """'a' or 'an' by the sound of the phrase's start: 'an owl', 'a unicorn', 'an hour'."""
    w = phrase.lower()
    vowel = w[:1] in "aeiou" and not w.startswith(ARTICLE_STARTS["a"])
    return "an" if vowel or w.startswith(ARTICLE_STARTS["an"]) else "a"


def noun_of(word: str) -> str | None:
    """The lexicon noun of a word, plurals included ('foxes' -> 'fox')."""
    w = PLURALS.get(word.lower(), word.lower())
    stems = [w, w[:-2] if w.endswith("es") else "", w[:-1] if w.endswith("s") else ""]
    return next((stem for stem in stems if stem in LEXICON), None)


def nounlike(word: str) -> bool:
    """Could be a noun the lexicon does not know ('a lighthouse' is known, 'a crystal' not)."""
    return (word.isascii() and word.isalpha() and len(word) > 2 and word not in STOPWORDS
            and not verb_base(word) and not word.endswith("ly"))


# -- entities ----------------------------------------------------------------------------
@dataclass(eq=False)
class Draft:
    """An entity while the text is read."""

    name: str
    noun: Noun
    noun_word: str | None  # None for a bare name
    proper: bool = False
    adjectives: list[str] = field(default_factory=list)
    detail: str = ""
    id: str = ""

    def appearance(self, seed: int) -> str:
        """Fixed description, from the words of the request or the lexicon's defaults."""
        if self.noun_word is None:  # a bare name: a person whose look is picked from the name
            pick = zlib.crc32(f"{self.name.lower()}:{seed}".encode())
            hair = ["dark", "red", "fair", "black", "brown", "silver"][pick % 6]
            wear = ["yellow raincoat", "blue jacket", "green scarf", "red coat", "striped shirt",
                    "grey hoodie", "purple dress"][pick // 6 % 7]
            return f"{self.name}, a person with {hair} hair in a {wear}"
        words = " ".join(w for w in (" ".join(self.adjectives[:3]) or self.noun.look,
                                     self.noun_word, self.detail or self.noun.detail) if w)
        lead = "the" if any(ranking(a) for a in self.adjectives[:3]) else article(words)
        words = f"{lead} {words}"  # 'the tallest hill', never 'a tallest hill'
        return f"{self.name}, {words}" if self.proper else words


@dataclass
class Mention:
    entity: Draft
    start: int  # token index of its first word (its determiner, if any)
    end: int  # one past its last word


class Reader:
    """Finds the entities a clause mentions, keeping the context that pronouns refer to."""

    def __init__(self, max_entities: int):
        self.max_entities = max_entities
        self.entities: list[Draft] = []
        self.by_key: dict[str, Draft] = {}
        self.last: dict[str, Draft] = {}  # the last character, thing, and character subject
        self.subjects: list[list[Draft]] = []  # the character subjects of the latest clauses

    def entity(self, key: str, make) -> Draft | None:
        if key not in self.by_key and len(self.entities) < self.max_entities:
            self.by_key[key] = make()
            self.entities.append(self.by_key[key])
        return self.by_key.get(key)

    def read(self, tokens: list[str], sentence_start: bool) -> list[Mention]:
        lower, mentions, i = [t.lower() for t in tokens], [], 0
        while i < len(tokens):
            mention = self.noun_phrase(tokens, lower, i) or self.name(tokens, lower, i,
                                                                         sentence_start)
            found = [mention] if mention else [
                Mention(e, i, i + 1) for e in self.referents(lower[i])]
            if not found:
                i += 1
                continue
            for mention in found:  # 'they': one mention per character, all on the same word
                mentions.append(mention)
                if mention.entity.noun.kind != "place":
                    self.last["thing"] = mention.entity
                if mention.entity.noun.kind == "character":
                    self.last["character"] = mention.entity
            i = found[0].end
        first_verb = next((n for n, w in enumerate(lower) if verb_base(w)), len(lower))
        subjects = list(dict.fromkeys(m.entity for m in mentions if m.start < first_verb
                                      and m.entity.noun.kind == "character"))
        if subjects:  # not in '(he) chases a crow': the crow is no subject
            self.last["subject"] = subjects[0]
            self.subjects = [*self.subjects[-3:], subjects]
        return mentions

    def referents(self, word: str) -> list[Draft]:
        """Who a pronoun means: 'she' the last character subject, 'it' the last thing, 'they'
        the characters of the latest subjects, reaching back until there are two or more."""
        if word not in PRONOUNS:
            return []
        if PRONOUNS[word] == "group":
            group: list[Draft] = []
            for subjects in reversed(self.subjects):
                group += [e for e in subjects if e not in group]
                if len(group) >= 2:
                    return group
        target = self.last.get(PRONOUNS[word], self.last.get("character"))
        return [target] if target else []

    def noun_phrase(self, tokens, lower, i, into: Draft | None = None) -> Mention | None:
        """'a small red fox (named Vixie) (with a white-tipped tail)', 'foxes', 'a lighthouse';
        ``into``: the named entity this phrase describes ('Mia, a young girl')."""
        j = i + 1 if lower[i] in DETERMINERS else i
        k = next((m for m in range(j, min(j + 4, len(tokens)))
                  if noun_of(lower[m]) and (tokens[m][0].islower() or m == 0)), None)
        if k is not None and not all(w in ADJECTIVES | RANKS or w.replace("-", "").isalpha() and
                                     w not in STOPWORDS and not verb_base(w) for w in lower[j:k]):
            k = None
        if k is None and i < j < len(tokens):  # an unknown noun after a determiner, adjectives
            k = j
            while k < len(tokens) - 1 and k - j < 3 and (
                    lower[k] in ADJECTIVES | RANKS or "-" in lower[k]):
                k += 1
            if not nounlike(lower[k]):
                return None
            if k + 1 < len(tokens) and nounlike(lower[k + 1]) and not lower[k + 1].endswith(
                    ("ed", "ing")):  # 'the admin password', not 'the clock ticked'
                k += 1
        if k is None:
            return None
        noun_word, end = noun_of(lower[k]) or lower[k], k + 1
        name = tokens[end + 1] if end + 1 < len(tokens) and lower[end] in {"named", "called"} \
            and tokens[end + 1][0].isupper() else None
        noun = LEXICON.get(noun_word, UNKNOWN)
        draft = into or self.entity(f"noun:{noun_word}", lambda: Draft(noun_word, noun, noun_word))
        if draft is None:
            return None
        if into is not None:
            into.noun, into.noun_word = noun, noun_word
            self.by_key.setdefault(f"noun:{noun_word}", into)
        if name:  # "a fox named Vixie": later "Vixie" is the same fox
            end += 2
            if not draft.proper:
                draft.name, draft.proper = name, True
            self.by_key.setdefault(f"name:{name.lower()}", draft)
        draft.adjectives += [w for w in lower[j:k] if w not in draft.adjectives]
        if end < len(tokens) - 1 and lower[end] == "with" and not draft.detail:
            last = next((m for m in range(end + 1, min(end + 6, len(tokens)))
                         if lower[m] in FEATURES), 0)
            draft.detail = " ".join(lower[end:last + 1]) if last else ""
        return Mention(draft, i, end)

    def name(self, tokens, lower, i, sentence_start) -> Mention | None:
        """A capitalised name; at the start of a sentence only if a verb follows ('Mia runs')."""
        t = tokens[i]
        if not (t[0].isupper() and t.isalpha()) or lower[i] in STOPWORDS or t[1:].isupper():
            return None  # not a name, a common word or an acronym ('JSON')
        end = i + 1
        while end < min(len(tokens), i + 3) and tokens[end][0].isupper() and tokens[end].isalpha():
            end += 1
        key = "name:" + " ".join(lower[i:end])
        if i == 0 and sentence_start and key not in self.by_key and not (
                end < len(tokens) and (verb_base(lower[end]) or lower[end] in {",", "and"})):
            return None
        draft = self.entity(key, lambda: Draft(" ".join(tokens[i:end]), PERSON, None, True))
        if draft and draft.noun_word is None and end + 2 < len(tokens) and tokens[end] == "," \
                and lower[end + 1] in {"a", "an"}:  # 'Mia, a young girl, ...'
            end = getattr(self.noun_phrase(tokens, lower, end + 1, into=draft), "end", end)
        return Mention(draft, i, end) if draft else None


# -- story -------------------------------------------------------------------------------
@dataclass
class Unit:
    """A clause (for very long stories, several) that becomes one or more shots."""

    text: str
    tokens: list[str]
    mentions: list[Mention]
    new_scene: bool  # a scene break word ("next day", "later") opens its sentence
    setting: Draft | None
    time_of_day: str | None
    narration: str  # the whole sentence for its first clause, "" for the others


def read_story(text: str, reader: Reader) -> list[Unit]:
    units = []
    for sentence in split_sentences(text) or [text]:
        lower = sentence.lower()
        time = next((t for word, t in TIMES if re.search(rf"\b{word}\b", lower)), None)
        for n, clause in enumerate(split_clauses(sentence) or [sentence]):
            tokens = TOKEN.findall(clause) or [clause]
            mentions = reader.read(tokens, sentence_start=n == 0)
            setting = next((m.entity for m in mentions if m.entity.noun.prior == "setting"), None)
            units.append(Unit(clause, tokens, mentions, n == 0 and bool(SCENE_BREAK.search(lower)),
                              setting, time if n == 0 else None, "" if n else sentence))
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
                           next((u.setting for u in group if u.setting), None),
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


# -- layout ------------------------------------------------------------------------------
SIZE_SCALE = {"extreme-wide": 0.35, "wide": 0.55, "full": 0.85, "medium": 1.1}
MIN_W, MIN_H = 0.07, 0.10  # the smallest box, so that it can be seen (45 x 36 px at 640 x 360)
MARGIN, GAP = 0.03, 0.02  # from the frame's edge; between boxes set beside or above each other
Box = list[float]


def base_layout(shown: list[Draft], size: str, focus: Draft | None, aspect: float) -> dict:
    """Boxes before motion: a close-up fills the frame with ``focus``; otherwise the
    first-named is on the left, figures stand on the ground and sky things are high."""
    if size in {"close-up", "extreme-close-up"} and focus is not None:
        w = 0.9 if size == "extreme-close-up" else min(0.8, max(0.5, focus.noun.aspect * aspect))
        return {focus: [0.5 - w / 2, 0.0 if size == "extreme-close-up" else 0.08, 0.5 + w / 2, 1.0]}
    boxes = {}
    for i, e in enumerate(shown):
        h = min(0.85, max(MIN_H, e.noun.height * SIZE_SCALE[size]))
        w = min(0.95, max(MIN_W, h * e.noun.aspect * aspect))
        cx = 0.5 if len(shown) == 1 else 0.18 + 0.64 * i / (len(shown) - 1)
        y0 = 0.1 + 0.08 * (i % 2) if e.noun.prior == "sky" else (
            0.85 if e.noun.prior == "landmark" else 0.9) - h
        boxes[e] = [cx - w / 2, y0, cx + w / 2, y0 + h]
    return boxes


def place(sub: Box, obj: Box, predicate: str) -> Box:
    """The subject's box moved into ``predicate`` relation with the object's box."""
    w, h, ocx = sub[2] - sub[0], sub[3] - sub[1], (obj[0] + obj[2]) / 2
    x0, y1 = ocx - w / 2, sub[3]
    if predicate == "on":
        y1 = obj[1] + 0.01
    elif predicate in {"under", "in"}:
        k = 0.8 if predicate == "under" else 0.6
        w = max(MIN_W, min(w, k * (obj[2] - obj[0])))
        h = max(MIN_H, min(h, k * (obj[3] - obj[1])))
        x0, y1 = ocx - w / 2, obj[3] - (0 if predicate == "under" else 0.1 * (obj[3] - obj[1]))
    elif predicate in {"next to", "with"}:
        x0 = obj[2] + 0.02 if obj[2] + 0.02 + w <= 1 else obj[0] - 0.02 - w
        y1 = obj[3]
    elif predicate == "behind":  # further back: smaller, a little higher, beside
        w, h, x0, y1 = max(MIN_W, 0.8 * w), max(MIN_H, 0.8 * h), ocx + 0.05, obj[3] - 0.05
    elif predicate == "in front of":
        x0, y1 = ocx - w / 2 - 0.06, min(1.0, obj[3] + 0.05)
    elif predicate == "above":  # inside the frame: beside the object if there is no room over it
        y1 = max(obj[1] - GAP, MARGIN + h)
        if y1 > obj[1]:
            x0 = obj[0] - GAP - w if ocx > 0.5 else obj[2] + GAP
    elif predicate == "below":
        y1 = obj[3] + 0.02 + h
    else:
        return sub
    return [x0, y1 - h, x0 + w, y1]


def shift(box: Box, dx: float = 0.0, dy: float = 0.0, scale: float = 1.0) -> Box:
    """Moved by (dx, dy) and scaled about its bottom centre (where a figure stands)."""
    cx, w, h = (box[0] + box[2]) / 2 + dx, (box[2] - box[0]) * scale, (box[3] - box[1]) * scale
    return [cx - w / 2, box[3] + dy - h, cx + w / 2, box[3] + dy]


def sized(box: Box, w: float, h: float) -> Box:
    """``box`` resized to w x h about its bottom centre."""
    cx = (box[0] + box[2]) / 2
    return [cx - w / 2, box[3] - h, cx + w / 2, box[3]]


def fit(*tracks: list[Box]) -> list[list[Box]]:
    """Trajectories inside the frame: all their boxes moved together (a carrier and what it
    carries keep their places), then each clipped, never below the smallest visible size."""
    boxes = [b for track in tracks for b in track]
    dx = max(0.0, -min(b[0] for b in boxes)) - max(0.0, max(b[2] for b in boxes) - 1)
    dy = max(0.0, -min(b[1] for b in boxes)) - max(0.0, max(b[3] for b in boxes) - 1)

    def clip(b: Box) -> Box:
        x0, x1 = (min(1.0, max(0.0, v + dx)) for v in (b[0], b[2]))
        y0, y1 = (min(1.0, max(0.0, v + dy)) for v in (b[1], b[3]))
        x0, y0 = min(x0, 1 - MIN_W), min(y0, 1 - MIN_H)
        return [round(v, 4) for v in (x0, y0, max(x1, x0 + MIN_W), max(y1, y0 + MIN_H))]
    return [[clip(b) for b in track] for track in tracks]


def arrange(boxes: dict, edges: list, skip: tuple) -> None:
    """Each relation's subject moved into place beside its object ('the cat on the table'), but
    ``skip`` (a jump's mover and what it jumps). What is carried goes beside its carrier, and
    smaller; several subjects of one relation stand side by side ('they sleep in the house');
    a high sky thing is lowered to make room for what is above it."""
    placed: dict[tuple, list] = {}
    for subject, predicate, obj in edges:
        if subject not in boxes or obj not in boxes or (subject, obj) == skip or (
                obj.noun.prior == "sky" and predicate in {"under", "below", "in"}):
            continue
        if verb_base(predicate.split()[0]) in CARRY:
            carrier, item = boxes[subject], boxes[obj]
            boxes[obj] = place(sized(item, min(item[2] - item[0], max(MIN_W, 0.8 * (
                carrier[2] - carrier[0]))), min(item[3] - item[1], max(MIN_H, 0.5 * (
                    carrier[3] - carrier[1])))), carrier, "with")
            continue
        if predicate == "above" and obj.noun.prior == "sky":
            room = MARGIN + boxes[subject][3] - boxes[subject][1] + GAP - boxes[obj][1]
            boxes[obj] = shift(boxes[obj], 0, max(0.0, room))
        box, siblings = place(boxes[subject], boxes[obj], predicate), placed.setdefault(
            (predicate, obj), [])
        if siblings:  # to the right of the last one, the whole row re-centred
            width, right = box[2] - box[0], boxes[siblings[-1]][2] + GAP
            box = [right, box[1], right + width, box[3]]
            for e in siblings:
                boxes[e] = shift(boxes[e], -(width + GAP) / 2)
            box = shift(box, -(width + GAP) / 2)
        boxes[subject] = box
        siblings.append(subject)


def trajectory(box: Box, kind: str, d: float, close: bool, target: Box | None,
               over: Box | None) -> list[Box]:
    """The mover's boxes at t=0, (t=0.5 for a jump's arc,) t=1; ``over``: what it passes."""
    reach = 0.08 if close else 0.28
    if target is not None:  # towards the target
        d = 1.0 if target[0] + target[2] >= box[0] + box[2] else -1.0
    if over is not None:  # centred on the thing it jumps or goes over, its feet above it
        box = shift(box, (over[0] + over[2] - box[0] - box[2]) / 2,
                    over[3] - box[3] if kind == "jump" else min(0.0, over[1] - box[3]))
    rise = max(0.8 * reach, box[3] - over[1] + 0.04) if over and kind == "jump" else 0.8 * reach
    return {"across": [shift(box, -d * reach), shift(box, d * reach)],
            "up": [box, shift(box, 0.05 * d, -1.3 * reach, 0.85)],
            "climb": [box, shift(box, 0.5 * d * reach, -reach)],
            "down": [box, shift(box, 0, 1.3 * reach)],
            "jump": [shift(box, -d * reach), shift(box, 0, -rise), shift(box, d * reach)],
            "approach": [box, shift(box, 0.5 - (box[0] + box[2]) / 2, 0.05, 1.1 if close else 1.7)],
            "recede": [box, shift(box, 0.25 - (box[0] + box[2]) / 4, -0.15, 0.5)]}[kind]


def follow(lead: Box, track: list[Box], box: Box) -> list[Box]:
    """``box`` moved along with the lead's trajectory (a group walking, the chased ahead)."""
    return [shift(box, (b[0] + b[2] - lead[0] - lead[2]) / 2, b[3] - lead[3],
                  (b[2] - b[0]) / (lead[2] - lead[0])) for b in track]


def where(box: Box) -> str:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    side = "on the left" if cx < 0.4 else "on the right" if cx > 0.6 else "in the centre"
    return ("high " if cy < 0.35 else "") + side


# -- the director ------------------------------------------------------------------------
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
    length, text = find_length(text)
    if length is not None and not (
            config.min_length_seconds <= length <= config.max_length_seconds):
        raise UserError(f"the request asks for a {length:g}-second film; the offline director"
                        f" makes films of {config.min_length_seconds:g} s to"
                        f" {config.max_length_seconds / 60:g} minutes:"
                        " ask for a length in that range")
    preamble = PREAMBLE.match(text)
    story = text[preamble.end():] if preamble and text[preamble.end():].strip(" .!?") else text
    reader = Reader(config.max_entities)
    cap = config.max_shots if length is None else max(1, min(
        config.max_shots, int(length / config.min_shot_seconds)))
    units = merge_units(read_story(story, reader), cap)
    for i, e in enumerate(reader.entities):  # ids: slugs of the names, unique, always ascii
        e.id = slugify(e.name, f"entity-{i + 1}")
        e.id += f"-{i + 1}" if any(o.id == e.id for o in reader.entities[:i]) else ""

    # coverage: one shot per unit, more for the longest clauses when a long film is asked for
    wanted = len(units) if length is None else min(cap, round(length / config.long_shot_seconds))
    extra = [0] * len(units)
    for _ in range(wanted - len(units)):
        busiest = max(range(len(units)), key=lambda i: (len(units[i].tokens) + 5) / (extra[i] + 1))
        extra[busiest] += 1

    scenes, plans, setting, time_of_day, last_subject = [], [], None, "day", None
    scene_units: list[list[Unit]] = []  # for a setting implied by what a scene names
    first_setting = next((u.setting for u in units if u.setting), None)
    for index, unit in enumerate(units):
        if index == 0 or unit.new_scene or unit.setting not in (None, setting) or (
                unit.time_of_day not in (None, time_of_day)):
            setting = unit.setting or setting or first_setting
            time_of_day = unit.time_of_day or time_of_day
            scenes.append({"id": f"scene-{len(scenes) + 1}", "time_of_day": time_of_day,
                           "setting": setting.appearance(seed) if setting else None,
                           "shots": []})
            scene_units.append([])
        scene_units[-1].append(unit)
        elided = verb_base(unit.tokens[0]) and (not unit.mentions or unit.mentions[0].start)
        default = last_subject if elided else next(
            (m.entity for m in unit.mentions if m.entity.noun.kind == "character"), last_subject)
        said = unit.text
        if elided and default:
            unit.mentions.insert(0, Mention(default, 0, 0))  # '(she) tries to fly'
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
        "title": title(text, preamble, story, reader),
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


def title(text: str, preamble, story: str, reader: Reader) -> str:
    """The subject after 'a film about', else the main character, else the first words."""
    characters = [e for e in reader.entities if e.noun.kind == "character"]
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
