"""Ticket SLA fields, computed by the sandbox the way ConnectWise reports them (see psa/connectwise/sla.py).

ConnectWise decides the stage from the escalation status of the ticket's board status
(NotResponded → respond, Responded/ResolutionPlan → resolve, Resolved → resolved, NoEscalation →
no SLA) and the goals from the SLA's per-priority hours (`/service/SLAs/{id}/priorities`:
respondHours, planWithin, resolutionHours). The sandbox's simplifications: one default SLA on a
24-hour calendar ("AllHours"), no plan stage (planWithin null), "Waiting on Client" statuses hold the
clock ("Waiting"), seed tickets already past respond count as responded halfway through their
respond window, and `isInSla` is judged when the ticket view is built.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from .store import Rec, SandboxStore

# Windows zone names as `/system/info` gives them, for the few a seed may use.
_ZONES = {
    "Eastern Standard Time": "America/New_York",
    "Central Standard Time": "America/Chicago",
    "Mountain Standard Time": "America/Denver",
    "Pacific Standard Time": "America/Los_Angeles",
    "GMT Standard Time": "Europe/London",
    "AUS Eastern Standard Time": "Australia/Sydney",
}
_WAITING = ("waiting",)


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _fmt(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_text(stage: str, due: datetime, zone: ZoneInfo) -> str:
    """ "Respond by Mon 01/27 4:00 PM UTC-08", in the server's zone."""
    local = due.astimezone(zone)
    offset = local.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign, minutes = ("+" if minutes >= 0 else "-"), abs(minutes)
    zone_text = f"UTC{sign}{minutes // 60:02d}" + (f":{minutes % 60:02d}" if minutes % 60 else "")
    clock = f"{local.hour % 12 or 12}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"
    return f"{stage} by {local.strftime('%a %m/%d')} {clock} {zone_text}"


def _goals(store: SandboxStore, ticket: Rec) -> tuple[Rec, float, float] | None:
    sla = next((s for s in store.table("slas").values() if s.get("defaultFlag")), None)
    if sla is None:
        return None
    priority_id = (ticket.get("priority") or {}).get("id")
    goal = next((p for p in sla.get("priorities", []) if p["priority"]["id"] == priority_id), sla)
    return sla, float(goal["respondHours"]), float(goal["resolutionHours"])


def sla_fields(store: SandboxStore, ticket: Rec, now: datetime | None = None) -> Rec:
    """The derived SLA fields of a ticket view (empty when its status is outside any SLA)."""
    status = store.get("board_statuses", (ticket.get("status") or {}).get("id", -1)) or {}
    escalation = status.get("escalationStatus")
    goals = _goals(store, ticket)
    entered = (ticket.get("_info") or {}).get("dateEntered")
    if escalation in (None, "NoEscalation") or goals is None or not entered:
        return {}
    sla, respond_hours, resolve_hours = goals
    fields, due = _derived(
        entered,
        respond_hours,
        resolve_hours,
        str(escalation),
        str(status.get("name", "")).casefold().startswith(_WAITING),
        ticket.get("dateResponded"),
        ticket.get("dateResolved") or (ticket.get("closedDate") if ticket.get("closedFlag") else None),
        bool(ticket.get("closedFlag")),
        str(store.system_info.get("serverTimeZone")),
    )
    out: Rec = {"sla": {"id": sla["id"], "name": sla["name"]}, **fields}
    if due is not None:  # a running stage: in SLA until its due time
        out["isInSla"] = bool(fields["isInSla"]) and (now or datetime.now(UTC)) <= due
    return out


@lru_cache(maxsize=8192)
def _derived(
    entered_text: str,
    respond_hours: float,
    resolve_hours: float,
    escalation: str,
    waiting: bool,
    responded_text: str | None,
    resolved_text: str | None,
    closed: bool,
    zone_name: str,
) -> tuple[Rec, datetime | None]:
    """The fields that do not depend on the time of the request, and the running stage's due time."""
    entered = _when(entered_text)
    assert entered is not None
    respond_due, resolve_due = (
        entered + timedelta(hours=respond_hours),
        entered + timedelta(hours=resolve_hours),
    )
    responded = _when(responded_text)
    if responded is None and escalation != "NotResponded":
        responded = entered + timedelta(hours=respond_hours / 2)
    out: Rec = {"respondMinutes": 0, "resolveMinutes": 0, "resPlanMinutes": 0}
    if responded is not None:
        out["dateResponded"] = _fmt(responded)
        out["respondMinutes"] = int((responded - entered).total_seconds() // 60)
    met_response = responded is not None and responded <= respond_due
    zone = ZoneInfo(_ZONES.get(zone_name, "UTC"))
    if escalation == "Resolved" or closed:
        resolved = _when(resolved_text) or datetime.now(UTC)
        out |= {
            "slaStatus": "Resolved",
            "dateResolved": _fmt(resolved),
            "isInSla": met_response and resolved <= resolve_due,
        }
        out["resolveMinutes"] = int((resolved - entered).total_seconds() // 60)
        return out, None
    if waiting:
        return out | {"slaStatus": "Waiting", "isInSla": escalation == "NotResponded" or met_response}, None
    if escalation == "NotResponded":
        return out | {"slaStatus": status_text("Respond", respond_due, zone), "isInSla": True}, respond_due
    return out | {
        "slaStatus": status_text("Resolve", resolve_due, zone),
        "isInSla": met_response,
    }, resolve_due


def stamp_progress(store: SandboxStore, ticket: Rec, previous_status_id: int | None) -> None:
    """Record when a status change met the respond stage (ConnectWise keeps `dateResponded`)."""
    before = store.get("board_statuses", previous_status_id if previous_status_id is not None else -1) or {}
    after = store.get("board_statuses", ticket["status"]["id"]) or {}
    if before.get("escalationStatus") == "NotResponded" and after.get("escalationStatus") not in (
        None,
        "NotResponded",
    ):
        ticket.setdefault("dateResponded", _fmt(datetime.now(UTC)))
    if after.get("closedStatus") and not before.get("closedStatus"):
        ticket["dateResolved"] = _fmt(datetime.now(UTC))
    elif not after.get("closedStatus"):
        ticket.pop("dateResolved", None)
