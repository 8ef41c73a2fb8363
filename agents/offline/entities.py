"""Entities: who and what a clause mentions, pronouns resolved to them."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from agents.offline.text import article, noun_of, nounlike, ranking, verb_base
from agents.offline.words import (
    ADJECTIVES,
    COUNT_WORDS,
    COUNTS,
    DETERMINERS,
    FEATURES,
    GROUP_LOOKS,
    LEXICON,
    PERSON,
    PERSON_ENDINGS,
    PLACE_PREPOSITIONS,
    POSSESSIVES,
    PRONOUNS,
    RANK_NAMES,
    RANKS,
    SOMEONE,
    SOMEWHERE,
    STOPWORDS,
    UNKNOWN,
    Noun,
)

MAX_GROUP = 5  # 'two men' are two characters; 'twenty soldiers' one entity, a crowd


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
    count: int = 1  # 'three apples': one entity of several things
    written: str = ""  # the noun as the story wrote it, for a count or a plural ('apples')
    group: list[Draft] = field(default_factory=list)  # 'two men': each man, this one first

    def appearance(self, seed: int) -> str:
        """Fixed description, from the words of the request or the lexicon's defaults."""
        if self.noun_word is None:  # a bare name: a person whose look is picked from the name
            pick = zlib.crc32(f"{self.name.lower()}:{seed}".encode())
            hair = ["dark", "red", "fair", "black", "brown", "silver"][pick % 6]
            wear = ["yellow raincoat", "blue jacket", "green scarf", "red coat", "striped shirt",
                    "grey hoodie", "purple dress"][pick // 6 % 7]
            return f"{self.name}, a person with {hair} hair in a {wear}"
        noun = self.written or self.noun_word
        words = " ".join(w for w in (" ".join(self.adjectives[:3]) or self.noun.look,
                                     noun, self.detail or self.noun.detail) if w)
        lead = COUNT_WORDS.get(self.count) if self.count > 1 else "" if self.written else (
            "the" if any(ranking(a) for a in self.adjectives[:3]) else article(words))
        words = f"{lead} {words}".strip()  # 'the tallest hill', never 'a tallest hill'
        return f"{self.name}, {words}" if self.proper else words


def plural(word: str) -> bool:
    """'gears', 'boots': a word the lexicon does not know that looks plural."""
    return len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is"))


def member(lead: Draft, n: int) -> Draft:
    """The ``n``-th (from 0) of a group of characters ('two men'): the same kind of
    figure, told apart by what it wears (``words.txt``: [group looks])."""
    looks = [look for look in GROUP_LOOKS if look != lead.noun.detail]
    return Draft(f"{RANK_NAMES[n]} {lead.noun_word}", lead.noun, lead.noun_word,
                 adjectives=list(lead.adjectives), detail=looks[(n - 1) % len(looks)] if n else "")


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
            found = self.members(mention, lower) if mention else [
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

    def members(self, mention: Mention, lower: list[str]) -> list[Mention]:
        """A mention of a group ('two men', 'the men', 'the second man'): one mention per
        member it means, all on the same words."""
        group = mention.entity.group
        if not group:
            return [mention]
        words = lower[mention.start:mention.end]
        rank = next((RANK_NAMES.index(w) for w in words if w in RANK_NAMES[:len(group)]),
                    1 if "other" in words or "another" in words else None)
        if rank is not None:
            return [Mention(group[rank], mention.start, mention.end)]
        plural = any(noun_of(w) and noun_of(w) != w for w in words) or any(
            w in COUNTS and COUNTS[w] > 1 for w in words)
        return [Mention(e, mention.start, mention.end) for e in (group if plural else group[:1])]

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
        """'a small red fox (named Vixie) (with a white-tipped tail)', 'foxes', 'the village
        shop', 'two men', 'a lighthouse'; ``into``: the named entity this phrase describes
        ('Mia, a young girl'). Not a thing someone wears or has ('her boots')."""
        digits = lower[i].isascii() and lower[i].isdigit()
        count = COUNTS.get(lower[i], int(lower[i]) if digits else 0)
        j = i + 1 if lower[i] in DETERMINERS or count > 1 else i
        k = next((m for m in range(j, min(j + 4, len(tokens)))
                  if noun_of(lower[m]) and (tokens[m][0].islower() or m == 0)), None)
        if k is not None and not all(w in ADJECTIVES | RANKS or w.replace("-", "").isalpha() and
                                     w not in STOPWORDS and not verb_base(w) for w in lower[j:k]):
            k = None
        if k == i and i and lower[i - 1] not in STOPWORDS and (verb_base(lower[k]) or (
                tokens[i - 1][0].isupper() and lower[k].endswith("s"))):
            return None  # 'two men guard a cave', 'Lena trains': a verb, not a guard
        while k is not None and k + 1 < len(tokens) and noun_of(lower[k + 1]) and \
                tokens[k + 1][0].islower() and not verb_base(lower[k + 1]):
            k += 1  # 'the village shop': the last noun is the thing, the others describe it
        if k is None and i < j < len(tokens):  # an unknown noun after a determiner, adjectives
            k = j
            while k < len(tokens) - 1 and k - j < 3 and (
                    lower[k] in ADJECTIVES | RANKS or "-" in lower[k]):
                k += 1
            if not nounlike(lower[k]):
                return None
            if k + 1 < len(tokens) and nounlike(lower[k + 1]) and not lower[k + 1].endswith(
                    ("ed", "ing", "s")):  # 'the far bank', not 'the clock ticked', 'it hangs'
                k += 1
        if k is None:
            return None
        noun_word, end = noun_of(lower[k]) or lower[k], k + 1
        noun_end = end  # 'un zorro rojo' glossed 'a fox red': adjectives after the noun
        while end < len(tokens) and lower[end] in ADJECTIVES and end - noun_end < 2:
            end += 1
        described = lower[j:k] + lower[noun_end:end]
        if lower[i] in POSSESSIVES and noun_word in FEATURES:
            return None  # 'her boots', 'its tail': part of its owner's look
        name = tokens[end + 1] if end + 1 < len(tokens) and lower[end] in {"named", "called"} \
            and tokens[end + 1][0].isupper() else None
        noun = LEXICON.get(noun_word) or (
            SOMEONE if name or noun_word.endswith(PERSON_ENDINGS) else  # 'an astronomer'
            SOMEWHERE if i and lower[i - 1] in PLACE_PREPOSITIONS else UNKNOWN)  # 'at the inn'
        group = 2 <= count <= MAX_GROUP and noun.kind == "character" and into is None
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
        draft.adjectives += [w for w in described if w not in draft.adjectives and not (
            (group or draft.group) and w in [*RANK_NAMES, "other"])]
        if end < len(tokens) - 1 and lower[end] == "with" and not draft.detail:
            last = next((m for m in range(end + 1, min(end + 6, len(tokens)))
                         if lower[m] in FEATURES), 0)
            draft.detail = " ".join(lower[end:last + 1]) if last else ""
        if group and not draft.group:  # 'two men': each a character of its own
            draft.name = f"{RANK_NAMES[0]} {noun_word}"
            draft.group = [draft]
            for n in range(1, count):
                other = self.entity(f"noun:{noun_word}:{n}", lambda n=n: member(draft, n))
                if other is not None:
                    draft.group.append(other)
        elif count > 1 and not draft.group and draft.count == 1:  # 'three apples'
            draft.count, draft.written = count, lower[k]
        elif noun_word not in LEXICON and plural(noun_word) and draft.count == 1:
            draft.written = noun_word  # 'its gears': no article before a plural
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
