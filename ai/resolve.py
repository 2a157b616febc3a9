"""Resolution: `Mentions` → `AiParseResponse`, every id taken from the PSA's reference data.

The model (or the heuristic) only ever supplies names; ids come from matching those names here, so
nothing a prompt says can produce an id the PSA does not have.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

from ai.companies import CompanyIndex
from ai.lookup import board_in_clause, default_status, match_board, match_member, match_status, pick_priority
from ai.match import Match, names_list
from ai.models import REQUIRED_FIELDS, AiParseResponse, Mentions
from ai.reference import ReferenceSource
from ai.text import (
    capitalize_first,
    clip,
    cut_span,
    join_clauses,
    norm_tokens,
    normalize,
    split_clauses,
    strip_edges,
    tokenize,
)
from ai.vocabulary import outage_words, strip_connective
from psa.models import Board, Company, Member, Priority

NOT_MAPPED = "You are not mapped to a PSA member"
_DANGLING_RE = re.compile(r"(?:\b(?:for|at|from|with|of|by|client|customer|company)\s*)+$", re.IGNORECASE)
_SELF = frozenset({"me", "myself", "mine", "i", "self"})
_NOBODY = frozenset({"unassigned", "nobody", "no one", "none", "noone"})
_CLAUSE_CONTINUES = frozenset(
    """is are was were has have had can cant cannot wont will keeps keep needs need wants want reports
    reported says said does doesnt did didnt isnt arent just still also about regarding re with on
    in""".split()
)
_REQUEST_LEAD_RE = re.compile(
    r"^(?:(?:hi|hey|hello)\b[\s,!]*)?(?:(?:please|pls)\s+)?(?:(?:can|could|would)\s+(?:you|someone|somebody)\s+)?"
    r"(?:(?:please|pls)\s+)?(?:(?:create|open|log|raise|make|add|file|start|submit)\s+)?(?:a\s+|an\s+)?"
    r"(?:new\s+)?(?:ticket|case)\b\s*(?:for|about|re|regarding|on)?\s*[:\-–—]?\s*",
    re.IGNORECASE,
)
_LEAD_VERB_RE = re.compile(
    r"^(?:(?:is|are)\s+)?(?:wants?|needs?|would\s+like|requests?|requested|requesting|asking\s+for|asks?\s+for|"
    r"asked\s+for|reports?|reported|reporting|says?|said|has|have|having|is\s+having|are\s+having)\s+"
    r"(?:(?:a|an|the|to|that|their|its|some)\s+)?",
    re.IGNORECASE,
)


# "…, and needs a ticket" / "… please open a ticket for it": about the request, not the problem.
_TICKET_TAIL_RE = re.compile(
    r"[\s,;]*(?:\band\s+|\bso\s+)?(?:(?:it|this|that)\s+)?(?:(?:needs?|wants?|deserves?|should\s+get)\s+"
    r"(?:a|its\s+own|a\s+separate|a\s+new)\s+(?:ticket|case)|(?:please\s+|pls\s+|can\s+you\s+)?"
    r"(?:open|create|log|raise|make)\s+(?:a|another|a\s+separate|a\s+new)\s+(?:ticket|case)"
    r"(?:\s+for\s+(?:it|this|that))?)[\s.!,]*$",
    re.IGNORECASE,
)


@dataclass
class _Draft:
    summary: str
    description: str | None
    response: AiParseResponse = field(default_factory=AiParseResponse)

    def warn(self, message: str) -> None:
        if message not in self.response.warnings:
            self.response.warnings.append(message)


class Resolver:
    """Turns mentions into PSA ids using a `ReferenceSource`; never invents an id."""

    def __init__(self, reference: ReferenceSource) -> None:
        self._reference = reference
        self._index: tuple[int, CompanyIndex] | None = None

    def _company_index(self, companies: list[Company]) -> CompanyIndex:
        # Building the index costs ~0.1 s for 5,000 companies; the cached list rarely changes.
        key = hash(tuple((c.id, c.name, c.identifier) for c in companies))
        if self._index is None or self._index[0] != key:
            self._index = (key, CompanyIndex(companies))
        return self._index[1]

    async def resolve(
        self,
        mentions: Mentions,
        *,
        actor_member_id: int | None,
        prompt: str = "",
        warnings: list[str] | None = None,
    ) -> AiParseResponse:
        """Resolve names to ids; ambiguous or weak matches stay null with a warning naming the candidates."""
        draft = _Draft(summary=mentions.summary, description=mentions.description or prompt.strip() or None)
        for message in warnings or []:
            draft.warn(message)
        assignee = (mentions.assignee or "").strip().casefold()
        wants_members = bool(assignee) and assignee not in _NOBODY
        # Urgency nobody stated, read from what is down ("email is down"): inferred, and said so.
        inferred = (
            None if mentions.priority_words else outage_words(f"{mentions.summary} {draft.description or ''}")
        )
        companies, boards, priorities, members = await asyncio.gather(
            self._reference.companies(),
            self._reference.boards(),
            self._reference.priorities() if mentions.priority_words or inferred else _empty_priorities(),
            self._reference.members() if wants_members else _empty_members(),
        )
        await self._company(mentions, companies, draft)
        board = self._board(mentions, boards, draft)
        if board is not None:
            await self._status(mentions, board, draft)
        elif mentions.status_hint:
            draft.warn(f"Status '{mentions.status_hint}' needs a board: choose the board, then the status")
        self._priority(mentions, priorities, draft, inferred)
        self._assignee(mentions, members, actor_member_id, draft)
        self._finish(draft, prompt)
        return draft.response

    async def _company(self, mentions: Mentions, companies: list[Company], draft: _Draft) -> None:
        index = self._company_index(companies)
        match: Match[Company] = Match()
        if mentions.company:
            match = index.match_name(mentions.company)
            if not match.found:
                # The cached list may be partial (large PSAs); ask the PSA itself before giving up.
                extra = await self._reference.search_companies(mentions.company)
                match = CompanyIndex(extra).match_name(mentions.company)
        named = match.found
        if not match.found:
            match = index.scan(draft.description or draft.summary)
        one_mention = match.chosen is not None or all(
            normalize(company.name).startswith(normalize(match.text))
            or normalize(company.identifier) == normalize(match.text)
            for company in match.candidates
        )
        if match.chosen is not None:
            draft.response.company_id = match.chosen.id
        elif match.candidates and len(match.candidates) > 1:
            options = names_list([company.name for company in match.candidates])
            if one_mention:
                draft.warn(f"'{match.text}' matches {options}; choose the company")
            else:
                draft.warn(f"The request names {options}; choose the company")
        elif match.candidates:
            draft.warn(f"'{match.text}' may be {match.candidates[0].name}; choose the company to confirm")
        elif mentions.company:
            draft.warn(f"No company matches '{mentions.company}'")
        if match.found and one_mention and (named or match.chosen is not None or len(match.candidates) > 1):
            # Two companies named: both stay in the text, it is about how they relate.
            draft.summary = _remove_phrase(draft.summary, match.text)
        if match.chosen is not None and draft.description:
            # The company is a field now; the description keeps only the problem.
            draft.description = _remove_phrase(draft.description, match.text) or draft.description

    def _board(self, mentions: Mentions, boards: list[Board], draft: _Draft) -> Board | None:
        active = [board for board in boards if not board.inactive]
        if mentions.board_hint:
            match = match_board(mentions.board_hint, active)
            if match.chosen is None:
                candidates = [board.name for board in match.candidates]
                self._warn_unmatched(
                    draft, "board", mentions.board_hint, candidates, [b.name for b in active]
                )
                return None
            draft.response.board_id = match.chosen.id
            return match.chosen
        # "…, help desk, …": a clause that is only a board name routes the ticket there.
        clauses = split_clauses(draft.description or "")
        for clause in clauses:
            match = board_in_clause(clause.text, active)
            if match.chosen is not None:
                draft.response.board_id = match.chosen.id
                draft.description = join_clauses([c for c in clauses if c is not clause]) or None
                draft.summary = join_clauses(
                    [c for c in split_clauses(draft.summary) if not board_in_clause(c.text, active).found]
                )
                return match.chosen
        return None

    async def _status(self, mentions: Mentions, board: Board, draft: _Draft) -> None:
        statuses = await self._reference.statuses(board.id)
        if mentions.status_hint:
            match = match_status(mentions.status_hint, statuses)
            if match.chosen is not None:
                draft.response.status_id = match.chosen.id
                return
            candidates = [status.name for status in match.candidates]
            self._warn_unmatched(
                draft, "status", mentions.status_hint, candidates, [s.name for s in statuses]
            )
        status = default_status(statuses)
        if status is not None:
            draft.response.status_id = status.id

    def _priority(
        self, mentions: Mentions, priorities: list[Priority], draft: _Draft, inferred: str | None
    ) -> None:
        if inferred is not None:
            priority = pick_priority([inferred], priorities)
            if priority is not None:
                draft.response.priority_id = priority.id
                draft.warn(f"Priority not stated: {priority.name} because '{inferred}'; change it if needed")
            return
        if not mentions.priority_words:
            return
        priority = pick_priority(mentions.priority_words, priorities)
        if priority is not None:
            draft.response.priority_id = priority.id
        else:
            draft.warn(f"Could not map '{', '.join(mentions.priority_words)}' to a priority")

    def _assignee(
        self, mentions: Mentions, members: list[Member], actor_member_id: int | None, draft: _Draft
    ) -> None:
        who = (mentions.assignee or "").strip()
        if not who or who.casefold() in _NOBODY:
            return
        if who.casefold() in _SELF:
            if actor_member_id is None:
                draft.warn(NOT_MAPPED)
            elif any(member.id == actor_member_id for member in members):
                draft.response.assigned_member_id = actor_member_id
            else:
                draft.warn("Your PSA member is not active; the ticket was left unassigned")
            return
        match = match_member(who, members)
        if match.chosen is not None:
            draft.response.assigned_member_id = match.chosen.id
        elif len(match.candidates) > 1:
            draft.warn(
                f"'{who}' matches {names_list([m.name for m in match.candidates])}; choose the assignee"
            )
        else:
            draft.warn(f"No active member matches '{who}'")

    @staticmethod
    def _warn_unmatched(draft: _Draft, kind: str, text: str, candidates: list[str], names: list[str]) -> None:
        if len(candidates) > 1:
            draft.warn(f"'{text}' matches {names_list(candidates)}; choose the {kind}")
        else:
            draft.warn(f"No {kind} matches '{text}' (available: {names_list(names)})")

    @staticmethod
    def _finish(draft: _Draft, prompt: str) -> None:
        summary = tidy_summary(draft.summary)
        if not summary:
            first = split_clauses(prompt or draft.description or "")
            summary = tidy_summary(first[0].text) if first else ""
        response = draft.response
        response.summary = summary or None
        response.description = capitalize_first(draft.description.strip()) if draft.description else None
        response.missing_fields = [name for name in REQUIRED_FIELDS if getattr(response, name) is None]


def tidy_summary(text: str) -> str:
    """≤100 characters, no leading connective or request verbs, no dangling separators, capitalised."""
    text = strip_edges(_REQUEST_LEAD_RE.sub("", strip_connective(strip_edges(text))))
    text = strip_edges(_TICKET_TAIL_RE.sub("", strip_connective(text)))
    text = strip_edges(re.sub(r"^(?:about|regarding|re)\b\s*:?\s*", "", text, flags=re.IGNORECASE))
    text = strip_edges(_LEAD_VERB_RE.sub("", text))
    return capitalize_first(clip(text))


def _remove_phrase(text: str, phrase: str) -> str:
    """Cut the words of `phrase` (compared folded) out of `text`, with a dangling 'for'/'at' before them."""
    words = [token.norm for token in tokenize(phrase)]
    tokens = tokenize(text)
    size = len(words)
    for i in range(len(tokens) - size + 1):
        window = tokens[i : i + size]
        if size and all(t.norm == w or t.base == w for t, w in zip(window, words, strict=True)):
            before = text[: window[0].start]
            tail = text[window[-1].end :]
            following = norm_tokens(tail)[:1]
            if not following or following[0] in _CLAUSE_CONTINUES or not tail.strip()[:1].isalnum():
                # "Reset MFA for Dr. Lee at Acme" and "server at Acme is down" lose the preposition;
                # "printer at Acme warehouse" keeps it ("printer at warehouse").
                before = _DANGLING_RE.sub("", before)
            before = before.rstrip()
            start = len(before) + 1 if before else 0
            joined = f"{before} {text[window[0].start :]}" if before else text[window[0].start :]
            return cut_span(joined, start, start + window[-1].end - window[0].start)
    return text


async def _empty_priorities() -> list[Priority]:
    return []


async def _empty_members() -> list[Member]:
    return []
