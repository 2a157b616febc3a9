"""The provider interface every PSA implements. Knows nothing of Slack."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel

from psa.changes import Assignment, ChangeRecord, ChangeSubscription, PSAChange, SubscriptionSync
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


class ProviderFilters(TicketFilters):
    """Filters as a provider receives them: `assigned` is already resolved (never 'me')."""

    assigned: Literal["unassigned", "all"] | int = "all"


class ProviderInfo(BaseModel):
    kind: str
    display_name: str
    version: str | None = None


class PSAProvider(ABC):
    """Async PSA operations. Implementations translate vendor errors into `psa.errors` types."""

    kind: str = "abstract"
    display_name: str = "PSA"

    @abstractmethod
    async def test_connection(self) -> ProviderInfo:
        """One cheap authenticated call; raises PSAAuthenticationError on bad credentials."""

    @abstractmethod
    async def current_member(self) -> Member:
        """The member who owns the credentials this provider acts with."""

    @abstractmethod
    async def search_tickets(
        self, filters: ProviderFilters, page: int = 1, page_size: int = 25
    ) -> TicketListResponse:
        """Most urgent first, then newest."""

    @abstractmethod
    async def recent_open_tickets(
        self, *, company_id: int | None = None, limit: int = 50
    ) -> list[PSATicketSearchResult]:
        """Open tickets, newest first (optionally of one company): where a likely duplicate would be."""

    @abstractmethod
    async def find_by_marker(self, marker: str) -> PSATicketSearchResult | None:
        """The ticket a create carrying this marker made (open or closed), or None."""

    @abstractmethod
    async def get_ticket(self, ticket_id: int) -> PSATicketSearchResult: ...

    @abstractmethod
    async def get_ticket_context(
        self, ticket_id: int, *, known: PSATicketSearchResult | None = None
    ) -> TicketContext:
        """Ticket, company, contact, notes, configurations and related tickets.

        `known` is the row the caller already holds; with it every lookup starts at once
        instead of waiting for the ticket first.
        """

    async def recent_notes(self, ticket_id: int) -> list[Note]:
        """The ticket's latest notes (a page), oldest first: what a change notification quotes."""
        raise NotImplementedError

    @abstractmethod
    async def list_boards(self) -> list[Board]: ...

    @abstractmethod
    async def list_statuses(self, board_id: int) -> list[BoardStatus]: ...

    @abstractmethod
    async def list_priorities(self) -> list[Priority]: ...

    @abstractmethod
    async def list_members(self) -> list[Member]:
        """Active members."""

    @abstractmethod
    async def get_company(self, company_id: int) -> Company: ...

    @abstractmethod
    async def search_companies(self, query: str, limit: int = 25) -> list[Company]: ...

    @abstractmethod
    async def update_status(
        self, ticket_id: int, status_id: int, *, previous: str | None = None
    ) -> PSATicketStatusUpdate:
        """Move the ticket; with `previous` (the status the caller last saw) the write is the only call."""

    @abstractmethod
    async def list_resources(self, ticket_id: int) -> list[PSAResource]: ...

    @abstractmethod
    async def add_resource(self, ticket_id: int, member_id: int, *, check_first: bool = True) -> PSAResource:
        """Assign a member; `check_first=False` when the caller just saw them unassigned (one call)."""

    @abstractmethod
    async def remove_resource(self, ticket_id: int, member_id: int) -> None: ...

    @abstractmethod
    async def create_ticket(self, payload: TicketCreatePayload) -> PSATicketCreated: ...

    @abstractmethod
    async def add_note(
        self, ticket_id: int, text: str, *, internal: bool, member_id: int | None = None
    ) -> Note:
        """Add a note; `member_id` names its member where the PSA allows it (default: the key's owner)."""

    # -- time ---------------------------------------------------------------------------------

    @abstractmethod
    async def add_time_entry(self, entry: TimeEntryCreate) -> TimeEntry:
        """Log time on a ticket (exactly one attempt: a lost answer is resolved with `find_time_entry`)."""

    @abstractmethod
    async def list_time_entries(self, ticket_id: int, *, limit: int | None = None) -> list[TimeEntry]:
        """The ticket's time entries, latest first (`limit` None: all of them)."""

    @abstractmethod
    async def find_time_entry(self, ticket_id: int, client_ref: UUID) -> TimeEntry | None:
        """The entry created with this `client_ref`, if the PSA has it."""

    @abstractmethod
    async def delete_time_entry(self, entry_id: int) -> None: ...

    @abstractmethod
    async def list_work_types(self) -> list[WorkType]:
        """Active work types by name."""

    @abstractmethod
    async def list_work_roles(self) -> list[WorkRole]:
        """Active work roles by name."""

    @abstractmethod
    async def member_time_defaults(self, member_id: int) -> MemberTimeDefaults:
        """The work type and role the PSA uses for this member's time when none is given."""

    # -- changes made in the PSA ----------------------------------------------------------------

    @abstractmethod
    async def list_change_subscriptions(self) -> list[ChangeSubscription]:
        """Every registration that makes the PSA push changes (any integration's)."""

    @abstractmethod
    async def subscribe_to_changes(
        self, url: str, *, description: str, records: Sequence[ChangeRecord] = ("ticket", "schedule_entry")
    ) -> SubscriptionSync:
        """Make the PSA push changes of these kinds to `url`: one active registration per kind."""

    @abstractmethod
    async def unsubscribe_from_changes(self, url: str) -> list[ChangeSubscription]:
        """Remove every registration pushing to `url`."""

    @abstractmethod
    async def parse_change_notification(self, headers: Mapping[str, str], body: bytes) -> PSAChange:
        """Verify a pushed delivery and say what changed (`ForgedChangeError` when it is not genuine)."""

    @abstractmethod
    async def get_assignment(self, entry_id: int) -> Assignment | None:
        """The ticket assignment behind a schedule entry, if it still exists."""

    @abstractmethod
    async def tickets_changed_since(
        self, since: datetime, *, after_id: int | None = None, limit: int = 1000
    ) -> list[PSATicketSearchResult]:
        """Tickets updated at or after `since` (past `after_id` at exactly `since`), oldest change first."""

    @abstractmethod
    async def newest_ticket_change(self) -> PSATicketSearchResult | None:
        """The most recently updated ticket."""

    @abstractmethod
    def ticket_url(self, ticket_id: int) -> str | None:
        """A link to the ticket in the PSA's own UI, when one can be built."""

    def ticket_id_from_url(self, url: str) -> int | None:
        """The ticket a link into this PSA's own UI (on this connection's site) shows; None otherwise."""
        return None

    @abstractmethod
    async def aclose(self) -> None: ...
