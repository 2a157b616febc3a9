"""Idempotency ledger: a double submit creates one ticket, on one process or several."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from storage_backends import Backend

from storage import LedgerState, Storage
from storage.models import WriteKind
from storage.repositories import ledger

T0 = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
BY_U1 = {"kind": WriteKind.CREATE, "actor_user_id": "U1"}


async def _claim(
    db: Storage, key: str, *, team: str = "T1", now: datetime | None = None
) -> ledger.ClaimResult:
    async with db.session() as s:
        return await ledger.claim(key, team_id="T1", session=s, now=now)


async def _racing_claims(storages: list[Storage], key: str, n: int) -> list[ledger.ClaimResult]:
    """`n` claims of one key, each in its own session, released together to maximise overlap."""
    barrier = asyncio.Barrier(n)

    async def one(i: int) -> ledger.ClaimResult:
        async with storages[i % len(storages)].session() as s:
            await barrier.wait()  # sessions connect lazily, so no lock is held while waiting here
            return await ledger.claim(key, team_id="T1", session=s)

    return await asyncio.gather(*(one(i) for i in range(n)))


async def test_first_claim_wins_and_a_double_submit_sees_it_in_progress(db: Storage) -> None:
    first = await _claim(db, "modal-key-1")
    second = await _claim(db, "modal-key-1")

    assert first.won and first.state == LedgerState.IN_PROGRESS and first.took_over is None
    assert not second.won and second.state == LedgerState.IN_PROGRESS and second.ticket_id is None


async def test_after_completion_a_retry_gets_the_ticket_already_created(db: Storage) -> None:
    ws = db.workspace("T1").ledger
    assert (await ws.claim("k", **BY_U1)).won
    assert await ws.complete("k", ticket_id=1042) is True

    again = await ws.claim("k", **BY_U1)

    assert not again.won and again.state == LedgerState.DONE and again.ticket_id == 1042
    entry = await ws.entry("k")
    assert entry is not None and entry.attempts == 1 and entry.updated_at >= entry.created_at


async def test_a_failed_key_is_won_again_by_the_next_retry(db: Storage) -> None:
    ws = db.workspace("T1").ledger
    await ws.claim("k", **BY_U1)
    assert await ws.fail("k", "PSA said 503") is True
    failed = await ws.entry("k")
    assert failed is not None and failed.state == LedgerState.FAILED and failed.error == "PSA said 503"

    retry = await ws.claim("k", **BY_U1)

    assert retry.won and retry.took_over == LedgerState.FAILED
    assert retry.entry.attempts == 2 and retry.entry.error is None
    assert await ws.complete("k", ticket_id=7) is True


async def test_a_failed_key_is_not_retried_when_the_caller_says_so(db: Storage) -> None:
    await _claim(db, "k")
    async with db.session() as s:
        await ledger.fail("k", "boom", team_id="T1", session=s)
        result = await ledger.claim("k", team_id="T1", session=s, retry_failed=False)
    assert not result.won and result.state == LedgerState.FAILED and result.entry.error == "boom"


async def test_a_stale_in_progress_entry_from_a_crashed_process_is_taken_over(db: Storage) -> None:
    await _claim(db, "k", now=T0)

    fresh = await _claim(db, "k", now=T0 + timedelta(minutes=9))
    stale = await _claim(db, "k", now=T0 + timedelta(minutes=11))

    assert not fresh.won
    assert stale.won and stale.took_over == LedgerState.IN_PROGRESS and stale.entry.attempts == 2


async def test_finishing_a_key_that_is_not_in_progress_reports_false(db: Storage) -> None:
    ws = db.workspace("T1").ledger
    assert await ws.complete("never-claimed", ticket_id=1) is False
    await ws.claim("k", **BY_U1)
    await ws.complete("k", ticket_id=1)
    assert await ws.fail("k", "late error") is False
    entry = await ws.entry("k")
    assert entry is not None and entry.state == LedgerState.DONE and entry.ticket_id == 1


async def test_long_error_texts_are_truncated(db: Storage) -> None:
    ws = db.workspace("T1").ledger
    await ws.claim("k", **BY_U1)
    await ws.fail("k", "x" * 10_000)
    entry = await ws.entry("k")
    assert entry is not None and entry.error is not None and len(entry.error) == ledger.ERROR_MAX


@pytest.mark.parametrize("key", ["", "k" * (ledger.KEY_MAX + 1)])
async def test_an_empty_or_oversized_key_is_refused(db: Storage, key: str) -> None:
    with pytest.raises(ValueError, match="idempotency key"):
        await _claim(db, key)


async def test_ten_concurrent_claims_of_one_key_have_exactly_one_winner(db: Storage) -> None:
    results = await _racing_claims([db], "double-click", 10)

    assert sum(r.won for r in results) == 1
    assert all(r.state == LedgerState.IN_PROGRESS for r in results)


async def test_ten_concurrent_retries_of_a_failed_key_have_exactly_one_winner(db: Storage) -> None:
    ws = db.workspace("T1").ledger
    await ws.claim("k", **BY_U1)
    await ws.fail("k", "timeout")

    results = await _racing_claims([db], "k", 10)

    assert sum(r.won for r in results) == 1
    assert [r.took_over for r in results if r.won] == [LedgerState.FAILED]
    entry = await ws.entry("k")
    assert entry is not None and entry.attempts == 2


@pytest.mark.postgres
async def test_two_processes_on_postgres_never_both_win(postgres_backend: Backend, fernet: Fernet) -> None:
    processes = [
        postgres_backend.storage(fernet),
        postgres_backend.storage(fernet),
    ]  # two engines, two connection pools
    try:
        for key in ("a", "b", "c"):
            results = await _racing_claims(processes, key, 10)
            assert sum(r.won for r in results) == 1, key
    finally:
        for storage in processes:
            await storage.close()
