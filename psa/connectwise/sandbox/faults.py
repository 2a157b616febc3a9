"""Injected faults and the request log of a sandbox."""

from __future__ import annotations

import heapq
import re
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

MAX_LOGGED_REQUESTS = 50_000
DROPPED = 0  # status recorded for a request whose connection was dropped


@dataclass
class Fault:
    """The next `count` requests matching method+path fail this way (count None = until cleared)."""

    method: str = "*"
    path_pattern: str = ".*"
    status: int | None = 500
    count: int | None = 1
    retry_after: int | None = None
    body: Any = None
    delay_ms: int = 0
    drop_connection: bool = False
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._regex = re.compile(self.path_pattern)

    def matches(self, method: str, paths: tuple[str, ...]) -> bool:
        """Whether a request is subject to this fault (path relative to the API root or full)."""
        if self.method != "*" and self.method.upper() != method.upper():
            return False
        return any(self._regex.search(p) for p in paths)

    @property
    def passes_through(self) -> bool:
        """A pure slowness fault: delay, then answer normally."""
        return not self.drop_connection and (self.status is None or (self.status < 300 and self.body is None))

    def describe(self) -> dict[str, Any]:
        """JSON-friendly view."""
        data = asdict(self)
        data.pop("_regex", None)
        return data


def throttle_body(seconds: int) -> dict[str, str]:
    """ConnectWise's 429 body, which differs in shape from other errors."""
    return {
        "error": "ConnectWiseAPI",
        "message": f"Too many requests. Please try again in {seconds} seconds.",
    }


_DEFAULT_MESSAGES = {
    400: ("InvalidObject", "The request is invalid."),
    401: ("Unauthorized", "Authentication failed."),
    403: ("Forbidden", "You do not have permission to perform this action."),
    404: ("NotFound", "The requested resource was not found."),
    409: ("Conflict", "The record was changed by another request."),
    500: ("ConnectWiseApi", "An error occurred on the server. Please try again."),
    502: ("ConnectWiseApi", "Bad gateway."),
    503: ("ConnectWiseApi", "The service is temporarily unavailable."),
    504: ("ConnectWiseApi", "The server timed out."),
}


def fault_body(fault: Fault) -> Any:
    """The body a fault answers with (its own, or a ConnectWise-shaped default)."""
    if fault.body is not None:
        return fault.body
    status = fault.status or 500
    if status == 429:
        return throttle_body(fault.retry_after if fault.retry_after is not None else 1)
    code, message = _DEFAULT_MESSAGES.get(status, ("ConnectWiseApi", f"HTTP {status}"))
    return {"code": code, "message": message, "errors": None}


class FaultRegistry:
    """Thread-safe list of pending faults, consumed first-match-first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Register a fault."""
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        """Remove every pending fault."""
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        """Faults still armed."""
        with self._lock:
            return list(self._faults)

    def take(self, method: str, paths: tuple[str, ...]) -> Fault | None:
        """Consume one use of the first fault matching this request."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, paths):
                    if fault.count is not None:
                        fault.count -= 1
                        if fault.count <= 0:
                            self._faults.remove(fault)
                    return fault
        return None


@dataclass(frozen=True)
class RequestRecord:
    """One request the sandbox answered (path is relative to the API root when under it)."""

    method: str
    path: str
    query: dict[str, str]
    status: int
    timestamp: float
    full_path: str = ""
    body: Any = None
    # Positions on the log's one counter, taken when the request arrived and when its answer was made:
    # B can only have been sent after A's answer reached the client if B.received_seq > A.answered_seq.
    received_seq: int = 0
    answered_seq: int = 0

    def to_json(self) -> dict[str, Any]:
        """JSON-friendly view."""
        return asdict(self)


class RequestLog:
    """Bounded, thread-safe log of answered requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: deque[RequestRecord] = deque(maxlen=MAX_LOGGED_REQUESTS)
        self._seq = 0

    def next_seq(self) -> int:
        """The next value of the log's counter (never reset, so it orders requests across clears)."""
        with self._lock:
            self._seq += 1
            return self._seq

    def append(self, record: RequestRecord) -> None:
        """Record a request."""
        with self._lock:
            self._items.append(record)

    def clear(self) -> None:
        """Forget every request."""
        with self._lock:
            self._items.clear()

    def snapshot(self) -> list[RequestRecord]:
        """A copy of the log, oldest first."""
        with self._lock:
            return list(self._items)

    def count(self, method: str | None = None, path_contains: str | None = None) -> int:
        """How many logged requests match the method and path substring."""
        return sum(
            1
            for r in self.snapshot()
            if (method is None or r.method.upper() == method.upper())
            and (path_contains is None or path_contains in r.path or path_contains in r.full_path)
        )

    def rounds(self) -> int:
        """Sequential rounds of the logged requests (see `rounds`)."""
        return rounds(self.snapshot())


class Sequenced(Protocol):
    """Anything stamped like a logged request: when it was received and when it was answered."""

    @property
    def received_seq(self) -> int: ...

    @property
    def answered_seq(self) -> int: ...


def rounds(records: Iterable[Sequenced]) -> int:
    """The longest chain of requests each received after the previous one was answered.

    That is the number of round trips a client needed one after another (its critical path): requests
    sent together count once however the server interleaved them, and no clock is involved.
    """
    answered: list[tuple[int, int]] = []  # (answered_seq, depth) of requests not yet known to be before
    deepest_before = deepest = 0
    for record in sorted(records, key=lambda r: r.received_seq):
        # Anything answered before this one arrived was also received before it, so its depth is known.
        while answered and answered[0][0] < record.received_seq:
            deepest_before = max(deepest_before, heapq.heappop(answered)[1])
        depth = deepest_before + 1
        heapq.heappush(answered, (record.answered_seq, depth))
        deepest = max(deepest, depth)
    return deepest
