"""The offline spin-off rules: does one passage of a thread message raise a second, separate issue?

A passage is a sentence, with the sentences after it that start with "It"/"They" ("Can you make a ticket
for the reception printer? It's jammed again."). It raises a separate issue when it has
- a cue: strong ("separately", "unrelated", "another issue", "can you open a ticket for…") or weak
  ("also", "btw", "oh and", "while you're here", "meanwhile"),
- a problem or a request (broken, offline, swelling…; "need two new headsets", "can you set up…"),
- a subject of its own: no words shared with what the ticket is about. A strong cue is trusted over
  shared words ("Unrelated to the printer, but the Zoom Room won't start meetings").
It never does when it reports progress, tries things, thanks, guesses a cause, points back at the ticket
("her laptop also…", "the same mailbox") or names something already handled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ai.text import capitalize_first, strip_edges
from ai.topics import topic_keys
from ai.vocabulary import PROBLEM_RE, strip_connective

_SEPARATE_WORDS = r"(?:separate|different|unrelated|another|second|new|other)"
_STRONG_CUE_RE = re.compile(
    rf"\b(?:separately|unrelated(?:ly)?|not\s+related|on\s+(?:an)?other\s+note|side\s+note|"
    rf"(?:a\s+|an\s+)?{_SEPARATE_WORDS}\s+(?:[\w-]+\s+)?(?:issue|problem|topic|thing|matter|request|one)|"
    r"(?:open|make|create|log|raise|start|need|needs|want|wants|get)\s+(?:a|an|another|its\s+own)\s+"
    r"(?:separate\s+|new\s+|second\s+)?ticket|(?:please\s+)?log\s+(?:it|this|that)\b|"
    rf"(?:a\s+)?{_SEPARATE_WORDS}\s+[\w-]+\s*[.!]?$)",
    re.IGNORECASE,
)
_WEAK_CUE_RE = re.compile(
    r"\b(?:also|btw|by\s+the\s+way|oh(?:,)?\s+and|one\s+more\s+thing|another\s+thing|additionally|"
    r"in\s+addition|plus|ps|p\.s|meanwhile|and\s+another(?:\s+one)?|"
    r"while\s+(?:you(?:'re|\s+are)|i(?:'ve|\s+have)\s+you|i\s+have\s+you)\s*(?:at\s+it|here|in\s+there|on)?)\b",
    re.IGNORECASE,
)
_REQUEST_RE = re.compile(
    r"\b(?:(?:can|could|would)\s+(?:you|someone|somebody|one\s+of\s+you)\s+(?:also\s+|please\s+)?"
    r"(?:look\s+(?:at|into)|check|fix|set\s+up|setup|install|replace|order|reset|restore|add|create|"
    r"open|make|configure|update|swap|move|change)|"
    r"(?:needs?|need\s+to\s+get|want|wants|would\s+like)\s+(?:\w+\s+){0,4}?"
    r"(?:new|another|\d+|two|three|a\s+new|replaced|restored|reset|installed|set\s+up|changed|"
    r"fixed|added|removed|unlocked|loaded|updated|upgraded|replacing|changing|fixing)\b|"
    r"needs?\s+to\s+be\s+(?:changed|replaced|fixed|reset|updated|installed|set\s+up|restored)|"
    r"leaked|stolen|lost|missing)",
    re.IGNORECASE,
)
_EXTRA_PROBLEM_RE = re.compile(
    r"\b(?:blue\s?screens|bsods|warning(?:\s+light)?|red\s+light|garbage|gibberish|garbled|blank|"
    r"crackles?|crackling|hum|static|read-only|no\s+dial\s+tone|won'?t|isn'?t|can'?t|doesn'?t|not\s+\w+ing)\b",
    re.IGNORECASE,
)
# Progress on this ticket: things tried or done, "still" broken.
_FOLLOW_UP_RE = re.compile(
    r"(?:^|\b(?:i|we)\s+(?:also\s+|just\s+|already\s+)?|^(?:also|and)\s*,?\s*)"
    r"(?:tried|restarted|rebooted|switched|cleared|checked|reinstalled|updated|ran|replaced|moved|"
    r"unplugged|plugged|reset|power\s*cycled|disabled|enabled|installed|removed|swapped|tested)\b|"
    r"\bstill\b|\bagain\s+(?:at|this|last|today)\b|\bsame\s+(?:as\s+before|error|result|thing|issue)\b",
    re.IGNORECASE,
)
# Something fine again, a guess at the cause, a question of fit, or already in other hands.
_TANGENTIAL_RE = re.compile(
    r"\b(?:works?\s+(?:now|again|fine)|working\s+(?:now|again|fine)|(?:is|are|was|got)\s+(?:fixed|resolved|"
    r"sorted)|back\s+(?:up|online)|no\s+longer|all\s+good|(?:all|is|are|it's|its)\s+fine|fixed\s+it|"
    r"(?:ok|okay|fine)\s+now|(?:maybe|perhaps|probably|possibly|might\s+be)\b|that's\s+why|"
    r"could\s+(?:that|this|it)\s+be|(?:same|root)\s+cause|(?:if|be|is|it's)\s+related|related\s+to\s+(?:the|this)|"
    r"if\s+that\s+matters|already\s+(?:handling|handled|on\s+it|aware|reported|logged|has|fixed)|"
    r"(?:has|have)\s+(?:a|its|their)\s+own\s+ticket|(?:hr|facilities|the\s+vendor)\s+(?:handles|is\s+handling))\b",
    re.IGNORECASE,
)
# A pointer back at the ticket's own subject ("her laptop", "the same mailbox", "add him to…").
_POINTS_BACK_RE = re.compile(
    r"^(?:it|its|it's|this|that|these|those|they|they're|he|he's|she|she'll|she's|he'll|they'll|her|his|"
    r"their|same|again)\b|\bsame\b|\b(?:add|give|grant|set|sign|enroll|put|get)\s+(?:him|her|them)\b",
    re.IGNORECASE,
)
_DESCRIBE_LEAD_RE = re.compile(
    r"^(?:(?:hey|hi|so|but|and|fyi|please|pls|i\s+think|i\s+noticed(?:\s+that)?|noticed(?:\s+that)?|"
    r"(?:can|could|would)\s+(?:you|someone|somebody)(?:\s+also|\s+please)?(?:\s+(?:look\s+(?:at|into)|check))?|"
    r"(?:take|have)\s+a\s+look\s+at|look\s+(?:at|into)|check(?:\s+on)?|"
    r"(?:not\s+related|unrelated)\s+to\s+[^,]{1,40},?(?:\s+but)?|"
    r"(?:can|could)\s+(?:you|someone)\s+(?:open|make|create|log)\s+a(?:\s+separate|\s+new)?\s+ticket\s+for|"
    r"need\s+a\s+(?:separate\s+|new\s+)?ticket|different\s+topic|"
    r"while\s+(?:i\s+have\s+you|you(?:'re|\s+are)\s+(?:here|at\s+it|in\s+there)))[\s,:;!.\-–—]*)+",
    re.IGNORECASE,
)
_DESCRIBE_TAIL_RE = re.compile(
    r"(?:[\s,;\-–—]+(?:(?:a\s+)?(?:separate|different|unrelated|another)\s+(?:[\w-]+\s+)?"
    r"(?:issue|problem|thing|one|[\w-]+)|please\s+log\s+it|and\s+needs?\s+a\s+ticket|too|as\s+well))+[\s.!?]*$",
    re.IGNORECASE,
)
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+|\n+")
_ABBREVIATION_END_RE = re.compile(
    r"\b(?:dr|mr|mrs|ms|st|no|vs|etc|e\.g|i\.e|approx|dept|inc|corp|ltd)\.$", re.I
)
_CONTINUES_RE = re.compile(r"^(?:it|it's|its|they|they're|this|that)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Raised:
    """A passage that raises a separate issue, and how that issue reads in a ticket prompt."""

    passage: str
    description: str


def passages(message: str) -> list[str]:
    """Sentences, each with the "It …" sentences that continue it."""
    sentences: list[str] = []
    for part in (part.strip() for part in _SENTENCE_RE.split(message) if part and part.strip()):
        if sentences and _ABBREVIATION_END_RE.search(sentences[-1]):
            sentences[-1] = f"{sentences[-1]} {part}"  # "Dr. Lee's …" goes on
        else:
            sentences.append(part)
    groups: list[str] = []
    for sentence in sentences:
        if groups and _CONTINUES_RE.match(sentence):
            groups[-1] = f"{groups[-1]} {sentence}"
        else:
            groups.append(sentence)
    return groups


def raises_separate_issue(passage: str, topic: set[str]) -> Raised | None:
    """The separate issue `passage` raises, given what the ticket (and its thread) is about; or None."""
    strong = _STRONG_CUE_RE.search(passage) is not None
    if not strong and not _WEAK_CUE_RE.search(passage):
        return None
    if _TANGENTIAL_RE.search(passage) or (not strong and _FOLLOW_UP_RE.search(passage)):
        return None
    problem = PROBLEM_RE.search(passage) or _EXTRA_PROBLEM_RE.search(passage) or _REQUEST_RE.search(passage)
    if not problem and not strong:
        return None
    description = describe(passage)
    subject = topic_keys(description)
    if not description or not subject or _POINTS_BACK_RE.search(description):
        return None
    if subject & topic and not strong:
        return None
    return Raised(passage, description)


def describe(passage: str) -> str:
    """The issue in the passage's own words, without the cue or the request around it."""
    text = strip_edges(passage)
    for _ in range(3):
        text = strip_edges(_DESCRIBE_LEAD_RE.sub("", strip_connective(text)))
    text = strip_edges(_DESCRIBE_TAIL_RE.sub("", text))
    return capitalize_first(text)
