"""`TicketService`: the account-scoped ticket operations the bot calls. Knows nothing of Slack."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from typing import Any, Protocol, TypeVar
from uuid import UUID

from pydantic import BaseModel
from rapidfuzz import fuzz

from psa.aio import gather_all
from psa.base import ProviderFilters, PSAProvider
from psa.changes import (
    POLL_PAGES,
    Assignment,
    ChangeSubscription,
    PollCursor,
    PSAChange,
    SubscriptionSync,
    TicketChanges,
    poll_ticket_changes,
)
from psa.errors import PSAError
from psa.models import (
    Board,
    BoardStatus,
    Company,
    Member,
    MemberTimeDefaults,
    Note,
    Priority,
    PSAResource,
    PSATicketCreated,
    PSATicketSearchResult,
    PSATicketStatusUpdate,
    TicketContext,
    TicketCreatePayload,
    TicketFilters,
    TicketListResponse,
    TimeEntry,
    TimeEntryCreate,
    WorkRole,
    WorkType,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

COMPANIES_MAX = 5000
FUZZY_MIN_SCORE = 80


class MemberMappingLookup(Protocol):
    """Who is who: app users (e.g. Slack user ids) and the PSA members they are mapped to."""

    async def member_id_for(self, user_ref: str) -> int | None:
        """The PSA member id of an app user, or None when unmapped."""
        ...

    async def mapped_member_ids(self) -> dict[int, str]:
        """PSA member id -> app user id, for every mapped member."""
        ...


class NotMappedError(PSAError):
    """The user asked for 'my' tickets but is not mapped to a PSA member."""

    user_hint = "Map your Slack user to your PSA member first."

    def __init__(self, user_ref: str | None) -> None:
        super().__init__("You are not mapped to a PSA member yet.", code="not_mapped")
        self.user_ref = user_ref


class TicketDetail(BaseModel):
    """What the detail view needs: the ticket context and its current assignees."""

    context: TicketContext
    resources: list[PSAResource]


class _TTLCache:
    """Values kept for `ttl` seconds; concurrent misses for one key share a single load."""

    def __init__(self, ttl: float, clock: Callable[[], float]) -> None:
        self._ttl = ttl
        self._clock = clock
        self._values: dict[Hashable, tuple[float, Any]] = {}
        self._inflight: dict[Hashable, asyncio.Task[Any]] = {}
        self._generation = 0

    async def get(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        hit = self._values.get(key)
        if hit is not None and hit[0] > self._clock():
            return hit[1]
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._load(key, load, self._generation))
            task.add_done_callback(_consume_exception)
            self._inflight[key] = task
        # One caller giving up must not cancel the load the others are waiting for.
        return await asyncio.shield(task)

    async def _load(self, key: Hashable, load: Callable[[], Awaitable[T]], generation: int) -> T:
        try:
            value = await load()
            if generation == self._generation:  # not invalidated while loading
                self._values[key] = (self._clock() + self._ttl, value)
            return value
        finally:
            if self._inflight.get(key) is asyncio.current_task():
                del self._inflight[key]

    def clear(self) -> None:
        self._generation += 1
        self._values.clear()
        self._inflight.clear()


def _consume_exception(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()  # every waiter got it already; keep asyncio from warning about it


class TicketService:
    """Ticket operations for one account (workspace): mapping-aware, with cached reference data."""

    def __init__(
        self,
        provider: PSAProvider,
        mappings: MemberMappingLookup,
        *,
        cache_ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.provider = provider
        self._mappings = mappings
        self._cache = _TTLCache(cache_ttl, clock)

    async def aclose(self) -> None:
        """Close the provider (and its HTTP client)."""
        await self.provider.aclose()

    # -- lists --------------------------------------------------------------------------------

    async def search(
        self,
        filters: TicketFilters,
        *,
        user_ref: str | None,
        page: int = 1,
        page_size: int = 25,
    ) -> TicketListResponse:
        """One page of tickets; `assigned='me'` means the user's mapped member."""
        assigned = filters.assigned
        if assigned == "me":
            member_id = await self._mappings.member_id_for(user_ref) if user_ref else None
            if member_id is None:
                raise NotMappedError(user_ref)
            assigned = member_id
        resolved = ProviderFilters(**filters.model_dump(exclude={"assigned"}), assigned=assigned)
        result: TicketListResponse
        result, colours = await gather_all(
            self.provider.search_tickets(resolved, page, page_size), self._priority_colours()
        )
        _colour(result.items, colours)
        return result

    async def my_queue(self, user_ref: str, limit: int = 5) -> TicketListResponse:
        """The user's open tickets, most urgent first (the App Home widget)."""
        return await self.search(TicketFilters(assigned="me"), user_ref=user_ref, page=1, page_size=limit)

    async def get_ticket(self, ticket_id: int) -> PSATicketSearchResult:
        """One ticket as a row."""
        ticket: PSATicketSearchResult
        ticket, colours = await gather_all(self.provider.get_ticket(ticket_id), self._priority_colours())
        _colour([ticket], colours)
        return ticket

    async def get_detail(self, ticket_id: int, *, known: PSATicketSearchResult | None = None) -> TicketDetail:
        """Context and assignees of a ticket, fetched in parallel."""
        context: TicketContext
        context, resources, colours = await gather_all(
            self.provider.get_ticket_context(ticket_id, known=known),
            self.list_resources(ticket_id),
            self._priority_colours(),
        )
        _colour([context.ticket, *context.related], colours)
        return TicketDetail(context=context, resources=resources)

    # -- reference data (cached) --------------------------------------------------------------

    async def boards(self) -> list[Board]:
        """Active boards (cached)."""
        return list(await self._cache.get("boards", self.provider.list_boards))

    async def statuses(self, board_id: int) -> list[BoardStatus]:
        """The statuses of a board (cached per board)."""
        return list(
            await self._cache.get(("statuses", board_id), lambda: self.provider.list_statuses(board_id))
        )

    async def priorities(self) -> list[Priority]:
        """Priorities, most urgent first (cached)."""
        return list(await self._cache.get("priorities", self.provider.list_priorities))

    async def members(self) -> list[Member]:
        """Active members (cached)."""
        return list(await self._cache.get("members", self.provider.list_members))

    async def companies(self) -> list[Company]:
        """Every company, by name (cached); the AI resolver matches names against it."""
        return list(
            await self._cache.get(
                "companies", lambda: self.provider.search_companies("", limit=COMPANIES_MAX)
            )
        )

    async def work_types(self) -> list[WorkType]:
        """Active work types (cached)."""
        return list(await self._cache.get("work_types", self.provider.list_work_types))

    async def work_roles(self) -> list[WorkRole]:
        """Active work roles (cached)."""
        return list(await self._cache.get("work_roles", self.provider.list_work_roles))

    async def member_time_defaults(self, member_id: int) -> MemberTimeDefaults:
        """The member's default work type and role (cached per member)."""
        return await self._cache.get(
            ("time_defaults", member_id), lambda: self.provider.member_time_defaults(member_id)
        )

    def invalidate_reference_data(self) -> None:
        """Forget cached boards, statuses, priorities, members, companies, work types and roles."""
        self._cache.clear()

    async def member_for_identifier(self, identifier: str) -> Member | None:
        """The active member with this identifier (case-insensitive), from the cache."""
        wanted = identifier.strip().casefold()
        return next((m for m in await self.members() if m.identifier.casefold() == wanted), None)

    async def member_choices(self, query: str = "", *, limit: int | None = None) -> list[PSAResource]:
        """Active members matching the query, members mapped to app users first and marked."""
        members, mapped = await gather_all(self.members(), self._mappings.mapped_member_ids())
        chosen = _match_members(members, query)
        choices = [
            PSAResource(
                member_id=m.id,
                member_name=m.name,
                member_identifier=m.identifier,
                is_rf_user=m.id in mapped,
            )
            for m in chosen
        ]
        choices.sort(key=lambda r: not r.is_rf_user)  # stable: keeps the match order within each group
        return choices[:limit] if limit is not None else choices

    async def search_companies(self, query: str, limit: int = 25) -> list[Company]:
        """Companies whose name or identifier contains the query."""
        return await self.provider.search_companies(query, limit)

    # -- changes ------------------------------------------------------------------------------

    async def update_status(self, ticket_id: int, status_id: int) -> PSATicketStatusUpdate:
        """Move a ticket to another status of its board."""
        return await self.provider.update_status(ticket_id, status_id)

    async def list_resources(self, ticket_id: int) -> list[PSAResource]:
        """The ticket's assignees, marked when mapped to an app user."""
        resources, mapped = await gather_all(
            self.provider.list_resources(ticket_id), self._mappings.mapped_member_ids()
        )
        return _mark(resources, mapped)

    async def add_resource(self, ticket_id: int, member_id: int) -> PSAResource:
        """Assign a member to the ticket."""
        resource, mapped = await asyncio.gather(
            self.provider.add_resource(ticket_id, member_id), self._mapped_after_write()
        )
        return _mark([resource], mapped)[0]

    async def remove_resource(self, ticket_id: int, member_id: int) -> None:
        """Unassign a member from the ticket."""
        await self.provider.remove_resource(ticket_id, member_id)

    async def create_ticket(self, payload: TicketCreatePayload) -> PSATicketCreated:
        """Create a ticket (exactly one attempt)."""
        created, mapped = await asyncio.gather(
            self.provider.create_ticket(payload), self._mapped_after_write()
        )
        created.resources = _mark(created.resources, mapped)
        if created.url is None:
            created.url = self.provider.ticket_url(created.id)
        return created

    async def add_note(self, ticket_id: int, text: str, *, internal: bool) -> Note:
        """Add a discussion or internal note."""
        return await self.provider.add_note(ticket_id, text, internal=internal)

    async def add_time_entry(self, entry: TimeEntryCreate) -> TimeEntry:
        """Log time on a ticket (exactly one attempt)."""
        return await self.provider.add_time_entry(entry)

    async def list_time_entries(self, ticket_id: int, *, limit: int | None = None) -> list[TimeEntry]:
        """The ticket's time entries, latest first."""
        return await self.provider.list_time_entries(ticket_id, limit=limit)

    async def find_time_entry(self, ticket_id: int, client_ref: UUID) -> TimeEntry | None:
        """The entry logged with `client_ref` (to settle a submit whose answer was lost)."""
        return await self.provider.find_time_entry(ticket_id, client_ref)

    async def delete_time_entry(self, entry_id: int) -> None:
        """Delete a time entry (Undo)."""
        await self.provider.delete_time_entry(entry_id)

    # -- changes made in the PSA ----------------------------------------------------------------

    async def subscribe_to_changes(self, url: str, *, description: str) -> SubscriptionSync:
        """Make the PSA push ticket and assignment changes to `url` (idempotent)."""
        return await self.provider.subscribe_to_changes(url, description=description)

    async def unsubscribe_from_changes(self, url: str) -> list[ChangeSubscription]:
        """Stop the PSA pushing changes to `url`."""
        return await self.provider.unsubscribe_from_changes(url)

    async def parse_change_notification(self, headers: Mapping[str, str], body: bytes) -> PSAChange:
        """A verified pushed change (`ForgedChangeError` when it is not genuine)."""
        return await self.provider.parse_change_notification(headers, body)

    async def get_assignment(self, entry_id: int) -> Assignment | None:
        """The assignment behind a schedule entry."""
        return await self.provider.get_assignment(entry_id)

    async def poll_ticket_changes(self, cursor: PollCursor, *, max_pages: int = POLL_PAGES) -> TicketChanges:
        """Tickets changed since the cursor, oldest first (a cursor without a time starts at the newest)."""
        return await poll_ticket_changes(self.provider, cursor, max_pages=max_pages)

    def ticket_url(self, ticket_id: int) -> str | None:
        """A link to the ticket in the PSA's own UI."""
        return self.provider.ticket_url(ticket_id)

    # -- helpers ------------------------------------------------------------------------------

    async def _priority_colours(self) -> dict[int, str | None]:
        try:
            return {p.id: p.color for p in await self.priorities()}
        except PSAError as exc:
            # Colour is decoration: a list must still render when priorities cannot be read.
            log.warning("priority colours unavailable: %s", exc.message)
            return {}

    async def _mapped_after_write(self) -> dict[int, str]:
        try:
            return await self._mappings.mapped_member_ids()
        except Exception:
            # The write itself succeeded; failing now would invite a retry that duplicates it.
            log.exception("member mappings unavailable; returning the result unmarked")
            return {}


def _colour(rows: Iterable[PSATicketSearchResult], colours: dict[int, str | None]) -> None:
    for row in rows:
        if row.priority is not None and row.priority.color is None:
            row.priority.color = colours.get(row.priority.id)


def _mark(resources: list[PSAResource], mapped: dict[int, str]) -> list[PSAResource]:
    return [r.model_copy(update={"is_rf_user": r.member_id in mapped}) for r in resources]


def _match_members(members: list[Member], query: str) -> list[Member]:
    """Substring match on every word of the query; typo-tolerant fallback when nothing matches."""
    words = query.casefold().split()
    if not words:
        return sorted(members, key=lambda m: m.name.casefold())

    def text(m: Member) -> str:
        return f"{m.name} {m.identifier}".casefold()

    hits = [m for m in members if all(w in text(m) for w in words)]
    if hits:
        q = " ".join(words)
        return sorted(
            hits,
            key=lambda m: (
                not (m.name.casefold().startswith(q) or m.identifier.casefold().startswith(q)),
                m.name.casefold(),
            ),
        )
    scored = [(fuzz.partial_ratio(" ".join(words), text(m)), m) for m in members]
    return [m for score, m in sorted(scored, key=lambda s: -s[0]) if score >= FUZZY_MIN_SCORE]
