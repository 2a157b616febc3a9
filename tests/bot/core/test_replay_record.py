"""The durable record of accepted signatures in a SQLite install (bot/replay.py): written after the
acks, many per transaction, and read back at start so a replay after a restart is still refused."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from bot.replay import WINDOW_S, DeliveryRecorder, RecentDeliveries
from storage import Storage


@contextmanager
def inserts_into(storage: Storage, table: str) -> Iterator[list[str]]:
    """The INSERT statements the storage's engine sends to `table` while the block runs."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith(f"INSERT INTO {table}"):
            seen.append(statement)

    engine = storage.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_signatures_accepted_together_are_written_in_one_statement(storage: Storage) -> None:
    recorder = DeliveryRecorder(storage, after=3600)  # only the flush writes
    with inserts_into(storage, "processed_events") as inserts:
        for n in range(250):
            recorder.add(f"sig{n}")
        assert inserts == []  # nothing on the acks' path
        await recorder.flush()

    assert len(inserts) == 1
    restarted = RecentDeliveries()
    assert await restarted.restore(storage) == 250
    assert not restarted.first_time("sig0") and not restarted.first_time("sig249")
    assert restarted.first_time("sig250")


async def test_a_restart_refuses_copies_of_what_was_accepted_within_the_window_only(storage: Storage) -> None:
    recorder = DeliveryRecorder(storage)
    recorder.add("accepted")
    await recorder.flush()

    restarted = RecentDeliveries()
    await restarted.restore(storage)
    later = RecentDeliveries()
    await later.restore(storage)

    assert restarted.first_time("accepted") is False
    assert restarted.first_time("never-seen") is True
    # The remembered copy ages out of the signature window like any other.
    assert later.first_time("accepted", now=time.monotonic() + WINDOW_S + 1) is True
