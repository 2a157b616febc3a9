"""`/tickets search` filter names → ids, matched the way Quick Create matches them (`ai.lookup`).

A name resolves when it clearly means one thing (exact, a unique word or prefix, a clear best typo-level
match); a status shared by several boards filters on all of them. Real ambiguity answers with only the
candidates, best first, each with the exact filter text to type and a button that shows its tickets.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from rapidfuzz import fuzz, process

from ai.companies import CompanyIndex
from ai.lookup import match_board, match_member, match_status, pick_priority
from ai.match import Match, rank
from ai.text import normalize
from bot.grammar import MemberName, Search, SlackUserRef
from bot.state import ListState
from bot.views.filter_choices import FilterChoice, ambiguous_filter_message, typed_filter
from bot.views.prompts import unknown_choice_message
from psa.aio import gather_all
from psa.models import Board, BoardStatus, Company, Member, Priority
from psa.service import TicketService
from storage import WorkspaceStore
from storage.repositories import mappings as mapping_repo

T = TypeVar("T")
Payload = dict[str, Any]
# Slack names of the members mapped to Slack users: member id → the names Slack shows for that user.
SlackNames = Callable[[], Awaitable[dict[int, list[str]]]]
NEAR_SHOWN = 10


class FilterProblem(Exception):
    """A filter value that names nothing (or several things); `payload` is the message that says so."""

    def __init__(self, payload: Payload) -> None:
        super().__init__(payload.get("text", "bad filter"))
        self.payload = payload


@dataclass
class _Unknown:
    kind: str
    given: str
    choices: list[str]
    hint: str | None = None


@dataclass
class _Ambiguous:
    kind: str
    given: str
    options: list[tuple[str, str, dict[str, Any]]]  # (label, typed filter, list state changes)


@dataclass
class _Reading:
    changes: dict[str, Any] = field(default_factory=dict)
    problems: list[_Unknown | _Ambiguous] = field(default_factory=list)
    skipped: bool = False  # a filter could not even be read (a status of a board still ambiguous)


def _names(items: Sequence[Any]) -> list[str]:
    return list(dict.fromkeys(str(item.name) for item in items))


def _near(given: str, names: Sequence[str]) -> list[str]:
    """The names closest to `given` (for a long list, such as companies, nobody wants all of them)."""
    found = process.extract(given, list(names), scorer=fuzz.WRatio, limit=NEAR_SHOWN, score_cutoff=50)
    return [name for name, _, _ in found]


def _board(given: str, boards: list[Board], reading: _Reading) -> Board | None:
    active = [b for b in boards if not b.inactive]
    match = match_board(given, active)
    if match.chosen is not None:
        reading.changes["board_id"] = match.chosen.id
        return match.chosen
    if len(match.candidates) > 1:
        ranked = rank(given, match.candidates, lambda b: [b.name])
        options = [(b.name, typed_filter("board", b.name), {"board_id": b.id}) for b in ranked]
        reading.problems.append(_Ambiguous("board", given, options))
    else:
        reading.problems.append(_Unknown("board", given, _names(active)))
    return None


def _status(given: str, statuses: list[BoardStatus], board: Board | None, reading: _Reading) -> None:
    pool = [s for s in statuses if not s.inactive]
    if board is not None:
        match = match_status(given, pool)
        if match.chosen is not None:
            reading.changes["status_id"] = match.chosen.id
            return
        _status_problem(f"status on {board.name}", given, match, pool, reading, {"board_id": board.id})
        return
    # Without a board, a status is its name: one entry per distinct name, on every board that has it.
    by_name: dict[str, list[BoardStatus]] = {}
    for status in pool:
        by_name.setdefault(normalize(status.name), []).append(status)
    named = [same[0] for same in by_name.values()]
    match = match_status(given, named)
    if match.chosen is None:
        _status_problem("status", given, match, named, reading, {})
        return
    same = by_name[normalize(match.chosen.name)]
    if len({s.board_id for s in same}) == 1:
        reading.changes.update(status_id=same[0].id, board_id=same[0].board_id)
    else:
        reading.changes["status_name"] = match.chosen.name


def _status_problem(
    kind: str,
    given: str,
    match: Match[BoardStatus],
    pool: list[BoardStatus],
    reading: _Reading,
    base: dict[str, Any],
) -> None:
    if len(match.candidates) > 1:
        ranked = rank(given, match.candidates, lambda s: [s.name])
        key = "status_id" if base else "status_name"
        options = [
            (s.name, typed_filter("status", s.name), {**base, key: s.id if base else s.name}) for s in ranked
        ]
        reading.problems.append(_Ambiguous(kind, given, options))
    else:
        reading.problems.append(_Unknown(kind, given, sorted(_names(pool))))


def _priority(given: str, priorities: list[Priority], reading: _Reading) -> None:
    ordered = sorted(priorities, key=lambda p: (p.sort, p.id))
    digits = given.casefold().removeprefix("p").strip()
    if digits.isdigit():
        by_sort = [p for p in ordered if p.sort == int(digits)]
        if len(by_sort) == 1:
            reading.changes["priority_id"] = by_sort[0].id
            return
    wanted = normalize(given)
    hits = [p for p in ordered if normalize(p.name) == wanted]
    if not hits and (by_word := pick_priority([given], ordered)) is not None:
        # Urgency words ("high", "critical", "low") by meaning and rank, as Quick Create reads them.
        hits = [by_word]
    hits = hits or [p for p in ordered if wanted and wanted in normalize(p.name)]
    if len(hits) == 1:
        reading.changes["priority_id"] = hits[0].id
    elif hits:
        options = [(p.name, typed_filter("priority", p.name), {"priority_id": p.id}) for p in hits]
        reading.problems.append(_Ambiguous("priority", given, options))
    else:
        reading.problems.append(
            _Unknown("priority", given, _names(ordered), "A number such as 1, or high/low, also works.")
        )


async def _company(given: str, companies: list[Company], service: TicketService, reading: _Reading) -> None:
    match = CompanyIndex(companies).match_name(given)
    if not match.found:
        # The cached list may be partial (large PSAs): ask the PSA itself before giving up.
        extra = await service.search_companies(given)
        match = CompanyIndex(extra).match_name(given) if extra else match
        if not match.found and len(extra) == 1:
            match = Match(chosen=extra[0], text=given)
    chosen = match.chosen or (match.candidates[0] if len(match.candidates) == 1 else None)
    if chosen is not None:
        reading.changes.update(company_id=chosen.id, company_name=chosen.name)
    elif match.candidates:
        ranked = rank(given, match.candidates, lambda c: [c.name, c.identifier])
        options = [
            (c.name, typed_filter("company", c.name), {"company_id": c.id, "company_name": c.name})
            for c in ranked
        ]
        reading.problems.append(_Ambiguous("company", given, options))
    else:
        reading.problems.append(_Unknown("company", given, _near(given, _names(companies))))


async def _assigned(
    ref: SlackUserRef | MemberName,
    members: list[Member],
    store: WorkspaceStore,
    slack_names: SlackNames | None,
    reading: _Reading,
) -> None:
    if isinstance(ref, SlackUserRef) and ref.user_id:
        mapping = await store.read(partial(mapping_repo.get_mapping, slack_user_id=ref.user_id))
        if mapping is None:
            reading.problems.append(
                _Unknown(
                    "ConnectWise member mapped to that Slack user",
                    f"@{ref.name or ref.user_id}",
                    [],
                    "They can map themselves with `/tickets map`.",
                )
            )
            return
        reading.changes.update(assigned=mapping.psa_member_id, assigned_name=mapping.member_name)
        return
    given = (ref.name or "") if isinstance(ref, SlackUserRef) else ref.text
    match: Match[Member] = Match()
    if isinstance(ref, SlackUserRef) and slack_names is not None:
        # "@Sam" typed as text: the Slack user of that name, when they are mapped, is who is meant.
        match = _by_slack_name(given, members, await slack_names())
    if not match.found:
        match = match_member(given, members)
    if match.chosen is not None:
        reading.changes.update(assigned=match.chosen.id, assigned_name=match.chosen.name)
    elif match.candidates:
        ranked = rank(given, match.candidates, lambda m: [m.name, m.identifier])
        options = [
            (f"{m.name} ({m.identifier})", typed_filter("assigned", m.identifier), _member_change(m))
            for m in ranked
        ]
        reading.problems.append(_Ambiguous("member", given, options))
    else:
        labels = {f"{m.identifier} ({m.name})": m for m in members}
        near = _near(given, list(labels))
        reading.problems.append(_Unknown("member", given, [labels[n].identifier for n in near]))


def _member_change(member: Member) -> dict[str, Any]:
    return {"assigned": member.id, "assigned_name": member.name}


def _by_slack_name(given: str, members: list[Member], names: dict[int, list[str]]) -> Match[Member]:
    wanted = normalize(given)
    ids = {
        member_id
        for member_id, labels in names.items()
        if any(
            normalize(label) == wanted or normalize(label).split()[:1] == [wanted]
            for label in labels
            if label
        )
    }
    hits = [m for m in members if m.id in ids]
    return Match(chosen=hits[0], text=given) if len(hits) == 1 else Match(candidates=tuple(hits), text=given)


async def _load(fetch: Callable[[], Awaitable[list[T]]], wanted: object) -> list[T]:
    return await fetch() if wanted else []


async def all_statuses(service: TicketService, boards: list[Board]) -> list[BoardStatus]:
    """Statuses of every active board, fetched in parallel (and cached by the service)."""
    active = [b for b in boards if not b.inactive]
    lists = await gather_all(*(service.statuses(b.id) for b in active))
    return [s for statuses in lists for s in statuses]


async def resolve_search(
    command: Search,
    service: TicketService,
    store: WorkspaceStore,
    *,
    slack_names: SlackNames | None = None,
) -> ListState:
    """The list state a `/tickets search …` asks for; raises FilterProblem when a name needs the user."""
    wants_members = isinstance(command.assigned, MemberName) or (
        isinstance(command.assigned, SlackUserRef) and not command.assigned.user_id
    )
    # Every reference list the names need, fetched together (each is cached after the first search).
    boards, priorities, companies, members = await gather_all(
        _load(service.boards, command.board_name or command.status_name),
        _load(service.priorities, command.priority_name),
        _load(service.companies, command.company_name),
        _load(service.members, wants_members),
    )
    reading = _Reading()
    board = _board(command.board_name, boards, reading) if command.board_name else None
    if command.status_name and board is None and command.board_name:
        reading.skipped = True
    elif command.status_name:
        statuses = await service.statuses(board.id) if board else await all_statuses(service, boards)
        _status(command.status_name, statuses, board, reading)
    if command.priority_name:
        _priority(command.priority_name, priorities, reading)
    if command.company_name:
        await _company(command.company_name, companies, service, reading)
    if isinstance(command.assigned, SlackUserRef | MemberName):
        await _assigned(command.assigned, members, store, slack_names, reading)
    else:
        reading.changes["assigned"] = command.assigned
    state = ListState().with_filter(
        search=command.text, include_closed=command.include_closed, **reading.changes
    )
    _raise_for(reading, state)
    return state


def _raise_for(reading: _Reading, state: ListState) -> None:
    problems = reading.problems
    if not problems:
        return
    unknown = next((p for p in problems if isinstance(p, _Unknown)), None)
    if unknown is not None:
        raise FilterProblem(
            unknown_choice_message(unknown.kind, unknown.given, unknown.choices, hint=unknown.hint)
        )
    first = problems[0]
    assert isinstance(first, _Ambiguous)
    # A button can only show the tickets when this is the one name left to settle.
    clickable = len(problems) == 1 and not reading.skipped
    choices = [
        FilterChoice(label=label, typed=typed, state=state.with_filter(**changes) if clickable else None)
        for label, typed, changes in first.options
    ]
    raise FilterProblem(ambiguous_filter_message(first.kind, first.given, choices))
