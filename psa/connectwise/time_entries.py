"""Time entries, work types and work roles on ConnectWise Manage (`/time/...`).

Facts this module relies on:
- `POST /time/entries` takes `chargeToType` ("ServiceTicket" for a service ticket) and `chargeToId`,
  `member`, `timeStart` (required) with `timeEnd` or `actualHours`, `notes`, `internalNotes`,
  `workType`, `workRole`, `billableOption` (Billable | DoNotBill | NoCharge | NoDefault), the
  `addToDetailDescriptionFlag` / `addToInternalAnalysisFlag` / `addToResolutionFlag` note flags and
  the `emailContactFlag` / `emailResourceFlag` / `emailCcFlag` action flags; `mobileGuid` is a
  client-chosen GUID (ConnectWise OpenAPI 2025.1: ai-connor/connectwise `model_time_entry.go`;
  enums from HealthITAU/pyconnectwise `models/manage/__init__.py` `TimeEntry`).
- Times are UTC; without `member` ConnectWise books the time to the API key's member, and a status
  flagged `timeEntryNotAllowed` refuses time (regression tests of a ConnectWise MCP server written
  after live use; jundis/CWSlack-SlashCommands `cwslack-time.php` posts the same body shape).
- Work roles are under `/time/workRoles`, not `/finance` (same live-use tests; `api_work_roles.go`).
- A member's default work type and role are its `workType` / `workRole` references (`model_member.go`);
  some instances answer `defaultWorkType` / `defaultWorkRole`, so both are read.
- A ticket's entries are listed with `chargeToId = N AND chargeToType = "ServiceTicket"`; jundis'
  `cwslack.php` sends the second half as a separate parameter, which ConnectWise ignores.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from psa.connectwise import mapping as m
from psa.connectwise.client import ConnectWiseClient
from psa.connectwise.conditions import Condition, and_, eq, render
from psa.errors import PSAUnavailableError
from psa.models import (
    BillableOption,
    MemberTimeDefaults,
    NoteTarget,
    TimeEntry,
    TimeEntryCreate,
    WorkRole,
    WorkType,
)

CHARGE_TO_TICKET = "ServiceTicket"
TIME_ORDER = "timeStart desc,id desc"
MAX_PAGE = 1000
_BILLABLE_OUT: dict[BillableOption, str] = {
    "billable": "Billable",
    "do_not_bill": "DoNotBill",
    "no_charge": "NoCharge",
}
_BILLABLE_IN: dict[str, BillableOption] = {v.casefold(): k for k, v in _BILLABLE_OUT.items()}
_NOTE_FLAGS: dict[NoteTarget, str] = {
    "discussion": "addToDetailDescriptionFlag",
    "internal": "addToInternalAnalysisFlag",
    "resolution": "addToResolutionFlag",
}


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def time_entry_body(entry: TimeEntryCreate) -> m.Raw:
    """The POST /time/entries body; only what the caller chose is sent, so ConnectWise defaults the rest."""
    body: m.Raw = {
        "chargeToType": CHARGE_TO_TICKET,
        "chargeToId": entry.ticket_id,
        "timeStart": _utc(entry.span.start),
        "timeEnd": _utc(entry.span.end),
    }
    if entry.member_id is not None:
        body["member"] = {"id": entry.member_id}
    if entry.notes:
        body["notes"] = entry.notes
    if entry.internal_notes:
        body["internalNotes"] = entry.internal_notes
    if entry.note_target is not None:
        body[_NOTE_FLAGS[entry.note_target]] = True
    if entry.work_type_id is not None:
        body["workType"] = {"id": entry.work_type_id}
    if entry.work_role_id is not None:
        body["workRole"] = {"id": entry.work_role_id}
    if entry.billable is not None:
        body["billableOption"] = _BILLABLE_OUT[entry.billable]
    for flag, wanted in (
        ("emailContactFlag", entry.email_contact),
        ("emailResourceFlag", entry.email_resources),
        ("emailCcFlag", entry.email_cc),
    ):
        if wanted:
            body[flag] = True
    if entry.client_ref is not None:
        body["mobileGuid"] = str(entry.client_ref)
    return body


def _billable(value: Any) -> BillableOption | None:
    return _BILLABLE_IN.get(str(value).casefold()) if value else None


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


def _to_time_entry(raw: m.Raw) -> TimeEntry:
    """A time entry record."""
    member = m._dict(raw.get("member"))
    info = m._dict(raw.get("_info"))
    ticket_id = m._int(raw.get("chargeToId")) if raw.get("chargeToType") == CHARGE_TO_TICKET else None
    target = next((t for t, flag in _NOTE_FLAGS.items() if m._bool(raw.get(flag))), None)
    return TimeEntry(
        id=m._req_id(raw),
        ticket_id=ticket_id or m._int(m._dict(raw.get("ticket")).get("id")),
        member_id=m._int(member.get("id")),
        member_identifier=m._str(member.get("identifier")) or "",
        member_name=m._str(member.get("name")) or m._str(member.get("identifier")) or "",
        start=m._dt(raw.get("timeStart")),
        end=m._dt(raw.get("timeEnd")),
        hours=m._float(raw.get("actualHours")) or 0.0,
        notes=str(raw.get("notes") or ""),
        internal_notes=str(raw.get("internalNotes") or ""),
        note_target=target,
        work_type=m._to_ref(raw.get("workType")),
        work_role=m._to_ref(raw.get("workRole")),
        billable=_billable(raw.get("billableOption")),
        entered_by=m._str(raw.get("enteredBy")) or m._str(info.get("enteredBy")),
        entered_at=m._dt(raw.get("dateEntered")) or m._dt(info.get("dateEntered")),
        client_ref=_uuid(raw.get("mobileGuid")),
    )


def _to_work_type(raw: m.Raw) -> WorkType:
    return WorkType(
        id=m._req_id(raw),
        name=m._str(raw.get("name")) or "",
        billable=_billable(raw.get("billTime")),
        default=m._bool(raw.get("overallDefaultFlag")),
        inactive=m._bool(raw.get("inactiveFlag")),
    )


def _to_work_role(raw: m.Raw) -> WorkRole:
    return WorkRole(
        id=m._req_id(raw), name=m._str(raw.get("name")) or "", inactive=m._bool(raw.get("inactiveFlag"))
    )


def member_defaults(raw: Any, member_id: int) -> MemberTimeDefaults:
    """A member's default work type and role, from the spec's names or the `default*` ones."""
    rec = m._dict(raw)
    return MemberTimeDefaults(
        member_id=member_id,
        work_type=m._to_ref(rec.get("workType") or rec.get("defaultWorkType")),
        work_role=m._to_ref(rec.get("workRole") or rec.get("defaultWorkRole")),
    )


def ticket_time(ticket_id: int, *more: Condition | None) -> Condition | None:
    """Time charged to one service ticket."""
    return and_(eq("chargeToId", ticket_id), eq("chargeToType", CHARGE_TO_TICKET), *more)


class TimeEntriesMixin:
    """The time operations of `ConnectWiseProvider` (it supplies `_api`)."""

    _api: ConnectWiseClient

    async def add_time_entry(self, entry: TimeEntryCreate) -> TimeEntry:
        """POST /time/entries once; never retried (a lost answer is resolved by `find_time_entry`)."""
        raw = await self._api.post("/time/entries", time_entry_body(entry))
        if not m.has_id(raw):
            raise PSAUnavailableError("ConnectWise did not return the new time entry.")
        return _to_time_entry(raw)

    async def list_time_entries(self, ticket_id: int, *, limit: int | None = None) -> list[TimeEntry]:
        """The ticket's entries, latest first, paging until `limit` (or all)."""
        wanted = None if limit is None else max(0, limit)
        size = MAX_PAGE if wanted is None else max(1, min(wanted, MAX_PAGE))
        entries: list[TimeEntry] = []
        page = 1
        while wanted is None or len(entries) < wanted:
            rows = await self._api.get(
                "/time/entries",
                {
                    "conditions": render(ticket_time(ticket_id)),
                    "orderBy": TIME_ORDER,
                    "page": page,
                    "pageSize": size,
                },
            )
            entries.extend(m.map_rows(_to_time_entry, rows))
            if not isinstance(rows, list) or len(rows) < size:
                break
            page += 1
        return entries if wanted is None else entries[:wanted]

    async def find_time_entry(self, ticket_id: int, client_ref: UUID) -> TimeEntry | None:
        """The ticket's entry carrying this `mobileGuid`."""
        rows = await self._api.get(
            "/time/entries",
            {"conditions": render(ticket_time(ticket_id, eq("mobileGuid", str(client_ref)))), "pageSize": 1},
        )
        found = m.map_rows(_to_time_entry, rows)
        return found[0] if found else None

    async def delete_time_entry(self, entry_id: int) -> None:
        """DELETE /time/entries/{id} (the Undo of a just-logged entry)."""
        await self._api.delete(f"/time/entries/{int(entry_id)}")

    async def list_work_types(self) -> list[WorkType]:
        """Active work types by name."""
        rows = await self._api.get("/time/workTypes", _active_by_name())
        return m.map_rows(_to_work_type, rows)

    async def list_work_roles(self) -> list[WorkRole]:
        """Active work roles by name."""
        rows = await self._api.get("/time/workRoles", _active_by_name())
        return m.map_rows(_to_work_role, rows)

    async def member_time_defaults(self, member_id: int) -> MemberTimeDefaults:
        """GET /system/members/{id}: its `workType` and `workRole`."""
        return member_defaults(await self._api.get(f"/system/members/{int(member_id)}"), member_id)


def _active_by_name() -> dict[str, Any]:
    return {"conditions": render(eq("inactiveFlag", False)), "orderBy": "name asc", "pageSize": MAX_PAGE}
