"""Small asyncio helpers shared by the PSA layer."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any


async def gather_all(*aws: Awaitable[Any]) -> list[Any]:
    """Run awaitables concurrently; on the first failure cancel the rest and re-raise that failure."""
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        # Let the cancelled siblings finish so nothing outlives this call or warns later.
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
