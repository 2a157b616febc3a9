"""The poll cursor: every change reported once, even several in one second (PSAs keep whole seconds)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from psa.changes import PollCursor, PSAChange
from psa.models import PSATicketSearchResult

T = datetime(2026, 12, 4, 17, 30, tzinfo=UTC)


def _row(ticket_id: int, at: datetime) -> PSATicketSearchResult:
    return PSATicketSearchResult(id=ticket_id, summary="s", last_updated=at)


def test_a_ticket_changed_later_in_the_same_second_is_still_reported() -> None:
    cursor = PollCursor().advance([_row(5, T)])
    second_poll = [_row(5, T), _row(3, T)]  # ticket 3 changed after the first poll, within the same second
    assert [r.id for r in cursor.unseen(second_poll)] == [3]
    cursor = cursor.advance(cursor.unseen(second_poll))
    assert cursor.since == T and cursor.seen_at_since == {3, 5}
    assert cursor.unseen([_row(5, T), _row(3, T)]) == []


def test_a_newer_second_replaces_what_was_remembered() -> None:
    cursor = PollCursor().advance([_row(5, T), _row(6, T + timedelta(seconds=1))])
    assert (cursor.since, cursor.seen_at_since) == (T + timedelta(seconds=1), {6})
    assert [r.id for r in cursor.unseen([_row(5, T + timedelta(seconds=2))])] == [5]


def test_rows_older_than_the_cursor_or_without_a_time_are_not_changes() -> None:
    cursor = PollCursor(since=T)
    assert cursor.unseen([_row(1, T - timedelta(seconds=1)), PSATicketSearchResult(id=2, summary="s")]) == []


def test_deliveries_of_one_change_share_a_dedupe_key_and_polls_key_on_the_time() -> None:
    one = PSAChange(record_type="ticket", record_id=1, action="updated", source="callback", delivery_id="m-1")
    assert one.dedupe_key == one.model_copy().dedupe_key == "delivery:m-1"
    polled = PSAChange(record_type="ticket", record_id=1, action="updated", source="poll", changed_at=T)
    later = polled.model_copy(update={"changed_at": T + timedelta(seconds=1)})
    assert polled.dedupe_key != later.dedupe_key
