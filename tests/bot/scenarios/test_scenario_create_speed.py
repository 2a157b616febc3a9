"""PSA requests and rounds of a Quick Create parse and of a ticket creation.

Assertions count PSA requests and sequential rounds from the sandbox's request log (a request that
arrived after another one's answer is a later round); the sandbox answers a round only once all of its
requests have arrived (`together=`), so a busy machine does not change the count. Wall times are
measured by `python -m bench` (bench/rounds.py), not here.
"""

from __future__ import annotations

from create_driver import fire, success_posts, values_for
from round_trips import measure
from scenario_harness import Slack, blocks_text

from bot.ids import CreateAction

PROMPT = (
    "New ticket for Acme Corp, Outlook not syncing since yesterday, high priority, help desk, assign to me"
)


async def test_quick_create_parse_needs_at_most_one_round_once_the_modal_is_open(slack: Slack) -> None:
    # The modal opens, then the cache warms: companies, boards, priorities and members together.
    _, opened = await measure(slack.sandbox, slack.command(f"new {PROMPT}"), together=(4,))
    _, warm = await measure(slack.sandbox, slack.click(CreateAction.PARSE, view=slack.modal()))
    review = slack.modal()
    assert "Outlook" in blocks_text(review)

    service = await slack.deps.workspaces.service(slack.team)
    assert service is not None
    service.invalidate_reference_data()
    await slack.command(f"new {PROMPT}")
    modal = slack.modal()
    service.invalidate_reference_data()  # as if the modal had been open longer than the cache lives
    _, cold = await measure(slack.sandbox, slack.click(CreateAction.PARSE, view=modal), together=(4, 1))

    print(f"\n/tickets new PROMPT (+ cache warm-up after views.open): {opened}")
    print(f"Parse, warm cache: {warm}")
    print(f"Parse, cold cache: {cold}")
    assert opened.rounds == 1  # companies, boards, priorities, members in parallel, after the modal is up
    assert warm.requests <= 1 and warm.rounds <= 1  # only the named board's statuses
    assert cold.rounds == 2  # reference lists in parallel, then the board's statuses


async def test_creating_a_ticket_is_one_psa_write_made_after_the_ack(slack: Slack) -> None:
    await slack.command("new")
    await slack.click(CreateAction.BOARD, "1", view=slack.modal())
    form = slack.modal()
    slack.type_into(
        form, values_for(form, summary="Door badge reader offline", company=("Acme Corp", "42"), priority="3")
    )

    async def create() -> None:
        with slack.sandbox.holding():  # ConnectWise answers nothing: an ack that waited would not come
            sent = await fire(slack, form)
        slack.fake.apply_view_response(form["id"], sent.body)
        await slack.settle()

    _, created = await measure(slack.sandbox, create())

    print(f"\nCreate ticket, everything after the ack: {created}")
    assert [p for p in created.paths if not p.startswith("GET")] == ["POST /service/tickets"]
    assert len(success_posts(slack)) == 1
