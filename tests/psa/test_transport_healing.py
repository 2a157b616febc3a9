"""A connection pool that lost its slots to cancelled requests is rebuilt, and requests flow again."""

from __future__ import annotations

import asyncio
import ssl

import httpx

from bot.workspaces import HTTP_POOL, default_http
from psa.connectwise.sandbox import SandboxServer
from psa.transport import HealingTransport


async def cancellation_storm(client: httpx.AsyncClient, url: str) -> None:
    """Bursts of requests cancelled after 1..24 event-loop steps: some land between the pool handing a
    request a new connection and the request being written, which leaks that connection in httpcore."""

    async def one() -> None:
        await client.get(url)

    for steps in range(1, 25):
        tasks = [asyncio.create_task(one()) for _ in range(HTTP_POOL + 10)]
        for _ in range(steps):
            await asyncio.sleep(0)  # let the burst advance `steps` loop iterations (not a wait for time)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _busy(transport: httpx.AsyncHTTPTransport) -> int:
    return sum(1 for c in transport._pool.connections if not c.is_idle() and not c.is_closed())


async def test_a_plain_pool_is_wedged_by_the_storm(sandbox: SandboxServer) -> None:
    # The bug the healing transport exists for: every slot held by a cancelled request, for ever.
    plain = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=HTTP_POOL))
    async with httpx.AsyncClient(transport=plain, timeout=httpx.Timeout(5.0, pool=0.2)) as client:
        await cancellation_storm(client, sandbox.base_url + "/system/info")
        assert _busy(plain) == HTTP_POOL
        try:
            await client.get(sandbox.base_url + "/system/info")
        except httpx.PoolTimeout:
            pass
        else:
            raise AssertionError("a wedged pool answered")


async def test_after_a_cancellation_storm_every_request_is_answered(
    sandbox: SandboxServer, app_tls: ssl.SSLContext
) -> None:
    async with default_http(verify=app_tls) as client:
        await cancellation_storm(client, sandbox.base_url + "/system/info")

        after = sandbox.base_url + "/system/info?after=storm"  # told apart from late storm requests
        answers = await asyncio.gather(*(client.get(after) for _ in range(HTTP_POOL + 5)))

        assert {r.status_code for r in answers} == {401}  # reached ConnectWise (no credentials sent)
        reached = [r for r in sandbox.requests if r.query.get("after") == "storm"]
        assert len(reached) == HTTP_POOL + 5
        transport = client._transport
        assert isinstance(transport, HealingTransport)
        assert transport.rebuilds >= 1
