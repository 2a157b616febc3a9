"""The time rules every PSA entry follows: at least a minute, at most a day, in order, not in the future."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from psa.time import TimeSpan, TimeSpanError

NOW = datetime(2026, 12, 4, 17, 30, tzinfo=UTC)


def test_a_span_ending_now_has_its_hours_to_the_hundredth() -> None:
    span = TimeSpan.ending_at(NOW, timedelta(minutes=50), now=NOW)
    assert (span.start, span.end, span.hours) == (NOW - timedelta(minutes=50), NOW, 0.83)


def test_times_in_another_zone_are_kept_as_utc() -> None:
    local = timezone(timedelta(hours=-5))
    span = TimeSpan.checked(
        datetime(2026, 12, 4, 9, 0, tzinfo=local), datetime(2026, 12, 4, 10, 30, tzinfo=local), now=NOW
    )
    assert span.start == datetime(2026, 12, 4, 14, 0, tzinfo=UTC) and span.start.tzinfo == UTC
    assert span.hours == 1.5


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (NOW, NOW - timedelta(minutes=5), "end"),
        (NOW - timedelta(seconds=30), NOW, "duration"),
        (NOW - timedelta(hours=24, minutes=1), NOW, "duration"),
        (NOW, NOW + timedelta(minutes=30), "end"),
    ],
)
def test_a_broken_rule_names_the_field_to_fix(start: datetime, end: datetime, field: str) -> None:
    with pytest.raises(TimeSpanError) as caught:
        TimeSpan.checked(start, end, now=NOW)
    assert list(caught.value.fields) == [field]
    assert caught.value.message == caught.value.fields[field]


def test_exactly_one_minute_and_exactly_a_day_are_allowed() -> None:
    assert TimeSpan.ending_at(NOW, timedelta(minutes=1), now=NOW).hours == 0.02
    assert TimeSpan.ending_at(NOW, timedelta(hours=24), now=NOW).hours == 24.0


def test_a_clock_a_few_seconds_ahead_of_ours_is_not_the_future() -> None:
    assert TimeSpan.ending_at(NOW + timedelta(seconds=40), timedelta(minutes=5), now=NOW).end > NOW


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(TimeSpanError) as caught:
        TimeSpan.checked(datetime(2026, 12, 4, 9), datetime(2026, 12, 4, 10), now=NOW)
    assert list(caught.value.fields) == ["start"]


def test_an_invalid_span_cannot_be_built_directly_either() -> None:
    with pytest.raises(ValidationError):
        TimeSpan(start=NOW, end=NOW - timedelta(minutes=1))
