"""The end-of-day reminder: its DM, and its line on the Home tab."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from bot.ids import TimeAction, TimeBlock
from bot.text import escape_truncate
from bot.views import kit

Payload = dict[str, Any]
TICKETS_LISTED = 20
CHOICES = tuple(range(15 * 60, 20 * 60 + 1, 30))  # 3:00 PM … 8:00 PM, every half hour
OFF = "off"


class NudgeTicket(BaseModel):
    """A ticket the engineer changed from Slack today without logging time on it."""

    ticket_id: int
    summary: str
    status: str | None = None


def clock_label(at_minute: int) -> str:
    """'5:30 PM'."""
    hour, minute = divmod(at_minute, 60)
    return f"{(hour - 1) % 12 + 1}:{minute:02d} {'AM' if hour < 12 else 'PM'}"


def nudge_message(tickets: list[NudgeTicket], *, more: int = 0) -> Payload:
    """The DM: each ticket with Log time (opens the Work it modal)."""
    count = len(tickets)
    noun = "ticket" if count == 1 else "tickets"
    them = "it" if count == 1 else "them"
    blocks: list[dict[str, Any]] = [
        kit.section(f"You worked on {count} {noun} in Slack today without logging time on {them}:")
    ]
    for ticket in tickets[:TICKETS_LISTED]:
        status = f" · {escape_truncate(ticket.status, 40)}" if ticket.status else ""
        blocks.append(
            kit.section(
                f"*#{ticket.ticket_id}* · {escape_truncate(ticket.summary, 200)}{status}",
                block_id=f"{TimeBlock.NUDGE}.{ticket.ticket_id}",
                accessory=kit.button(
                    "Log time", TimeAction.WORK, value=str(ticket.ticket_id), style="primary"
                ),
            )
        )
    hidden = more + max(0, count - TICKETS_LISTED)
    if hidden:
        blocks.append(
            kit.context(f"+ {hidden} more changed today: `/tickets time 1604 30m` logs time on any ticket.")
        )
    blocks.append(kit.context("You get this because the end-of-day reminder is on in the app's Home tab."))
    return {"text": f"You worked on {count} {noun} today without logging time", "blocks": blocks}


def nudge_home_blocks(at_minute: int | None, tz: str | None) -> list[dict[str, Any]]:
    """The Home's reminder line: a select of Off or a time of day."""
    options = [kit.option("Off", OFF)] + [kit.option(clock_label(m), str(m)) for m in CHOICES]
    current = str(at_minute) if at_minute is not None else OFF
    if at_minute is not None and at_minute not in CHOICES:
        options.append(kit.option(clock_label(at_minute), current))
    select = kit.static_select(TimeAction.NUDGE, "Off", options, initial_value=current)
    where = f" ({escape_truncate(tz, 64)})" if tz and at_minute is not None else " (your Slack time zone)"
    text = (
        "*End-of-day time reminder*\nA DM at the time you pick"
        f"{where} listing the tickets you worked on in Slack today without logging time."
    )
    return [kit.section(text, block_id=TimeBlock.NUDGE, accessory=select)]
