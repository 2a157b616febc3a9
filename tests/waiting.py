"""Waiting on a condition in a test: checked until true, with a deadline only as a safety net."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def wait_until(condition: Callable[[], object], *, within: float = 10.0, what: str = "") -> None:
    """Return once `condition()` is truthy; fail after `within` seconds (a hang, never an ordering)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"still waiting after {within}s: {what or condition}")
        await asyncio.sleep(0.005)
