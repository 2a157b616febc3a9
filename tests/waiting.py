"""Waiting on a condition in a test: checked until true, with a deadline only as a safety net."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import uvicorn


async def wait_until(condition: Callable[[], object], *, within: float = 10.0, what: str = "") -> None:
    """Return once `condition()` is truthy; fail after `within` seconds (a hang, never an ordering)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"still waiting after {within}s: {what or condition}")
        await asyncio.sleep(0.005)


async def until_serving(server: uvicorn.Server, task: asyncio.Task[None]) -> int:
    """Wait until a uvicorn server started as `task` listens (re-raising its start-up error); its port."""
    await wait_until(lambda: server.started or task.done(), within=30, what="uvicorn to start")
    if task.done():
        task.result()
    return int(server.servers[0].sockets[0].getsockname()[1])
