"""Entities: who and what a clause mentions, pronouns resolved to them."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from agents.offline.text import article, noun_of, nounlike, ranking, verb_base
from agents.offline.words import (
    ADJECTIVES,
    DETERMINERS,
    FEATURES,
    LEXICON,
    PERSON,
    PRONOUNS,
    RANKS,
    STOPWORDS,
    UNKNOWN,
    Noun,
)


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
