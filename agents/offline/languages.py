"""Stories in Spanish, French or German, glossed word by word into the English words that
the rules read, so that one set of rules plans every language.

``languages/<code>.txt`` holds each language's glossary: its marker words (which tell the
language of a request), contractions ('del' is 'de el', "l'" is 'le') and word or phrase
glosses, keyed by the word as written or by its dictionary form; simplemma (data for each
language inside the package, nothing downloaded) gives that form ('zorros' -> 'zorro',
'Füchse' -> 'Fuchs'). Names and words the glossary does not know are kept as written.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from agents.offline.words import WORDS

LANGUAGES = ("es", "fr", "de")
ENGLISH_MARKERS = frozenset(" ".join(WORDS["markers"]).split())
ELISION = re.compile(r"^([^\W\d_]{1,3}['’])(\w.*)$")  # "l'oiseau" -> "l'", "oiseau"
BEFORE_NOUNS = frozenset(  # after these a capitalised German word is a noun, not a name
    " ".join(WORDS["determiners"] + WORDS["adjectives"] + WORDS["place prepositions"]).split())


@dataclass(frozen=True)
class Glossary:
    """One language's glossary (languages/<code>.txt)."""

    language: str
    markers: frozenset[str]
    contractions: dict[str, tuple[str, ...]]
    phrases: dict[tuple[str, ...], tuple[str, ...]]  # lower-case words -> English words
    longest: int  # words in the longest phrase

    def english(self, words: tuple[str, ...]) -> tuple[str, ...] | None:
        """The gloss of these words as written, else (one word) of its dictionary form."""
        found = self.phrases.get(words)
        if found is None and len(words) == 1:
            found = self.phrases.get((lemma(words[0], self.language),))
        return found


@functools.cache
def glossary(language: str) -> Glossary:
    sections: dict[str, list[str]] = {}
    path = Path(__file__).with_name("languages") / f"{language}.txt"
    for line in path.read_text("utf-8").splitlines():
        if line.startswith("["):
            lines = sections.setdefault(line.strip("[] "), [])
        elif line.strip() and not line.startswith("#"):
            lines.append(line)

    def pairs(section: str) -> dict[tuple[str, ...], tuple[str, ...]]:
        found = {}
        for line in sections.get(section, []):
            key, _, value = line.rpartition(":")
            words = tuple(w for w in value.split() if w != "-")
            found[tuple(key.lower().split())] = words
        return found

    phrases = pairs("words")
    return Glossary(language, frozenset(" ".join(sections["markers"]).lower().split()),
                    {k[0]: v for k, v in pairs("contractions").items()}, phrases,
                    max(len(k) for k in phrases))


def lemma(word: str, language: str) -> str:
    """The dictionary form of ``word`` (lower case), by simplemma."""
    import simplemma

    return simplemma.lemmatize(word, lang=language).lower()


def language_of(text: str) -> str:
    """'es', 'fr' or 'de' when the text's function words are more of that language than of
    English, else 'en'."""
    words = re.findall(r"[^\W\d_]+", text.lower())
    counts = {code: sum(w in glossary(code).markers for w in words) for code in LANGUAGES}
    best = max(counts, key=counts.__getitem__)
    english = sum(w in ENGLISH_MARKERS for w in words)
    return best if counts[best] > english and counts[best] >= 2 else "en"


def gloss(tokens: list[str], language: str) -> list[str]:
    """The tokens of a sentence in ``language`` as English words; a name or a word the
    glossary does not know is kept (a German noun, capitalised, in lower case after a word
    that comes before nouns: 'die Sternwarte' -> 'the sternwarte')."""
    table = glossary(language)
    words: list[str] = []
    for token in tokens:  # contractions and elisions first: 'del' -> 'de el', "l'" + 'oiseau'
        parts = [*ELISION.match(token).groups()] if ELISION.match(token) else [token]
        for part in parts:
            key = part.lower().replace("’", "'")
            words += table.contractions.get(key, (part,))
    english: list[str] = []
    i = 0
    while i < len(words):
        for size in range(min(table.longest, len(words) - i), 0, -1):
            found = table.english(tuple(w.lower() for w in words[i:i + size]))
            if found is not None:
                english += found
                i += size
                break
        else:
            word = words[i]
            if language == "de" and english and word[:1].isupper() and english[-1] in BEFORE_NOUNS:
                word = word.lower()
            english.append(word)
            i += 1
    return english
