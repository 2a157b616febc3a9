"""Spin-off suggestions: never more than one open suggestion per thread, decided by the database."""

from __future__ import annotations

import asyncio
import uuid
from functools import partial

from storage import Storage, SuggestionState
from storage.repositories import suggestions


def _new_id() -> str:
    return uuid.uuid4().hex


async def _open(
    db: Storage, thread_ts: str = "100.1", *, suggestion_id: str | None = None
) -> tuple[str, bool]:
    sid = suggestion_id or _new_id()
    opening = partial(
        suggestions.open_if_none,
        suggestion_id=sid,
        channel_id="C1",
        thread_ts=thread_ts,
        description="Printer on floor 2 is offline",
    )
    opened = await db.workspace("T1").write(opening)
    return sid, opened


async def test_the_first_suggestion_in_a_thread_opens_and_a_second_does_not(db: Storage) -> None:
    first, opened_first = await _open(db)
    _, opened_second = await _open(db)

    assert opened_first and not opened_second
    async with db.read_session() as s:
        current = await suggestions.open_suggestion(
            session=s, team_id="T1", channel_id="C1", thread_ts="100.1"
        )
    assert current is not None and current.id == first and current.state == SuggestionState.OPEN
    assert current.description == "Printer on floor 2 is offline"


async def test_other_threads_get_their_own_suggestion(db: Storage) -> None:
    assert (await _open(db, "100.1"))[1]
    assert (await _open(db, "200.2"))[1]


async def test_posted_message_ts_is_remembered(db: Storage) -> None:
    sid, _ = await _open(db)
    ws = db.workspace("T1")
    assert await ws.write(partial(suggestions.set_message_ts, suggestion_id=sid, message_ts="100.5")) is True
    suggestion = await ws.read(partial(suggestions.get_suggestion, suggestion_id=sid))
    assert suggestion is not None and suggestion.message_ts == "100.5"


async def test_dismissing_closes_it_and_lets_a_new_one_open(db: Storage) -> None:
    sid, _ = await _open(db)
    ws, dismiss = db.workspace("T1"), partial(suggestions.dismiss, suggestion_id=sid)

    dismissed = await ws.write(dismiss)

    assert dismissed is not None and dismissed.state == SuggestionState.DISMISSED
    assert await ws.write(dismiss) is None  # a second click changes nothing
    assert (await _open(db))[1]


async def test_creating_the_ticket_records_it_once(db: Storage) -> None:
    sid, _ = await _open(db)
    ws = db.workspace("T1")

    created = await ws.write(partial(suggestions.mark_created, suggestion_id=sid, ticket_id=1042))

    assert created is not None and created.state == SuggestionState.CREATED and created.ticket_id == 1042
    assert await ws.write(partial(suggestions.mark_created, suggestion_id=sid, ticket_id=1043)) is None
    assert await ws.write(partial(suggestions.dismiss, suggestion_id=sid)) is None
    stored = await ws.read(partial(suggestions.get_suggestion, suggestion_id=sid))
    assert stored is not None and stored.ticket_id == 1042


async def test_a_ticket_created_from_a_modal_after_dismissal_is_still_recorded(db: Storage) -> None:
    sid, _ = await _open(db)
    ws = db.workspace("T1")
    await ws.write(partial(suggestions.dismiss, suggestion_id=sid))
    created = await ws.write(partial(suggestions.mark_created, suggestion_id=sid, ticket_id=77))
    assert created is not None and created.state == SuggestionState.CREATED


async def test_ten_concurrent_suggestions_for_one_thread_open_exactly_one(db: Storage) -> None:
    results = await asyncio.gather(*(_open(db) for _ in range(10)))

    assert sum(opened for _, opened in results) == 1
    async with db.read_session() as s:
        current = await suggestions.open_suggestion(
            session=s, team_id="T1", channel_id="C1", thread_ts="100.1"
        )
    assert current is not None and current.id == next(sid for sid, opened in results if opened)


async def test_reusing_a_suggestion_id_does_not_open_a_second_row(db: Storage) -> None:
    sid, _ = await _open(db, "100.1")
    _, opened = await _open(db, "200.2", suggestion_id=sid)
    assert not opened
