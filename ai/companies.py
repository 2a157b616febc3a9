"""Finding companies: a name as written, or any mention inside free text, against the PSA's list.

Precedence when scanning text: exact names beat typo-level fuzzy matches, which beat partial
(leading words) mentions; among equals, more words win ("Acme Corporation Holdings" over "Acme").
A mention that fits several companies equally is reported with all of them, never guessed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from rapidfuzz import fuzz, process

from ai.match import Match, decide, fuzzy_pick
from ai.text import Token, norm_tokens, tokenize
from psa.models import Company

_LEGAL_SUFFIXES = frozenset(
    {
        "inc",
        "incorporated",
        "llc",
        "llp",
        "ltd",
        "limited",
        "plc",
        "gmbh",
        "pllc",
        "lp",
        "pc",
        "pa",
        "sa",
        "ag",
        "corp",
        "corporation",
        "co",
    }
)
# Words too common to identify a company on their own ("New", "The", "First"…).
_GENERIC = frozenset(
    {
        "the", "a", "an", "and", "of", "new", "first", "general", "united", "national", "global", "city",
        "county", "community", "family", "group", "services", "service", "health", "st", "saint", "north",
        "south", "east", "west", "central", "american", "international", "best", "my", "our", "all", "it",
    }
)  # fmt: skip
_CAMEL_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_FUZZY_CUTOFF = 90.0


class _Kind(IntEnum):
    WEAK = 0
    PREFIX = 1
    FUZZY = 2
    EXACT = 3


@dataclass(frozen=True, slots=True)
class _Variant:
    words: tuple[str, ...]
    company: Company
    distinctive: bool  # a CamelCase identifier: recognisable even typed in lower case


@dataclass(frozen=True, slots=True)
class _Hit:
    kind: _Kind
    strength: float  # words matched (exact/prefix) or fuzzy score
    company: Company
    start: int  # token indices
    end: int

    def rank(self) -> tuple[int, float]:
        return (int(self.kind), self.strength)

    def overlaps(self, other: _Hit) -> bool:
        return self.start < other.end and other.start < self.end


def _name_words(name: str) -> list[str]:
    return norm_tokens(re.sub(r"\([^)]*\)", " ", name))


def _variants(company: Company) -> list[_Variant]:
    forms: dict[tuple[str, ...], bool] = {}
    words = _name_words(company.name)
    if words:
        forms[tuple(words)] = False
        trimmed = list(words)
        while len(trimmed) > 1 and trimmed[-1] in _LEGAL_SUFFIXES:
            trimmed.pop()
            if len(trimmed) > 1 and trimmed[-1] == "and":  # "Smith & Co"
                trimmed.pop()
        if trimmed[0] == "the" and len(trimmed) > 1:
            trimmed.pop(0)
        forms.setdefault(tuple(trimmed), False)
    ident = company.identifier.strip()
    if ident:
        camel = [part.casefold() for part in _CAMEL_RE.findall(ident)]
        distinctive = sum(ch.isupper() for ch in ident) >= 2 and len(ident) >= 5
        if len(camel) > 1:
            forms.setdefault(tuple(camel), False)
        forms[tuple(norm_tokens(ident))] = distinctive
    return [_Variant(form, company, distinctive) for form, distinctive in forms.items() if form]


class CompanyIndex:
    """Company names, trimmed names and identifiers, ready for matching."""

    def __init__(self, companies: Sequence[Company]) -> None:
        self._variants = [variant for company in companies for variant in _variants(company)]
        self._by_first: dict[str, list[_Variant]] = defaultdict(list)
        for variant in self._variants:
            self._by_first[variant.words[0]].append(variant)
        self._strings = [" ".join(variant.words) for variant in self._variants]
        self._max_words = max((len(variant.words) for variant in self._variants), default=0)

    def match_name(self, mention: str) -> Match[Company]:
        """Resolve a company name as the user wrote it (exact, leading words, then typo-level)."""
        words = norm_tokens(mention)
        while len(words) > 1 and words[-1] in _LEGAL_SUFFIXES:
            words.pop()
        if len(words) > 1 and words[0] == "the":
            words.pop(0)
        if not words:
            return Match(text=mention)
        key = tuple(words)
        exact = [variant.company for variant in self._variants if variant.words == key]
        if exact:
            return decide(exact, text=mention)
        leading = [
            v.company for v in self._variants if v.words[: len(key)] == key and len(v.words) > len(key)
        ]
        if leading and not (len(key) == 1 and key[0] in _GENERIC):
            return decide(leading, text=mention)
        fuzzy = fuzzy_pick(
            " ".join(words),
            (variant.company for variant in self._variants),
            lambda company: [" ".join(v.words) for v in self._variants if v.company.id == company.id],
            cutoff=86.0,
            margin=5.0,
        )
        if fuzzy.found:
            return Match(fuzzy.chosen, fuzzy.candidates, text=mention)
        scanned = self.scan(mention)
        return scanned if scanned.found else Match(text=mention)

    def scan(self, text: str) -> Match[Company]:
        """Find a company mentioned anywhere in `text`; `span` locates the mention in `text`."""
        tokens = tokenize(text)
        # In all-lower-case text a missing capital says nothing, so one-word mentions become suggestions.
        lower_case = not any(ch.isupper() for ch in text)
        hits = self._exact_and_prefix(tokens, lower_case) + self._fuzzy(tokens)
        if not hits:
            return Match()
        best = max(hits, key=_Hit.rank)
        rivals = [hit for hit in hits if hit.company.id != best.company.id and self._rivals(best, hit)]
        span = (tokens[best.start].start, tokens[best.end - 1].end)
        mention = text[span[0] : span[1]]
        if best.kind == _Kind.WEAK:
            return Match(candidates=tuple({h.company.id: h.company for h in [best, *rivals]}.values()),
                         text=mention, span=span)  # fmt: skip
        return decide([best.company, *(hit.company for hit in rivals)], text=mention, span=span)

    @staticmethod
    def _rivals(best: _Hit, hit: _Hit) -> bool:
        if best.kind == _Kind.EXACT:
            return hit.kind == _Kind.EXACT and (not hit.overlaps(best) or hit.strength == best.strength)
        if best.kind == _Kind.FUZZY:
            return hit.kind == _Kind.FUZZY and best.strength - hit.strength < 3
        return hit.kind == best.kind and hit.strength == best.strength

    def _exact_and_prefix(self, tokens: list[Token], lower_case: bool) -> list[_Hit]:
        norms = [token.norm for token in tokens]
        hits: list[_Hit] = []
        for i, word in enumerate(norms):
            for variant in self._by_first.get(word, self._by_first.get(tokens[i].base, ())):
                size = len(variant.words)
                window = tokens[i : i + size]
                if len(window) == size and all(
                    t.norm == w or (t is window[-1] and t.base == w)
                    for t, w in zip(window, variant.words, strict=True)
                ):
                    if size > 1 or self._solo_ok(tokens[i], variant):
                        hits.append(_Hit(_Kind.EXACT, size, variant.company, i, i + size))
                    elif lower_case and word not in _GENERIC and len(word) >= 3:
                        hits.append(_Hit(_Kind.WEAK, 1, variant.company, i, i + 1))
                    continue
                shared = 1
                while (
                    shared < size - 1
                    and i + shared < len(norms)
                    and norms[i + shared] == variant.words[shared]
                ):
                    shared += 1
                if all(w in _GENERIC for w in variant.words[:shared]) or len(variant.words[0]) < 3:
                    continue
                if shared > 1 or tokens[i].text[:1].isupper():
                    hits.append(_Hit(_Kind.PREFIX, shared, variant.company, i, i + shared))
                elif lower_case:
                    hits.append(_Hit(_Kind.WEAK, 1, variant.company, i, i + 1))
        return hits

    @staticmethod
    def _solo_ok(token: Token, variant: _Variant) -> bool:
        # A one-word name is only trusted when written like a name, or when it is a CamelCase identifier.
        return variant.distinctive or (any(ch.isupper() for ch in token.text) and token.norm not in _GENERIC)

    def _fuzzy(self, tokens: list[Token]) -> list[_Hit]:
        hits: list[_Hit] = []
        if not self._strings:
            return hits
        for i in range(len(tokens)):
            for size in range(2, self._max_words + 2):
                if i + size > len(tokens):
                    break
                window = " ".join(token.norm for token in tokens[i : i + size])
                if len(window) < 8:
                    continue
                for _, score, index in process.extract(
                    window, self._strings, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF, limit=5
                ):
                    variant = self._variants[index]
                    if len(variant.words) > 1 and score < 100:
                        hits.append(_Hit(_Kind.FUZZY, float(score), variant.company, i, i + size))
        return hits
