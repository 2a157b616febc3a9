"""Time entries behind the seed tickets' `actualHours`, generated once when the seed has none.

ConnectWise keeps a ticket's `actualHours` as the sum of its time entries, so the seeded hours need
entries that add up to them. Writing ~700 entries into seed.json would triple its diff for data that
follows from the tickets; they are derived here instead, deterministically (same seed, same entries).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from .store import Rec, member_ref

_NAMESPACE = uuid.UUID("6f1c2b1e-8f0e-4a52-9c5e-2f7b7f6d0a11")
_QUARTER = timedelta(minutes=15)


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _fmt(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _split(quarters: int, parts: int) -> list[int]:
    parts = max(1, min(parts, quarters))
    base, extra = divmod(quarters, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def with_time_entries(seed: Mapping[str, Any]) -> Mapping[str, Any]:
    """The seed, plus generated `time_entries` when it has none of its own."""
    if "time_entries" in seed or not seed.get("tickets"):
        return seed
    return {**seed, "time_entries": generate(seed)}


def generate(seed: Mapping[str, Any]) -> list[Rec]:
    """One to three entries per ticket with hours, by its owner and scheduled members."""
    members = {m["identifier"]: m for m in seed.get("members", [])}
    work_types = {w["id"]: w for w in seed.get("work_types", [])}
    people_of: dict[int, list[str]] = {}
    for entry in seed.get("schedule_entries", []):
        ident = (entry.get("member") or {}).get("identifier")
        if isinstance(ident, str) and ident in members:
            people_of.setdefault(entry.get("objectId", -1), []).append(ident)
    out: list[Rec] = []
    for ticket in sorted(seed["tickets"], key=lambda t: t["id"]):
        quarters = round(float(ticket.get("actualHours") or 0) * 4)
        if quarters <= 0:
            continue
        owner = (ticket.get("owner") or {}).get("identifier")
        people = [p for p in dict.fromkeys([owner, *people_of.get(ticket["id"], [])]) if p in members]
        people = people or [min(members)]
        info = ticket["_info"]
        entered = _parse(info["dateEntered"])
        latest = _parse(ticket.get("closedDate") or info["lastUpdated"])
        start = entered + _QUARTER * (ticket["id"] % 8)
        for i, part in enumerate(_split(quarters, 1 + ticket["id"] % 3)):
            length = _QUARTER * part
            begin = min(start + timedelta(hours=3 * i), max(entered, latest - length))
            member = members[people[i % len(people)]]
            out.append(_entry(len(out) + 1, ticket, member, begin, length, work_types))
    return out


def _entry(
    n: int, ticket: Rec, member: Rec, start: datetime, length: timedelta, work_types: dict[int, Rec]
) -> Rec:
    end = start + length
    work_type = member.get("workType") or {"id": 1, "name": "Remote Support"}
    bill = (work_types.get(work_type["id"]) or {}).get("billTime", "Billable")
    hours = round(length.total_seconds() / 3600, 2)
    stamp = _fmt(end + timedelta(minutes=5))
    return {
        "_info": {"lastUpdated": stamp, "updatedBy": member["identifier"]},
        "actualHours": hours,
        "addToDetailDescriptionFlag": False,
        "addToInternalAnalysisFlag": True,
        "addToResolutionFlag": False,
        "billableOption": bill,
        "chargeToId": ticket["id"],
        "chargeToType": "ServiceTicket",
        "company": ticket["company"],
        "dateEntered": stamp,
        "emailCcFlag": False,
        "emailContactFlag": False,
        "emailResourceFlag": False,
        "enteredBy": member["identifier"],
        "hoursBilled": hours if bill == "Billable" else 0.0,
        "hoursDeduct": 0.0,
        "id": 70000 + n,
        "internalNotes": "",
        "member": member_ref(member),
        "mobileGuid": str(uuid.uuid5(_NAMESPACE, f"{ticket['id']}/{n}")),
        "notes": f"Worked on: {ticket['summary']}",
        "status": "Open",
        "ticket": {"id": ticket["id"], "summary": ticket["summary"]},
        "timeEnd": _fmt(end),
        "timeStart": _fmt(start),
        "workRole": member.get("workRole") or {"id": 1, "name": "Technician"},
        "workType": work_type,
    }
