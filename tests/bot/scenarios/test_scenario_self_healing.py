"""A burst of cancelled work never leaves a workspace's ConnectWise client unusable."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import scenario_harness
from scenario_harness import DEMO, DEMO_MEMBER, TEAM, Slack, expected_open_tickets, row_ids

from bot.deps import AppDeps
from bot.workspaces import HTTP_POOL, WorkspaceRegistry, default_http

MakeSlack = Callable[..., AbstractAsyncContextManager[Slack]]


def production_pools(tls: ssl.SSLContext) -> Callable[[AppDeps], None]:
    """Give the app the production HTTP pools (the harness's plain clients would stay wedged)."""

    def configure(deps: AppDeps) -> None:
        deps.workspaces = WorkspaceRegistry(
            deps.storage,
            factories=scenario_harness.test_factories(tls),
            http_factory=lambda: default_http(verify=tls),
        )
        deps.parsers._workspaces = deps.workspaces

    return configure


async def test_after_a_burst_of_cancelled_work_tickets_mine_answers_normally(
    make_slack: MakeSlack, app_tls: ssl.SSLContext
) -> None:
    async with make_slack(configure=production_pools(app_tls)) as slack:
        service = await slack.deps.workspaces.service(TEAM)
        assert service is not None
        ticket_id = expected_open_tickets(slack.sandbox, DEMO_MEMBER)[0]

        # Bursts of ticket reads, each cancelled a few event-loop steps in (as a gather cancels its
        # siblings when one fails): the cancellations land between connecting and sending.
        for steps in range(1, 25):
            burst = [asyncio.create_task(service.get_ticket(ticket_id)) for _ in range(HTTP_POOL + 10)]
            for _ in range(steps):
                await asyncio.sleep(0)
            for task in burst:
                task.cancel()
            await asyncio.gather(*burst, return_exceptions=True)
        slack.sandbox.clear_requests()

        await slack.command("mine")

        assert row_ids(slack.last_ephemeral(DEMO)) == expected_open_tickets(slack.sandbox, DEMO_MEMBER)[:25]
        # One search (the page and its count) reached ConnectWise, nothing waited on a dead pool.
        assert slack.sandbox.request_count("GET", "/service/tickets/count") == 1
