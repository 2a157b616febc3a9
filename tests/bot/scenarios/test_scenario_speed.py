"""PSA round trips and wall time with the sandbox at 100 ms per request (figures printed with -s).

Assertions count sequential rounds of PSA requests (bursts in the sandbox's request log), which a
busy machine does not change; wall times are printed for the report.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable

from scenario_harness import DEMO, Slack, row_block, row_ids

from bot.ids import ListAction

LATENCY_S = 0.1


class Measured:
    """Wall time, request count and sequential rounds of one user action."""

    def __init__(self, seconds: float, timestamps: list[float]) -> None:
        self.seconds = seconds
        self.requests = len(timestamps)
        self.rounds = 0
        last: float | None = None
        for ts in sorted(timestamps):
            if last is None or ts - last > LATENCY_S / 2:
                self.rounds += 1
            last = ts

    def __str__(self) -> str:
        return f"{self.seconds * 1000:.0f} ms, {self.requests} requests in {self.rounds} round(s)"


async def measure(slack: Slack, action: Awaitable[object]) -> Measured:
    slack.sandbox.clear_requests()
    started = time.perf_counter()
    await action
    elapsed = time.perf_counter() - started
    return Measured(elapsed, [r.timestamp for r in slack.sandbox.requests])


async def test_tickets_mine_is_one_round_of_psa_requests_when_warm(slack: Slack) -> None:
    slack.sandbox.set_latency(int(LATENCY_S * 1000))

    cold = await measure(slack, slack.command("mine"))
    warm = await measure(slack, slack.command("mine"))

    print(f"\n/tickets mine: cold {cold}; warm {warm}")
    assert row_ids(slack.last_ephemeral(DEMO))
    assert warm.requests == 2 and warm.rounds == 1  # the page and its count, in parallel
    assert cold.rounds == 2  # boards → statuses for the filter bar, beside the search


async def test_opening_a_detail_from_a_row_is_one_round_when_warm(slack: Slack) -> None:
    slack.sandbox.set_latency(int(LATENCY_S * 1000))
    await slack.command("mine")
    await slack.click(
        ListAction.OPEN,
        message=slack.last_ephemeral(DEMO),
        block_id=row_block(slack.last_ephemeral(DEMO), 1296),
    )  # warms

    plain = await measure(
        slack,
        slack.click(
            ListAction.OPEN,
            message=slack.last_ephemeral(DEMO),
            block_id=row_block(slack.last_ephemeral(DEMO), 1296),
        ),
    )
    gap = slack.fake.calls_to("views.update")[-1].at - slack.fake.calls_to("views.open")[-1].at
    # 1649 has a configuration: the ticket's device links must be read before the devices themselves.
    with_device = await measure(
        slack,
        slack.click(
            ListAction.OPEN,
            message=slack.last_ephemeral(DEMO),
            block_id=row_block(slack.last_ephemeral(DEMO), 1649),
        ),
    )

    print(f"\ndetail #1296 from a row: hydrated view published after {plain}", end=" ")
    print(f"(loading view up {gap * 1000:.0f} ms)")
    print(f"detail #1649 (with a configuration) from a row: {with_device}")
    assert plain.rounds == 1
    assert with_device.rounds == 2


async def test_opening_a_detail_by_number_checks_existence_without_an_extra_round(slack: Slack) -> None:
    slack.sandbox.set_latency(int(LATENCY_S * 1000))
    await slack.command("1296")  # warms reference data (the board's statuses)
    slack.deps.rows.forget(slack.team, 1296)

    by_number = await measure(slack, slack.command("1296"))

    print(f"\n/tickets 1296 (row not known): hydrated after {by_number}")
    assert by_number.rounds == 2  # ticket (+ existence check beside it) → contact and related tickets


async def test_publishing_the_home_tab_is_one_round_when_warm(slack: Slack) -> None:
    from bot.local.payloads import app_home_opened_event

    slack.sandbox.set_latency(int(LATENCY_S * 1000))
    channel = slack.fake.dm_channel(DEMO)
    cold = await measure(slack, slack.event(app_home_opened_event(DEMO, channel=channel)))
    home = slack.fake.home_view(DEMO)
    warm = await measure(slack, slack.event(app_home_opened_event(DEMO, channel=channel, view=home)))

    print(f"\nHome tab (app_home_opened → views.publish): cold {cold}; warm {warm}")
    assert slack.fake.calls_to("views.publish")
    assert warm.rounds == 1
