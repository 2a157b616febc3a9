"""Ticket writes with the real API's validation and traps (POST and JSON-Patch-like PATCH)."""

from __future__ import annotations

import copy
from typing import Any

from .attribution import identifier, stamp_entered, stamp_updated
from .errors import field_error, invalid, invalid_many, not_found
from .schema import check_body, schema
from .store import (
    Rec,
    SandboxStore,
    company_ref,
    contact_ref,
    member_ref,
    named_ref,
    now_iso,
    priority_ref,
)

SUMMARY_MAX = 100
LEVELS = ("Low", "Medium", "High")
REFERENCE_FIELDS = {
    "board",
    "status",
    "priority",
    "owner",
    "contact",
    "company",
    "type",
    "subType",
    "item",
    "team",
    "source",
    "site",
    "location",
    "department",
    "serviceLocation",
    "sla",
    "agreement",
}
READ_ONLY = {
    "id",
    "_info",
    "closedFlag",
    "closedDate",
    "closedBy",
    "hasChildTicket",
    "recordType",
    "actualHours",
}
SIMPLE_FIELDS = {
    "severity",
    "impact",
    "budgetHours",
    "customFields",
    "parentTicketId",
    "summary",
    "externalXRef",
}
REMOVABLE = {"owner", "contact", "parentTicketId", "budgetHours", "customFields", "externalXRef"}
XREF_MAX = 100  # OpenAPI 2025.1 Ticket.externalXRef: "Max length: 100"


def _summary_errors(value: Any) -> list[dict[str, Any]]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return [field_error("summary", "MissingRequiredField", "summary is required")]
    if not isinstance(value, str):
        return [field_error("summary", "InvalidField", "summary must be a string")]
    if len(value) > SUMMARY_MAX:
        msg = f"summary must be {SUMMARY_MAX} characters or fewer (got {len(value)})"
        return [field_error("summary", "OutOfRange", msg)]
    return []


class _Draft:
    """A ticket being built or changed; collects field errors instead of stopping at the first."""

    def __init__(self, store: SandboxStore, ticket: Rec) -> None:
        self.store = store
        self.t = ticket
        self.errors: list[dict[str, Any]] = []

    def err(self, field: str, code: str, message: str) -> None:
        self.errors.append(field_error(field, code, message))

    def set_company(self, ref: Any) -> None:
        company = self.store.find_company(ref)
        if company is None:
            self.err("company", "InvalidField", f"company {_show(ref)} was not found")
        else:
            self.t["company"] = company_ref(company)

    def set_board(self, ref: Any) -> None:
        board = self.store.find_board(ref)
        if board is None or board.get("inactiveFlag"):
            self.err("board", "InvalidField", f"board {_show(ref)} was not found or is inactive")
        else:
            self.t["board"] = named_ref(board)

    def set_status(self, ref: Any) -> None:
        board_id = self.t.get("board", {}).get("id")
        status = self.store.find_status(board_id, ref) if board_id is not None else None
        if status is None or status.get("inactive"):
            msg = f"status {_show(ref)} is not a valid status of board {board_id}"
            self.err("status", "InvalidField", msg)
        else:
            self.t["status"] = named_ref(status)

    def set_priority(self, ref: Any) -> None:
        priority = self.store.find_priority(ref)
        if priority is None:
            self.err("priority", "InvalidField", f"priority {_show(ref)} was not found")
        else:
            self.t["priority"] = priority_ref(priority)

    def set_owner(self, ref: Any) -> None:
        member = self.store.find_member(ref)
        if member is None or member.get("inactiveFlag"):
            self.err("owner", "InvalidField", f"owner {_show(ref)} is not an active member")
        else:
            self.t["owner"] = member_ref(member)

    def set_contact(self, ref: Any) -> None:
        contact = self.store.find_contact(ref)
        company_id = self.t.get("company", {}).get("id")
        if contact is None:
            self.err("contact", "InvalidField", f"contact {_show(ref)} was not found")
        elif contact.get("company", {}).get("id") != company_id:
            self.err(
                "contact", "InvalidField", f"contact {contact['id']} does not belong to company {company_id}"
            )
        else:
            self.t["contact"] = contact_ref(contact)

    def set_simple(self, field: str, value: Any) -> None:
        if field == "summary":
            problems = _summary_errors(value)
            self.errors.extend(problems)
            if not problems:
                self.t["summary"] = value
        elif field in ("severity", "impact"):
            match = next(
                (lv for lv in LEVELS if isinstance(value, str) and lv.lower() == value.lower()), None
            )
            if match is None:
                self.err(field, "InvalidField", f"{field} must be one of {', '.join(LEVELS)}")
            else:
                self.t[field] = match
        elif field == "budgetHours":
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                self.err(field, "InvalidField", "budgetHours must be a non-negative number")
            else:
                self.t[field] = value
        elif field == "parentTicketId":
            if value is None:
                self.t.pop(field, None)
            elif (
                not isinstance(value, int)
                or self.store.get("tickets", value) is None
                or value == self.t.get("id")
            ):
                self.err(field, "InvalidField", f"parentTicketId {_show(value)} is not a valid ticket")
            else:
                self.t[field] = value
        elif field == "customFields":
            if not isinstance(value, list):
                self.err(field, "InvalidField", "customFields must be the whole array")
            else:
                self.t[field] = value
        elif field == "externalXRef":
            if not isinstance(value, str):
                self.err(field, "InvalidField", "externalXRef must be a string")
            elif len(value) > XREF_MAX:
                self.err(field, "OutOfRange", f"externalXRef must be {XREF_MAX} characters or fewer")
            else:
                self.t[field] = value

    def set_reference(self, field: str, value: Any) -> None:
        setter = {
            "company": self.set_company,
            "board": self.set_board,
            "status": self.set_status,
            "priority": self.set_priority,
            "owner": self.set_owner,
            "contact": self.set_contact,
        }.get(field)
        if not isinstance(value, dict):
            self.err(field, "InvalidField", f'{field} must be a reference object like {{"id": 1}}')
        elif setter is None:
            self.t[field] = value  # references the sandbox does not model are kept as sent
        else:
            setter(value)


def _show(value: Any) -> str:
    if isinstance(value, dict):
        for key in ("id", "identifier", "name"):
            if key in value:
                return repr(value[key])
    return repr(value)


def _apply_closed_state(store: SandboxStore, ticket: Rec, was_closed: bool, who: str) -> None:
    status = store.get("board_statuses", ticket["status"]["id"]) or {}
    closed = bool(status.get("closedStatus"))
    ticket["closedFlag"] = closed
    if closed and not was_closed:
        ticket["closedDate"] = now_iso()
        ticket["closedBy"] = who
    elif not closed:
        ticket.pop("closedDate", None)
        ticket.pop("closedBy", None)


def create_ticket(store: SandboxStore, body: Any, actor: Rec | None = None) -> Rec:
    """POST /service/tickets: validate, fill reference names, store; returns the API view."""
    if not isinstance(body, dict):
        raise invalid("ticket", "InvalidField", "The request body must be a ticket object")
    actor = actor or store.api_member
    who = identifier(actor)
    check_body(schema("tickets"), body, "ticket")
    stamp = now_iso()
    draft = _Draft(store, {})
    draft.errors.extend(_summary_errors(body.get("summary")))
    if body.get("company") is None:
        draft.err("company", "MissingRequiredField", "company is required")
    else:
        draft.set_reference("company", body["company"])
    if body.get("board") is not None:
        draft.set_reference("board", body["board"])
    else:
        board = store.default_board()
        if board is None:
            draft.err("board", "MissingRequiredField", "board is required")
        else:
            draft.t["board"] = named_ref(board)
    if "board" in draft.t:
        if body.get("status") is not None:
            draft.set_reference("status", body["status"])
        else:
            default = store.default_status(draft.t["board"]["id"])
            if default is None:
                draft.err("status", "MissingRequiredField", "the board has no default status")
            else:
                draft.t["status"] = named_ref(default)
    if body.get("priority") is not None:
        draft.set_reference("priority", body["priority"])
    elif (prio := store.default_priority()) is not None:
        draft.t["priority"] = priority_ref(prio)
    for ref_field in ("owner", "contact"):
        if body.get(ref_field) is not None and ("company" in draft.t or ref_field == "owner"):
            draft.set_reference(ref_field, body[ref_field])
    for simple in ("severity", "impact", "budgetHours", "parentTicketId", "customFields", "externalXRef"):
        if body.get(simple) is not None:
            draft.set_simple(simple, body[simple])
    for text_field in ("initialDescription", "initialInternalAnalysis", "initialResolution"):
        if body.get(text_field) is not None and not isinstance(body[text_field], str):
            draft.err(text_field, "InvalidField", f"{text_field} must be a string")
    if draft.errors:
        raise invalid_many(draft.errors)
    t = draft.t
    t["summary"] = body["summary"]
    t.setdefault("severity", "Medium")
    t.setdefault("impact", "Medium")
    t.setdefault("budgetHours", 0.0)
    t.update(actualHours=0.0, hasChildTicket=False, recordType="ServiceTicket")
    stamp_entered(t, actor, stamp)
    _apply_closed_state(store, t, was_closed=False, who=who)
    t["id"] = store.next_id("tickets")
    ticket = dict(sorted(t.items()))
    store.table("tickets")[ticket["id"]] = ticket
    store.touch("tickets")
    if isinstance(ticket.get("parentTicketId"), int):
        parent = store.get("tickets", ticket["parentTicketId"])
        if parent is not None:
            parent["hasChildTicket"] = True
    from .children import add_note_record  # local import: children imports this module's helpers

    for text_field, flag in (
        ("initialDescription", "detailDescriptionFlag"),
        ("initialInternalAnalysis", "internalAnalysisFlag"),
        ("initialResolution", "resolutionFlag"),
    ):
        text = body.get(text_field)
        if isinstance(text, str) and text.strip():
            add_note_record(store, ticket["id"], text, {flag: True}, stamp, actor=actor)
    return store.ticket_view(ticket)


def parse_ops(body: Any, resource: str = "ticket") -> list[tuple[str, str, Any]]:
    """Validate a PATCH body into (op, path, value) triples; paths lose a leading '/'."""
    if not isinstance(body, list) or not body:
        raise invalid("patch", "InvalidField", "PATCH body must be a non-empty array of operations", resource)
    ops: list[tuple[str, str, Any]] = []
    for item in body:
        if not isinstance(item, dict):
            raise invalid("patch", "InvalidField", "Each operation must be an object", resource)
        op = str(item.get("op", "")).lower()
        path = item.get("path")
        if op not in ("add", "replace", "remove"):
            raise invalid("op", "InvalidField", f"Unsupported op {item.get('op')!r}", resource)
        if not isinstance(path, str) or not path.strip("/"):
            raise invalid("path", "MissingRequiredField", "path is required", resource)
        ops.append((op, path.strip("/"), item.get("value")))
    return ops


def patch_ticket(store: SandboxStore, ticket_id: int, body: Any, actor: Rec | None = None) -> Rec:
    """PATCH /service/tickets/{id}: all-or-nothing; traps answer 200 and change nothing."""
    current = store.get("tickets", ticket_id)
    if current is None:
        raise not_found("Ticket", ticket_id)
    ops = parse_ops(body)
    draft = _Draft(store, copy.deepcopy(current))
    status_set = False
    for op, path, value in ops:
        head, _, rest = path.partition("/")
        if rest and head in REFERENCE_FIELDS:
            continue  # the real API answers 200 to `status/id` and friends and changes nothing
        if path == "resources":
            continue  # derived from schedule entries: a PATCH "succeeds" and assigns nobody
        if rest or path in READ_ONLY or (path not in REFERENCE_FIELDS and path not in SIMPLE_FIELDS):
            code = "InvalidField"
            draft.err(path, code, f"Cannot update field '{path}'" if not rest else f"Invalid path '{path}'")
            continue
        if op == "remove":
            if path == "owner" and store.quirks.refuse_owner_remove:
                draft.err(path, "InvalidField", "owner cannot be removed")
            elif path in REMOVABLE:
                draft.t.pop(path, None)
            else:
                draft.err(path, "MissingRequiredField", f"{path} is required and cannot be removed")
            continue
        if path in REFERENCE_FIELDS:
            old_board = draft.t.get("board", {}).get("id")
            draft.set_reference(path, value)
            status_set = status_set or path == "status"
            if path == "board" and draft.t.get("board", {}).get("id") != old_board and not status_set:
                on_board = store.find_status(draft.t["board"]["id"], {"id": draft.t["status"]["id"]})
                if on_board is None and (default := store.default_status(draft.t["board"]["id"])):
                    draft.t["status"] = named_ref(default)
            if path == "company" and "contact" in draft.t:
                contact = store.find_contact(draft.t["contact"])
                if contact is None or contact.get("company", {}).get("id") != draft.t["company"]["id"]:
                    draft.t.pop("contact", None)
        else:
            draft.set_simple(path, value)
    if draft.errors:
        raise invalid_many(draft.errors)
    updated = draft.t
    status_id = updated["status"]["id"]
    if store.find_status(updated["board"]["id"], {"id": status_id}) is None:
        raise invalid("status", "InvalidField", f"status {status_id} is not a status of the ticket's board")
    if updated == current:
        return store.ticket_view(current)
    actor = actor or store.api_member
    _apply_closed_state(store, updated, was_closed=bool(current.get("closedFlag")), who=identifier(actor))
    stamp_updated(updated, actor, now_iso())
    current.clear()
    current.update(sorted(updated.items()))
    store.touch("tickets")
    return store.ticket_view(current)
