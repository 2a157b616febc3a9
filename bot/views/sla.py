"""A ticket's SLA in one line: which stage is due when, marked when overdue (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from psa.models import TicketSLA

STAGES = {"respond": "Response", "plan": "Plan", "resolve": "Resolution"}


def due_stamp(when: datetime) -> str:
    """A Slack date token (each reader's own time zone) with a UTC fallback."""
    when = when.astimezone(UTC)
    fallback = when.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def sla_text(sla: TicketSLA | None, now: datetime) -> str | None:
    """ "Response due <date>" (and "⚠️ overdue"), "SLA on hold", or None when nothing is due."""
    if sla is None:
        return None
    if sla.status == "waiting":
        return "SLA on hold (waiting on the customer)"
    stage = STAGES.get(sla.status or "")
    if stage is None or sla.due_at is None:
        return None
    line = f"{stage} due {due_stamp(sla.due_at)}"
    if sla.overdue(now):
        line += " · ⚠️ *overdue*"
    return line
