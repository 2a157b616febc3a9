"""Messages about time: the quick-time answer (with Undo), its undone / too-late versions, the errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel

from bot.ids import TimeAction, TimeBlock
from bot.text import escape_truncate
from bot.views import kit
from bot.worked_time import format_duration

Payload = dict[str, Any]
UndoState = Literal["open", "too_late", "undone"]
NOTE_SHOWN = 500


class LoggedTime(BaseModel):
    """What a quick entry logged, as the answer (and its Undo) show it."""

    ticket_id: int
    start: datetime
    end: datetime
    work_type: str | None = None
    note: str = ""
    key: str  # the write's ledger key: Undo finds the entry through it


def _clock(moment: datetime) -> str:
    """A time Slack shows in each reader's own time zone (the fallback in UTC)."""
    utc = moment.astimezone(UTC)
    return f"<!date^{int(utc.timestamp())}^{{time}}|{utc.strftime('%H:%M UTC')}>"


def logged_line(logged: LoggedTime) -> str:
    """'Logged 45m on #1042 (9:05–9:50) · Remote Support'."""
    length = format_duration(logged.end - logged.start)
    line = f"Logged *{length}* on *#{logged.ticket_id}* ({_clock(logged.start)}–{_clock(logged.end)})"
    if logged.work_type:
        line += f" · {escape_truncate(logged.work_type, 80)}"
    return line


def quick_logged_message(logged: LoggedTime, *, undo: UndoState = "open", minutes: int = 10) -> Payload:
    """The answer to `/tickets time …`: what was logged, and Undo while it may still be undone."""
    head = {"open": "✅", "too_late": "✅", "undone": "↩️"}[undo]
    text = f"{head} {logged_line(logged)}"
    if undo == "undone":
        text = (
            f"↩️ Undone: the {format_duration(logged.end - logged.start)} on #{logged.ticket_id} was deleted."
        )
    blocks: list[dict[str, Any]] = []
    if undo == "open":
        button = kit.button("Undo", TimeAction.UNDO, value=logged.key)
        blocks.append(kit.section(text, block_id=TimeBlock.UNDO, accessory=button))
    else:
        blocks.append(kit.section(text, block_id=TimeBlock.UNDO))
    if logged.note and undo != "undone":
        blocks.append(kit.context(f"Internal note: “{escape_truncate(logged.note, NOTE_SHOWN)}”"))
    if undo == "open":
        blocks.append(kit.context(f"Undo works for {minutes} minutes."))
    elif undo == "too_late":
        blocks.append(
            kit.context(
                f"Too late to undo: it was logged more than {minutes} minutes ago. Change it in ConnectWise."
            )
        )
    fallback = f"Logged {format_duration(logged.end - logged.start)} on #{logged.ticket_id}"
    if undo == "undone":
        fallback = f"Undone: time on #{logged.ticket_id} deleted"
    return {"text": fallback, "blocks": blocks}


def time_problem_message(text: str) -> Payload:
    """A quick-time answer that logged nothing: the reason, naming the field to fix (app sentence)."""
    return {"text": text[:300], "blocks": [kit.section(f"⚠️ {escape_truncate(text, 2000)}")]}
