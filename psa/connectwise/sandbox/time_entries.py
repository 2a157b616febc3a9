"""`/time/entries`, `/time/workTypes`, `/time/workRoles`: time logged on service tickets.

What is ConnectWise's own behaviour (sources in psa/connectwise/time_entries.py):
- the body fields and enums; `timeStart` is required; without `member` the time is the key's member's;
- a ticket whose status has `timeEntryNotAllowed` refuses time with the message used below;
- the ticket's `actualHours` is the total of its entries; DELETE answers 204.
What is the sandbox's choice where no source says (the 400 InvalidObject shape is ConnectWise's, the
wording of these messages is ours): time ending in the future, an end before the start or more than
24 hours, an unknown or inactive work type/role, and time for another member without the "Time Entry
Add: All" level of the caller's security role. `actualHours` is derived from the span when not sent,
and `timeEnd` from `actualHours` when only that is sent.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from . import attribution
from .app import state_of
from .errors import CWError, field_error, invalid_many, not_found
from .routes_read import by_id, count_handler, int_id, item_handler, list_handler, table
from .routes_write import write
from .store import Rec, SandboxStore, member_ref, named_ref, now_iso

RESOURCE = "timeEntry"
CHARGE_TYPES = ("ServiceTicket", "ProjectTicket", "ChargeCode", "Activity")
BILLABLE = ("Billable", "DoNotBill", "NoCharge", "NoDefault")
NOTE_FLAGS = ("addToDetailDescriptionFlag", "addToInternalAnalysisFlag", "addToResolutionFlag")
ACTION_FLAGS = ("emailResourceFlag", "emailContactFlag", "emailCcFlag")
MAX_SPAN = timedelta(hours=24)
STATUS_BLOCKS_TIME = (
    "Please update the status of this ticket before entering time, "
    "the current status does not allow time entry."
)
# "Time Entry" Add level per security role name (System > Security Roles); unknown roles get "My".
ADD_LEVEL = {"Admin": "All", "Service Manager": "All", "API Integration": "All", "Read Only": "None"}


def acting_member(request: web.Request, store: SandboxStore) -> Rec:
    """The member whose keys made the request (attribution.py)."""
    return attribution.acting_member(request)


def _add_level(member: Rec) -> str:
    return ADD_LEVEL.get(str((member.get("securityRole") or {}).get("name")), "My")


class _Errors(list[dict[str, Any]]):
    def add(self, field: str, code: str, message: str) -> None:
        self.append(field_error(field, code, message, RESOURCE))


def _when(value: Any, field: str, errors: _Errors) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        errors.add(field, "InvalidField", f"{field} must be an ISO-8601 date and time")
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def _fmt(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _ticket_for(store: SandboxStore, body: dict[str, Any], errors: _Errors) -> Rec | None:
    kind, ticket_id = body.get("chargeToType"), body.get("chargeToId")
    if kind is None:
        errors.add("chargeToType", "MissingRequiredField", "chargeToType is required")
    elif kind not in CHARGE_TYPES:
        errors.add("chargeToType", "InvalidField", f"chargeToType must be one of {', '.join(CHARGE_TYPES)}")
    elif kind != "ServiceTicket":
        errors.add(
            "chargeToType", "InvalidField", f"the sandbox only keeps time on service tickets, not {kind}"
        )
    if ticket_id is None:
        errors.add("chargeToId", "MissingRequiredField", "chargeToId is required")
        return None
    ticket = (
        store.get("tickets", ticket_id) if isinstance(ticket_id, int) and kind == "ServiceTicket" else None
    )
    if ticket is None and kind == "ServiceTicket":
        errors.add("chargeToId", "InvalidField", f"ticket {ticket_id!r} was not found")
    if ticket is not None:
        status = store.get("board_statuses", ticket["status"]["id"]) or {}
        if status.get("timeEntryNotAllowed"):
            errors.add("chargeToId", "InvalidField", STATUS_BLOCKS_TIME)
    return ticket


def _member_for(store: SandboxStore, body: dict[str, Any], actor: Rec, errors: _Errors) -> Rec | None:
    ref = body.get("member")
    member = actor if ref is None else store.find_member(ref) if isinstance(ref, dict) else None
    if member is None or member.get("inactiveFlag"):
        errors.add("member", "InvalidField", f"member {ref!r} is not an active member")
        return None
    level = _add_level(actor)
    if level == "None":
        errors.add("member", "InvalidField", "You do not have permission to enter time.")
    elif member["id"] != actor["id"] and level != "All":
        errors.add("member", "InvalidField", "You do not have permission to enter time for other members.")
    return member


def _reference(
    store: SandboxStore, body: dict[str, Any], field: str, default: Any, errors: _Errors
) -> Rec | None:
    table_name = "work_types" if field == "workType" else "work_roles"
    ref = body.get(field)
    if ref is None:
        ref = default
        if ref is None:
            return None
    record = None
    if isinstance(ref, dict):
        if isinstance(ref.get("id"), int):
            record = store.get(table_name, ref["id"])
        elif isinstance(ref.get("name"), str):
            wanted = ref["name"].casefold()
            record = next(
                (r for r in store.table(table_name).values() if r["name"].casefold() == wanted), None
            )
    if record is None or record.get("inactiveFlag"):
        shown = ref.get("id", ref.get("name")) if isinstance(ref, dict) else ref
        errors.add(field, "InvalidField", f"{field} {shown!r} was not found or is inactive")
        return None
    return record


def _span(body: dict[str, Any], errors: _Errors) -> tuple[datetime, datetime, float] | None:
    start = _when(body.get("timeStart"), "timeStart", errors)
    end = _when(body.get("timeEnd"), "timeEnd", errors)
    hours = body.get("actualHours")
    if body.get("timeStart") is None:
        errors.add("timeStart", "MissingRequiredField", "timeStart is required")
    if hours is not None and (isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0):
        errors.add("actualHours", "InvalidField", "actualHours must be a positive number")
        hours = None
    if start is None or errors:
        return None
    if end is None:
        if hours is None:
            errors.add("timeEnd", "MissingRequiredField", "timeEnd or actualHours is required")
            return None
        end = start + timedelta(hours=float(hours))
    if end <= start:
        errors.add("timeEnd", "InvalidField", "timeEnd must be after timeStart")
    elif end - start > MAX_SPAN:
        errors.add("timeEnd", "InvalidField", "A time entry cannot be longer than 24 hours")
    if end > datetime.now(UTC):
        errors.add("timeEnd", "InvalidField", "Time cannot be entered in the future")
    derived = round((end - start).total_seconds() / 3600, 2)
    return start, end, round(float(hours), 2) if hours is not None else derived


def _flags(body: dict[str, Any], names: tuple[str, ...], errors: _Errors) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for name in names:
        value = body.get(name, False)
        if not isinstance(value, bool):
            errors.add(name, "InvalidField", f"{name} must be true or false")
        out[name] = value is True
    return out


def _text(body: dict[str, Any], name: str, errors: _Errors) -> str:
    value = body.get(name) or ""
    if not isinstance(value, str):
        errors.add(name, "InvalidField", f"{name} must be a string")
        return ""
    return value


def create_time_entry(store: SandboxStore, body: Any, actor: Rec) -> Rec:
    """POST /time/entries: validate everything, store, add the hours to the ticket."""
    if not isinstance(body, dict):
        raise invalid_many(
            [field_error("timeEntry", "InvalidField", "The body must be a time entry", RESOURCE)], RESOURCE
        )
    errors = _Errors()
    ticket = _ticket_for(store, body, errors)
    member = _member_for(store, body, actor, errors)
    defaults = member or {}
    overall = next((w for w in store.table("work_types").values() if w.get("overallDefaultFlag")), None)
    work_type = _reference(store, body, "workType", defaults.get("workType") or overall, errors)
    work_role = _reference(store, body, "workRole", defaults.get("workRole"), errors)
    billable = body.get("billableOption") or "NoDefault"
    if billable not in BILLABLE:
        errors.add("billableOption", "InvalidField", f"billableOption must be one of {', '.join(BILLABLE)}")
    flags = _flags(body, NOTE_FLAGS + ACTION_FLAGS, errors)
    notes, internal = _text(body, "notes", errors), _text(body, "internalNotes", errors)
    span = _span(body, errors)
    if errors or ticket is None or member is None or span is None:
        raise invalid_many(errors, RESOURCE)
    if billable == "NoDefault":
        billable = (work_type or {}).get("billTime", "Billable")
    start, end, hours = span
    stamp, who = now_iso(), str(actor.get("identifier") or "")
    status = store.get("board_statuses", ticket["status"]["id"]) or ticket["status"]
    entry: Rec = {
        "_info": {"lastUpdated": stamp, "updatedBy": who},
        "actualHours": hours,
        "billableOption": billable,
        "chargeToId": ticket["id"],
        "chargeToType": "ServiceTicket",
        "company": dict(ticket["company"]),
        "dateEntered": stamp,
        "enteredBy": who,
        "hoursBilled": hours if billable == "Billable" else 0.0,
        "hoursDeduct": 0.0,
        "id": store.next_id("time_entries"),
        "internalNotes": internal,
        "member": member_ref(member),
        "mobileGuid": str(body.get("mobileGuid") or uuid.uuid4()),
        "notes": notes,
        "status": "Open",
        "ticket": {"id": ticket["id"], "summary": ticket.get("summary", "")},
        "ticketBoard": ticket["board"]["name"],
        "ticketStatus": status.get("name", ""),
        "timeEnd": _fmt(end),
        "timeStart": _fmt(start),
        **flags,
    }
    if work_type is not None:
        entry["workType"] = named_ref(work_type)
    if work_role is not None:
        entry["workRole"] = named_ref(work_role)
    store.table("time_entries")[entry["id"]] = dict(sorted(entry.items()))
    store.touch("time_entries")
    _add_hours(store, ticket, hours, stamp, who)
    return entry


def delete_time_entry(store: SandboxStore, entry_id: int, actor: Rec) -> None:
    """DELETE /time/entries/{id}: the caller's own entry, or anyone's with the All level."""
    entry = store.get("time_entries", entry_id)
    if entry is None:
        raise not_found("TimeEntry", entry_id)
    if entry["member"]["id"] != actor["id"] and _add_level(actor) != "All":
        raise CWError(403, "Forbidden", "You do not have permission to delete time for other members.")
    del store.table("time_entries")[entry_id]
    store.touch("time_entries")
    ticket = store.get("tickets", entry.get("chargeToId", -1))
    if ticket is not None and entry.get("chargeToType") == "ServiceTicket":
        _add_hours(
            store, ticket, -float(entry.get("actualHours") or 0), now_iso(), str(actor.get("identifier"))
        )


def _add_hours(store: SandboxStore, ticket: Rec, hours: float, stamp: str, who: str) -> None:
    ticket["actualHours"] = max(0.0, round(float(ticket.get("actualHours") or 0) + hours, 2))
    ticket["_info"] = {**ticket.get("_info", {}), "lastUpdated": stamp, "updatedBy": who}
    store.touch("tickets")


def _collection(app: web.Application, path: str, name: str, resource: str) -> None:
    app.router.add_get(path, list_handler(table(name), name))
    app.router.add_get(path + "/count", count_handler(table(name), name))
    app.router.add_get(path + r"/{id:\d+}", item_handler(resource, by_id(name)))


def register(app: web.Application, root: str) -> None:
    """Add the /time routes under the API root."""
    entries = root + "/time/entries"
    _collection(app, entries, "time_entries", "TimeEntry")
    _collection(app, root + "/time/workTypes", "work_types", "WorkType")
    _collection(app, root + "/time/workRoles", "work_roles", "WorkRole")

    def actor(request: web.Request) -> Rec:
        return acting_member(request, state_of(request).store)

    app.router.add_post(entries, write(lambda s, q, b: create_time_entry(s, b, actor(q)), 201))
    app.router.add_delete(
        entries + r"/{id:\d+}", write(lambda s, q, b: delete_time_entry(s, int_id(q), actor(q)))
    )
