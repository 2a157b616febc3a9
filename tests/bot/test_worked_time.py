"""What engineers type for time worked, and the span it means in their time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from fuzz_budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.worked_time import (
    ClockRange,
    Duration,
    WorkedTimeError,
    format_duration,
    format_hours,
    parse_worked_time,
    span_of,
    split_worked_time,
)
from psa.time import TimeSpanError

NOW = datetime(2026, 5, 4, 18, 30, tzinfo=UTC)  # 14:30 in New York
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("30m", 30),
        ("45 min", 45),
        ("90mins", 90),
        ("1h", 60),
        ("1h15", 75),
        ("1h15m", 75),
        ("1h 15m", 75),
        ("1 hour 15 minutes", 75),
        ("2 hours", 120),
        ("1.5h", 90),
        ("1,5h", 90),
        (".25h", 15),
        ("1:30", 90),
        ("0:45", 45),
        ("24h", 1440),
        ("1H15M", 75),
    ],
)
def test_durations_read_as_minutes(typed: str, minutes: int) -> None:
    assert parse_worked_time(typed) == Duration(minutes=minutes)


@pytest.mark.parametrize(
    ("typed", "start", "end"),
    [
        ("9:00-10:30", time(9), time(10, 30)),
        ("9-10:30", time(9), time(10, 30)),
        ("09:00 – 10:30", time(9), time(10, 30)),
        ("9:00 to 10:30", time(9), time(10, 30)),
        ("9am-5pm", time(9), time(17)),
        ("9:30 am - 11 am", time(9, 30), time(11)),
        ("11-1pm", time(11), time(13)),
        ("13:15-14:00", time(13, 15), time(14)),
    ],
)
def test_start_end_reads_as_a_clock_range(typed: str, start: time, end: time) -> None:
    assert parse_worked_time(typed) == ClockRange(start=start, end=end)


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "Enter how long you worked"),
        ("45", "“45” needs a unit: 45m for minutes or 45h for hours."),
        ("1.5m", "minutes are whole numbers"),
        ("1h75", "minutes under 60"),
        ("1:75", "minutes go up to 59"),
        ("25h", "at most 24 hours"),
        ("0m", "log at least one minute"),
        ("25:00-26:00", "hours of the day go from 0 to 23"),
        ("13pm-2pm", "with am/pm, hours go from 1 to 12"),
        ("soon", "isn't a time worked"),
        ("9" * 500 + "h", "isn't a time worked"),
    ],
)
def test_what_is_not_a_time_worked_says_why(typed: str, says: str) -> None:
    with pytest.raises(WorkedTimeError) as caught:
        parse_worked_time(typed)
    assert says in caught.value.message


def test_the_note_after_the_time_is_kept_as_typed() -> None:
    assert split_worked_time("45m replaced toner, tested") == (Duration(minutes=45), "replaced toner, tested")
    assert split_worked_time("1h 15m  fixed\nthe tray") == (Duration(minutes=75), "fixed\nthe tray")
    assert split_worked_time("9:00 am - 10:30 am called") == (
        ClockRange(start=time(9), end=time(10, 30)),
        "called",
    )
    # Numbers in the note stay in the note: "1h 2 printers" is an hour on two printers.
    assert split_worked_time("1h 2 printers fixed") == (Duration(minutes=60), "2 printers fixed")


def test_a_duration_ends_now_and_a_range_lies_on_the_day_in_the_engineers_zone() -> None:
    span = span_of(Duration(minutes=45), now=NOW, tz=NEW_YORK)
    assert span.end == NOW and span.duration == timedelta(minutes=45)
    morning = span_of(ClockRange(start=time(9), end=time(10, 30)), now=NOW, tz=NEW_YORK)
    assert morning.start == datetime(2026, 5, 4, 13, 0, tzinfo=UTC)
    assert morning.end == datetime(2026, 5, 4, 14, 30, tzinfo=UTC)
    yesterday = span_of(ClockRange(start=time(16), end=time(17)), now=NOW, tz=NEW_YORK, day=date(2026, 5, 3))
    assert yesterday.start == datetime(2026, 5, 3, 20, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("worked", "field", "says"),
    [
        (ClockRange(start=time(15), end=time(16)), "end", "The end time is in the future."),
        (ClockRange(start=time(11), end=time(10)), "end", "The end time must be after the start time."),
    ],
)
def test_a_span_that_breaks_the_rules_names_the_field(worked: ClockRange, field: str, says: str) -> None:
    with pytest.raises(TimeSpanError) as caught:
        span_of(worked, now=NOW, tz=NEW_YORK)
    assert caught.value.fields == {field: says}


def test_durations_and_totals_read_back_the_way_people_write_them() -> None:
    assert [format_duration(timedelta(minutes=m)) for m in (45, 60, 75, 1440)] == [
        "45m",
        "1h",
        "1h 15m",
        "24h",
    ]
    assert [format_hours(h) for h in (2.5, 0.25, 3.0, 1.33)] == ["2.5 h", "0.25 h", "3 h", "1.33 h"]


_MINUTES = st.integers(min_value=1, max_value=24 * 60)


def _spellings(minutes: int) -> list[str]:
    hours, rest = divmod(minutes, 60)
    out = [
        f"{minutes}m",
        f"{minutes} min",
        f"{hours}:{rest:02d}",
        format_duration(timedelta(minutes=minutes)),
    ]
    if hours:
        out += [f"{hours}h{rest}" if rest else f"{hours}h", f"{hours}h {rest}m" if rest else f"{hours} hours"]
    if minutes % 15 == 0:
        out.append(f"{minutes / 60:g}h")
    return out


@settings(max_examples=examples(200))
@given(_MINUTES)
def test_every_way_of_writing_a_duration_reads_as_the_same_minutes(minutes: int) -> None:
    for typed in _spellings(minutes):
        assert parse_worked_time(typed) == Duration(minutes=minutes), typed


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)


@settings(max_examples=examples(200))
@given(_MINUTES, st.lists(_WORD, min_size=0, max_size=6))
def test_the_time_and_the_note_split_apart_whatever_the_note(minutes: int, words: list[str]) -> None:
    note = " ".join(words)
    for typed in _spellings(minutes):
        worked, rest = split_worked_time(f"{typed} {note}")
        # A note starting with a unit word ("m", "min", "h", "to") may join the time: only plain notes here.
        if words and words[0] in {"m", "min", "mins", "minute", "minutes", "h", "hr", "hrs", "hour", "hours"}:
            continue
        assert (worked, rest) == (Duration(minutes=minutes), note), typed


_CLOCK = st.times().map(lambda t: t.replace(second=0, microsecond=0))


@settings(max_examples=examples(200))
@given(_CLOCK, _CLOCK)
def test_a_start_end_reads_as_the_clock_times_written(start: time, end: time) -> None:
    assert parse_worked_time(f"{start:%H:%M}-{end:%H:%M}") == ClockRange(start=start, end=end)
    twelve = f"{start:%I:%M}{start:%p}-{end:%I:%M}{end:%p}".lower()
    assert parse_worked_time(twelve) == ClockRange(start=start, end=end)


@settings(max_examples=examples(300))
@given(st.text(max_size=40))
def test_any_text_is_a_time_worked_or_a_sentence_saying_why(text: str) -> None:
    try:
        worked = parse_worked_time(text)
    except WorkedTimeError as exc:
        assert exc.message.strip()
        return
    if isinstance(worked, Duration):
        assert 1 <= worked.minutes <= 24 * 60


@settings(max_examples=examples(200))
@given(
    _MINUTES,
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
    st.sampled_from(["UTC", "America/New_York", "Asia/Kolkata"]),
)
def test_a_duration_span_always_ends_now_and_lasts_as_long_as_typed(
    minutes: int, now: datetime, zone: str
) -> None:
    span = span_of(Duration(minutes=minutes), now=now, tz=ZoneInfo(zone))
    assert span.end == now and span.duration == timedelta(minutes=minutes)
