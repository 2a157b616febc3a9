"""Every change the sandbox receives becomes callback deliveries, and keeps tickets' `lastUpdated` true.

Changes come from the API (a middleware watches successful writes, whoever's handler made them) or
from the control API, which stands in for someone working in ConnectWise itself: a status change,
a note from a member or a customer (contact), an assignment. A change to a ticket's notes, devices,
schedule entries or time is also an update of the ticket: its `_info.lastUpdated`/`updatedBy` move,
so the `lastUpdated > [t]` poll sees it, and ticket callbacks fire for it (the sandbox's model; the
real API's `lastUpdated` is at least moved by every save of the ticket itself).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from .app import API_ROOT, dumps, json_response, state_of
from .deliveries import DISPATCHER, Event
from .errors import bad_request, not_found
from .sla import stamp_progress
from .store import SERVICE_IDENTIFIER, Rec, SandboxStore, contact_ref, member_ref, named_ref, now_iso
from .tickets import _apply_closed_state
from .time_entries import acting_member

_TICKETS = re.compile(r"^/service/tickets(?:/(\d+)(/notes|/configurations)?(?:/\d+)?)?$")
_ENTRIES = re.compile(r"^/(schedule|time)/entries(?:/(\d+))?$")
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FIRM_STATUS = {"id": 2, "name": "Firm"}


def _snapshot(rec: Rec | None) -> str | None:
    return None if rec is None else json.dumps(rec, sort_keys=True)


def touch_ticket(store: SandboxStore, ticket_id: Any, who: str) -> Event | None:
    """Mark a ticket as updated now by `who`; the ticket event to announce (None if no such ticket)."""
    ticket = store.get("tickets", ticket_id) if isinstance(ticket_id, int) else None
    if ticket is None:
        return None
    ticket["_info"] = {**ticket.get("_info", {}), "lastUpdated": now_iso(), "updatedBy": who}
    store.touch("tickets")
    return Event("ticket", ticket["id"], "updated", store.ticket_view(ticket))


def _ticket_event(store: SandboxStore, ticket_id: int, action: str) -> Event | None:
    ticket = store.get("tickets", ticket_id)
    return None if ticket is None else Event("ticket", ticket_id, action, store.ticket_view(ticket))


def _is_service(entry: Rec | None) -> bool:
    kind = (entry or {}).get("type") or {}
    return str(kind.get("identifier") or "").upper() == SERVICE_IDENTIFIER


def _created_id(response: web.StreamResponse) -> int | None:
    body = getattr(response, "body", None)
    try:
        data = json.loads(body) if isinstance(body, bytes | bytearray) else None
    except ValueError:
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, int) else None


@web.middleware
async def change_feed(request: web.Request, handler: Any) -> web.StreamResponse:
    """After a successful API write: move `lastUpdated` where needed and queue the deliveries."""
    path = request.path
    if request.method not in _WRITES or not path.startswith(API_ROOT + "/"):
        return await handler(request)
    rel, store = path[len(API_ROOT) :], state_of(request).store
    tickets, entries = _TICKETS.match(rel), _ENTRIES.match(rel)
    before: Rec | None = None
    with store.lock:
        if tickets and tickets.group(1) and not tickets.group(2):
            before = store.get("tickets", int(tickets.group(1)))
        elif entries and entries.group(2):
            table = "schedule_entries" if entries.group(1) == "schedule" else "time_entries"
            before = store.get(table, int(entries.group(2)))
        was = _snapshot(before)
        before = json.loads(was) if was else None
    response = await handler(request)
    if not 200 <= response.status < 300 or not (tickets or entries):
        return response
    with store.lock:
        actor = acting_member(request, store)
        who = str(actor.get("identifier") or "")
        events = _events(store, request.method, tickets, entries, before, was, response, who)
        if events:
            request.app[DISPATCHER].emit(events, actor, str(request.url.origin()))
        if (
            tickets
            and tickets.group(1)
            and not tickets.group(2)
            and events
            and isinstance(response, web.Response)
        ):
            response.text = dumps(events[0].record)  # with what the status change did to the SLA
    return response


def _events(
    store: SandboxStore,
    method: str,
    tickets: re.Match[str] | None,
    entries: re.Match[str] | None,
    before: Rec | None,
    was: str | None,
    response: web.StreamResponse,
    who: str,
) -> list[Event]:
    if tickets:
        if not tickets.group(1):
            new_id = _created_id(response) if method == "POST" else None
            event = _ticket_event(store, new_id, "added") if new_id is not None else None
            return [event] if event else []
        ticket_id = int(tickets.group(1))
        if tickets.group(2):  # notes and devices are part of the ticket
            touched = touch_ticket(store, ticket_id, who)
            return [touched] if touched else []
        if method == "DELETE":
            return [Event("ticket", ticket_id, "deleted", before)]
        ticket = store.get("tickets", ticket_id)
        if ticket is None or _snapshot(ticket) == was:
            return []
        stamp_progress(store, ticket, ((before or {}).get("status") or {}).get("id"))
        event = _ticket_event(store, ticket_id, "updated")
        return [event] if event else []
    assert entries is not None
    kind = entries.group(1)
    table = "schedule_entries" if kind == "schedule" else "time_entries"
    entry_id = int(entries.group(2)) if entries.group(2) else _created_id(response)
    if entry_id is None:
        return []
    if method == "DELETE":
        record, action = before, "deleted"
    else:
        record = store.get(table, entry_id)
        action = "added" if method == "POST" else "updated"
        if action == "updated" and _snapshot(record) == was:
            return []
    events = [Event(kind, entry_id, action, record)]
    parent = (record or {}).get("objectId" if kind == "schedule" else "chargeToId")
    if kind == "time" or _is_service(record):
        touched = touch_ticket(store, parent, who)
        events += [touched] if touched else []
    return events


# -- someone else working in ConnectWise (control API) ---------------------------------------------


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json() if request.can_read_body else {}
    except ValueError:
        raise bad_request("Body must be JSON.") from None
    if not isinstance(body, dict):
        raise bad_request("Body must be a JSON object.")
    return body


def _member(store: SandboxStore, ident: Any) -> Rec:
    member = store.find_member({"identifier": ident}) if isinstance(ident, str) else None
    if member is None or member.get("inactiveFlag"):
        raise bad_request(f"member {ident!r} is not an active member")
    return member


def _ticket(store: SandboxStore, request: web.Request) -> Rec:
    ticket_id = int(request.match_info["id"])
    ticket = store.get("tickets", ticket_id)
    if ticket is None:
        raise not_found("Ticket", ticket_id)
    return ticket


def _announce(
    request: web.Request, store: SandboxStore, actor: Rec, events: list[Event | None]
) -> web.Response:
    ready = [e for e in events if e is not None]
    request.app[DISPATCHER].emit(ready, actor, str(request.url.origin()))
    ticket = next(e for e in ready if e.kind == "ticket")
    return json_response(ticket.record)


async def change_status(request: web.Request) -> web.Response:
    """POST /__sandbox/changes/tickets/{id}/status `{"status": {"id"|"name"}, "member": ident}`."""
    body, store = await _json(request), state_of(request).store
    with store.lock:
        ticket, member = _ticket(store, request), _member(store, body.get("member"))
        status = store.find_status(ticket["board"]["id"], body.get("status"))
        if status is None or status.get("inactive"):
            raise bad_request(f"status {body.get('status')!r} is not an active status of the ticket's board")
        was_closed, was_status = bool(ticket.get("closedFlag")), ticket["status"]["id"]
        ticket["status"] = named_ref(status)
        _apply_closed_state(store, ticket, was_closed, member["identifier"])
        stamp_progress(store, ticket, was_status)
        return _announce(request, store, member, [touch_ticket(store, ticket["id"], member["identifier"])])


async def add_note(request: web.Request) -> web.Response:
    """POST /__sandbox/changes/tickets/{id}/notes `{"text", "member": ident | "contact": id, "internal"}`."""
    body, store = await _json(request), state_of(request).store
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise bad_request("text is required")
    internal = body.get("internal") is True
    with store.lock:
        ticket = _ticket(store, request)
        stamp = now_iso()
        note: Rec = {
            "dateCreated": stamp,
            "id": store.next_id("notes"),
            "text": text,
            "ticketId": ticket["id"],
        }
        if body.get("contact") is not None:
            contact = store.find_contact(body["contact"])
            if contact is None or internal:
                raise bad_request("a customer's note needs a known contact and cannot be internal")
            actor: Rec = {"id": 0, "identifier": "EmailConnector"}  # how customer e-mail reaches a ticket
            note |= {"contact": contact_ref(contact), "customerUpdatedFlag": True}
            ticket["customerUpdatedFlag"] = True
        else:
            actor = _member(store, body.get("member"))
            note["member"] = member_ref(actor)
        who = actor["identifier"]
        note |= {
            "_info": {"lastUpdated": stamp, "updatedBy": who},
            "createdBy": who,
            "detailDescriptionFlag": not internal,
            "externalFlag": not internal,
            "internalAnalysisFlag": internal,
            "internalFlag": internal,
            "issueFlag": False,
            "resolutionFlag": False,
        }
        store.table("notes")[note["id"]] = dict(sorted(note.items()))
        store.touch("notes")
        return _announce(request, store, actor, [touch_ticket(store, ticket["id"], who)])


async def assign(request: web.Request) -> web.Response:
    """POST /__sandbox/changes/tickets/{id}/assign `{"member": ident, "owner": bool, "by": ident}`."""
    body, store = await _json(request), state_of(request).store
    with store.lock:
        ticket, member = _ticket(store, request), _member(store, body.get("member"))
        actor = _member(store, body.get("by", body.get("member")))
        who, events = actor["identifier"], []
        if body.get("owner") is True:
            ticket["owner"] = member_ref(member)
        else:
            start = datetime.now(UTC).replace(microsecond=0)
            entry: Rec = {
                "_info": {"lastUpdated": now_iso(), "updatedBy": who},
                "dateEnd": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "dateStart": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "doneFlag": False,
                "id": store.next_id("schedule_entries"),
                "member": member_ref(member),
                "objectId": ticket["id"],
                "ownerFlag": False,
                "status": dict(FIRM_STATUS),
                "type": store.service_type_ref(),
            }
            store.table("schedule_entries")[entry["id"]] = entry
            store.touch("schedule_entries")
            events.append(Event("schedule", entry["id"], "added", entry))
        store.touch("tickets")
        return _announce(request, store, actor, [*events, touch_ticket(store, ticket["id"], who)])


def register(app: web.Application, control_root: str) -> None:
    """Watch API writes and add the "someone else changed it" controls."""
    app.middlewares.append(change_feed)
    base = control_root + r"/changes/tickets/{id:\d+}"
    app.router.add_post(base + "/status", change_status)
    app.router.add_post(base + "/notes", add_note)
    app.router.add_post(base + "/assign", assign)
