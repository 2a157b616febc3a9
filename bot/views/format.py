"""How tickets read in Slack: priority markers, ages, compact rows (all user text escaped)."""

from __future__ import annotations

import colorsys
from datetime import UTC, datetime

from bot.text import escape, escape_truncate
from psa.models import Priority, PSATicketSearchResult

NO_PRIORITY = "⚪"
_BY_SORT = {1: "🔴", 2: "🟠", 3: "🟡", 4: "🔵"}
_BY_NAME = {
    "red": "🔴",
    "darkred": "🔴",
    "firebrick": "🔴",
    "crimson": "🔴",
    "maroon": "🔴",
    "orange": "🟠",
    "darkorange": "🟠",
    "yellow": "🟡",
    "gold": "🟡",
    "blue": "🔵",
    "navy": "🔵",
    "lightblue": "🔵",
    "teal": "🔵",
    "green": "🟢",
    "lime": "🟢",
    "darkgreen": "🟢",
}
ROW_SUMMARY_MAX = 120


def visible_or(text: str | None, default: str) -> str:
    """`text` when it shows something, else `default`: Slack treats a blank message text as none at all."""
    return text if text is not None and text.strip() else default


def priority_marker(priority: Priority | None) -> str:
    """A coloured circle for a priority: its colour when known, else its urgency (sort 1 = 🔴)."""
    if priority is None:
        return NO_PRIORITY
    color = (priority.color or "").strip().lower().replace(" ", "")
    if color in _BY_NAME:
        return _BY_NAME[color]
    if color.startswith("#") and len(color) in (4, 7):
        marker = _hex_marker(color)
        if marker:
            return marker
    if priority.sort >= 5:
        return "🟢"
    return _BY_SORT.get(priority.sort, NO_PRIORITY)


def _hex_marker(color: str) -> str | None:
    digits = color[1:]
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    try:
        r, g, b = (int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4))
    except ValueError:
        return None
    hue, lightness, saturation = colorsys.rgb_to_hls(r, g, b)
    if saturation < 0.2 or lightness < 0.1 or lightness > 0.95:
        return None
    degrees = hue * 360
    if degrees < 20 or degrees >= 330:
        return "🔴"
    if degrees < 45:
        return "🟠"
    if degrees < 70:
        return "🟡"
    if degrees < 170:
        return "🟢"
    return "🔵"


def age(start: datetime | None, now: datetime) -> str:
    """A compact age such as "3d 4h", "5h 12m" or "7m"; "" when unknown."""
    if start is None:
        return ""
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    minutes = max(0, int((now - start).total_seconds() // 60))
    days, rem = divmod(minutes, 24 * 60)
    hours, mins = divmod(rem, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins}m"
    return f"{mins}m"


def priority_label(priority: Priority | None) -> str:
    """Escaped "🔴 High" (or "⚪ No priority")."""
    if priority is None:
        return f"{NO_PRIORITY} No priority"
    return f"{priority_marker(priority)} {escape_truncate(priority.name, 60)}"


def ticket_row(ticket: PSATicketSearchResult, *, summary_max: int = ROW_SUMMARY_MAX) -> str:
    """One compact escaped mrkdwn row: `*#1042* · Summary · Status · 🔴 High`."""
    parts = [f"*#{ticket.id}*", escape_truncate(ticket.summary or "(no summary)", summary_max)]
    if ticket.status is not None:
        parts.append(escape_truncate(ticket.status.name, 40))
    parts.append(priority_label(ticket.priority))
    line = " · ".join(parts)
    if ticket.company is not None and ticket.company.name:
        line += f"\n{escape_truncate(ticket.company.name, 80)}"
    return line


def ticket_row_fallback(ticket: PSATicketSearchResult, *, summary_max: int = 80) -> str:
    """The row for a message's `text` fallback (Slack parses that too, so it is escaped)."""
    status = f" · {escape_truncate(ticket.status.name, 40)}" if ticket.status is not None else ""
    return f"#{ticket.id} · {escape_truncate(ticket.summary, summary_max)}{status}"


def escape_name(name: str | None, limit: int = 80, default: str = "—") -> str:
    """An escaped, shortened display name (or a dash)."""
    return escape_truncate(name, limit) if name else default


def escape_inline(text: str) -> str:
    """Escape and flatten to one line."""
    return escape(" ".join(text.split()))


def unique_tickets(tickets: list[PSATicketSearchResult]) -> list[PSATicketSearchResult]:
    """Tickets in order with repeats (same id) dropped: one row, one block id per ticket."""
    seen: set[int] = set()
    out = []
    for ticket in tickets:
        if ticket.id not in seen:
            seen.add(ticket.id)
            out.append(ticket)
    return out
