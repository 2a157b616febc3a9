"""PSA round trips of one action, read from the sandbox's request log (counts, never clocks)."""

from __future__ import annotations

from collections.abc import Awaitable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from psa.connectwise.sandbox import RequestRecord, SandboxServer, rounds

T = TypeVar("T")


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

    @property
    def by_round(self) -> list[list[str]]:
        """`METHOD /path` of the requests of each round (by causality, like `rounds`), sorted."""
        depth: dict[int, int] = {}
        for record in sorted(self.records, key=lambda r: r.received_seq):
            before = [depth[id(r)] for r in self.records if r.answered_seq < record.received_seq]
            depth[id(record)] = max(before, default=0) + 1
        found: list[list[str]] = [[] for _ in range(max(depth.values(), default=0))]
        for record in self.records:
            found[depth[id(record)] - 1].append(f"{record.method} {record.path}")
        return [sorted(paths) for paths in found]

    @property
    def shape(self) -> list[int]:
        """How many requests each round had, first round first."""
        return [len(paths) for paths in self.by_round]

    def __str__(self) -> str:
        return f"{self.requests} PSA requests in {self.rounds} round(s) {self.shape}: {self.by_round}"


class Since:
    """The requests received after this point; `since = Since(sandbox)` … `since.trips()`."""

    def __init__(self, sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        self.mark = sandbox.state.log.next_seq()

    def trips(self) -> RoundTrips:
        """Everything the sandbox received since the mark."""
        return RoundTrips([r for r in self.sandbox.requests if r.received_seq > self.mark])


@contextmanager
def sent_together(sandbox: SandboxServer, *sizes: int) -> Iterator[Since]:
    """Count the requests made inside the block, answering them in batches of `sizes`, round by round.

    `sizes` gives how many requests the code sends at once, round after round (e.g. `8, 2`): the
    sandbox answers none of a batch before all of it has arrived, so requests sent together overlap
    in the log and count as one round whatever the machine's load (causality, not timing). A batch
    that never filled (its requests were sent one after another, or fewer were sent) fails the block.
    """
    since = Since(sandbox)
    with sandbox.answering_together(*sizes) as batches:
        yield since
    short = batches.short()
    assert not short, f"requests expected together were not: {', '.join(map(str, short))}; {since.trips()}"


async def measure(
    sandbox: SandboxServer, action: Awaitable[T], *, together: Sequence[int] = ()
) -> tuple[T, RoundTrips]:
    """Run `action` and return its result with the PSA round trips it made.

    With `together` (see `sent_together`) the rounds are exact; without it requests are answered at
    once, so a count of rounds is only an upper bound (two requests sent together may not overlap).
    """
    if not together:
        since = Since(sandbox)
        return await action, since.trips()
    with sent_together(sandbox, *together) as since:
        result = await action
    return result, since.trips()
