"""`TicketService`: the account-scoped ticket operations the bot calls. Knows nothing of Slack."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Hashable, Iterable, Mapping
from datetime import datetime, timedelta
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
    ActingMember,
    Attribution,
    Board,
    BoardStatus,
    Company,
    LikelyDuplicate,
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
DUPLICATE_WINDOW = timedelta(minutes=30)
DUPLICATE_MIN_SCORE = 85
DUPLICATES_SCANNED = 50  # newest open tickets looked at (per query): far more than 30 minutes' worth


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
        self.keys_of: int | None = None  # the member whose own keys `provider` uses (None: the workspace's)

    async def aclose(self) -> None:
        """Close the provider (and its HTTP client)."""
        await self.provider.aclose()

    def with_member_keys(self, provider: PSAProvider, member_id: int) -> TicketService:
        """This service writing through `provider` (built on a member's own keys); reference data shared."""
        twin = TicketService.__new__(TicketService)
        twin.provider = provider
        twin._mappings = self._mappings
        twin._cache = self._cache
        twin.keys_of = member_id
        return twin

    def acting(self, member: Member) -> ActingMember:
        """Who a write through this service is by, and how the PSA will record it."""
        own = self.keys_of == member.id
        return ActingMember(
            member_id=member.id,
            identifier=member.identifier,
            name=member.name,
            attribution=Attribution.OWN_KEYS if own else Attribution.NAMED,
        )

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

    async def recent_notes(self, ticket_id: int) -> list[Note]:
        """The ticket's latest notes, oldest first."""
        return await self.provider.recent_notes(ticket_id)

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

    # Every write takes the acting member. With the member's own keys (`with_member_keys`) the PSA
    # records them as the author of everything; with the workspace's key only the fields a caller may
    # set name them (a note's member), the rest names the API member (README "Who ConnectWise says did it").

    async def update_status(
        self,
        ticket_id: int,
        status_id: int,
        *,
        acting: ActingMember | None = None,
        previous: str | None = None,
    ) -> PSATicketStatusUpdate:
        """Move a ticket to another status of its board (`previous`: the status the user saw, which spares
        reading it first)."""
        self._check(acting)
        return await self.provider.update_status(ticket_id, status_id, previous=previous)

    async def list_resources(self, ticket_id: int) -> list[PSAResource]:
        """The ticket's assignees, marked when mapped to an app user."""
        resources, mapped = await gather_all(
            self.provider.list_resources(ticket_id), self._mappings.mapped_member_ids()
        )
        return _mark(resources, mapped)

    async def add_resource(
        self,
        ticket_id: int,
        member_id: int,
        *,
        acting: ActingMember | None = None,
        check_first: bool = True,
    ) -> PSAResource:
        """Assign a member to the ticket (`check_first=False`: the user just saw them unassigned)."""
        self._check(acting)
        resource, mapped = await asyncio.gather(
            self.provider.add_resource(ticket_id, member_id, check_first=check_first),
            self._mapped_after_write(),
        )
        return _mark([resource], mapped)[0]

    async def remove_resource(
        self, ticket_id: int, member_id: int, *, acting: ActingMember | None = None
    ) -> None:
        """Unassign a member from the ticket."""
        self._check(acting)
        await self.provider.remove_resource(ticket_id, member_id)

    async def create_ticket(
        self, payload: TicketCreatePayload, *, acting: ActingMember | None = None
    ) -> PSATicketCreated:
        """Create a ticket (exactly one attempt of the create itself).

        With the workspace's key and an acting member, the description is written as that member's own
        note right after the create (the PSA's initial description would be the API member's); if that
        note fails, `description_saved` is False and the ticket is still returned.
        """
        self._check(acting)
        split = acting is not None and acting.attribution is Attribution.NAMED and bool(payload.description)
        body = payload.model_copy(update={"description": None}) if split else payload
        created, mapped = await asyncio.gather(self.provider.create_ticket(body), self._mapped_after_write())
        created.resources = _mark(created.resources, mapped)
        if created.url is None:
            created.url = self.provider.ticket_url(created.id)
        if split and acting is not None and payload.description:
            try:
                await self.provider.add_note(
                    created.id, payload.description, internal=False, member_id=acting.member_id
                )
            except PSAError as exc:
                log.warning("ticket #%s created; its description note failed: %s", created.id, exc.message)
                created.description_saved = False
        return created

    async def find_created(self, marker: str) -> PSATicketCreated | None:
        """The ticket an earlier attempt of a create with this marker made, if the PSA has it."""
        row = await self.provider.find_by_marker(marker)
        if row is None:
            return None
        return PSATicketCreated(
            id=row.id,
            summary=row.summary,
            board_name=row.board.name if row.board else "",
            status_name=row.status.name if row.status else "",
            priority_name=row.priority.name if row.priority else "",
            company_name=row.company.name if row.company else "",
            url=self.provider.ticket_url(row.id),
        )

    async def add_note(
        self, ticket_id: int, text: str, *, internal: bool, acting: ActingMember | None = None
    ) -> Note:
        """Add a discussion or internal note as the acting member."""
        self._check(acting)
        member_id = acting.member_id if acting is not None else None
        return await self.provider.add_note(ticket_id, text, internal=internal, member_id=member_id)

    async def likely_duplicates(
        self,
        summary: str,
        *,
        company_id: int | None,
        member_identifier: str | None,
        now: datetime,
        mine: Collection[int] = (),
        window: timedelta = DUPLICATE_WINDOW,
    ) -> list[LikelyDuplicate]:
        """Open tickets entered within `window` with a very similar summary, by the same member (entered
        with their keys, or listed in `mine`: tickets the app created for them) or for the same company.
        Most similar first."""
        wanted = summary.strip()
        if not wanted:
            return []
        calls = [self.provider.recent_open_tickets(limit=DUPLICATES_SCANNED)]
        if company_id is not None:
            calls.append(self.provider.recent_open_tickets(company_id=company_id, limit=DUPLICATES_SCANNED))
        batches = await gather_all(*calls)
        seen: set[int] = set()
        found: list[LikelyDuplicate] = []
        who = (member_identifier or "").casefold()
        for row in (r for batch in batches for r in batch):
            if row.id in seen or row.closed or row.date_entered is None:
                continue
            seen.add(row.id)
            age = now - row.date_entered
            if age > window or age < -DUPLICATE_CLOCK_SKEW:
                continue
            same_member = row.id in mine or bool(who and (row.entered_by or "").casefold() == who)
            same_company = company_id is not None and row.company is not None and row.company.id == company_id
            score = summary_similarity(wanted, row.summary)
            if (same_member or same_company) and score >= DUPLICATE_MIN_SCORE:
                minutes = max(0, int(age.total_seconds() // 60))
                found.append(
                    LikelyDuplicate(ticket=row, score=score, minutes_ago=minutes, same_member=same_member)
                )
        return sorted(found, key=lambda d: (-d.score, d.minutes_ago, -d.ticket.id))

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

    def ticket_id_from_url(self, url: str) -> int | None:
        """The ticket a link into the PSA's UI (on this site) shows, if it is one."""
        return self.provider.ticket_id_from_url(url)

    # -- helpers ------------------------------------------------------------------------------

    def _check(self, acting: ActingMember | None) -> None:
        own = acting is not None and acting.attribution is Attribution.OWN_KEYS
        if own != (acting is not None and self.keys_of == acting.member_id):
            # Claiming the engineer's keys while writing with the workspace's (or the reverse) would
            # make the app's audit row disagree with what the PSA records.
            raise ValueError("the acting member's attribution does not match this service's keys")

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


DUPLICATE_CLOCK_SKEW = timedelta(minutes=5)


def creation_marker(scope: str) -> str:
    """A short, searchable marker for one create, derived from what identifies it (e.g. workspace and
    idempotency key): the same create always gets the same marker, and it fits the PSA's field."""
    return "tickets-app:" + hashlib.blake2b(scope.encode(), digest_size=16).hexdigest()


def summary_similarity(a: str, b: str) -> int:
    """0-100: how alike two ticket summaries read (word order and case ignored; a much shorter
    summary contained in the other counts only when it has at least three words)."""
    x, y = a.casefold().split(), b.casefold().split()
    if not x or not y:
        return 0
    score = fuzz.token_sort_ratio(" ".join(x), " ".join(y))
    if min(len(x), len(y)) >= 3:
        score = max(score, fuzz.token_set_ratio(" ".join(x), " ".join(y)))
    return int(score)


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
