"""The embedded store's fetch picks exactly what procrastinate's own in-memory fetch picks, in linear
time (the parent's is quadratic in the backlog)."""

from __future__ import annotations

import copy
import datetime
import random
from typing import Any

from procrastinate.testing import InMemoryConnector

from bot.jobs.connector import EmbeddedConnector


def _backlog(rng: random.Random, size: int) -> dict[int, dict[str, Any]]:
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)
    jobs = {}
    for n in range(1, size + 1):
        jobs[n] = {
            "id": n,
            "status": rng.choice(["todo", "todo", "todo", "doing", "succeeded"]),
            "queue_name": rng.choice(["work", "work", "periodic"]),
            "lock": rng.choice([None, "ws:T1:0", "ws:T1:1", "ws:T2:0"]),
            "priority": rng.choice([0, 0, -1, 1]),
            "scheduled_at": rng.choice([None, None, later]),
            "worker_id": None,
        }
    return jobs


async def test_the_embedded_fetch_picks_what_procrastinates_own_fetch_picks() -> None:
    rng = random.Random(11)
    for _ in range(30):
        jobs = _backlog(rng, 40)
        ours, theirs = EmbeddedConnector(), InMemoryConnector()
        for store in (ours, theirs):
            store.jobs = copy.deepcopy(jobs)
            store.events = {n: [] for n in jobs}
            store.workers = {1: {}}
        for queues in (["work"], None, ["work"], ["periodic"], ["work"]):
            picked = await ours.fetch_job_one(queues, 1)
            expected = await theirs.fetch_job_one(queues, 1)
            assert picked.get("id") == expected.get("id")
        assert {n: j["status"] for n, j in ours.jobs.items()} == {
            n: j["status"] for n, j in theirs.jobs.items()
        }
