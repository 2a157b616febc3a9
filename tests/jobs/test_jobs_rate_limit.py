"""The per-site ConnectWise rate limit: shared by processes on Postgres, per site, paused by Retry-After."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest
from psycopg_pool import ConnectionPool

from bot.jobs.connector import postgres_conninfo
from bot.jobs.limits import PostgresPauseBoard, site_limiter
from psa.connectwise.sandbox import SandboxServer
from psa.errors import PSARateLimitedError
from psa.ratelimit import site_of
from storage.db import normalize_database_url

SITE = site_of("https://api-na.myconnectwise.net/v4_6_release/apis/3.0", "northstar")
OTHER = site_of("https://api-na.myconnectwise.net/v4_6_release/apis/3.0", "another-msp")


async def grant_all(limiter: object, site: str) -> int:
    granted = 0
    while await limiter.try_acquire(site):  # type: ignore[attr-defined]
        granted += 1
    return granted


async def test_two_processes_share_one_sites_permits(jobs_db: str) -> None:
    a = site_limiter(jobs_db, per_minute=10)
    b = site_limiter(jobs_db, per_minute=10)
    try:
        granted = [await a.try_acquire(SITE), await b.try_acquire(SITE)]
        granted += [await a.try_acquire(SITE) for _ in range(20)]
        granted += [await b.try_acquire(SITE) for _ in range(20)]
        assert granted.count(True) == 10
        # Another company on the same host has its own limit.
        assert await b.try_acquire(OTHER)
    finally:
        a.close()
        b.close()


async def test_retry_after_pauses_the_site_in_this_process() -> None:
    limiter = site_limiter("sqlite+aiosqlite://", per_minute=100)
    assert await limiter.try_acquire(SITE)
    limiter.pause(SITE, 60)
    assert not await limiter.try_acquire(SITE)
    assert await limiter.try_acquire(OTHER)
    limiter.close()


async def test_a_429_from_connectwise_stops_requests_to_that_site_for_its_retry_after(
    sandbox: SandboxServer,
) -> None:
    limiter = site_limiter("sqlite+aiosqlite://", per_minute=100)
    site = site_of(sandbox.base_url, sandbox.company_id)
    sandbox.inject_fault(status=429, retry_after=60)
    async with httpx.AsyncClient() as http:
        limiter.attach(http, site)
        first = await http.get(sandbox.base_url + "/system/info")
        assert first.status_code == 429
        with pytest.raises(PSARateLimitedError):
            await http.get(sandbox.base_url + "/system/info")  # would wait 60 s: refused at once
    assert sandbox.request_count("GET", "/system/info") == 1
    limiter.close()


async def test_a_429_one_process_gets_pauses_the_site_in_the_others(
    jobs_db: str, sandbox: SandboxServer
) -> None:
    a = site_limiter(jobs_db, per_minute=100)
    b = site_limiter(jobs_db, per_minute=100)
    site = site_of(sandbox.base_url, sandbox.company_id)
    sandbox.inject_fault(status=429, retry_after=60)
    try:
        async with httpx.AsyncClient() as http_a, httpx.AsyncClient() as http_b:
            a.attach(http_a, site)
            b.attach(http_b, site)
            assert (await http_a.get(sandbox.base_url + "/system/info")).status_code == 429
            # Process B never met the 429 itself: the shared board stops it before it sends.
            with pytest.raises(PSARateLimitedError):
                await http_b.get(sandbox.base_url + "/system/info")
            assert not await b.try_acquire(site)
            assert await b.try_acquire(OTHER)  # another company is not paused
        assert sandbox.request_count("GET", "/system/info") == 1
    finally:
        a.close()
        b.close()


async def test_processes_starting_together_all_create_the_pause_board(jobs_db: str) -> None:
    # Web processes answering their first commands at once each create the board's table on first use;
    # none may fail (it once raised a unique violation, and that user's /tickets got no answer).
    conninfo = postgres_conninfo(normalize_database_url(jobs_db))
    pools = [ConnectionPool(conninfo, min_size=1, max_size=1, open=True) for _ in range(4)]
    boards = [PostgresPauseBoard(lambda pool=pool: pool) for pool in pools]
    together = threading.Barrier(len(boards), timeout=30)  # the default executor has >= 5 threads

    def first_look(board: PostgresPauseBoard) -> float:
        together.wait()
        return board.remaining(SITE)

    try:
        waits = await asyncio.gather(*(asyncio.to_thread(first_look, board) for board in boards))
        assert waits == [0.0] * len(boards)
    finally:
        for pool in pools:
            pool.close()
