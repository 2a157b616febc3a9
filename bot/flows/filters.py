"""`/tickets search` filter names → ids, through the workspace's cached reference data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from ai.lookup import pick_priority
from bot.grammar import Search, SlackUserRef
from bot.state import ListState
from bot.views.prompts import unknown_choice_message
from psa.aio import gather_all
from psa.models import Board, BoardStatus, Company, Priority, TicketFilters
from psa.service import TicketService
from storage import WorkspaceStore

T = TypeVar("T")
Payload = dict[str, Any]


class FilterProblem(Exception):
    """A filter value that names nothing; `payload` is the message that says so."""

    def __init__(self, payload: Payload) -> None:
        super().__init__(payload.get("text", "bad filter"))
        self.payload = payload


def pick(given: str, items: Sequence[T], *names: Callable[[T], str]) -> list[T]:
    """Items whose name equals `given` (case-insensitive); else those starting with it; else containing it."""
    wanted = " ".join(given.split()).casefold()

    def texts(item: T) -> list[str]:
        return [" ".join(n(item).split()).casefold() for n in names]

    for test in (
        lambda t: t == wanted,
        lambda t: t.startswith(wanted),
        lambda t: wanted in t,
    ):
        hits = [item for item in items if any(test(t) for t in texts(item))]
        if hits:
            return hits
    return []


def _one(kind: str, given: str, hits: list[T], choices: Sequence[str], hint: str | None = None) -> T:
    if len(hits) == 1:
        return hits[0]
    if hits:
        names = [choice for choice in choices if any(choice == _name(hit) for hit in hits)] or choices
        raise FilterProblem(unknown_choice_message(kind, given, names, ambiguous=True))
    raise FilterProblem(unknown_choice_message(kind, given, choices, hint=hint))


def _near(companies: Sequence[Company]) -> list[str]:
    # With nothing matching, listing thousands of companies helps nobody: show a few, point to search.
    return sorted(c.name for c in companies)[:10]


def _name(item: object) -> str:
    return str(getattr(item, "name", ""))


def _priority(given: str, priorities: list[Priority]) -> Priority:
    digits = given.casefold().removeprefix("p").strip()
    if digits.isdigit():
        by_sort = [p for p in priorities if p.sort == int(digits)]
        if len(by_sort) == 1:
            return by_sort[0]
    hits = pick(given, priorities, lambda p: p.name)
    if not hits:
        # Urgency words ("high", "critical", "low") by rank, the same reading Quick Create gives them.
        by_word = pick_priority([given], priorities)
        hits = [by_word] if by_word is not None else []
    return _one(
        "priority",
        given,
        hits,
        [p.name for p in priorities],
        hint="A number such as 1, or high/low, also works.",
    )


def _status(
    given: str, statuses: list[BoardStatus], boards: dict[int, str], board: Board | None
) -> BoardStatus:
    pool = [s for s in statuses if not s.inactive]
    hits = pick(given, pool, lambda s: s.name)
    exact = {s.board_id for s in hits if s.name.casefold() == given.casefold()}
    if len(hits) > 1 and len({s.name.casefold() for s in hits}) == 1 and len(exact) > 1 and board is None:
        on = ", ".join(sorted(boards.get(s.board_id, str(s.board_id)) for s in hits))
        raise FilterProblem(
            unknown_choice_message(
                "status",
                given,
                sorted({s.name for s in pool}),
                hint=f'“{given}” is a status of several boards ({on}); add board:"…" to pick one.',
            )
        )
    where = f" on {board.name}" if board else ""
    return _one(f"status{where}", given, hits, sorted({s.name for s in pool}))


async def all_statuses(service: TicketService, boards: list[Board]) -> list[BoardStatus]:
    """Statuses of every active board, fetched in parallel (and cached by the service)."""
    active = [b for b in boards if not b.inactive]
    lists = await gather_all(*(service.statuses(b.id) for b in active))
    return [s for statuses in lists for s in statuses]


async def _assigned(ref: SlackUserRef, service: TicketService, store: WorkspaceStore) -> tuple[int, str]:
    if ref.user_id:
        mapping = await store.mapping(ref.user_id)
        if mapping is None:
            raise FilterProblem(
                unknown_choice_message(
                    "ConnectWise member mapped to that Slack user",
                    f"@{ref.name or ref.user_id}",
                    [],
                    hint="They can map themselves with `/tickets map`.",
                )
            )
        return mapping.psa_member_id, mapping.member_name
    name = ref.name or ""
    members = await service.members()
    hits = pick(name, members, lambda m: m.identifier, lambda m: m.name)
    member = _one("member", name, hits, [m.identifier for m in members])
    return member.id, member.name


async def _load(fetch: Callable[[], Awaitable[list[T]]], wanted: str | None) -> list[T]:
    return await fetch() if wanted else []


async def resolve_search(command: Search, service: TicketService, store: WorkspaceStore) -> ListState:
    """The list state a `/tickets search …` asks for; raises FilterProblem for names that match nothing."""
    # Every reference list the names need, fetched together (each is cached after the first search).
    boards, priorities, companies = await gather_all(
        _load(service.boards, command.board_name or command.status_name),
        _load(service.priorities, command.priority_name),
        _load(service.companies, command.company_name),
    )
    board: Board | None = None
    if command.board_name:
        board = _one(
            "board",
            command.board_name,
            pick(command.board_name, [b for b in boards if not b.inactive], lambda b: b.name),
            [b.name for b in boards if not b.inactive],
        )
    changes: dict[str, Any] = {}
    if board is not None:
        changes["board_id"] = board.id
    if command.status_name:
        statuses = await service.statuses(board.id) if board else await all_statuses(service, boards)
        status = _status(command.status_name, statuses, {b.id: b.name for b in boards}, board)
        changes["status_id"] = status.id
        if board is None:
            changes["board_id"] = status.board_id
    if command.priority_name:
        changes["priority_id"] = _priority(command.priority_name, priorities).id
    company_name: str | None = None
    if command.company_name:
        hits = pick(command.company_name, companies, lambda c: c.name, lambda c: c.identifier)
        company = _one("company", command.company_name, hits, [c.name for c in hits] or _near(companies))
        changes["company_id"] = company.id
        company_name = company.name
    assigned_name: str | None = None
    if isinstance(command.assigned, SlackUserRef):
        changes["assigned"], assigned_name = await _assigned(command.assigned, service, store)
    else:
        changes["assigned"] = command.assigned
    filters = TicketFilters(search=command.text, include_closed=command.include_closed, **changes)
    return ListState(filters=filters, company_name=company_name, assigned_name=assigned_name)
