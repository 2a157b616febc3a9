"""PSA requests and wall time of a Quick Create parse and of a ticket creation, sandbox at 100 ms/request.

Assertions count PSA requests and sequential rounds (bursts in the sandbox's request log), which a busy
machine does not change; wall times are printed for the report (run with -s).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable

from create_driver import fire, success_posts, values_for
from scenario_harness import Slack, blocks_text

from bot.ids import CreateAction

LATENCY_S = 0.1
PROMPT = (
    "New ticket for Acme Corp, Outlook not syncing since yesterday, high priority, help desk, assign to me"
)


class Measured:
    """Wall time, PSA requests (by path) and sequential rounds of one user action."""

    def __init__(self, seconds: float, requests: list[tuple[float, str]]) -> None:
        self.seconds = seconds
        self.requests = len(requests)
        self.paths = sorted(path for _, path in requests)
        self.rounds = 0
        last: float | None = None
        for ts, _ in sorted(requests):
            if last is None or ts - last > LATENCY_S / 2:
                self.rounds += 1
            last = ts

    def __str__(self) -> str:
        rounds = f"{self.requests} PSA requests in {self.rounds} round(s)"
        return f"{self.seconds * 1000:.0f} ms, {rounds} {self.paths}"


async def measure(slack: Slack, action: Awaitable[object]) -> Measured:
    slack.sandbox.clear_requests()
    started = time.perf_counter()
    await action
    elapsed = time.perf_counter() - started
    return Measured(elapsed, [(r.timestamp, f"{r.method} {r.path}") for r in slack.sandbox.requests])


async def test_quick_create_parse_needs_at_most_one_round_once_the_modal_is_open(slack: Slack) -> None:
    slack.sandbox.set_latency(int(LATENCY_S * 1000))
    opened = await measure(slack, slack.command(f"new {PROMPT}"))  # opens at once, then warms the cache
    warm = await measure(slack, slack.click(CreateAction.PARSE, view=slack.modal()))
    review = slack.modal()
    assert "Outlook" in blocks_text(review)

    service = await slack.deps.workspaces.service(slack.team)
    assert service is not None
    service.invalidate_reference_data()
    await slack.command(f"new {PROMPT}")
    modal = slack.modal()
    service.invalidate_reference_data()  # as if the modal had been open longer than the cache lives
    cold = await measure(slack, slack.click(CreateAction.PARSE, view=modal))

    print(f"\n/tickets new PROMPT (+ cache warm-up after views.open): {opened}")
    print(f"Parse, warm cache: {warm}")
    print(f"Parse, cold cache: {cold}")
    assert opened.rounds == 1  # companies, boards, priorities, members in parallel, after the modal is up
    assert warm.requests <= 1 and warm.rounds <= 1  # only the named board's statuses
    assert cold.rounds == 2  # reference lists in parallel, then the board's statuses


async def test_creating_a_ticket_is_one_psa_write(slack: Slack) -> None:
    await slack.command("new")
    await slack.click(CreateAction.BOARD, "1", view=slack.modal())
    form = slack.modal()
    slack.type_into(
        form, values_for(form, summary="Door badge reader offline", company=("Acme Corp", "42"), priority="3")
    )
    slack.sandbox.set_latency(int(LATENCY_S * 1000))
    seq = slack.fake.last_seq

    slack.sandbox.clear_requests()
    wall_start = time.time()
    started = time.perf_counter()
    sent = await fire(slack, form)
    ack_s = time.perf_counter() - started
    slack.fake.apply_view_response(form["id"], sent.body)
    await slack.settle()
    total_s = time.perf_counter() - started
    shown_at = next(
        c.at
        for c in slack.fake.calls_after(seq)
        if c.method == "views.update" and "created in" in str(c.args)
    )
    requests = [(r.timestamp, f"{r.method} {r.path}") for r in slack.sandbox.requests]
    writes = [p for _, p in requests if not p.startswith("GET")]
    created = Measured(total_s, requests)

    print(f"\nCreate ticket: ack {ack_s * 1000:.0f} ms; all follow-up done {created}")
    print(f"  result view shown {(shown_at - wall_start) * 1000:.0f} ms after Create ticket")
    assert writes == ["POST /service/tickets"]
    assert ack_s < 1.0  # "Creating…" at once; the PSA call happens after the ack
    assert len(success_posts(slack)) == 1
