"""PSA round trips of one action, read from the sandbox's request log (counts, never clocks)."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

from psa.connectwise.sandbox import RequestRecord, SandboxServer, rounds

T = TypeVar("T")

# Latency (ms) for the sandbox while rounds are counted: requests a client sends together arrive well
# within it, so they overlap in the log however busy the machine is; only the overlap matters, not time.
OVERLAP_MS = 200


@dataclass(frozen=True)
class RoundTrips:
    """The requests an action made and how many of them had to wait for an earlier answer."""

    records: list[RequestRecord]

    @property
    def requests(self) -> int:
        """How many requests the sandbox answered."""
        return len(self.records)

    @property
    def rounds(self) -> int:
        """Sequential rounds: the longest chain of requests each sent after an earlier one's answer."""
        return rounds(self.records)

    @property
    def paths(self) -> list[str]:
        """`METHOD /path` of every request, sorted."""
        return sorted(f"{r.method} {r.path}" for r in self.records)

    def __str__(self) -> str:
        return f"{self.requests} PSA requests in {self.rounds} round(s) {self.paths}"


class Since:
    """The requests received after this point; `since = Since(sandbox)` … `since.trips()`."""

    def __init__(self, sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        self.mark = sandbox.state.log.next_seq()

    def trips(self) -> RoundTrips:
        """Everything the sandbox received since the mark."""
        return RoundTrips([r for r in self.sandbox.requests if r.received_seq > self.mark])


async def measure(sandbox: SandboxServer, action: Awaitable[T]) -> tuple[T, RoundTrips]:
    """Run `action` and return its result with the PSA round trips it made."""
    since = Since(sandbox)
    result = await action
    return result, since.trips()
