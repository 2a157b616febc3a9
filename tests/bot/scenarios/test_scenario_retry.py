"""ConnectWise briefly unavailable: reads are run again as jobs (the user told once), writes never are.

The app runs its real job engine here (embedded, procrastinate's in-process store) with no backoff
between attempts. An attempt that will be followed by another fails fast (one immediate retry per
call, `psa.retries`): the job engine does the waiting, not the client inside the job. The last
attempt keeps the harness's client policy (`TEST_RETRY`: 1 + 2 requests per call before the flow sees
the failure). Counts come from the sandbox's request log.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from round_trips import Since
from scenario_harness import DEMO, DEMO_MEMBER, TEST_RETRY, Slack, blocks_text, expected_open_tickets, row_ids

from bot.deps import AppDeps
from bot.flows.tell import RETRYING
from bot.jobs import JobsConfig
from bot.jobs.runtime import BoxSealer, Jobs
from psa.connectwise.client import QUICK_RETRY

MakeSlack = Callable[..., AbstractAsyncContextManager[Slack]]

ATTEMPTS = 3
# No waiting between attempts: the test waits on the queue being empty, never on a clock.
JOBS = JobsConfig(max_attempts=ATTEMPTS, retry_base=0, poll_interval=0.1, heartbeat=1.0, stalled_after=30.0)
# What one call of the ConnectWise client sends before it gives up on a 5xx: on the last attempt, and
# on an attempt that will be run again (failing fast: QUICK_RETRY).
PER_CALL = 1 + TEST_RETRY.max_retries
QUICK_PER_CALL = 1 + QUICK_RETRY.max_retries
TICKET = 1604  # "Printer offline on 4th floor", owner jdoe


def with_job_engine(deps: AppDeps) -> None:
    """Hand work to the job engine, as `serve` does, instead of the harness's plain tasks."""
    deps.jobs = Jobs(deps.settings, sealer=BoxSealer(deps.storage.box), config=JOBS)
    deps.jobs.attach(deps)


def ticket_list_reads(slack: Slack, since: Since) -> int:
    """`GET /service/tickets` (the list page itself, not its count) since the mark."""
    return sum(1 for r in since.trips().records if r.method == "GET" and r.path.endswith("/service/tickets"))


def told_in_order(slack: Slack) -> list[str]:
    """What each post to the command's response_url did: a new ephemeral, or a replacement."""
    return [post.outcome for post in slack.fake.responses]


async def test_a_list_read_that_meets_a_503_says_trying_again_then_shows_the_list(
    make_slack: MakeSlack,
) -> None:
    async with make_slack(configure=with_job_engine) as slack:
        since = Since(slack.sandbox)
        # Every request of the first attempt's list call fails; the next attempt gets through.
        slack.sandbox.inject_fault(
            method="GET", path_pattern=r"service/tickets$", status=503, count=QUICK_PER_CALL
        )

        await slack.command("mine")

        # Told "trying again" once, which the list then replaces: one message left, the list.
        assert told_in_order(slack) == ["ephemeral", "replaced"]
        assert RETRYING in blocks_text(slack.fake.responses[0].body)
        told = slack.ephemerals(DEMO)
        assert len(told) == 1, [blocks_text(m) for m in told]
        assert row_ids(told[0]) == expected_open_tickets(slack.sandbox, DEMO_MEMBER)[:25]
        # One failed attempt (its call retried once at once), then one list read that answered.
        assert ticket_list_reads(slack, since) == QUICK_PER_CALL + 1
        assert not slack.sandbox.state.faults.pending()


async def test_a_read_that_keeps_failing_is_told_once_then_plainly(make_slack: MakeSlack) -> None:
    async with make_slack(configure=with_job_engine) as slack:
        since = Since(slack.sandbox)
        slack.sandbox.inject_fault(method="GET", path_pattern=r"service/tickets$", status=503, count=None)

        await slack.command("mine")

        assert told_in_order(slack) == ["ephemeral", "replaced"]
        assert RETRYING in blocks_text(slack.fake.responses[0].body)
        told = [blocks_text(m) for m in slack.ephemerals(DEMO)]
        assert len(told) == 1, told
        assert "Couldn't load the tickets" in told[0] and "Try again" in told[0]
        # The attempts before the last failed fast; the last one kept the client's own retries.
        assert ticket_list_reads(slack, since) == (ATTEMPTS - 1) * QUICK_PER_CALL + PER_CALL


async def test_a_write_that_meets_a_503_is_sent_once_and_never_rerun(make_slack: MakeSlack) -> None:
    async with make_slack(configure=with_job_engine) as slack:
        since = Since(slack.sandbox)
        slack.sandbox.inject_fault(method="POST", path_pattern=r"time/entries$", status=503, count=None)

        await slack.command(f"time {TICKET} 30m reseated the tray")

        writes = [r for r in since.trips().records if r.method == "POST" and r.path.endswith("/time/entries")]
        assert len(writes) == 1
        told = [blocks_text(m) for m in slack.ephemerals(DEMO)]
        assert told, "the user is told what happened to the write"
        assert not any(RETRYING in text for text in told), told
