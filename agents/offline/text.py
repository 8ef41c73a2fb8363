"""Text: cleaning, the requested length, sentences, clauses and word forms."""

from __future__ import annotations

import re
import unicodedata

from agents.offline.words import (
    ADJECTIVES,
    ARTICLE_STARTS,
    FILM_WORDS,
    IRREGULAR,
    LENGTH,
    LENGTH_CUES,
    LEXICON,
    NUMBERS,
    PLURALS,
    PRONOUNS,
    RANKS,
    SPLITTERS,
    STOPWORDS,
    VERBS,
)


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
