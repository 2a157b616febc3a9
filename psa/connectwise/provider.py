"""`PSAProvider` for ConnectWise Manage: every operation as few round trips as the API allows."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from psa.aio import gather_all
from psa.base import ProviderFilters, ProviderInfo, PSAProvider
from psa.connectwise import mapping as m
from psa.connectwise import queries as q
from psa.connectwise.changes import ChangesMixin
from psa.connectwise.client import (
    DEFAULT_TIMEOUT,
    ConnectWiseClient,
    ConnectWiseCredentials,
    RetryPolicy,
    Sleep,
)
from psa.connectwise.conditions import (
    SEARCH_TEXT_MAX,
    TICKET_SEARCH_FIELDS,
    Condition,
    searched_parts,
    ticket_filter,
    ticket_search_text,
)
from psa.connectwise.queries import MAX_PAGE_SIZE
from psa.connectwise.signing import CallbackVerifier
from psa.connectwise.time_entries import TimeEntriesMixin
from psa.errors import (
    PSAAuthenticationError,
    PSAError,
    PSAMemberKeysRejectedError,
    PSANotFoundError,
    PSAUnavailableError,
)
from psa.models import (
    Board,
    BoardStatus,
    Company,
    Configuration,
    Contact,
    Member,
    Note,
    Priority,
    PSAResource,
    PSATicketCreated,
    PSATicketSearchResult,
    PSATicketStatusUpdate,
    TicketContext,
    TicketCreatePayload,
    TicketListResponse,
)

_CODEBASE = re.compile(r"^/([^/]+)/apis/", re.IGNORECASE)


def partial_removal(error: PSAError, *, owner_cleared: bool, removed: int) -> PSAError:
    """`error` with a hint that says exactly what an interrupted unassign already changed."""
    done = []
    if owner_cleared:
        done.append("cleared the owner")
    if removed:
        done.append(f"removed {removed} schedule {'entry' if removed == 1 else 'entries'}")
    changed = " and ".join(done) if done else "changed nothing"
    error.user_hint = (
        f"The PSA {changed} before this failed; the member may still be listed. "
        "Check the ticket's resources before trying again."
    )
    return error


class ConnectWiseProvider(TimeEntriesMixin, ChangesMixin, PSAProvider):
    """ConnectWise Manage over its REST API."""

    kind = "connectwise"
    display_name = "ConnectWise PSA"

    def __init__(
        self,
        credentials: ConnectWiseCredentials,
        *,
        http: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        list_page_size: int = MAX_PAGE_SIZE,
        callback_key_hosts: Iterable[str] = (),
        member_keys: bool = False,
    ) -> None:
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(
            timeout=DEFAULT_TIMEOUT,
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        )
        # An engineer's own keys being refused needs a different fix than the workspace's connection.
        auth_error = PSAMemberKeysRejectedError if member_keys else PSAAuthenticationError
        self._api = ConnectWiseClient(
            credentials, self._http, retry=retry, sleep=sleep, auth_error=auth_error
        )
        self._base_url = credentials.base_url
        self._company_id = credentials.company_id
        self._list_page_size = max(1, min(list_page_size, MAX_PAGE_SIZE))
        # Member identifiers never change, and the assigned filter needs one per search.
        self._identifiers: dict[int, str] = {}
        # Checks callback deliveries; `callback_key_hosts`: other hosts this site's key_url may name.
        self._verifier = CallbackVerifier(
            credentials.base_url, self._http, client_id=credentials.client_id, extra_hosts=callback_key_hosts
        )

    async def aclose(self) -> None:
        """Close the HTTP client if this provider created it."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> ConnectWiseProvider:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- connection -------------------------------------------------------------------------

    async def test_connection(self) -> ProviderInfo:
        """GET /system/info with the credentials."""
        info = await self._api.get("/system/info")
        return ProviderInfo(kind=self.kind, display_name=self.display_name, version=m.system_version(info))

    async def current_member(self) -> Member:
        """GET /system/myMembers: the member owning these API keys (OpenAPI 2025.1 `GetSystemMyMembers`)."""
        member = m._to_member(await self._api.get("/system/myMembers"))
        self._remember(member)
        return member

    def ticket_url(self, ticket_id: int) -> str | None:
        """The ticket in ConnectWise's web UI (the API host without its `api-` prefix).

        `companyName` is the login company, so ConnectWise does not ask which company at sign-in; the
        same link form is what jundis/CWSlack-SlashCommands (cwslack.php) posts to Slack.
        """
        parts = urlsplit(self._base_url)
        host = parts.netloc
        if host.lower().startswith("api-"):
            host = host[4:]
        match = _CODEBASE.match(parts.path + "/")
        codebase = match.group(1) if match else "v4_6_release"
        query = urlencode({"service_recid": int(ticket_id), "companyName": self._company_id})
        return f"{parts.scheme}://{host}/{codebase}/services/system_io/Service/fv_sr100_request.rails?{query}"

    def ticket_id_from_url(self, url: str) -> int | None:
        """The ticket of a ConnectWise ticket link on this site (`service_recid` or `srRecID`, as the
        web UI's ticket pages and the links other tools post carry it)."""
        try:
            parts = urlsplit(url.strip())
        except ValueError:
            return None
        site = urlsplit(self._base_url).hostname or ""
        host = (parts.hostname or "").lower()
        if host.removeprefix("api-") != site.lower().removeprefix("api-"):
            return None
        query = {k.casefold(): v for k, v in parse_qs(parts.query).items()}
        for name in ("service_recid", "srrecid", "recid"):
            values = query.get(name) or []
            if values and values[0].isdigit() and 0 < int(values[0]) < 2**31:
                return int(values[0])
        return None

    # -- tickets ----------------------------------------------------------------------------

    async def search_tickets(
        self, filters: ProviderFilters, page: int = 1, page_size: int = 25
    ) -> TicketListResponse:
        """One page plus the total, fetched in parallel (two requests, one round trip)."""
        page = max(1, page)
        size = max(1, min(page_size, MAX_PAGE_SIZE))
        conditions = await self._ticket_conditions(filters)
        rows, count = await gather_all(
            self._api.get(*q.ticket_page(conditions, page, size)),
            self._api.get(*q.ticket_count(conditions)),
        )
        items = m.map_rows(m._to_ticket, rows)
        parts = searched_parts(ticket_search_text(filters), TICKET_SEARCH_FIELDS)
        return TicketListResponse(
            items=items, total=m.count_of(count), page=page, page_size=size, search_parts=parts
        )

    async def recent_open_tickets(
        self, *, company_id: int | None = None, limit: int = 50
    ) -> list[PSATicketSearchResult]:
        """Open tickets, newest first, optionally of one company (one request)."""
        rows = await self._api.get(*q.recent_open(company_id, limit))
        return m.map_rows(m._to_ticket, rows)

    async def find_by_marker(self, marker: str) -> PSATicketSearchResult | None:
        """The ticket whose external cross-reference is `marker` (one request; read, so retried)."""
        rows = await self._api.get(*q.by_marker(marker))
        found = m.map_rows(m._to_ticket, rows)
        return found[0] if found else None

    async def _ticket_conditions(self, f: ProviderFilters) -> Condition | None:
        member = f.assigned if isinstance(f.assigned, int) else None
        identifier = await self._member_identifier(member) if member is not None else None
        return ticket_filter(f, identifier)

    async def _member_identifier(self, member_id: int) -> str | None:
        if member_id not in self._identifiers:
            try:
                raw = await self._api.get(*q.member(member_id))
            except PSANotFoundError:
                return None
            self._remember(m._to_member(raw))
        return self._identifiers.get(member_id)

    def _remember(self, member: Member) -> None:
        if member.identifier:
            self._identifiers[member.id] = member.identifier

    async def _ticket_raw(self, ticket_id: int) -> dict[str, Any]:
        raw = await self._api.get(f"/service/tickets/{int(ticket_id)}")
        if not m.has_id(raw):
            raise PSAUnavailableError("ConnectWise returned a ticket without an id.")
        return dict(raw)

    async def get_ticket(self, ticket_id: int) -> PSATicketSearchResult:
        """One ticket as a row."""
        return m._to_ticket(await self._ticket_raw(ticket_id))

    async def get_ticket_context(
        self, ticket_id: int, *, known: PSATicketSearchResult | None = None
    ) -> TicketContext:
        """Everything for the detail view in two rounds (one when `known` is given and no devices)."""
        ticket_task = asyncio.ensure_future(self._ticket_raw(ticket_id))

        async def facts() -> PSATicketSearchResult:
            return known if known is not None else m._to_ticket(await asyncio.shield(ticket_task))

        async def contact() -> Contact | None:
            row = await facts()
            return await self._contact(row.contact.id) if row.contact else None

        async def related() -> list[PSATicketSearchResult]:
            return await self._related(ticket_id, await facts())

        try:
            raw, contact_, notes, notes_total, configs, related_ = await gather_all(
                ticket_task,
                contact(),
                self._notes(ticket_id),
                self._api.get(*q.ticket_notes_count(ticket_id)),
                self._configurations(ticket_id),
                related(),
            )
        finally:
            ticket_task.cancel()
        company_ref = raw.get("company")
        return TicketContext(
            ticket=m._to_ticket(raw),
            company=m._to_company(company_ref) if m.has_id(company_ref) else None,
            contact=contact_,
            notes=notes,
            notes_total=m.count_of(notes_total),
            configurations=configs,
            related=related_,
            url=self.ticket_url(ticket_id),
        )

    async def _contact(self, contact_id: int) -> Contact | None:
        try:
            return m._to_contact(await self._api.get(f"/company/contacts/{int(contact_id)}"))
        except PSANotFoundError:
            return None  # a deleted contact must not hide the rest of the ticket

    async def recent_notes(self, ticket_id: int) -> list[Note]:
        """The ticket's latest notes (one request), oldest first."""
        return await self._notes(ticket_id)

    async def _notes(self, ticket_id: int) -> list[Note]:
        rows = await self._api.get(*q.ticket_notes(ticket_id))
        notes = m.map_rows(lambda r: m._to_note(r, ticket_id), rows)
        return sorted(notes, key=lambda n: n.id)

    async def _configurations(self, ticket_id: int) -> list[Configuration]:
        links = await self._api.get(*q.ticket_configuration_links(ticket_id))
        ids = m.configuration_ids(links)
        if not ids:
            return []
        rows = await self._api.get(*q.configurations(ids))
        return m.map_rows(m._to_configuration, rows)

    async def _related(self, ticket_id: int, row: PSATicketSearchResult) -> list[PSATicketSearchResult]:
        calls = [self._api.get(*q.ticket_family(ticket_id, row.parent_ticket_id))]
        if row.company:
            contact_id = row.contact.id if row.contact else None
            calls.append(self._api.get(*q.ticket_others(ticket_id, row.company.id, contact_id)))
        results = await gather_all(*calls)
        family_rows = m.map_rows(m._to_ticket, results[0])
        parent = [t for t in family_rows if t.id == row.parent_ticket_id]
        children = sorted((t for t in family_rows if t.id != row.parent_ticket_id), key=lambda t: t.id)
        others_rows = m.map_rows(m._to_ticket, results[1]) if len(results) > 1 else []
        out: list[PSATicketSearchResult] = []
        for t in [*parent, *children, *others_rows]:
            if t.id != ticket_id and all(t.id != o.id for o in out):
                out.append(t)
        return out

    async def update_status(
        self, ticket_id: int, status_id: int, *, previous: str | None = None
    ) -> PSATicketStatusUpdate:
        """Replace the whole status reference; without `previous`, read the current status first (and
        change nothing when it is already the one asked for). Setting the same status again is harmless."""
        if previous is None:
            before = await self._ticket_raw(ticket_id)
            previous = m.ticket_status_name(before)
            current = m._to_ticket(before).status
            if current is not None and current.id == status_id:
                return PSATicketStatusUpdate(
                    ticket_id=ticket_id, previous_status=previous, new_status=previous
                )
        after = await self._api.patch(f"/service/tickets/{int(ticket_id)}", m.status_patch(status_id))
        new = m._to_ticket(after).status if m.has_id(after) else None
        if new is None or new.id != status_id:
            raise PSAUnavailableError("ConnectWise accepted the status change but did not apply it.")
        return PSATicketStatusUpdate(ticket_id=ticket_id, previous_status=previous, new_status=new.name)

    async def create_ticket(self, payload: TicketCreatePayload) -> PSATicketCreated:
        """POST /service/tickets once; never retried."""
        raw = await self._api.post("/service/tickets", m.create_ticket_body(payload))
        created = m._to_created(raw, None)
        created.url = self.ticket_url(created.id)
        return created

    async def add_note(
        self, ticket_id: int, text: str, *, internal: bool, member_id: int | None = None
    ) -> Note:
        """POST a discussion or internal note, naming its `member` when given."""
        raw = await self._api.post(
            f"/service/tickets/{int(ticket_id)}/notes",
            m.note_body(text, internal=internal, member_id=member_id),
        )
        return m._to_note(raw, ticket_id)

    # -- resources (Service schedule entries + owner) ---------------------------------------

    def _entries(self, ticket_id: int, member_id: int | None = None) -> Any:
        return self._api.get(*q.schedule_entries(ticket_id, member_id))

    async def list_resources(self, ticket_id: int) -> list[PSAResource]:
        """Owner plus the members of open Service schedule entries, one per member."""
        raw, entries = await gather_all(self._ticket_raw(ticket_id), self._entries(ticket_id))
        return m.resources_of(raw, entries or [])

    async def add_resource(self, ticket_id: int, member_id: int, *, check_first: bool = True) -> PSAResource:
        """Assign a member through a Service schedule entry (no-op if already assigned, when checked)."""
        if check_first:
            raw, entries = await gather_all(self._ticket_raw(ticket_id), self._entries(ticket_id, member_id))
            existing = [r for r in m.resources_of(raw, entries or []) if r.member_id == member_id]
            if existing:
                return existing[0]
        created = await self._api.post("/schedule/entries", m.schedule_entry_body(ticket_id, member_id))
        resource = m._to_resource(created) if isinstance(created, dict) else None
        if resource is None:
            raise PSAUnavailableError("ConnectWise did not return the new schedule entry.")
        return resource

    async def remove_resource(self, ticket_id: int, member_id: int) -> None:
        """Clear the owner if it is the member, then delete the member's open Service entries.

        The owner patch goes first and alone: if ConnectWise refuses it, nothing has changed. If a
        DELETE fails after it, the error says exactly what did change.
        """
        raw, entries = await gather_all(self._ticket_raw(ticket_id), self._entries(ticket_id, member_id))
        entry_ids = m.entry_ids([e for e in entries or [] if m.entry_member_id(e) == member_id])
        owner_cleared = False
        if m.ticket_owner_id(raw) == member_id:
            await self._api.patch(f"/service/tickets/{int(ticket_id)}", m.owner_remove_patch())
            owner_cleared = True
        results = await asyncio.gather(
            *(self._api.delete(f"/schedule/entries/{entry_id}") for entry_id in entry_ids),
            return_exceptions=True,
        )
        # An entry that is already gone is removed as far as the user is concerned.
        failed = [r for r in results if isinstance(r, BaseException) and not isinstance(r, PSANotFoundError)]
        if not failed:
            return
        first = failed[0]
        if isinstance(first, PSAError):
            raise partial_removal(first, owner_cleared=owner_cleared, removed=len(entry_ids) - len(failed))
        raise first

    # -- reference data ---------------------------------------------------------------------

    async def list_boards(self) -> list[Board]:
        """Active service boards by name."""
        rows = await self._api.get(*q.boards())
        return m.map_rows(m._to_board, rows)

    async def list_statuses(self, board_id: int) -> list[BoardStatus]:
        """Active statuses of a board in board order."""
        rows = await self._api.get(*q.statuses(board_id))
        statuses = m.map_rows(lambda r: m._to_status(r, board_id), rows)
        return sorted(statuses, key=lambda s: (s.sort_order, s.id))

    async def list_priorities(self) -> list[Priority]:
        """Priorities, most urgent first."""
        rows = await self._api.get(*q.priorities())
        return sorted(m.map_rows(m._to_priority, rows), key=lambda p: (p.sort, p.id))

    async def list_members(self) -> list[Member]:
        """Active members by name, paging through as many pages as needed."""
        members: list[Member] = []
        page = 1
        while True:
            rows = await self._api.get(*q.members(page, self._list_page_size))
            batch = m.map_rows(m._to_member, rows)
            members.extend(batch)
            if not isinstance(rows, list) or len(rows) < self._list_page_size:
                break
            page += 1
        for member in members:
            self._remember(member)
        return sorted(members, key=lambda x: (x.name.lower(), x.id))

    async def get_company(self, company_id: int) -> Company:
        """One company."""
        return m._to_company(await self._api.get(*q.company(company_id)))

    async def search_companies(self, query: str, limit: int = 25) -> list[Company]:
        """Companies whose name or identifier contains the query, by name; empty query lists the first N."""
        limit = max(1, limit)
        text = query.strip()[:SEARCH_TEXT_MAX]
        size = min(limit, self._list_page_size)
        companies: list[Company] = []
        page = 1
        while len(companies) < limit:
            rows = await self._api.get(*q.companies(text, page, size))
            companies.extend(m.map_rows(m._to_company, rows))
            if not isinstance(rows, list) or len(rows) < size:
                break
            page += 1
        return companies[:limit]
