"""PSA round trips of the common actions (figures with -s).

Assertions count PSA requests and sequential rounds from the sandbox's request log (a request that
arrived after another one's answer is a later round). The sandbox answers each round only once all of
its requests have arrived (`together=`), so requests sent together are one round by causality, however
busy the machine. Wall times are measured by `python -m bench` (bench/rounds.py), not here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence

from round_trips import RoundTrips
from round_trips import measure as measure_trips
from scenario_harness import DEMO, Slack, row_block, row_ids

from bot.ids import ListAction


async def measure(slack: Slack, action: Awaitable[object], together: Sequence[int]) -> RoundTrips:
    _, trips = await measure_trips(slack.sandbox, action, together=together)
    return trips


async def test_tickets_mine_is_one_round_of_psa_requests_when_warm(slack: Slack) -> None:

    # the member, boards and priorities; then the page and its count beside the boards' statuses
    cold = await measure(slack, slack.command("mine"), together=(3, 7))
    warm = await measure(slack, slack.command("mine"), together=(2,))

    print(f"\n/tickets mine: cold {cold}; warm {warm}")
    assert row_ids(slack.last_ephemeral(DEMO))
    assert warm.requests == 2 and warm.rounds == 1  # the page and its count, in parallel
    assert cold.rounds == 2  # boards → statuses for the filter bar, beside the search


async def test_opening_a_detail_from_a_row_is_one_round_when_warm(slack: Slack) -> None:
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
        together=(10,),
    )
    # 1649 has a configuration: the ticket's device links must be read before the devices themselves.
    with_device = await measure(
        slack,
        slack.click(
            ListAction.OPEN,
            message=slack.last_ephemeral(DEMO),
            block_id=row_block(slack.last_ephemeral(DEMO), 1649),
        ),
        together=(10, 1),
    )

    print(f"\ndetail #1296 from a row: hydrated view published after {plain}")
    print(f"detail #1649 (with a configuration) from a row: {with_device}")
    assert plain.rounds == 1
    assert with_device.rounds == 2


async def test_opening_a_detail_by_number_checks_existence_without_an_extra_round(slack: Slack) -> None:
    await slack.command("1296")  # warms reference data (the board's statuses)
    slack.deps.rows.forget(slack.team, 1296)

    by_number = await measure(slack, slack.command("1296"), together=(8, 3))

    print(f"\n/tickets 1296 (row not known): hydrated after {by_number}")
    assert by_number.rounds == 2  # ticket (+ existence check beside it) → contact and related tickets


async def test_publishing_the_home_tab_is_one_round_when_warm(slack: Slack) -> None:
    from bot.local.payloads import app_home_opened_event

    channel = slack.fake.dm_channel(DEMO)
    cold = await measure(slack, slack.event(app_home_opened_event(DEMO, channel=channel)), together=(2, 2))
    home = slack.fake.home_view(DEMO)
    warm = await measure(
        slack, slack.event(app_home_opened_event(DEMO, channel=channel, view=home)), together=(2,)
    )

    print(f"\nHome tab (app_home_opened → views.publish): cold {cold}; warm {warm}")
    assert slack.fake.calls_to("views.publish")
    assert warm.rounds == 1
