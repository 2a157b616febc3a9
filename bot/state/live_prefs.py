"""An engineer's notification choices, and when a message to them may go out (quiet hours, digests).

Quiet hours are in the engineer's own Slack time zone (kept when they change their choices); a message
arriving in them waits for their end. A digest holds messages for N minutes from the first one and
sends them as one DM.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field

Topic = Literal["assigned", "status", "notes", "follows", "sla"]
TOPICS: tuple[Topic, ...] = ("assigned", "status", "notes", "follows", "sla")
TOPIC_LABELS: dict[Topic, str] = {
    "assigned": "A ticket is assigned to me",
    "status": "Someone else changes the status of my ticket",
    "notes": "A new customer-facing note on my ticket",
    "follows": "A ticket I follow changes",
    "sla": "My ticket is about to miss its SLA",
}
DIGEST_CHOICES: dict[int, str] = {
    0: "Each change at once",
    15: "Digest every 15 min",
    30: "Digest every 30 min",
    60: "Digest every hour",
}
QUIET_CHOICES: dict[str, tuple[int, int] | None] = {
    "off": None,
    "22-07": (22, 7),
    "20-08": (20, 8),
    "18-09": (18, 9),
}
QUIET_LABELS: dict[str, str] = {
    "off": "No quiet hours",
    "22-07": "Quiet 22:00–07:00",
    "20-08": "Quiet 20:00–08:00",
    "18-09": "Quiet 18:00–09:00",
}


class Preferences(BaseModel):
    """What an engineer wants to be told, and when."""

    topics: list[Topic] = Field(default_factory=lambda: list(TOPICS))
    quiet: str = "off"  # a key of QUIET_CHOICES
    digest_minutes: int = 0  # 0: each change at once
    tz: str = "UTC"

    def wants(self, topic: Topic) -> bool:
        """Whether this kind of notification is on."""
        return topic in self.topics

    def zone(self) -> ZoneInfo:
        """The engineer's time zone (UTC when Slack named none the system knows)."""
        try:
            return ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def quiet_until(self, now: datetime) -> datetime | None:
        """The end of the quiet hours `now` falls in, or None outside them."""
        window = QUIET_CHOICES.get(self.quiet)
        if window is None:
            return None
        start, end = window
        local = now.astimezone(self.zone())
        hour = local.hour + local.minute / 60
        inside = (start <= hour or hour < end) if start > end else (start <= hour < end)
        if not inside:
            return None
        day = local.date() if hour < end else local.date() + timedelta(days=1)
        return datetime.combine(day, time(end), tzinfo=self.zone())

    def due_at(self, now: datetime, *, first_pending: datetime | None = None) -> datetime:
        """When a message created `now` may go out: after the digest window, outside quiet hours."""
        due = now
        if self.digest_minutes > 0:
            due = (first_pending or now) + timedelta(minutes=self.digest_minutes)
        quiet_end = self.quiet_until(due)
        return quiet_end if quiet_end is not None else due
