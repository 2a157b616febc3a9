"""Supervised background work: what a listener starts after `ack()` is tracked, logged and drainable."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class TaskSupervisor:
    """Keeps strong references to post-ack tasks so none is garbage-collected or fails silently."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Run `coro` in the background; exceptions are logged with the task name."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("background task %s failed", task.get_name(), exc_info=exc)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self, within: float = 30.0) -> None:
        """Wait up to `within` seconds for every running task (and those they start) to finish."""
        try:
            async with asyncio.timeout(within):
                while self._tasks:
                    await asyncio.wait(set(self._tasks))
        except TimeoutError:
            raise TimeoutError(f"{len(self._tasks)} background tasks still running") from None

    async def cancel_all(self) -> None:
        """Cancel everything still running (shutdown)."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
