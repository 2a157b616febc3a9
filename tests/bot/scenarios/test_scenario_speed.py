"""Round trips and wall time with the sandbox at 100 ms per request (figures printed with -s).

Bounds are loose multiples of the latency: they catch a lost parallelism (an extra sequential
round), not machine speed.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable

from scenario_harness import DEMO, Slack, row_ids

from bot.ids import ListAction

LATENCY_S = 0.1


async def _timed(slack: Slack, action: Awaitable[object]) -> tuple[float, int]:
    slack.sandbox.clear_requests()
    started = time.perf_counter()
    await action
    return time.perf_counter() - started, len(slack.sandbox.requests)


async def test_tickets_mine_is_one_round_of_psa_requests_when_warm(slack: Slack) -> None:
    slack.sandbox.set_latency(int(LATENCY_S * 1000))
    cold_s, cold_n = await _timed(slack, slack.command("mine"))
    warm_s, warm_n = await _timed(slack, slack.command("mine"))
    print(f"\n/tickets mine: cold {cold_s * 1000:.0f} ms, {cold_n} requests;", end=" ")
    print(f"warm {warm_s * 1000:.0f} ms, {warm_n} requests")

    assert row_ids(slack.last_ephemeral(DEMO))
    assert warm_n == 2  # the page and its count, in parallel
    assert warm_s < 1.9 * LATENCY_S
    assert cold_s < 3.5 * LATENCY_S  # reference data (boards → statuses) beside the search


async def test_opening_a_detail_from_a_row_is_one_round_when_warm(slack: Slack) -> None:
    slack.sandbox.set_latency(int(LATENCY_S * 1000))
    await slack.command("mine")
    await slack.click(ListAction.OPEN, message=slack.last_ephemeral(DEMO), block_id="list.row.1296")  # warms
    figures = []
    for ticket_id in (1296, 1649):  # 1649 has a configuration: its details take a second request
        message = slack.last_ephemeral(DEMO)
        elapsed, requests = await _timed(
            slack, slack.click(ListAction.OPEN, message=message, block_id=f"list.row.{ticket_id}")
        )
        opened_at = slack.fake.calls_to("views.open")[-1].at
        hydrated_at = slack.fake.calls_to("views.update")[-1].at
        figures.append((ticket_id, elapsed, requests, hydrated_at - opened_at))
    for ticket_id, elapsed, requests, gap in figures:
        print(
            f"\ndetail #{ticket_id} from a row: hydrated after {elapsed * 1000:.0f} ms, {requests} requests "
            f"(loading view up {gap * 1000:.0f} ms before)"
        )
    assert figures[0][1] < 1.9 * LATENCY_S
    assert figures[1][1] < 2.9 * LATENCY_S


async def test_opening_a_detail_by_number_checks_existence_without_an_extra_round(slack: Slack) -> None:
    slack.sandbox.set_latency(int(LATENCY_S * 1000))
    await slack.command("1296")  # warms reference data (statuses of the board)
    slack.deps.rows.forget(slack.team, 1296)

    elapsed, requests = await _timed(slack, slack.command("1296"))

    print(f"\n/tickets 1296 (row not known): hydrated after {elapsed * 1000:.0f} ms, {requests} requests")
    assert elapsed < 2.9 * LATENCY_S  # ticket → contact/related, with the existence check beside them
