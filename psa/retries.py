"""How hard a PSA client retries a read before giving up: with its own backoff (the default), or once
at once when the caller has a retry of its own that waits without holding anything (a job that is run
again later, instead of sleeping for seconds in the slot it holds)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_FAIL_FAST = ContextVar("psa_fail_fast_reads", default=False)


@contextmanager
def fail_fast_reads() -> Iterator[None]:
    """Within the block, a read that fails for a passing reason is retried once at once, then raised."""
    token = _FAIL_FAST.set(True)
    try:
        yield
    finally:
        _FAIL_FAST.reset(token)


def failing_fast() -> bool:
    """Whether the caller asked reads to fail fast (`fail_fast_reads`)."""
    return _FAIL_FAST.get()
