"""Typo-tolerant routing keywords: "asign to me", "priorty high", "urgnet", "set staus to …".

Only the words that route a request are corrected, and only one slip away (a wrong, missing, extra or
swapped letter) from a keyword of at least five letters; the real words that sit that close to a keyword
are left alone. Product words ("outlok") are matched loosely where topics are compared (`ai.topics`).
"""

from __future__ import annotations

import re

from rapidfuzz.distance import OSA

KEYWORDS = (
    "assign",
    "assigned",
    "reassign",
    "unassigned",
    "priority",
    "urgent",
    "urgently",
    "emergency",
    "critical",
    "status",
    "board",
    "ticket",
    "escalations",
    "onboarding",
    "immediately",
)
# Real words one slip from a keyword: never "corrected".
_REAL_WORDS = frozenset(
    {"aboard", "boards", "boar", "beard", "broad", "states", "statue", "stats", "statute", "tickets",
     "ticked", "tucket", "cricital", "assigns", "design", "resign", "urgency", "priory", "statues"}
)  # fmt: skip
# Short keywords are only taken back from swapped letters ("hihg"), never from one changed letter.
_SHORT_KEYWORDS = ("high", "asap")
_WORD_RE = re.compile(r"[A-Za-z]{4,}")
_MIN_KEYWORD = 5


def keyword_for(word: str) -> str | None:
    """The keyword `word` misspells, if it is one slip from exactly one keyword."""
    folded = word.casefold()
    if folded in KEYWORDS or folded in _REAL_WORDS:
        return None
    close = [k for k in KEYWORDS if len(k) >= _MIN_KEYWORD and OSA.distance(folded, k, score_cutoff=1) <= 1]
    close += [k for k in _SHORT_KEYWORDS if sorted(k) == sorted(folded) and OSA.distance(folded, k) == 1]
    return close[0] if len(close) == 1 else None


def fix_keywords(text: str) -> str:
    """`text` with misspelled routing keywords corrected (case kept for the first letter)."""

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        keyword = keyword_for(word)
        if keyword is None:
            return word
        return keyword.capitalize() if word[0].isupper() else keyword

    return _WORD_RE.sub(fix, text)
