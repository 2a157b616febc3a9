"""Answers held until a batch of requests has arrived: what a client sends together is answered together.

Counting rounds from the request log needs requests sent together to overlap in it (each received
before any of them is answered). A latency only makes that likely; holding the answers until the
expected number of requests has arrived makes it certain, whatever the machine's load: a client that
sends them one after another never fills the batch, which is let go after `within` seconds (a
safety net, not a measure) and reported as short.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class Batch:
    """One batch: how many requests were expected together, and the ones that arrived in it."""

    expected: int
    arrived: list[str] = field(default_factory=list)

    @property
    def full(self) -> bool:
        """Whether every expected request arrived before the batch was let go."""
        return len(self.arrived) >= self.expected

    def __str__(self) -> str:
        return f"{len(self.arrived)} of {self.expected} {self.arrived}"


class Batches:
    """Hold each request until its batch is full (`sizes[0]` requests, then `sizes[1]`, …); then pass.

    Runs on the sandbox's event loop; the test thread reads `short()` once the batches are released.
    """

    def __init__(self, sizes: Sequence[int], *, within: float = 10.0) -> None:
        if not sizes or any(size < 1 for size in sizes):
            raise ValueError(f"batch sizes must be positive: {list(sizes)}")
        self._lock = threading.Lock()
        self._batches = [Batch(expected=size) for size in sizes]
        self._within = within
        self._current = 0
        self._gates: dict[int, asyncio.Event] = {}

    async def arrive(self, what: str) -> None:
        """Called for each API request as it arrives: returns once its batch is full (or let go)."""
        with self._lock:
            index = self._current
            if index >= len(self._batches):
                return
            batch = self._batches[index]
            batch.arrived.append(what)
            gate = self._gates.setdefault(index, asyncio.Event())
            if len(batch.arrived) >= batch.expected:
                self._current += 1
                gate.set()
                return
        try:
            await asyncio.wait_for(gate.wait(), self._within)
        except TimeoutError:
            self._let_go(index)

    def release(self) -> None:
        """Answer everything held and hold nothing more (on the sandbox's loop)."""
        for index in range(len(self._batches)):
            self._let_go(index)

    def short(self) -> list[Batch]:
        """Batches not full (so far): fewer requests were sent together than expected."""
        with self._lock:
            return [Batch(b.expected, list(b.arrived)) for b in self._batches if not b.full]

    def _let_go(self, index: int) -> None:
        with self._lock:
            gate = self._gates.setdefault(index, asyncio.Event())
            if gate.is_set():
                return
            self._current = max(self._current, index + 1)
            gate.set()
