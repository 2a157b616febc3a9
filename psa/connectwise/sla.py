"""A ticket's SLA as ConnectWise reports it, read into the neutral `TicketSLA`.

ConnectWise computes SLAs itself and exposes them on the ticket (OpenAPI 2025.1 `model_ticket.go`:
`sla`, `slaStatus`, `isInSla`, `dateResponded`, `dateResplan`, `dateResolved`, minutes fields). Only
the *current* stage's due time exists, inside `slaStatus`, e.g. "Respond by Mon 01/27 4:00 PM UTC-08":
stage, weekday, month/day, 12-hour time and the server's UTC offset, but no year; other values are
"Waiting" (clock on hold) and "Resolved". KerkhoffTechnologies/django-connectwise `utils.py`
`parse_sla_status` reads it the same way: the year is the first from the ticket's entry year on
whose date the weekday matches, and a day/month order is tried when month/day does not fit.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from psa.models import SLAStage, TicketSLA

_STATUS = re.compile(
    r"^\s*(?P<stage>\w+)\s+by\s+(?P<dow>\w{3})\w*\s+(?P<a>\d{1,2})/(?P<b>\d{1,2})\s+"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<ampm>AM|PM)\s+UTC\s*(?P<sign>[+-])(?P<oh>\d{1,2})(?::?(?P<om>\d{2}))?",
    re.IGNORECASE,
)
_STAGES: dict[str, SLAStage] = {
    "respond": "respond",
    "plan": "plan",
    "resolve": "resolve",
    "resolved": "resolved",
    "waiting": "waiting",
}
_YEARS_AHEAD = 2
# ConnectWise writes English day names whatever the locale (`strftime("%a")` would follow ours).
_WEEKDAYS = {name: n for n, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))}


def _parse_dt(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def due_from_status(text: str, entered: datetime | None) -> tuple[SLAStage | None, datetime | None]:
    """The stage and (when it has one) the due time in UTC of a `slaStatus` string."""
    stage = _STAGES.get(text.strip().split(" ", 1)[0].casefold()) if text.strip() else None
    match = _STATUS.match(text)
    if match is None or entered is None:
        return stage, None
    hour = int(match["hour"]) % 12 + (12 if match["ampm"].upper() == "PM" else 0)
    offset = timedelta(hours=int(match["oh"]), minutes=int(match["om"] or 0))
    zone = timezone(offset if match["sign"] == "+" else -offset)
    weekday = _WEEKDAYS.get(match["dow"][:3].casefold())
    first, second = int(match["a"]), int(match["b"])
    not_before = entered.astimezone(zone) - timedelta(days=1)
    for month, day in ((first, second), (second, first)):  # month/day, else day/month
        for year in range(not_before.year, not_before.year + _YEARS_AHEAD + 1):
            try:
                due = datetime(year, month, day, hour, int(match["minute"]), tzinfo=zone)
            except ValueError:
                continue  # 02/29 in a common year, or a day/month that is not one
            if due >= not_before and due.weekday() == weekday:
                return stage, due.astimezone(UTC)
    return stage, None


def sla_fields(raw: dict[str, Any]) -> dict[str, Any] | None:
    """The fields of a raw ticket's `TicketSLA`; None when ConnectWise reports none."""
    text = raw.get("slaStatus")
    sla_ref = raw.get("sla") if isinstance(raw.get("sla"), dict) else {}
    if not isinstance(text, str) or not text.strip():
        return None
    info = raw.get("_info") if isinstance(raw.get("_info"), dict) else {}
    entered = _parse_dt((info or {}).get("dateEntered"))
    stage, due = due_from_status(text, entered)
    in_sla = raw.get("isInSla")
    return {
        "name": str((sla_ref or {}).get("name") or "") or None,
        "status": stage,
        "due_at": due,
        "due_response_at": due if stage == "respond" else None,
        "due_plan_at": due if stage == "plan" else None,
        "due_resolution_at": due if stage == "resolve" else None,
        "responded_at": _parse_dt(raw.get("dateResponded")),
        "planned_at": _parse_dt(raw.get("dateResplan")),
        "resolved_at": _parse_dt(raw.get("dateResolved")),
        "in_sla": in_sla if isinstance(in_sla, bool) else None,
        "text": text.strip(),
    }


def ticket_sla(raw: dict[str, Any]) -> TicketSLA | None:
    """The SLA of a raw ticket; None when ConnectWise reports none."""
    fields = sla_fields(raw)
    return None if fields is None else TicketSLA.model_validate(fields)
