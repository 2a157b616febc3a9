"""Every read query the ConnectWise provider sends, as (path, params) — one definition per form.

The provider calls these; `probe.py` sends the same forms to an admin's site, so whatever the app
asks a real server has been tried there first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psa.connectwise.conditions import (
    Condition,
    and_,
    eq,
    ge,
    gt,
    in_,
    ne,
    or_,
    render,
    service_entries,
    text_search,
)
from psa.connectwise.mapping import (
    BOARD_FIELDS,
    COMPANY_FIELDS,
    CONFIGURATION_FIELDS,
    MARKER_FIELD,
    MEMBER_FIELDS,
    STATUS_FIELDS,
    TICKET_ROW_FIELDS,
)

Query = tuple[str, dict[str, Any]]
MAX_PAGE_SIZE = 1000
NOTES_LIMIT = 20
RELATED_LIMIT = 5
# Several comma-separated orderBy items and nested paths: covenanttechnologysolutions/connectwise-rest
# (PR #62) serializes typed orderBy arrays into this form; `_info/dateEntered desc` is what
# jundis/CWSlack-SlashCommands (cwslack-incoming.php) sends to real servers.
RELATED_ORDER = "_info/dateEntered desc,id desc"
TICKET_ORDER = "priority/sort asc," + RELATED_ORDER
CHANGE_ORDER = "_info/lastUpdated asc,id asc"


def _with(conditions: Condition | None, **params: Any) -> dict[str, Any]:
    text = render(conditions)
    return {"conditions": text, **params} if text else params


def _rows(conditions: Condition | None, **params: Any) -> Query:
    """A list of tickets read as rows (`mapping._to_ticket`): only the fields a row is made of."""
    return "/service/tickets", _with(conditions, **params, fields=TICKET_ROW_FIELDS)


def ticket_page(conditions: Condition | None, page: int, size: int) -> Query:
    """One page of the ticket list, most urgent first, then newest."""
    return _rows(conditions, orderBy=TICKET_ORDER, page=page, pageSize=size)


def ticket_count(conditions: Condition | None) -> Query:
    """The number of tickets the list's conditions select."""
    return "/service/tickets/count", _with(conditions)


def recent_open(company_id: int | None, limit: int) -> Query:
    """Open tickets, newest first, optionally of one company."""
    cond = and_(eq("closedFlag", False), eq("company/id", company_id) if company_id is not None else None)
    return _rows(cond, orderBy=RELATED_ORDER, pageSize=max(1, min(limit, 100)))


def by_marker(marker: str) -> Query:
    """The ticket carrying the app's create marker (its external cross-reference)."""
    return _rows(eq(MARKER_FIELD, marker), orderBy="id asc", pageSize=2)


def ticket_family(ticket_id: int, parent_id: int | None) -> Query:
    """A ticket's children and its parent."""
    family = or_(eq("parentTicketId", ticket_id), eq("id", parent_id) if parent_id else None)
    return _rows(family, pageSize=50)


def ticket_others(ticket_id: int, company_id: int, contact_id: int | None) -> Query:
    """The newest other open tickets of the same company (and contact)."""
    others = and_(
        eq("company/id", company_id),
        eq("contact/id", contact_id) if contact_id is not None else None,
        eq("closedFlag", False),
        ne("id", ticket_id),
    )
    return _rows(others, orderBy=RELATED_ORDER, pageSize=RELATED_LIMIT)


def ticket_changes(since: datetime, after_id: int | None, size: int) -> Query:
    """Tickets last updated at or after `since`, oldest change first (the change poll). With `after_id`,
    tickets updated exactly at `since` count only when their id is greater: the next page of a poll."""
    cond: Condition | None = ge("lastUpdated", since)
    if after_id is not None:
        cond = or_(gt("lastUpdated", since), and_(eq("lastUpdated", since), gt("id", after_id)))
    return _rows(cond, orderBy=CHANGE_ORDER, pageSize=size)


def newest_change() -> Query:
    """The most recently updated ticket (where a new change poll starts)."""
    return _rows(None, orderBy="_info/lastUpdated desc,id desc", pageSize=1)


def ticket_notes(ticket_id: int) -> Query:
    """The latest notes of a ticket, newest first."""
    return f"/service/tickets/{int(ticket_id)}/notes", {"orderBy": "id desc", "pageSize": NOTES_LIMIT}


def ticket_notes_count(ticket_id: int) -> Query:
    """How many notes a ticket has."""
    return f"/service/tickets/{int(ticket_id)}/notes/count", {}


def ticket_configuration_links(ticket_id: int) -> Query:
    """The ids of the devices attached to a ticket."""
    return f"/service/tickets/{int(ticket_id)}/configurations", {"pageSize": MAX_PAGE_SIZE}


def configurations(ids: Sequence[int]) -> Query:
    """Devices by id."""
    size = min(max(1, len(ids)), MAX_PAGE_SIZE)
    return "/company/configurations", _with(
        in_("id", ids), pageSize=size, orderBy="id asc", fields=CONFIGURATION_FIELDS
    )


def schedule_entries(ticket_id: int, member_id: int | None = None) -> Query:
    """A ticket's open Service schedule entries (its assignees besides the owner)."""
    return "/schedule/entries", _with(service_entries(ticket_id, member_id), pageSize=MAX_PAGE_SIZE)


def boards() -> Query:
    """Active service boards by name."""
    return "/service/boards", _with(
        eq("inactiveFlag", False), orderBy="name asc", pageSize=MAX_PAGE_SIZE, fields=BOARD_FIELDS
    )


def statuses(board_id: int) -> Query:
    """A board's active statuses in board order."""
    return f"/service/boards/{int(board_id)}/statuses", _with(
        eq("inactive", False), orderBy="sortOrder asc", pageSize=MAX_PAGE_SIZE, fields=STATUS_FIELDS
    )


def priorities() -> Query:
    """Every priority."""
    return "/service/priorities", {"orderBy": "sortOrder asc", "pageSize": MAX_PAGE_SIZE}


def members(page: int, size: int) -> Query:
    """One page of active members, by id."""
    return "/system/members", _with(
        eq("inactiveFlag", False), orderBy="id asc", page=page, pageSize=size, fields=MEMBER_FIELDS
    )


def member(member_id: int) -> Query:
    """One member (for its identifier)."""
    return f"/system/members/{int(member_id)}", {"fields": MEMBER_FIELDS}


def company_conditions(text: str) -> Condition | None:
    """Undeleted companies whose name or identifier contains `text` (all of them for no text)."""
    return and_(eq("deletedFlag", False), text_search(text, ("name", "identifier")) if text else None)


def companies(text: str, page: int, size: int) -> Query:
    """One page of the company picker, by name."""
    params = _with(
        company_conditions(text), orderBy="name asc,id asc", page=page, pageSize=size, fields=COMPANY_FIELDS
    )
    return "/company/companies", params


def company(company_id: int) -> Query:
    """One company."""
    return f"/company/companies/{int(company_id)}", {"fields": COMPANY_FIELDS}
