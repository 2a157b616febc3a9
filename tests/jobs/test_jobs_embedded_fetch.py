"""The embedded store picks exactly what procrastinate's own in-memory store picks, and answers what a
hand-off asks (unfinished jobs per slot, the waiting count, taken queueing locks) from counters that
always equal a count of its jobs, whatever happened to them (fetched, finished, retried, cancelled)."""

from __future__ import annotations

import datetime
import random
from collections import Counter
from typing import Any

import pytest
from procrastinate import types
from procrastinate.exceptions import UniqueViolation
from procrastinate.testing import InMemoryConnector

from bot.jobs.connector import WORK_QUEUE, EmbeddedConnector

LOCKS = [None, "ws:T1:0", "ws:T1:1", "ws:T2:0"]


def _job(rng: random.Random, n: int) -> types.JobToDefer:
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)
    return types.JobToDefer(
        queue_name=rng.choice([WORK_QUEUE, WORK_QUEUE, "periodic"]),
        task_name="t",
        priority=rng.choice([0, 0, -1, 1]),
        lock=rng.choice(LOCKS),
        queueing_lock=rng.choice([None, None, f"key:{n}"]),
        args={},
        scheduled_at=rng.choice([None, None, later]),
    )


async def _backlog(rng: random.Random, size: int, *stores: InMemoryConnector) -> None:
    """The same jobs in each store, some of them running or done (as the worker leaves them)."""
    for n in range(1, size + 1):
        job, status = _job(rng, n), rng.choice(["todo", "todo", "todo", "doing", "succeeded"])
        for store in stores:
            store.workers = {1: datetime.datetime.now(datetime.UTC)}
            (row,) = await store.defer_jobs_all([job])
            if status != "todo":
                await store.set_job_status_run(row["id"], status)


def _recounted(store: EmbeddedConnector) -> dict[str, Any]:
    unfinished = [j for j in store.jobs.values() if j["status"] in ("todo", "doing")]
    return {
        "unfinished": len(unfinished),
        "waiting": sum(1 for j in unfinished if j["status"] == "todo" and j["queue_name"] == WORK_QUEUE),
        "per_lock": {lock: sum(1 for j in unfinished if j["lock"] == lock) for lock in LOCKS if lock},
        "running_locks": {j["lock"] for j in unfinished if j["status"] == "doing"} - {None},
    }


def _counted(store: EmbeddedConnector) -> dict[str, Any]:
    return {
        "unfinished": store.unfinished(),
        "waiting": store.waiting(),
        "per_lock": {lock: store.unfinished_in(lock) for lock in LOCKS if lock},
        "running_locks": store.current_locks,
    }


def _brute_force_pick(store: EmbeddedConnector, queues: list[str] | None) -> tuple[int | None, int]:
    """The job a fetch must pick, by looking at every job; and the due work jobs waiting."""
    now = datetime.datetime.now(datetime.UTC)
    running = {j["lock"] for j in store.jobs.values() if j["status"] == "doing"} - {None}
    due = [
        j
        for j in store.jobs.values()
        if j["status"] == "todo" and not (j["scheduled_at"] and j["scheduled_at"] > now)
    ]
    free = [j for j in due if j["lock"] not in running and (queues is None or j["queue_name"] in queues)]
    best = min(free, key=lambda j: (-j["priority"], j["id"]), default=None)
    return (best["id"] if best else None), sum(1 for j in due if j["queue_name"] == WORK_QUEUE)


async def test_the_embedded_fetch_picks_what_procrastinates_own_fetch_picks() -> None:
    rng = random.Random(11)
    for _ in range(30):
        ours, theirs = EmbeddedConnector(), InMemoryConnector()
        await _backlog(rng, 40, ours, theirs)
        for queues in (["work"], None, ["work"], ["periodic"], ["work"]):
            picked = await ours.fetch_job_one(queues, 1)
            expected = await theirs.fetch_job_one(queues, 1)
            assert picked.get("id") == expected.get("id")
        assert {n: j["status"] for n, j in ours.jobs.items()} == {
            n: j["status"] for n, j in theirs.jobs.items()
        }
        assert _counted(ours) == _recounted(ours)


async def test_the_counts_a_hand_off_reads_stay_equal_to_the_jobs_through_their_whole_life() -> None:
    rng = random.Random(7)
    store = EmbeddedConnector()
    await _backlog(rng, 60, store)
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=5)
    for step in range(400):
        ids = list(store.jobs)
        action = rng.choice(["defer", "fetch", "finish", "retry", "cancel"])
        running = [n for n in ids if store.jobs[n]["status"] == "doing"]
        waiting = [n for n in ids if store.jobs[n]["status"] == "todo"]
        if action == "defer":
            try:
                await store.defer_jobs_all([_job(rng, rng.randrange(80))])
            except UniqueViolation:
                pass  # a waiting job holds that queueing lock: refused, as Postgres refuses it
        elif action == "fetch":
            queues = rng.choice([None, [WORK_QUEUE], ["periodic"]])
            expected, due_work = _brute_force_pick(store, queues)
            picked = await store.fetch_job_one(queues, 1)
            assert picked.get("id") == expected, f"step {step}"
            assert store.waiting_seen == due_work - (picked.get("queue_name") == WORK_QUEUE), f"step {step}"
        elif action == "finish" and running:
            await store.finish_job_run(
                rng.choice(running), rng.choice(["succeeded", "failed"]), rng.random() < 0.8
            )
        elif action == "retry" and running:
            await store.retry_job_run(rng.choice(running), later, new_lock=rng.choice(LOCKS[1:]))
        elif action == "cancel" and waiting:
            await store.cancel_job_one(rng.choice(waiting), abort=False, delete_job=rng.random() < 0.5)
        assert _counted(store) == _recounted(store), f"step {step}: {action}"


async def test_a_queueing_lock_taken_by_a_waiting_job_refuses_the_twin_until_the_job_starts() -> None:
    store = EmbeddedConnector()
    store.workers = {1: datetime.datetime.now(datetime.UTC)}
    twin = types.JobToDefer(
        queue_name=WORK_QUEUE,
        task_name="t",
        priority=0,
        lock=None,
        queueing_lock="key:a",
        args={},
        scheduled_at=None,
    )
    await store.defer_jobs_all([twin])

    with pytest.raises(UniqueViolation):
        await store.defer_jobs_all([twin])
    await store.fetch_job_one(None, 1)  # started: a new one may wait again
    await store.defer_jobs_all([twin])

    assert Counter(j["status"] for j in store.jobs.values()) == {"doing": 1, "todo": 1}
