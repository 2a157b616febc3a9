"""Hand-offs to Postgres that arrive together go in one statement, and each keeps its own outcome: a
new job in its workspace's least busy slot, a replay that inserts nothing, a twin already queued, or
its own refusal. Real Postgres; statements counted from the pool's statistics, jobs from the tables."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from jobs_kit import fresh_jobs_database
from procrastinate import PsycopgConnector

from bot.jobs.connector import connector_for
from bot.jobs.engine import WORK_QUEUE, WORK_TASK
from bot.jobs.handoff import Handed, HandOff, HandOffBatcher, Outcome
from storage.migrate import upgrade

pytestmark = pytest.mark.postgres

SLOTS = 4


@pytest.fixture
async def connector() -> AsyncIterator[PsycopgConnector]:
    async with fresh_jobs_database() as url:
        await asyncio.to_thread(upgrade, url)  # the app's processed_events
        opened = connector_for(url)
        assert isinstance(opened, PsycopgConnector)
        await opened.open_async()
        try:
            yield opened
        finally:
            await opened.close_async()


def _batcher(connector: PsycopgConnector, *, in_flight: int = 1) -> HandOffBatcher:
    return HandOffBatcher(connector, queue=WORK_QUEUE, task=WORK_TASK, slots=SLOTS, max_in_flight=in_flight)


def _job(team: str = "T1", *, delivery: str | None = None, queueing_lock: str | None = None) -> HandOff:
    return HandOff(
        slot_prefix=f"ws:{team}:",
        args={"sealed": "x"},
        queueing_lock=queueing_lock,
        scope=team if delivery else None,
        delivery=delivery,
    )


async def _rows(connector: PsycopgConnector, sql: str) -> list[dict[str, object]]:
    return await connector.execute_query_all_async(sql)


async def test_fifty_hand_offs_arriving_together_are_one_statement_spread_over_the_slots(
    connector: PsycopgConnector,
) -> None:
    batcher = _batcher(connector)
    connector.pool.pop_stats()

    handed = await asyncio.gather(*(batcher.hand_off(_job(delivery=f"d{n}")) for n in range(50)))

    stats = connector.pool.pop_stats()
    jobs = await _rows(connector, "SELECT id, lock FROM procrastinate_jobs ORDER BY id")
    assert stats.get("requests_num", 0) == 1
    assert [h.outcome for h in handed] == [Outcome.DEFERRED] * 50
    assert sorted(h.job_id or 0 for h in handed) == [row["id"] for row in jobs]
    # Each new job went to the least busy slot as the batch filled them: the 4 slots end even.
    assert sorted(Counter(row["lock"] for row in jobs).values()) == [12, 12, 13, 13]
    # Jobs of one workspace keep the order their requests arrived in.
    assert [h.job_id for h in handed] == sorted(h.job_id or 0 for h in handed)


async def test_a_quiet_process_sends_each_hand_off_alone(connector: PsycopgConnector) -> None:
    batcher = _batcher(connector)
    connector.pool.pop_stats()
    for n in range(3):
        assert (await batcher.hand_off(_job(delivery=f"d{n}"))).outcome is Outcome.DEFERRED
    assert connector.pool.pop_stats().get("requests_num", 0) == 3


async def test_a_delivery_seen_before_in_the_batch_or_earlier_inserts_nothing(
    connector: PsycopgConnector,
) -> None:
    batcher = _batcher(connector)
    first, twin, other = await asyncio.gather(
        batcher.hand_off(_job(delivery="same")),
        batcher.hand_off(_job(delivery="same")),
        batcher.hand_off(_job(delivery="other")),
    )
    later = await batcher.hand_off(_job(delivery="same"))
    another_workspace = await batcher.hand_off(_job("T2", delivery="same"))

    jobs = await _rows(connector, "SELECT lock FROM procrastinate_jobs")
    recorded = await _rows(connector, "SELECT team_id, event_id FROM processed_events ORDER BY 1, 2")
    assert (first.outcome, twin.outcome, other.outcome) == (
        Outcome.DEFERRED,
        Outcome.REPLAYED,
        Outcome.DEFERRED,
    )
    assert later.outcome is Outcome.REPLAYED and later.job_id is None
    assert another_workspace.outcome is Outcome.DEFERRED  # a delivery is scoped to its workspace
    assert len(jobs) == 3
    assert [(r["team_id"], r["event_id"]) for r in recorded] == [
        ("T1", "other"),
        ("T1", "same"),
        ("T2", "same"),
    ]


async def test_a_twin_still_waiting_makes_the_job_already_queued_and_its_delivery_stays_recorded(
    connector: PsycopgConnector,
) -> None:
    batcher = _batcher(connector)
    waiting, twin, unrelated = await asyncio.gather(
        batcher.hand_off(_job(delivery="d1", queueing_lock="key:T1:create-1")),
        batcher.hand_off(_job(delivery="d2", queueing_lock="key:T1:create-1")),
        batcher.hand_off(_job(delivery="d3")),
    )

    jobs = await _rows(connector, "SELECT queueing_lock FROM procrastinate_jobs ORDER BY id")
    recorded = await _rows(connector, "SELECT event_id FROM processed_events ORDER BY 1")
    assert [waiting.outcome, twin.outcome, unrelated.outcome] == [
        Outcome.DEFERRED,
        Outcome.ALREADY_QUEUED,
        Outcome.DEFERRED,
    ]
    assert twin.job_id is None
    assert [row["queueing_lock"] for row in jobs] == ["key:T1:create-1", None]
    # A retry of the twin's request is a replay, not a third try.
    assert [row["event_id"] for row in recorded] == ["d1", "d2", "d3"]


async def test_a_row_the_database_refuses_fails_only_its_own_hand_off(connector: PsycopgConnector) -> None:
    batcher = _batcher(connector)
    too_long = "x" * 65  # processed_events.event_id is varchar(64)
    results = await asyncio.gather(
        batcher.hand_off(_job(delivery="d1")),
        batcher.hand_off(_job(delivery=too_long)),
        batcher.hand_off(_job(delivery="d3")),
        return_exceptions=True,
    )

    jobs = await _rows(connector, "SELECT count(*) AS n FROM procrastinate_jobs")
    assert isinstance(results[1], Exception)
    assert [r.outcome for r in (results[0], results[2])] == [Outcome.DEFERRED, Outcome.DEFERRED]  # type: ignore[union-attr]
    assert jobs[0]["n"] == 2


async def test_hand_offs_queued_behind_a_statement_are_sent_before_close(connector: PsycopgConnector) -> None:
    batcher = _batcher(connector)
    pending = [batcher.hand_off(_job(delivery=f"d{n}")) for n in range(5)]
    # Their acks are cancelled (clients gone): what was queued is still sent.
    for handed in pending:
        handed.cancel()
    await batcher.aclose()

    jobs = await _rows(connector, "SELECT count(*) AS n FROM procrastinate_jobs")
    assert jobs[0]["n"] == 5


async def test_a_hand_off_queued_as_the_last_statement_ends_is_sent_all_the_same(
    connector: PsycopgConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one moment a quiet process could strand an ack: its statement has committed and its sender
    is finishing, not yet forgotten, when the next hand-off comes (seen as an ack that never answered
    in the two-process load test)."""
    batcher = _batcher(connector)
    sent, release = asyncio.Event(), asyncio.Event()
    execute = connector.execute_query_all_async

    async def committed_then_held(query: str, **arguments: object) -> list[dict[str, object]]:
        rows = await execute(query, **arguments)
        sent.set()
        await release.wait()
        return rows

    monkeypatch.setattr(connector, "execute_query_all_async", committed_then_held)
    first = batcher.hand_off(_job(delivery="d1"))
    await sent.wait()
    queued: asyncio.Future[asyncio.Future[Handed]] = asyncio.get_running_loop().create_future()
    # The loop runs callbacks in the order they were scheduled: the sender's wake-up (set by
    # `release`), then this hand-off, then the done-callback the sender's end schedules.
    release.set()
    asyncio.get_running_loop().call_soon(lambda: queued.set_result(batcher.hand_off(_job(delivery="d2"))))
    second = await queued

    handed = await asyncio.wait_for(second, timeout=30)  # stranded, it would never resolve

    assert [(await first).outcome, handed.outcome] == [Outcome.DEFERRED, Outcome.DEFERRED]
    jobs = await _rows(connector, "SELECT count(*) AS n FROM procrastinate_jobs")
    assert jobs[0]["n"] == 2
