"""How many permits a process leases from its site's shared bucket at a time: more while it spends them
fast (each ask of the shared bucket is a Postgres transaction and a thread hop), fewer once it is
quiet (what it leases and does not spend is lost to the other processes until the window moves on).
The clock is the test's own; the asks are counted at the bucket."""

from __future__ import annotations

from pyrate_limiter import AbstractBucket, Duration, InMemoryBucket, Rate, RateItem

from psa.ratelimit import SiteLimiter

SITE = "api-na.myconnectwise.net/northstar"


class CountingBucket(InMemoryBucket):
    def __init__(self, per_minute: int) -> None:
        super().__init__([Rate(per_minute, Duration.MINUTE)])
        self.asks: list[int] = []

    def put(self, item: RateItem) -> bool:
        self.asks.append(item.weight)
        return bool(super().put(item))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _limiter(per_minute: int) -> tuple[SiteLimiter, CountingBucket, Clock]:
    bucket = CountingBucket(per_minute)
    clock = Clock()

    def bucket_for(site: str, limit: int) -> AbstractBucket:
        return bucket

    return SiteLimiter(bucket_for, per_minute=per_minute, clock=clock), bucket, clock


async def test_a_burst_of_requests_asks_the_shared_bucket_5_times_for_100_permits() -> None:
    limiter, bucket, _ = _limiter(per_minute=1000)
    for _ in range(100):
        await limiter.acquire(SITE)
    # Each lease spent within a second doubles the next: 5 + 10 + 20 + 40 + 50 >= 100 (was 20 asks of 5).
    assert bucket.asks == [5, 10, 20, 40, 50]
    limiter.close()


async def test_a_process_gone_quiet_leases_fewer_permits_again() -> None:
    limiter, bucket, clock = _limiter(per_minute=1000)
    for _ in range(35):
        await limiter.acquire(SITE)  # leases of 5, 10, 20: the last has 0 left
    for _ in range(3):
        clock.now += 10  # one request every 10 s: each lease outlasts two seconds
        for _ in range(5):
            await limiter.acquire(SITE)
    assert bucket.asks == [5, 10, 20, 10, 5]
    limiter.close()


async def test_a_lease_the_window_cannot_hold_is_asked_small_so_no_permit_is_lost() -> None:
    limiter, bucket, _ = _limiter(per_minute=30)
    granted = 0
    while await limiter.try_acquire(SITE):
        granted += 1
    assert granted == 30
    # 5, 10, then 20 refused (15 left) and 5 granted, then 10; then 20 and 5 both refused: empty.
    assert bucket.asks == [5, 10, 20, 5, 10, 20, 5]
    limiter.close()
