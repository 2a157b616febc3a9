"""Slack event dedupe: a retried event_id is recognised; old records are pruned."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from storage import Storage
from storage.maintenance import prune_processed_events
from storage.repositories import events

T0 = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


async def test_an_event_is_new_once_and_a_duplicate_afterwards(db: Storage) -> None:
    ws = db.workspace("T1")
    assert await ws.first_time_event("Ev01") is True
    assert await ws.first_time_event("Ev01") is False
    assert await ws.first_time_event("Ev02") is True


async def test_slack_retries_arriving_together_are_handled_once(db: Storage) -> None:
    ws = db.workspace("T1")
    results = await asyncio.gather(*(ws.first_time_event("Ev01") for _ in range(10)))
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
    assert await ws.first_time_event("old") is True  # forgotten, so new again
    assert await ws.first_time_event("recent") is False
