"""A clock a test moves by hand: what expires in a fake expires when the test says, not with load."""

from __future__ import annotations


class ManualClock:
    """A monotonic clock standing still until `advance()`; pass it where a fake takes `clock=`."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward (never back)."""
        assert seconds >= 0, "a monotonic clock does not go back"
        self.now += seconds
