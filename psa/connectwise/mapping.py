"""Pure translation between ConnectWise JSON and the provider-neutral models (both directions).

Every field is optional and unknown fields are ignored: real instances omit fields the spec calls
required (e.g. `lastName`). No ConnectWise field name leaves this package.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from psa.connectwise.sla import sla_fields
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
    Ref,
    TicketCreatePayload,
)

Raw = dict[str, Any]
T = TypeVar("T")

# The Service schedule type by identifier: its record id differs between sites. ScheduleTypeReference
# is {id, identifier} in the 2025.1 OpenAPI description (ai-connor/connectwise,
# model_schedule_type_reference.go); references are accepted by identifier (Developer Guide, "Patch":
# `{"identifier": "connectwise"}`).
SERVICE_SCHEDULE_TYPE_IDENTIFIER = "S"


def _dict(value: Any) -> Raw:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _dt(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def has_id(raw: Any) -> bool:
    """True when the record is an object with an integer id (the minimum we can show)."""
    return isinstance(raw, dict) and _int(raw.get("id")) is not None


def map_rows(fn: Callable[[Raw], T], rows: Any) -> list[T]:
    """Map a list response, skipping anything that is not a record with an id."""
    if not isinstance(rows, list):
        return []
    return [fn(r) for r in rows if has_id(r)]


def _req_id(raw: Raw) -> int:
    value = _int(raw.get("id"))
    if value is None:
        raise ValueError("record has no id")
    return value


# The `*_fields` functions read a record into the fields of its model; the `_to_*` functions build
# the model. A ticket validates its nested fields in one call (`_to_ticket`): pydantic builds the
# nested models in its core, about twice as fast as one Python `__init__` per reference.
def _ref_fields(raw: Any) -> dict[str, Any] | None:
    ref = _dict(raw)
    ref_id = _int(ref.get("id"))
    if ref_id is None:
        return None
    return {"id": ref_id, "name": _str(ref.get("name")) or ""}


def _to_ref(raw: Any) -> Ref | None:
    fields = _ref_fields(raw)
    return None if fields is None else Ref.model_validate(fields)


def _person_name(raw: Raw) -> str:
    parts = [_str(raw.get("firstName")), _str(raw.get("lastName"))]
    joined = " ".join(p for p in parts if p)
    return joined or _str(raw.get("name")) or _str(raw.get("identifier")) or ""


def split_resources(value: Any) -> list[str]:
    """The `resources` string ("jdoe, slee") as a list of member identifiers, de-duplicated."""
    if not isinstance(value, str):
        return []
    out: list[str] = []
    for part in value.split(","):
        item = part.strip()
        if item and item not in out:
            out.append(item)
    return out


# The `fields` of a member read as a `Member` (a real member record has about 120). A member *record*
# has no `name` (OpenAPI 2025.8 Member); `_person_name` reads it from references only.
MEMBER_FIELDS = "id,identifier,firstName,lastName,officeEmail,primaryEmail,defaultEmail,inactiveFlag"


def _member_fields(raw: Raw) -> dict[str, Any]:
    email = _str(raw.get("officeEmail")) or _str(raw.get("primaryEmail")) or _str(raw.get("defaultEmail"))
    return {
        "id": _req_id(raw),
        "identifier": _str(raw.get("identifier")) or "",
        "name": _person_name(raw),
        "email": email,
        "inactive": _bool(raw.get("inactiveFlag")),
    }


def _to_member(raw: Raw) -> Member:
    """A member record (or a member reference such as a ticket's owner)."""
    return Member.model_validate(_member_fields(raw))


def _priority_fields(raw: Raw) -> dict[str, Any]:
    sort = _int(raw.get("sort"))
    if sort is None:
        sort = _int(raw.get("sortOrder"))
    return {
        "id": _req_id(raw),
        "name": _str(raw.get("name")) or "",
        "sort": sort or 0,
        "color": _str(raw.get("color")),
        "default": _bool(raw.get("defaultFlag")),
    }


def _to_priority(raw: Raw) -> Priority:
    """A priority record (`sortOrder`) or a ticket's priority reference (`sort`)."""
    return Priority.model_validate(_priority_fields(raw))


# What `_to_ticket` (and `sla_fields`) read, as the `fields` parameter of a list query: a real ticket
# carries about a hundred fields, each reference with its own `_info` links, so a page of 25 is tens of
# kilobytes the server serializes and we parse for nothing. Top-level names only (a reference comes
# whole): the documented form is "comma-separated and may include nested paths" (Developer Guide,
# `fields=id,name,status/id`), and whole references are small. Every `*_FIELDS` below names fields of
# its record in the OpenAPI description only; `tests/psa/test_read_fields.py` fails when a mapping
# reads a field its list leaves out.
TICKET_ROW_FIELDS = ",".join(
    (
        "id", "summary", "company", "board", "status", "priority", "owner", "contact", "resources",
        "_info", "closedFlag", "parentTicketId", "actualHours", "sla", "slaStatus", "isInSla",
        "dateResponded", "dateResplan", "dateResolved", "externalXRef",
    )
)  # fmt: skip


def _to_ticket(raw: Raw) -> PSATicketSearchResult:
    """A ticket (full record or list row) as a compact row."""
    info = _dict(raw.get("_info"))
    owner = _dict(raw.get("owner"))
    priority = _dict(raw.get("priority"))
    return PSATicketSearchResult.model_validate(
        {
            "id": _req_id(raw),
            "summary": _str(raw.get("summary")) or "",
            "company": _ref_fields(raw.get("company")),
            "board": _ref_fields(raw.get("board")),
            "status": _ref_fields(raw.get("status")),
            "priority": _priority_fields(priority) if has_id(priority) else None,
            "owner": _member_fields(owner) if has_id(owner) else None,
            "contact": _ref_fields(raw.get("contact")),
            "resources": split_resources(raw.get("resources")),
            "date_entered": _dt(info.get("dateEntered")),
            "entered_by": _str(info.get("enteredBy")),
            "last_updated": _dt(info.get("lastUpdated")),
            "closed": _bool(raw.get("closedFlag")),
            "parent_ticket_id": _int(raw.get("parentTicketId")),
            "actual_hours": _float(raw.get("actualHours")),
            "updated_by": _str(info.get("updatedBy")),
            "sla": sla_fields(raw),
            "marker": _str(raw.get(MARKER_FIELD)),
        }
    )


COMPANY_FIELDS = "id,identifier,name"


def _to_company(raw: Raw) -> Company:
    """A company record or reference."""
    return Company(
        id=_req_id(raw),
        identifier=_str(raw.get("identifier")) or "",
        name=_str(raw.get("name")) or "",
    )


def _communication(raw: Raw, kind: str) -> str | None:
    items = [i for i in raw.get("communicationItems") or [] if isinstance(i, dict)]
    matching = [
        i
        for i in items
        if str(i.get("communicationType") or "").lower() == kind
        or str(_dict(i.get("type")).get("name") or "").lower() == kind
    ]
    matching.sort(key=lambda i: not _bool(i.get("defaultFlag")))
    for item in matching:
        value = _str(item.get("value"))
        if value:
            return value
    return None


def _to_contact(raw: Raw) -> Contact:
    """A contact, e-mail and phone from its default communication items."""
    return Contact(
        id=_req_id(raw),
        name=_person_name(raw),
        email=_communication(raw, "email"),
        phone=_communication(raw, "phone"),
        title=_str(raw.get("title")),
        company_id=_int(_dict(raw.get("company")).get("id")),
    )


CONFIGURATION_FIELDS = "id,name,deviceIdentifier,type,serialNumber,ipAddress,osType"


def _to_configuration(raw: Raw) -> Configuration:
    """A configuration (device) record."""
    return Configuration(
        id=_req_id(raw),
        name=_str(raw.get("name")) or _str(raw.get("deviceIdentifier")) or f"#{raw.get('id')}",
        type_name=_str(_dict(raw.get("type")).get("name")),
        serial_number=_str(raw.get("serialNumber")),
        ip_address=_str(raw.get("ipAddress")),
        os_type=_str(raw.get("osType")),
    )


BOARD_FIELDS = "id,name,inactiveFlag"


def _to_board(raw: Raw) -> Board:
    """A service board."""
    return Board(
        id=_req_id(raw),
        name=_str(raw.get("name")) or "",
        inactive=_bool(raw.get("inactiveFlag")),
    )


STATUS_FIELDS = "id,name,board,sortOrder,closedStatus,defaultFlag,inactive"


def _to_status(raw: Raw, board_id: int | None = None) -> BoardStatus:
    """A board status; `board_id` fills in when the record lacks its board reference."""
    board = _int(_dict(raw.get("board")).get("id"))
    return BoardStatus(
        id=_req_id(raw),
        name=_str(raw.get("name")) or "",
        board_id=board if board is not None else (board_id or 0),
        sort_order=_int(raw.get("sortOrder")) or 0,
        closed=_bool(raw.get("closedStatus")),
        default=_bool(raw.get("defaultFlag")),
        inactive=_bool(raw.get("inactive")),
    )


def _to_note(raw: Raw, ticket_id: int | None = None) -> Note:
    """A ticket note; the author is the member, else the contact."""
    member = _dict(raw.get("member"))
    contact = _dict(raw.get("contact"))
    author = member if has_id(member) or member.get("name") else contact
    return Note(
        id=_req_id(raw),
        ticket_id=_int(raw.get("ticketId")) or ticket_id or 0,
        text=str(raw.get("text") or ""),
        author_name=_str(author.get("name")) or _str(raw.get("createdBy")),
        author_identifier=_str(member.get("identifier")) or _str(raw.get("createdBy")),
        created_at=_dt(raw.get("dateCreated")) or _dt(_dict(raw.get("_info")).get("dateEntered")),
        internal=_bool(raw.get("internalAnalysisFlag")) and not _bool(raw.get("detailDescriptionFlag")),
        customer=not has_id(member) and has_id(contact),
    )


def _to_resource(raw: Raw, *, is_owner: bool = False) -> PSAResource | None:
    """A schedule entry (or an owner reference) as an assignee; None when it names no member."""
    member = _dict(raw.get("member")) if "member" in raw else raw
    member_id = _int(member.get("id"))
    if member_id is None:
        return None
    identifier = _str(member.get("identifier")) or ""
    return PSAResource(
        member_id=member_id,
        member_name=_str(member.get("name")) or _person_name(member) or identifier,
        member_identifier=identifier,
        is_owner=is_owner,
    )


def entry_ids(rows: Any) -> list[int]:
    """Ids of the records in a list response."""
    return [i for i in (_int(_dict(r).get("id")) for r in (rows or [])) if i is not None]


def entry_member_id(raw: Raw) -> int | None:
    """The member id of a schedule entry."""
    return _int(_dict(raw.get("member")).get("id"))


def ticket_owner_id(raw: Raw) -> int | None:
    """The owner member id of a raw ticket."""
    return _int(_dict(raw.get("owner")).get("id"))


def ticket_status_name(raw: Raw) -> str:
    """The status name of a raw ticket."""
    return _str(_dict(raw.get("status")).get("name")) or ""


def resources_of(ticket: Raw, entries: Iterable[Raw]) -> list[PSAResource]:
    """Owner first, then the members of the open Service entries, one per member."""
    out: list[PSAResource] = []
    seen: set[int] = set()
    owner = _dict(ticket.get("owner"))
    candidates: list[PSAResource | None] = [_to_resource(owner, is_owner=True) if has_id(owner) else None]
    candidates += [_to_resource(e) for e in entries if isinstance(e, dict)]
    for res in candidates:
        if res is not None and res.member_id not in seen:
            seen.add(res.member_id)
            out.append(res)
    return out


def count_of(raw: Any) -> int:
    """The number from a `/count` response."""
    return _int(_dict(raw).get("count")) or 0


def configuration_ids(rows: Any) -> list[int]:
    """Configuration ids from `/service/tickets/{id}/configurations` (which gives only ids)."""
    return entry_ids(rows)


def _to_created(raw: Raw, url: str | None) -> PSATicketCreated:
    """The POST response of a new ticket."""
    owner = _dict(raw.get("owner"))
    resource = _to_resource(owner, is_owner=True) if has_id(owner) else None
    return PSATicketCreated(
        id=_req_id(raw),
        summary=_str(raw.get("summary")) or "",
        board_name=_str(_dict(raw.get("board")).get("name")) or "",
        status_name=_str(_dict(raw.get("status")).get("name")) or "",
        priority_name=_str(_dict(raw.get("priority")).get("name")) or "",
        company_name=_str(_dict(raw.get("company")).get("name")) or "",
        resources=[resource] if resource else [],
        url=url,
    )


def create_ticket_body(payload: TicketCreatePayload) -> Raw:
    """The POST /service/tickets body for a new ticket."""
    body: Raw = {
        "summary": payload.summary,
        "company": {"id": payload.company_id},
        "board": {"id": payload.board_id},
        "status": {"id": payload.status_id},
        "priority": {"id": payload.priority_id},
    }
    if payload.description:
        body["initialDescription"] = payload.description
    if payload.assigned_member_id is not None:
        body["owner"] = {"id": payload.assigned_member_id}
    if payload.contact_id is not None:
        body["contact"] = {"id": payload.contact_id}
    if payload.marker:
        body[MARKER_FIELD] = payload.marker
    return body


# The create marker lives in the ticket's external cross-reference: a plain string of up to 100
# characters that a POST may set (OpenAPI 2025.1 `Ticket.externalXRef`) and `conditions` can match
# exactly (integrations search `externalXRef = "…"` to find tickets they made, e.g. the Tactical RMM
# alert-to-ticket script). It is not shown to the ticket's contact.
MARKER_FIELD = "externalXRef"


def status_patch(status_id: int) -> list[Raw]:
    """Replace the whole status reference (a patch on `status/id` is a silent no-op in ConnectWise)."""
    return [{"op": "replace", "path": "status", "value": {"id": status_id}}]


def owner_remove_patch() -> list[Raw]:
    """Clear the ticket's owner."""
    return [{"op": "remove", "path": "owner"}]


def schedule_entry_body(ticket_id: int, member_id: int) -> Raw:
    """A Service schedule entry that assigns `member_id` to the ticket."""
    return {
        "objectId": ticket_id,
        "type": {"identifier": SERVICE_SCHEDULE_TYPE_IDENTIFIER},
        "member": {"id": member_id},
    }


def note_body(text: str, *, internal: bool, member_id: int | None = None) -> Raw:
    """A ticket note: discussion (detail description) or internal analysis, optionally naming its member."""
    body: Raw = {
        "text": text,
        "detailDescriptionFlag": not internal,
        "internalAnalysisFlag": internal,
    }
    if member_id is not None:
        # ConnectWise takes a `member` reference on a note POST (django-connectwise `post_note`);
        # without it the note is the key owner's.
        body["member"] = {"id": member_id}
    return body


def system_version(raw: Any) -> str | None:
    """The version from `/system/info`."""
    return _str(_dict(raw).get("version"))
