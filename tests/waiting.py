"""Waiting on a condition in a test: checked until true, with a deadline only as a safety net."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import uvicorn

T = TypeVar("T")


async def wait_until(
    condition: Callable[[], T | Awaitable[T]], *, within: float = 30.0, every: float = 0.005, what: str = ""
) -> T:
    """The first truthy value of `condition()` (awaited when async); fails after `within` seconds.

    The deadline only turns a hang into a failure: nothing may depend on how long the wait took.
    """
    deadline = time.monotonic() + within
    while True:
        value = condition()
        found: T = await value if inspect.isawaitable(value) else value  # type: ignore[assignment]
        if found:
            return found
        if time.monotonic() >= deadline:
            raise AssertionError(f"still waiting after {within}s: {what or condition}")
        await asyncio.sleep(every)


def wait_until_blocking(
    condition: Callable[[], T], *, within: float = 30.0, every: float = 0.01, what: str = ""
) -> T:
    """`wait_until` for synchronous tests (e.g. Playwright's sync API): blocks the thread between checks."""
    deadline = time.monotonic() + within
    while not (found := condition()):
        if time.monotonic() >= deadline:
            raise AssertionError(f"still waiting after {within}s: {what or condition}")
        time.sleep(every)
    return found


async def until_serving(server: uvicorn.Server, task: asyncio.Task[None]) -> int:
    """Wait until a uvicorn server started as `task` listens (re-raising its start-up error); its port."""
    await wait_until(lambda: server.started or task.done(), within=30, what="uvicorn to start")
    if task.done():
        task.result()
    return int(server.servers[0].sockets[0].getsockname()[1])
