"""Requests per ConnectWise site kept under its limit, across every process, and Retry-After honoured.

ConnectWise throttles a company's API at about 1,000 requests a minute and answers 429 with
Retry-After beyond it. Permits come from a pyrate-limiter bucket per site (in memory for one process,
a Postgres table shared by all processes on Postgres). Asking the shared bucket costs a transaction
(lock, count, insert) and a hop to a worker thread, about 1.5 ms of a worker's CPU, so a process leases
permits and spends them locally: `lease` at first, twice as many when a lease lasted under
`LEASE_SPAN` seconds, half as many when it lasted over twice that (between `lease` and `max_lease`).
What a process leases but does not spend within the window is at most about a second of its own
requests below the limit.

A 429 pauses that site for its Retry-After: in this process at once, and, with a shared `PauseBoard`
(Postgres), in every other process when it next leases permits for that site (a process may still
spend the few permits it already leased).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

import httpx
from pyrate_limiter import AbstractBucket, Limiter
from pyrate_limiter.limiter import SingleBucketFactory

from psa.errors import PSARateLimitedError

log = logging.getLogger(__name__)

PER_MINUTE = 1000
LEASE = 5
MAX_LEASE = 50
LEASE_SPAN = 1.0  # seconds a lease should last: a lease spent faster makes the next one bigger
MAX_WAIT = 20.0  # seconds a request may wait for a permit before failing as "rate limited"
MAX_SITES = 1024
BucketFor = Callable[[str, int], AbstractBucket]  # (site, requests per minute) -> a bucket for that site


class PauseBoard(Protocol):
    """Where a site's Retry-After is kept for every process (synchronous: called in a worker thread)."""

    def pause(self, site: str, seconds: float) -> None:
        """Nothing more to `site` for `seconds` from now (an earlier, longer pause stands)."""
        ...

    def remaining(self, site: str) -> float:
        """Seconds left of the site's pause (0 when none)."""
        ...


def site_of(base_url: str, company_id: str) -> str:
    """The unit ConnectWise limits: one company on one API host."""
    return f"{urlsplit(base_url).hostname or base_url}/{company_id.casefold()}"


@dataclass
class _Site:
    limiter: Limiter
    lease: int
    tokens: int = 0
    leased_at: float = float("-inf")
    paused_until: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class SiteLimiter:
    """Per-site permits (see the module docstring); `attach` puts it in front of an httpx client."""

    def __init__(
        self,
        bucket_for: BucketFor,
        *,
        per_minute: int = PER_MINUTE,
        lease: int = LEASE,
        max_lease: int = MAX_LEASE,
        max_wait: float = MAX_WAIT,
        clock: Callable[[], float] = time.monotonic,
        pauses: PauseBoard | None = None,
    ) -> None:
        if not 1 <= lease <= per_minute:
            raise ValueError("lease must be between 1 and the per-minute limit")
        self._bucket_for = bucket_for
        self._pauses = pauses
        self._per_minute = per_minute
        self._lease = lease
        self._max_lease = min(max(lease, max_lease), per_minute)
        self._max_wait = max_wait
        self._clock = clock
        self._sites: OrderedDict[str, _Site] = OrderedDict()

    def _site(self, site: str) -> _Site:
        state = self._sites.get(site)
        if state is None:
            bucket = self._bucket_for(site, self._per_minute)
            state = _Site(
                limiter=Limiter(SingleBucketFactory(bucket, schedule_leak=False)), lease=self._lease
            )
            self._sites[site] = state
            while len(self._sites) > MAX_SITES:
                _, old = self._sites.popitem(last=False)
                old.limiter.close()
        else:
            self._sites.move_to_end(site)
        return state

    async def acquire(self, site: str) -> None:
        """Wait for a permit to send one request to `site` (PSARateLimitedError after `max_wait`)."""
        state = self._site(site)
        await self._wait_out_pause(state)
        if state.tokens > 0:
            state.tokens -= 1
            return
        async with state.lock:  # one lease in flight per site and process
            if state.tokens == 0 and not await self._lease_now(site, state, wait=True):
                raise PSARateLimitedError("Too many requests to ConnectWise right now.")
            state.tokens -= 1

    async def try_acquire(self, site: str) -> bool:
        """A permit now, or False (no waiting)."""
        state = self._site(site)
        if state.paused_until > self._clock():
            return False
        async with state.lock:
            if state.tokens == 0 and not await self._lease_now(site, state, wait=False):
                return False
            state.tokens -= 1
            return True

    async def _wait_out_pause(self, state: _Site) -> None:
        pause = state.paused_until - self._clock()
        if pause > 0:
            if pause > self._max_wait:
                raise PSARateLimitedError("ConnectWise asked to slow down.", retry_after=pause)
            await asyncio.sleep(pause)  # the site told us when to come back (Retry-After)

    async def _lease_now(self, site: str, state: _Site, *, wait: bool) -> bool:
        # Non-blocking asks in a worker thread (the Postgres bucket is synchronous), waiting between
        # them on the event loop: a full window never parks a thread of the default executor. The
        # first ask also reads the pause board, in the same hop: another process's 429 pauses this
        # one too.
        if state.paused_until > self._clock():  # a 429 came in while this lease waited for the lock
            if not wait:
                return False
            await self._wait_out_pause(state)
        size = self._next_lease(state)
        deadline = self._clock() + (self._max_wait if wait else 0.0)
        step = 0.05
        board = self._pauses is not None
        while True:
            paused, granted = await asyncio.to_thread(self._ask, site, state, size, board)
            board = False
            if paused > 0:
                state.paused_until = max(state.paused_until, self._clock() + paused)
                if not wait:
                    return False
                await self._wait_out_pause(state)
                continue
            if granted:
                state.tokens += granted
                state.lease, state.leased_at = granted, self._clock()
                return True
            if self._clock() + step > deadline:
                return False
            await asyncio.sleep(step)  # the window frees up with time: nothing to wait on but the clock
            step = min(step * 2, 1.0)

    def _next_lease(self, state: _Site) -> int:
        lasted = self._clock() - state.leased_at
        if lasted < LEASE_SPAN:
            return min(state.lease * 2, self._max_lease)
        if lasted > 2 * LEASE_SPAN:
            return max(state.lease // 2, self._lease)
        return state.lease

    def _ask(self, site: str, state: _Site, size: int, board: bool) -> tuple[float, int]:
        """In a worker thread: the site's pause left (when `board`), else the permits granted (0: none).

        A lease bigger than what the window still holds is asked again at the smallest size."""
        if board:
            assert self._pauses is not None
            remaining = self._pauses.remaining(site)
            if remaining > 0:
                return remaining, 0
        for weight in dict.fromkeys((size, self._lease)):
            if state.limiter.try_acquire("cw", weight, False):
                return 0.0, weight
        return 0.0, 0

    def pause(self, site: str, seconds: float) -> None:
        """Send nothing more to `site` from this process for `seconds` (a 429's Retry-After)."""
        state = self._site(site)
        state.paused_until = max(state.paused_until, self._clock() + seconds)
        state.tokens = 0

    async def throttled(self, site: str, seconds: float) -> None:
        """A 429 with Retry-After `seconds`: pause here at once, and in every process sharing the board."""
        self.pause(site, seconds)
        if self._pauses is not None and seconds > 0:
            try:
                await asyncio.to_thread(self._pauses.pause, site, seconds)
            except Exception:  # the local pause stands; the others will meet their own 429
                log.exception("could not share the pause of %s", site)

    def attach(self, http: httpx.AsyncClient, site: str) -> None:
        """Every request of `http` waits for a permit; a 429 with Retry-After pauses the site."""

        async def before(_request: httpx.Request) -> None:
            await self.acquire(site)

        async def after(response: httpx.Response) -> None:
            if response.status_code == 429:
                seconds = _retry_after_seconds(response)
                log.warning("ConnectWise %s throttled us; pausing %.1fs", site, seconds)
                await self.throttled(site, seconds)

        http.event_hooks = {
            "request": [*http.event_hooks["request"], before],
            "response": [*http.event_hooks["response"], after],
        }

    def close(self) -> None:
        """Release the buckets' resources."""
        for state in self._sites.values():
            state.limiter.close()
        self._sites.clear()
        close = getattr(self._bucket_for, "close", None)
        if callable(close):
            close()


def _retry_after_seconds(response: httpx.Response, default: float = 1.0) -> float:
    value = (response.headers.get("Retry-After") or "").strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        return default
