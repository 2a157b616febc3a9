"""Routing vocabulary: urgency words and their levels, problem signals, filler words.

Nothing here names a company, board or person: those come from the PSA's reference data.
"""

from __future__ import annotations

import re
from enum import IntEnum

from ai.text import fold, norm_tokens


class Urgency(IntEnum):
    """Urgency levels a request can express, most urgent first (emergency > urgent > high > normal > low)."""

    EMERGENCY = 0
    URGENT = 1
    HIGH = 2
    NORMAL = 3
    LOW = 4
    LOWEST = 5


# Phrases that set urgency wherever they appear in a clause. Negated forms come first on purpose:
# "not urgent" must never be read as "urgent".
_ANYWHERE: tuple[tuple[str, Urgency], ...] = (
    (r"not (?:that |too |very |super )?(?:urgent|critical|a priority|an emergency)", Urgency.LOW),
    (r"no (?:rush|hurry)", Urgency.LOW),
    (r"whenever(?: you (?:can|get (?:a )?(?:chance|time)))?", Urgency.LOW),
    (
        r"when(?:ever)? (?:you|someone) "
        r"(?:can|get (?:a )?(?:chance|time)|have (?:a )?(?:minute|moment|time))",
        Urgency.LOW,
    ),
    (r"lowest (?:priority|prio|pri|urgency)", Urgency.LOWEST),
    (r"low (?:priority|prio|pri|urgency)", Urgency.LOW),
    (r"(?:emergency|critical|highest|top) (?:priority|prio|pri)", Urgency.EMERGENCY),
    (r"urgent (?:priority|prio|pri|urgency)", Urgency.URGENT),
    (r"(?:high|elevated) (?:priority|prio|pri|urgency)", Urgency.HIGH),
    (r"(?:normal|medium|standard|regular|moderate|average) (?:priority|prio|pri|urgency)", Urgency.NORMAL),
    (r"priority\s*[:=]?\s*(?:is\s+)?(?:emergency|critical|highest)", Urgency.EMERGENCY),
    (r"priority\s*[:=]?\s*(?:is\s+)?urgent", Urgency.URGENT),
    (r"priority\s*[:=]?\s*(?:is\s+)?high", Urgency.HIGH),
    (r"priority\s*[:=]?\s*(?:is\s+)?(?:normal|medium|standard)", Urgency.NORMAL),
    (r"priority\s*[:=]?\s*(?:is\s+)?lowest", Urgency.LOWEST),
    (r"priority\s*[:=]?\s*(?:is\s+)?low", Urgency.LOW),
    (r"emergency", Urgency.EMERGENCY),
    (r"critical(?:ly)?", Urgency.EMERGENCY),
    (r"urgent(?:ly)?", Urgency.URGENT),
    (r"asap|a\.s\.a\.p|as soon as possible|right away|immediately", Urgency.URGENT),
)
# Words that only express urgency when they stand alone in a clause ("…, high" / "…, low").
_ALONE: dict[str, Urgency] = {
    "emergency": Urgency.EMERGENCY,
    "critical": Urgency.EMERGENCY,
    "highest": Urgency.EMERGENCY,
    "urgent": Urgency.URGENT,
    "asap": Urgency.URGENT,
    "high": Urgency.HIGH,
    "quick": Urgency.HIGH,
    "normal": Urgency.NORMAL,
    "medium": Urgency.NORMAL,
    "standard": Urgency.NORMAL,
    "low": Urgency.LOW,
    "whenever": Urgency.LOW,
    "lowest": Urgency.LOWEST,
}
_ALONE_EXTRA = frozenset({"priority", "prio", "pri", "please", "pls", "response", "urgency", "very", "super"})
# What a priority's own name says about its level ("Priority 2 - Quick Response" is a high one).
_NAME_LEVELS: tuple[tuple[Urgency, frozenset[str]], ...] = (
    (Urgency.EMERGENCY, frozenset({"emergency", "critical", "crisis", "highest", "severe", "outage"})),
    (Urgency.URGENT, frozenset({"urgent", "immediate", "asap"})),
    (Urgency.HIGH, frozenset({"high", "quick", "fast", "elevated", "major"})),
    (Urgency.NORMAL, frozenset({"normal", "medium", "standard", "moderate", "regular", "average"})),
    (Urgency.LOW, frozenset({"low", "minor", "schedule", "scheduled", "planned", "maintenance"})),
    (Urgency.LOWEST, frozenset({"lowest", "whenever", "backlog", "someday", "next"})),
)
# An outage of something many people share: urgent, but only inferred (the user is told).
OUTAGE_RE = re.compile(
    r"\b(?:outages?|(?:server|servers|network|internet|wi-?fi|wireless|e-?mail|exchange|site|website|system|"
    r"systems|phones?|phone system|voip|vpn|erp|crm|firewall|domain|everything|everyone|all|erp system|"
    r"pos|file server|the server)\b[\w\s'’-]{0,20}?\b(?:is |are |went |has gone |have gone )?down\b|"
    r"(?:nobody|no one|everyone|all users|whole office|entire office)\b[\w\s'’-]{0,30}?"
    r"\b(?:can'?t|cannot|unable|down|offline)\b)",
    re.IGNORECASE,
)
_RANK_RE = re.compile(r"\b(?:p|priority\s*|sev(?:erity)?\s*)([1-9])\b")
# Words that join a new point to what was said before; never the start of a summary.
LEADING_CONNECTIVE_RE = re.compile(
    r"^(?:(?:also|separately|additionally|plus|and|oh|btw|fyi|ps|p\.s\.|anyway|unrelated(?:ly)?|"
    r"by\s+the\s+way|on\s+(?:an)?other\s+note|side\s+note|in\s+addition|one\s+more\s+thing|"
    r"another\s+thing|(?:a\s+|an\s+)?(?:(?:separate|different|unrelated|second|another)\s+(?:[\w-]+\s+)?|"
    r"new\s+)(?:issue|problem|thing|request|matter|note)|"
    r"while\s+(?:you(?:'re|\s+are)|i'?m|we'?re)\s+(?:at\s+it|here|in\s+there|on))"
    r"(?:\s*[,:;!.\-–—]\s*|\s+|$))+",
    re.IGNORECASE,
)

ANYWHERE_RE = re.compile(
    r"(?<![\w-])(?:" + "|".join(f"(?:{pattern})" for pattern, _ in _ANYWHERE) + r")(?![\w-])",
    re.IGNORECASE,
)

PROBLEM_RE = re.compile(
    r"\b(?:broken|break(?:s|ing)?|down|offline|outages?|error(?:s|ing)?|fail(?:s|ed|ing|ure|ures)?|"
    r"slow(?:ness)?|crash(?:es|ed|ing)?|frozen|freez(?:e|es|ing)|drop(?:s|ped|ping)?|jam(?:s|med)?|stuck|"
    r"hung|hang(?:s|ing)?|missing|locked|lockout|expired?|corrupt(?:ed)?|bounc(?:e|es|ed|ing)|alerts?|"
    r"issues?|problems?|leak(?:s|ing)?|disconnect(?:s|ed|ing)?|intermittent(?:ly)?|virus|malware|"
    r"phish(?:ing)?|hacked|compromised|blocked|denied|time?outs?|timing out|lag(?:s|gy|ging)?|"
    r"flicker(?:s|ing)?|bsod|blue ?screen|overheat(?:s|ed|ing)?|noisy|beep(?:s|ing)|dead|glitch(?:es|y)?|"
    r"ringing out|low on|full|spam|can'?t|cannot|can not|unable|won'?t|doesn'?t|isn'?t|aren'?t|"
    r"wasn'?t|didn'?t|not (?:\w+ing|work(?:s|ing)?|able|responding|loading|printing|syncing|connecting)|"
    r"no (?:internet|power|sound|audio|signal|access|connection|network|wifi|dial ?tone)|keeps? \w+ing|"
    r"stopped|unresponsive|wrong|bad|weird|strange|swell(?:ing|ed)|swollen|bulg(?:e|es|ing)|crack(?:ed|s)?|"
    r"smok(?:e|es|ing)|burn(?:ing|t)|spark(?:s|ing)|smells?|shatter(?:ed)?)\b",
    re.IGNORECASE,
)

# Words that carry no content on their own: a clause made only of these is dropped.
FILLER = frozenset(
    {
        "a", "an", "the", "it", "this", "that", "please", "pls", "plz", "thanks", "thank", "you", "thx",
        "fix", "fixed", "look", "at", "into", "check", "can", "could", "someone", "somebody", "and", "or",
        "asap", "now", "today", "quickly", "soon", "to", "on", "for", "of", "ticket", "new", "create",
        "open", "log", "raise", "make", "hi", "hey", "hello", "team", "folks", "all", "ok", "okay", "so",
        "also", "too", "as", "well", "just", "is", "be", "need", "needs", "needed", "get", "got",
        "priority", "prio", "pri", "with", "by", "me", "us", "we", "i",
    }
)  # fmt: skip


def urgency_of(phrase: str) -> Urgency | None:
    """The urgency a priority phrase expresses ('asap' → HIGH, 'not urgent' → LOW), if any."""
    folded = " ".join(norm_tokens(phrase.replace(".", "")))
    if not folded:
        return None
    match = ANYWHERE_RE.search(folded)
    if match:
        return urgency_of_match(match.group(0))
    words = folded.split()
    if any(word in _ALONE for word in words) and all(w in _ALONE or w in _ALONE_EXTRA for w in words):
        return min(_ALONE[word] for word in words if word in _ALONE)
    if OUTAGE_RE.search(folded) or "outage" in words:
        return Urgency.URGENT
    return None


def urgency_of_match(text: str) -> Urgency:
    """The level of one `ANYWHERE_RE` match."""
    folded = fold(text)
    for pattern, level in _ANYWHERE:
        if re.fullmatch(pattern, folded, re.IGNORECASE):
            return level
    return Urgency.NORMAL


def urgency_in_name(name: str) -> Urgency | None:
    """The level a priority's name states ("Priority 1 - Emergency Response" → EMERGENCY), if any."""
    words = set(norm_tokens(name))
    return next((level for level, names in _NAME_LEVELS if words & names), None)


def outage_words(text: str) -> str | None:
    """The words saying something shared is down ("email is down", "outage"), if any: urgency to infer."""
    match = OUTAGE_RE.search(text)
    return " ".join(match.group(0).split()) if match else None


def strip_connective(text: str) -> str:
    """`text` without leading "Also", "Separately", "Oh and", "btw"… (they join, they do not describe)."""
    return LEADING_CONNECTIVE_RE.sub("", text.strip())


def explicit_rank(phrase: str) -> int | None:
    """A priority given by rank ('P2', 'priority 3', 'sev 1') as a 0-based index, if any."""
    match = _RANK_RE.search(fold(phrase))
    return int(match.group(1)) - 1 if match else None


def standalone_urgency(clause: str) -> Urgency | None:
    """The urgency of a clause made only of urgency words ('high', 'low priority please')."""
    words = [word for word in norm_tokens(clause) if word]
    if not words or not any(word in _ALONE for word in words):
        return None
    if all(word in _ALONE or word in _ALONE_EXTRA for word in words):
        return min(_ALONE[word] for word in words if word in _ALONE)
    return None


def is_filler(text: str) -> bool:
    """True when the text has no word beyond filler ('fix asap', 'please', 'thanks')."""
    return all(word in FILLER for word in norm_tokens(text))
