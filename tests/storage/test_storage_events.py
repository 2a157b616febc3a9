"""Slack event dedupe: a retried event_id is recognised; old records are pruned."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from functools import partial

from storage import Storage, WorkspaceStore
from storage.maintenance import prune_processed_events
from storage.repositories import events

T0 = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


async def first_time(ws: WorkspaceStore, event_id: str) -> bool:
    return await ws.write(partial(events.first_time, event_id=event_id))


async def test_an_event_is_new_once_and_a_duplicate_afterwards(db: Storage) -> None:
    ws = db.workspace("T1")
    assert await first_time(ws, "Ev01") is True
    assert await first_time(ws, "Ev01") is False
    assert await first_time(ws, "Ev02") is True


async def test_slack_retries_arriving_together_are_handled_once(db: Storage) -> None:
    ws = db.workspace("T1")
    results = await asyncio.gather(*(first_time(ws, "Ev01") for _ in range(10)))
    assert results.count(True) == 1


async def test_pruning_forgets_only_old_events(db: Storage) -> None:
    async with db.session() as s:
        await events.first_time(session=s, team_id="T1", event_id="old", now=T0)
        await events.first_time(session=s, team_id="T2", event_id="old2", now=T0)
        await events.first_time(session=s, team_id="T1", event_id="recent", now=T0 + timedelta(hours=23))
    async with db.session() as s:
        deleted = await prune_processed_events(
            session=s, older_than=timedelta(days=1), now=T0 + timedelta(days=1, minutes=1)
        )

    assert deleted == 2
    ws = db.workspace("T1")
    assert await first_time(ws, "old") is True  # forgotten, so new again
    assert await first_time(ws, "recent") is False


async def test_many_ids_recorded_at_once_report_only_the_new_ones(db: Storage) -> None:
    ws = db.workspace("T1")
    assert await first_time(ws, "seen-before") is True
    # More rows than one batch of SQLAlchemy's insertmanyvalues (1,000), with duplicates.
    ids = ["seen-before", *(f"sig{n}" for n in range(2005)), "sig0"]

    new = await ws.write(partial(events.first_times, event_ids=ids))

    assert new == {f"sig{n}" for n in range(2005)}
    assert await ws.write(partial(events.first_times, event_ids=["sig1", "sig9999"])) == {"sig9999"}
    assert await first_time(db.workspace("T2"), "sig1") is True  # kept apart per scope


async def test_the_ids_received_since_a_moment_are_read_back_oldest_first(db: Storage) -> None:
    ws = db.workspace("T1")
    await ws.write(partial(events.first_times, event_ids=["old"], now=T0))
    await ws.write(partial(events.first_times, event_ids=["mid"], now=T0 + timedelta(minutes=3)))
    await ws.write(partial(events.first_times, event_ids=["new"], now=T0 + timedelta(minutes=4)))

    since = await ws.read(partial(events.received_since, since=T0 + timedelta(minutes=1)))

    assert since == [("mid", T0 + timedelta(minutes=3)), ("new", T0 + timedelta(minutes=4))]
