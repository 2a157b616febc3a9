"""The offline extractor: routing phrases by pattern, the rest kept as the problem text.

It knows no company, board or member names. It reports where the request *names* a company
("X: …", "X - …", "ticket for X", "client: X"); finding company names anywhere else in the text is
done by the resolver against the PSA's company list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ai.models import Extraction, Mentions
from ai.text import Clause, clip, join_clauses, norm_tokens, split_clauses, strip_edges
from ai.typos import fix_keywords
from ai.vocabulary import ANYWHERE_RE, PROBLEM_RE, is_filler, standalone_urgency, strip_connective

_NAME = r"[^\s,;:!?]+(?:\s+[^\s,;:!?]+){0,3}"
_LEAD_RE = re.compile(
    r"^(?:(?:hi|hey|hello)(?:\s+team|\s+all)?[,!]?\s+)?(?:(?:please|pls|can you|could you)\s+)*"
    r"(?:(?:create|open|log|raise|make|add|file|start|put in|submit)\s+)?(?:a\s+|an\s+)?(?:new\s+)?"
    r"(?:ticket|tkt|case|service request)\b\s*(?P<for>for|about|re|regarding)?\s*[:\-–—]?\s*",
    re.IGNORECASE,
)
_PREFIX_RE = re.compile(r"^(?P<head>[^:\n]{2,70}?)\s*(?::(?=\s)|\s[-–—]+\s)\s*(?P<rest>\S.*)$", re.DOTALL)
_NOT_A_COMPANY = frozenset(
    {
        "re", "fyi", "note", "update", "subject", "issue", "problem", "request", "question", "ticket",
        "summary", "title", "description", "details", "info", "important", "heads up", "reminder", "todo",
        "to do", "ps", "edit", "follow up", "followup", "status", "priority", "board", "assignee", "owner",
    }
)  # fmt: skip
_COMPANY_LABELS = frozenset({"client", "customer", "company", "account", "site", "org", "organisation"})
_ME = frozenset({"me", "myself", "i", "mine", "yours truly"})
_NOBODY = frozenset({"nobody", "no one", "noone", "none", "unassigned", "no body"})
_VAGUE = frozenset({"someone", "somebody", "anyone", "anybody", "the team", "team", "whoever", "whomever"})

_UNASSIGNED_RE = re.compile(
    r"\b(?:leave\s+(?:it\s+|this\s+)?unassigned|keep\s+(?:it\s+|this\s+)?unassigned|unassigned|"
    r"no\s+(?:assignee|owner|one\s+assigned)|(?:don'?t|do\s+not)\s+assign(?:\s+(?:it|this|anyone|anybody))?)\b",
    re.IGNORECASE,
)
_ME_RE = re.compile(
    r"\b(?:(?:re)?assign(?:ed)?\s+(?:it\s+|this\s+)?(?:to\s+)?(?:me|myself)|i'?ll\s+(?:take|handle|grab|own)"
    r"\s+(?:it|this)|give\s+(?:it|this)\s+to\s+me|(?:it'?s|its)\s+mine)\b",
    re.IGNORECASE,
)
_ASSIGN_RE = re.compile(
    r"\b(?:(?:please\s+)?(?:re)?assign(?:ed)?\s+(?:it\s+|this\s+|the\s+ticket\s+)?(?:over\s+)?(?:to\s+)?|"
    r"(?:give|hand)\s+(?:it\s+|this\s+|the\s+ticket\s+)?(?:over\s+)?to\s+|"
    r"(?:send|pass|route|escalate)\s+(?:it|this|the\s+ticket)\s+(?:over\s+)?to\s+|"
    r"(?:owner|assignee|assigned|tech|technician|resource)\s*[:=]\s*)(?P<who>.+)$",
    re.IGNORECASE,
)
# Words that end a person's name in "assign to Jon Smith for the Acme printer, high priority".
_NAME_STOP = frozenset(
    """a an the for about at on in to re regarding with and but please pls thanks thank asap so because since
    who when if from of by as it this that today tomorrow now ticket board priority is was will can should
    then after before high low urgent critical emergency medium normal whenever once until""".split()
)
_NAME_TOKEN_RE = re.compile(r"[\w'’@-]+|[^\w\s]")
_BOARD_WORD_RE = re.compile(r"\bboard\b", re.IGNORECASE)
_BOARD_LABEL_RE = re.compile(r"\bboard\s*[:=]\s*(?P<b>[^,;:!?]+)$", re.IGNORECASE)
_BOARD_STOP = frozenset(
    {
        "on",
        "in",
        "to",
        "into",
        "under",
        "onto",
        "via",
        "the",
        "a",
        "an",
        "for",
        "at",
        "put",
        "it",
        "this",
        "move",
    }
    | {"send", "route", "place", "file", "log", "ticket", "goes", "go", "please", "pls"}
)
_STATUS_RE = re.compile(
    r"\b(?:(?:(?:please\s+)?(?:set|change|update|move|put|switch|make)\s+(?:the\s+|its\s+)?(?:ticket\s+)?)?"
    r"status\s*(?:[:=]|to|as|is|of|should\s+be|=)?\s*(?:to\s+|as\s+)?|"
    r"(?:mark|set|put|move|flag)\s+(?:it\s+|this\s+|the\s+ticket\s+)?(?:as|to|in|into)\s+)"
    r"(?P<s>[\w' ]{2,30}?)\s*$",
    re.IGNORECASE,
)
_PRONOUN_START_RE = re.compile(r"(?:it|it's|its|they|they're|this|that|which|she|he)\b", re.IGNORECASE)
_RANK_WORD_RE = re.compile(r"\b(?:p[1-9]|priority\s*[:=]?\s*[1-9]|sev(?:erity)?\s*[:=]?\s*[1-9])\b", re.I)


@dataclass
class _Reading:
    company: str | None = None
    board_hint: str | None = None
    status_hint: str | None = None
    assignee: str | None = None
    priority_words: list[str] = field(default_factory=list)
    content: list[Clause] = field(default_factory=list)


class HeuristicExtractor:
    """Deterministic, offline extraction of routing mentions from a request."""

    async def extract(self, prompt: str) -> Extraction:
        """Read `prompt` into mentions (never fails)."""
        return Extraction(mentions=self.read(prompt), source="heuristic")

    def read(self, prompt: str) -> Mentions:
        """The synchronous core of `extract`."""
        text = fix_keywords(re.sub(r"[ \t\r\f\v]+", " ", prompt).strip())
        reading = _Reading()
        text = self._lead(text, reading)
        for clause in split_clauses(text):
            rest = strip_connective(self._route(clause.text, reading))
            if rest and not is_filler(rest):
                reading.content.append(Clause(rest, clause.ends_sentence))
        summary = self._summary(reading.content) or clip(strip_edges(text.split("\n")[0]))
        description = join_clauses(reading.content) or strip_edges(text) or None
        return Mentions(
            summary=summary,
            description=description,
            company=reading.company,
            board_hint=reading.board_hint,
            priority_words=reading.priority_words,
            assignee=reading.assignee,
            status_hint=reading.status_hint,
        )

    def _lead(self, text: str, reading: _Reading) -> str:
        lead = _LEAD_RE.match(text)
        if lead and lead.end() > 0:
            text = text[lead.end() :]
            if lead.group("for"):
                clauses = split_clauses(text)
                head = clauses[0].text if clauses else ""
                head = re.split(r"\s*(?::\s|\s[-–—]+\s)|\s+(?:about|regarding|re|with|because)\b", head)[0]
                if head and len(head.split()) <= 6 and not PROBLEM_RE.search(head):
                    reading.company = strip_edges(head)
                    return text
        prefix = _PREFIX_RE.match(text)
        if not prefix:
            return text
        head = strip_edges(prefix.group("head"))
        words = norm_tokens(head)
        if " ".join(words) in _COMPANY_LABELS:
            first = split_clauses(prefix.group("rest"))
            if first and len(first[0].text.split()) <= 6:
                reading.company = first[0].text
            return text
        head = re.sub(r"^for\s+", "", head, flags=re.IGNORECASE)
        if self._looks_like_name(head):
            reading.company = head
        return text

    @staticmethod
    def _looks_like_name(head: str) -> bool:
        words = norm_tokens(head)
        return (
            0 < len(words) <= 6
            and " ".join(words) not in _NOT_A_COMPANY
            and not is_filler(head)
            and standalone_urgency(head) is None
            and not ANYWHERE_RE.search(head)
            and not PROBLEM_RE.search(head)
            and not _ASSIGN_RE.search(head)
        )

    def _route(self, clause: str, reading: _Reading) -> str:
        clause = self._assignee(clause, reading)
        clause = self._board(clause, reading)
        clause = self._status(clause, reading)
        clause = self._priority(clause, reading)
        return strip_edges(re.sub(r"\s+(?:and|&)$", "", clause, flags=re.IGNORECASE))

    @staticmethod
    def _assignee(clause: str, reading: _Reading) -> str:
        if match := _UNASSIGNED_RE.search(clause):
            reading.assignee = reading.assignee or "unassigned"
            return _cut(clause, match)
        if match := _ME_RE.search(clause):
            reading.assignee = reading.assignee or "me"
            return _cut(clause, match)
        if norm_tokens(clause) == ["mine"]:
            reading.assignee = reading.assignee or "me"
            return ""
        match = _ASSIGN_RE.search(clause)
        if not match:
            return clause
        rest_start = match.start("who")
        title = re.match(r"(?:the\s+)?(?:tech|engineer|technician)\s+", match.group("who"), re.IGNORECASE)
        start = rest_start + (title.end() if title else 0)
        end, words = start, 0
        for token in _NAME_TOKEN_RE.finditer(clause, start):
            word = token.group(0)
            if not re.match(r"[\w@]", word) or word.casefold() in _NAME_STOP or words == 4:
                break
            end, words = token.end(), words + 1
        who = clause[start:end]
        key = " ".join(norm_tokens(who))
        rest = strip_edges(f"{clause[: match.start()]} {clause[end:]}")
        if key in _ME:
            who = "me"
        elif key in _NOBODY:
            who = "unassigned"
        elif key in _VAGUE or not key:
            return rest
        reading.assignee = reading.assignee or who
        return rest

    @staticmethod
    def _board(clause: str, reading: _Reading) -> str:
        if match := _BOARD_LABEL_RE.search(clause):
            reading.board_hint = reading.board_hint or strip_edges(match.group("b"))
            return _cut(clause, match)
        match = _BOARD_WORD_RE.search(clause)
        if not match:
            return clause
        words = list(re.finditer(r"[^\s,;:]+", clause[: match.start()]))
        kept: list[re.Match[str]] = []
        for word in reversed(words):
            if word.group(0).lower() in _BOARD_STOP or len(kept) == 3:
                break
            kept.insert(0, word)
        if not kept:
            return clause
        start = kept[0].start()
        for word in reversed(words[: words.index(kept[0])]):
            if word.group(0).lower() not in _BOARD_STOP:
                break
            start = word.start()
        reading.board_hint = reading.board_hint or clause[kept[0].start() : match.start()].strip()
        return strip_edges(clause[:start] + " " + clause[match.end() :])

    @staticmethod
    def _status(clause: str, reading: _Reading) -> str:
        match = _STATUS_RE.search(clause)
        if not match or standalone_urgency(match.group("s")) is not None:
            return clause
        reading.status_hint = reading.status_hint or strip_edges(match.group("s"))
        return _cut(clause, match)

    @staticmethod
    def _priority(clause: str, reading: _Reading) -> str:
        if standalone_urgency(clause) is not None:
            reading.priority_words.append(strip_edges(clause).lower())
            return ""
        for pattern in (ANYWHERE_RE, _RANK_WORD_RE):
            while match := pattern.search(clause):
                reading.priority_words.append(match.group(0).lower())
                clause = _cut(clause, match)
        return clause

    @staticmethod
    def _summary(content: list[Clause]) -> str:
        chosen: list[Clause] = []
        for index, clause in enumerate(content):
            if not PROBLEM_RE.search(clause.text):
                continue
            # "Acme's Outlook, it keeps freezing": the clause before says what "it" is.
            if index and _PRONOUN_START_RE.match(clause.text) and content[index - 1] not in chosen:
                chosen.append(content[index - 1])
            chosen.append(clause)
        return clip(join_clauses(chosen or content))


def _cut(text: str, match: re.Match[str]) -> str:
    return strip_edges(f"{text[: match.start()]} {text[match.end() :]}")
