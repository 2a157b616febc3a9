"""Writes on records hanging off tickets: notes, attached configurations, Service schedule entries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .attribution import identifier, note_member, stamp_updated
from .errors import field_error, invalid, invalid_many, not_found
from .schema import check_body, schema
from .store import SERVICE_IDENTIFIER, Rec, SandboxStore, member_ref, now_iso
from .tickets import parse_ops

NOTE_FLAGS = ("detailDescriptionFlag", "internalAnalysisFlag", "resolutionFlag", "issueFlag")
FIRM_STATUS = {"id": 2, "name": "Firm"}


def _ticket(store: SandboxStore, ticket_id: int) -> Rec:
    ticket = store.get("tickets", ticket_id)
    if ticket is None:
        raise not_found("Ticket", ticket_id)
    return ticket


def add_note_record(
    store: SandboxStore,
    ticket_id: int,
    text: str,
    flags: dict[str, bool],
    stamp: str,
    *,
    actor: Rec | None = None,
    member: Rec | None = None,
) -> Rec:
    """Store a note written by `actor` about `member` (default: the actor); the caller validated both."""
    actor = actor or store.api_member
    detail = bool(flags.get("detailDescriptionFlag"))
    internal = bool(flags.get("internalAnalysisFlag"))
    resolution = bool(flags.get("resolutionFlag"))
    if not (detail or internal or resolution):
        detail = True  # a note with no flag lands in the discussion, as in the CW screen
    note: Rec = {
        "_info": {"lastUpdated": stamp, "updatedBy": identifier(actor)},
        "createdBy": identifier(actor),
        "dateCreated": stamp,
        "detailDescriptionFlag": detail,
        "externalFlag": detail or resolution,
        "id": store.next_id("notes"),
        "internalAnalysisFlag": internal,
        "internalFlag": internal,
        "issueFlag": bool(flags.get("issueFlag")),
        "member": member or member_ref(actor),
        "resolutionFlag": resolution,
        "text": text,
        "ticketId": ticket_id,
    }
    store.table("notes")[note["id"]] = note
    store.touch("notes")
    return note


def create_note(store: SandboxStore, ticket_id: int, body: Any, actor: Rec | None = None) -> Rec:
    """POST /service/tickets/{id}/notes (`member` may name another member; see attribution.py)."""
    _ticket(store, ticket_id)
    if not isinstance(body, dict):
        raise invalid("note", "InvalidField", "The request body must be a note object", "serviceNote")
    check_body(schema("notes"), body, "serviceNote")
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise invalid("text", "MissingRequiredField", "text is required", "serviceNote")
    flags: dict[str, bool] = {}
    for flag in NOTE_FLAGS:
        value = body.get(flag)
        if value is not None and not isinstance(value, bool):
            raise invalid(flag, "InvalidField", f"{flag} must be true or false", "serviceNote")
        flags[flag] = bool(value)
    actor = actor or store.api_member
    member = note_member(store, body, actor)
    return add_note_record(store, ticket_id, text, flags, now_iso(), actor=actor, member=member)


def attach_configuration(store: SandboxStore, ticket_id: int, body: Any, base: str) -> Rec:
    """POST /service/tickets/{id}/configurations with `{"id": N}` or `{"deviceIdentifier": ".."}`."""
    _ticket(store, ticket_id)
    body = body if isinstance(body, dict) else {}
    cfg: Rec | None = None
    if body.get("id") is not None:
        cfg = store.get("configurations", body["id"]) if isinstance(body["id"], int) else None
    elif body.get("deviceIdentifier") is not None:
        wanted = str(body["deviceIdentifier"]).casefold()
        cfg = next(
            (
                c
                for c in store.table("configurations").values()
                if str(c.get("deviceIdentifier")).casefold() == wanted
            ),
            None,
        )
    else:
        raise invalid("id", "MissingRequiredField", "id or deviceIdentifier is required", "configuration")
    if cfg is None:
        raise invalid("id", "InvalidField", "configuration was not found", "configuration")
    if cfg["id"] in store.ticket_configuration_ids(ticket_id):
        raise invalid(
            "id", "ObjectExists", "configuration is already attached to this ticket", "configuration"
        )
    store.ticket_configurations.append({"configurationId": cfg["id"], "ticketId": ticket_id})
    store.touch("ticket_configurations")
    return ticket_config_view(cfg, base)


def detach_configuration(store: SandboxStore, ticket_id: int, cfg_id: int) -> None:
    """DELETE /service/tickets/{id}/configurations/{cfgId}."""
    _ticket(store, ticket_id)
    for i, tc in enumerate(store.ticket_configurations):
        if tc["ticketId"] == ticket_id and tc["configurationId"] == cfg_id:
            del store.ticket_configurations[i]
            store.touch("ticket_configurations")
            return
    raise not_found("Configuration", cfg_id)


def ticket_config_view(cfg: Rec, base: str) -> Rec:
    """A ticket's configuration as `/service/tickets/{id}/configurations` returns it."""
    return {
        "id": cfg["id"],
        "deviceIdentifier": cfg.get("deviceIdentifier"),
        "_info": {"configuration_href": f"{base}/company/configurations/{cfg['id']}"},
    }


# What a schedule entry's objectId names, per schedule type identifier (ConnectWise answers
# "Activity 123456 not found" for a ticket id sent with an Activity type: christaylorcodes/
# ConnectWiseManageAPI issue #37). The sandbox holds only tickets, so other kinds never exist.
_OBJECT_KINDS = {"C": "Activity", "O": "Opportunity"}
ENTRY = "schedule"  # the resource name ConnectWise gives schedule-entry errors (issue #37 above)


def _entry_type(store: SandboxStore, ref: Any) -> Rec | None:
    if not isinstance(ref, dict):
        return None
    found = store.find_schedule_type(ref)
    ident = ref.get("identifier")
    if found is not None and ident is not None and str(ident).casefold() != found["identifier"].casefold():
        return None  # an id and an identifier naming two different types
    return found


def _parse_dt(value: Any, field: str, errors: list[dict[str, Any]]) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        errors.append(field_error(field, "InvalidField", f"{field} must be an ISO-8601 datetime", ENTRY))
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _fmt(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _active_member(store: SandboxStore, ref: Any, errors: list[dict[str, Any]]) -> Rec | None:
    member = store.find_member(ref)
    if member is None or member.get("inactiveFlag"):
        errors.append(field_error("member", "InvalidField", "member must be an active member", ENTRY))
        return None
    return member


def create_schedule_entry(store: SandboxStore, body: Any, actor: Rec | None = None) -> Rec:
    """POST /schedule/entries: a Service entry puts a member on a ticket.

    Dates are optional and stored only when sent: KerkhoffTechnologies/django-connectwise created
    ticket entries with no dates for years (djconnectwise/api.py `post_schedule_entry`, before its
    PR #251 made them optional) and reads `dateStart` as possibly absent.
    """
    if not isinstance(body, dict):
        raise invalid("entry", "InvalidField", "The request body must be an object", ENTRY)
    check_body(schema("schedule_entries"), body, ENTRY)
    errors: list[dict[str, Any]] = []

    def missing(field: str) -> None:
        errors.append(field_error(field, "MissingRequiredField", f"{field} is required", ENTRY))

    entry_type = None
    if body.get("type") is None:
        missing("type")
    elif (entry_type := _entry_type(store, body["type"])) is None:
        errors.append(field_error("type", "InvalidField", "type was not found", ENTRY))
    object_id = body.get("objectId")
    if object_id is None:
        missing("objectId")
    elif entry_type is not None and entry_type["identifier"].upper() != SERVICE_IDENTIFIER:
        kind = _OBJECT_KINDS.get(entry_type["identifier"].upper(), entry_type.get("name", "Object"))
        errors.append(field_error("objectId", "NotFound", f"{kind} {object_id} not found", ENTRY))
    elif (
        not isinstance(object_id, int)
        or isinstance(object_id, bool)
        or store.get("tickets", object_id) is None
    ):
        errors.append(field_error("objectId", "NotFound", f"Ticket {object_id!r} not found", ENTRY))
    member = None
    if body.get("member") is None:
        missing("member")
    else:
        member = _active_member(store, body["member"], errors)
    start = _parse_dt(body.get("dateStart"), "dateStart", errors)
    end = _parse_dt(body.get("dateEnd"), "dateEnd", errors)
    for flag in ("doneFlag", "ownerFlag"):
        if body.get(flag) is not None and not isinstance(body[flag], bool):
            errors.append(field_error(flag, "InvalidField", f"{flag} must be true or false", ENTRY))
    if errors or member is None or entry_type is None:
        raise invalid_many(errors, ENTRY)
    if start is not None and end is not None and end < start:
        raise invalid("dateEnd", "InvalidField", "dateEnd must be after dateStart", ENTRY)
    stamp = now_iso()
    entry: Rec = {
        "_info": {"lastUpdated": stamp, "updatedBy": identifier(actor or store.api_member)},
        "doneFlag": bool(body.get("doneFlag", False)),
        "id": store.next_id("schedule_entries"),
        "member": member_ref(member),
        "objectId": object_id,
        "ownerFlag": bool(body.get("ownerFlag", False)),
        "status": FIRM_STATUS,
        "type": {"id": entry_type["id"], "identifier": entry_type["identifier"]},
    }
    if start is not None:
        entry["dateStart"] = _fmt(start)
    if end is not None:
        entry["dateEnd"] = _fmt(end)
    if isinstance(body.get("where"), dict):
        entry["where"] = body["where"]
    store.table("schedule_entries")[entry["id"]] = entry
    store.touch("schedule_entries")
    return entry


def patch_schedule_entry(store: SandboxStore, entry_id: int, body: Any, actor: Rec | None = None) -> Rec:
    """PATCH /schedule/entries/{id}: doneFlag, ownerFlag, dates or member."""
    entry = store.get("schedule_entries", entry_id)
    if entry is None:
        raise not_found("ScheduleEntry", entry_id)
    updated = dict(entry)
    errors: list[dict[str, Any]] = []
    for op, path, value in parse_ops(body, ENTRY):
        if op == "remove" or path not in ("doneFlag", "ownerFlag", "dateStart", "dateEnd", "member"):
            errors.append(field_error(path, "InvalidField", f"Cannot {op} '{path}'", ENTRY))
        elif path in ("doneFlag", "ownerFlag"):
            if isinstance(value, bool):
                updated[path] = value
            else:
                errors.append(field_error(path, "InvalidField", f"{path} must be true or false", ENTRY))
        elif path == "member":
            member = _active_member(store, value, errors)
            if member is not None:
                updated["member"] = member_ref(member)
        else:
            parsed = _parse_dt(value, path, errors)
            if parsed is not None:
                updated[path] = _fmt(parsed)
    if errors:
        raise invalid_many(errors, ENTRY)
    if updated != entry:
        stamp_updated(updated, actor or store.api_member, now_iso())
        entry.clear()
        entry.update(updated)
        store.touch("schedule_entries")
    return entry


def delete_schedule_entry(store: SandboxStore, entry_id: int) -> None:
    """DELETE /schedule/entries/{id}."""
    if store.table("schedule_entries").pop(entry_id, None) is None:
        raise not_found("ScheduleEntry", entry_id)
    store.touch("schedule_entries")
