"""What an engineer types for time worked — `30m`, `1h15`, `1.5h`, `1:30`, `9:00-10:30` — and the span it
means in their time zone.

No maintained library reads exactly this: pytimeparse(2) takes `1:30` as 1 minute 30 seconds and knows
no clock ranges, humanfriendly and timelength want a unit on every number. So the grammar is small and
ours, with hypothesis properties in tests/bot/test_worked_time.py. The rules a span must then keep (a
minute to a day, not in the future) are the PSA layer's (`psa.time.TimeSpan`), so every surface refuses
the same things with the same words.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from psa.time import MAX_DURATION, MIN_DURATION, TimeSpan

MAX_TOKENS = 6  # a leading worked time never spans more words than "9:00 am - 10:30 am"

_HOURS = r"(?:h|hr|hrs|hour|hours)"
_MINUTES = r"(?:m|min|mins|minute|minutes)"
_NUMBER = r"(\d{1,9}(?:[.,]\d{1,6})?|[.,]\d{1,6})"  # bounded: a digit run is never a huge int
# Minutes after the hours take no unit only when they touch it ("1h15"): in "1h 2 printers" the 2 is text.
_HM_RE = re.compile(rf"{_NUMBER}\s*{_HOURS}(?:(\d{{1,9}})|\s*(\d{{1,9}})\s*{_MINUTES})?", re.IGNORECASE)
_M_RE = re.compile(rf"(\d{{1,9}})\s*{_MINUTES}", re.IGNORECASE)
_COLON_RE = re.compile(r"(\d{1,2}):(\d{2})")
_CLOCK = r"(\d{1,2})(?:[:.](\d{2}))?\s*([ap]\.?m\.?)?"
_RANGE_RE = re.compile(rf"{_CLOCK}\s*(?:-|–|—|to|until|till)\s*{_CLOCK}", re.IGNORECASE)
_BARE_RE = re.compile(_NUMBER)
_FRACTION_MINUTES_RE = re.compile(rf"\d{{1,9}}[.,]\d{{1,6}}\s*{_MINUTES}", re.IGNORECASE)

EXAMPLES = "`30m`, `1h15`, `1.5h`, `1:30` or `9:00-10:30`"


class WorkedTimeError(ValueError):
    """Text that is not a time worked; `message` says why, in words for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Duration(BaseModel):
    """How long, without when: the entry ends now (or at the time the caller chooses)."""

    kind: Literal["duration"] = "duration"
    minutes: int = Field(ge=0)

    @property
    def length(self) -> timedelta:
        """The duration as a timedelta."""
        return timedelta(minutes=self.minutes)


class ClockRange(BaseModel):
    """From one wall-clock time to another on one day, in the engineer's time zone."""

    kind: Literal["range"] = "range"
    start: time
    end: time


WorkedTime = Annotated[Duration | ClockRange, Field(discriminator="kind")]


def parse_worked_time(text: str) -> Duration | ClockRange:
    """The worked time `text` says; raises WorkedTimeError with a sentence for the user otherwise."""
    flat = " ".join(text.split())
    if not flat:
        raise WorkedTimeError(f"Enter how long you worked, like {EXAMPLES}.")
    found = _duration(flat)
    if found is not None:
        return found
    found_range = _range(flat)
    if found_range is not None:
        return found_range
    if _FRACTION_MINUTES_RE.fullmatch(flat):
        raise WorkedTimeError(f"“{_short(flat)}”: minutes are whole numbers, like 45m.")
    bare = _BARE_RE.fullmatch(flat)
    if bare:
        number = bare.group(1)
        raise WorkedTimeError(f"“{_short(flat)}” needs a unit: {number}m for minutes or {number}h for hours.")
    raise WorkedTimeError(f"“{_short(flat)}” isn't a time worked. Use {EXAMPLES}.")


def split_worked_time(text: str) -> tuple[Duration | ClockRange, str]:
    """The worked time at the start of `text` (the longest run of words that reads as one) and the rest."""
    words = text.split()
    if not words:
        raise WorkedTimeError(f"Start with how long you worked, like {EXAMPLES}.")
    for count in range(min(MAX_TOKENS, len(words)), 0, -1):
        try:
            worked = parse_worked_time(" ".join(words[:count]))
        except WorkedTimeError:
            continue
        return worked, _rest_after(text, count)
    # Nothing reads as time: the first word's own error says best what is wrong with it.
    parse_worked_time(words[0])
    raise AssertionError("unreachable: parse_worked_time raises for text it cannot read")


def span_of(worked: Duration | ClockRange, *, now: datetime, tz: tzinfo, day: date | None = None) -> TimeSpan:
    """The UTC span `worked` means: a duration ends now, a clock range lies on `day` (default today) in
    `tz`. Raises psa.time.TimeSpanError naming `start`, `end` or `duration` when it breaks a rule."""
    local_now = now.astimezone(tz)
    on = day or local_now.date()
    if isinstance(worked, Duration):
        return TimeSpan.ending_at(now, worked.length, now=now)
    start = datetime.combine(on, worked.start, tzinfo=tz)
    end = datetime.combine(on, worked.end, tzinfo=tz)
    return TimeSpan.checked(start, end, now=now)


def format_duration(length: timedelta) -> str:
    """`45m`, `1h`, `1h 15m` (whole minutes, rounded)."""
    minutes = max(0, round(length.total_seconds() / 60))
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest}m"
    return f"{hours}h {rest}m" if rest else f"{hours}h"


def format_hours(hours: float) -> str:
    """Hours as a PSA keeps them (to the hundredth), for totals: `2.5 h`, `0.25 h`."""
    text = f"{hours:.2f}".rstrip("0").rstrip(".")
    return f"{text} h"


def _duration(flat: str) -> Duration | None:
    minutes = _minutes_of(flat)
    if minutes is None:
        return None
    if timedelta(minutes=minutes) > MAX_DURATION:
        raise WorkedTimeError(f"“{_short(flat)}”: a time entry can cover at most 24 hours.")
    if timedelta(minutes=minutes) < MIN_DURATION:
        raise WorkedTimeError(f"“{_short(flat)}”: log at least one minute.")
    return Duration(minutes=minutes)


def _minutes_of(flat: str) -> int | None:
    match = _HM_RE.fullmatch(flat)
    if match:
        hours = _number(match.group(1))
        minutes_text = match.group(2) or match.group(3)
        extra = int(minutes_text) if minutes_text else 0
        if minutes_text and (extra >= 60 or "." in match.group(1) or "," in match.group(1)):
            raise WorkedTimeError(f"“{_short(flat)}”: write hours and minutes like 1h15 (minutes under 60).")
        return round(hours * 60) + extra
    match = _M_RE.fullmatch(flat)
    if match:
        return int(match.group(1))
    match = _COLON_RE.fullmatch(flat)
    if match:
        if int(match.group(2)) >= 60:
            raise WorkedTimeError(f"“{_short(flat)}”: minutes go up to 59, like 1:30.")
        return int(match.group(1)) * 60 + int(match.group(2))
    return None


def _range(flat: str) -> ClockRange | None:
    match = _RANGE_RE.fullmatch(flat)
    if match is None:
        return None
    h1, m1, p1, h2, m2, p2 = match.groups()
    p1, p2 = _meridiem(p1), _meridiem(p2)
    end = _clock(flat, h2, m2, p2)
    if p1 is None and p2 is not None:
        # "9-10:30am" shares the end's am/pm; "11-1pm" is 11 am to 1 pm, not 11 pm.
        start = _clock(flat, h1, m1, p2)
        if start > end:
            start = _clock(flat, h1, m1, "a" if p2 == "p" else "p")
    else:
        start = _clock(flat, h1, m1, p1)
    return ClockRange(start=start, end=end)


def _meridiem(raw: str | None) -> str | None:
    return raw.lower()[0] if raw else None


def _clock(flat: str, hour_text: str, minute_text: str | None, meridiem: str | None) -> time:
    hour, minute = int(hour_text), int(minute_text or 0)
    if minute >= 60:
        raise WorkedTimeError(f"“{_short(flat)}”: minutes go up to 59, like 9:45.")
    if meridiem is not None:
        if not 1 <= hour <= 12:
            raise WorkedTimeError(f"“{_short(flat)}”: with am/pm, hours go from 1 to 12.")
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    elif hour >= 24:
        raise WorkedTimeError(f"“{_short(flat)}”: hours of the day go from 0 to 23.")
    return time(hour, minute)


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _rest_after(text: str, words: int) -> str:
    """`text` after its first `words` words, as typed (inner spacing and line breaks kept)."""
    position = 0
    for _ in range(words):
        match = re.compile(r"\s*\S+").match(text, position)
        assert match is not None
        position = match.end()
    return text[position:].strip()


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
