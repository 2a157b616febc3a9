"""The detail modal's time: the ticket's total hours and its latest entries (who, when, how long)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from bot.ids import TimeAction, TimeBlock
from bot.text import escape_truncate
from bot.views import kit
from bot.worked_time import format_duration, format_hours
from psa.models import TimeEntry

ENTRIES_SHOWN = 5
FAILED = "Couldn't load time entries"


class TimeSection(BaseModel):
    """What the detail knows about the ticket's time; `failed` when the entries could not be read (never
    shown as "no time")."""

    entries: list[TimeEntry] = Field(default_factory=list)  # latest first
    failed: bool = False


def _when(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return (
        f"<!date^{int(utc.timestamp())}^{{date_short_pretty}} {{time}}|{utc.strftime('%Y-%m-%d %H:%M UTC')}>"
    )


def _entry_line(entry: TimeEntry) -> str:
    who = escape_truncate(entry.member_name or entry.member_identifier or "Someone", 60)
    if entry.start is not None and entry.end is not None and entry.end > entry.start:
        length = format_duration(entry.end - entry.start)
    else:
        length = format_hours(entry.hours)
    bits = [f"*{length}*", who]
    if entry.start is not None:
        bits.append(_when(entry.start))
    if entry.work_type is not None and entry.work_type.name:
        bits.append(escape_truncate(entry.work_type.name, 40))
    return " · ".join(bits)


def time_blocks(
    section: TimeSection | None, total_hours: float | None, ticket_id: int
) -> list[dict[str, Any]]:
    """The time section: total and latest entries, or the failure with Retry (nothing while loading)."""
    if section is None:
        return []
    total = f" · {format_hours(total_hours)} in all" if total_hours is not None else ""
    if section.failed:
        retry = kit.button("Retry", TimeAction.RETRY, value=str(ticket_id))
        return [kit.section(f"*Time*{total}\n⚠️ {FAILED}.", block_id=TimeBlock.DETAIL, accessory=retry)]
    if not section.entries:
        return [kit.section(f"*Time*{total}\nNo time logged yet.", block_id=TimeBlock.DETAIL)]
    shown = section.entries[:ENTRIES_SHOWN]
    lines = "\n".join(f"• {_entry_line(e)}" for e in shown)
    return [kit.section(f"*Time*{total}\n{lines}", block_id=TimeBlock.DETAIL)]
