"""Exactly once, beyond the creation scenarios (which cover the Full Form fired 5×, a resubmit during a
slow create, an unconfirmed create and two processes): the Quick Create and suggestion paths fired 5×
at once, a resubmit after a timeout against another app process, and Slack's event retries racing
the first delivery or arriving at a restarted process."""

from __future__ import annotations

import asyncio
import ssl
from functools import partial
from typing import Any

from create_driver import apply, fire, post_count, success_posts
from cryptography.fernet import Fernet
from reliability_kit import ack
from scenario_harness import CHANNEL, DEMO, NEWBIE, Sent, Slack, _parsed, blocks_text, serve_app
from scenario_harness import test_factories as provider_factories
from scenario_spinoff_kit import OUTLOOK_TICKET, link_thread, reply, say, suggestions

from bot.deps import build_deps
from bot.ids import CreateAction, SuggestionAction
from bot.local import payloads as p
from bot.views.suggestion import read_suggestion_value
from storage import Storage, SuggestionState
from storage.repositories import suggestions as suggestion_repo

PROMPT = (
    "New ticket for Acme Corp: label printer in shipping jams on every print, high priority, assign to me"
)


def tickets_about(slack: Slack, words: str) -> list[dict[str, Any]]:
    store = slack.sandbox.state.store
    with store.lock:
        return [dict(t) for t in store.tables["tickets"].values() if words in t["summary"].lower()]


async def reviewed_quick_create(slack: Slack) -> dict[str, Any]:
    """`/tickets new PROMPT` → Parse → the board picked: the review form, ready to submit."""
    await slack.command(f"new {PROMPT}")
    await slack.click(CreateAction.PARSE, view=slack.modal())
    await slack.click(CreateAction.BOARD, "1", view=slack.modal())
    return slack.modal()


async def fire_and_apply(slack: Slack, form: dict[str, Any]) -> Sent:
    sent = await fire(slack, form, as_is=True)
    apply(slack, form["id"], sent)
    return sent


async def test_quick_create_review_submitted_five_times_at_once_makes_one_ticket(slack: Slack) -> None:
    form = await reviewed_quick_create(slack)
    slack.sandbox.set_latency(40)

    acks = await asyncio.gather(*(fire_and_apply(slack, form) for _ in range(5)))
    await slack.settle()

    assert all(a.status == 200 for a in acks)
    assert post_count(slack) == 1 and len(tickets_about(slack, "label printer")) == 1
    assert len(success_posts(slack)) == 1
    assert "created in ConnectWise" in blocks_text(slack.modal())


async def test_a_suggested_ticket_submitted_five_times_at_once_makes_one_ticket_and_one_replacement(
    slack: Slack,
) -> None:
    parent = say(slack, "Marcus says Outlook stopped syncing this morning", user=NEWBIE)
    await link_thread(slack, parent, str(OUTLOOK_TICKET))
    await reply(slack, parent["ts"], "Also, the printer on the 2nd floor is offline", user=NEWBIE)
    [suggestion] = suggestions(slack, parent["ts"])
    value = suggestion["blocks"][1]["elements"][0]["value"]
    await slack.click(SuggestionAction.CREATE, value, message=suggestion)
    await slack.click(CreateAction.PARSE, view=slack.modal())
    form = slack.modal()
    slack.sandbox.set_latency(40)

    await asyncio.gather(*(fire_and_apply(slack, form) for _ in range(5)))
    await slack.settle()

    assert post_count(slack) == 1 and len(tickets_about(slack, "printer on the 2nd floor")) == 1
    replaced = [
        c
        for c in slack.fake.calls_to("chat.update")
        if c.args.get("ts") == suggestion["ts"] and c.status == 200
    ]
    assert len(replaced) == 1 and "created in ConnectWise" in str(replaced[0].args.get("text"))
    stored = await slack.store.read(
        partial(suggestion_repo.get_suggestion, suggestion_id=read_suggestion_value(value)[0])
    )
    assert stored is not None and stored.state == SuggestionState.CREATED
    assert len(success_posts(slack)) == 1


async def test_a_resubmit_after_a_timeout_reaching_another_process_makes_no_second_ticket(
    slack: Slack, app_tls: ssl.SSLContext, app_key: bytes
) -> None:
    """Slack gave up waiting for the first ack (a slow create), the user pressed Create again, and the
    load balancer sent it to the other app process."""
    form = await reviewed_quick_create(slack)
    settings = slack.deps.settings
    other = build_deps(
        settings,
        storage=Storage(settings.database_url, Fernet(app_key)),
        factories=provider_factories(app_tls),
    )
    try:
        async with serve_app(settings, other, slack.fake) as second:
            # ConnectWise is slow to create: while it holds, the first delivery is still creating.
            with slack.sandbox.holding():
                await fire(slack, form, as_is=True)
                body = p.view_submission(form, user=DEMO, trigger_id=slack.fake.new_trigger_id(DEMO))
                again = _parsed(await second.send(*body))
            await asyncio.gather(slack.settle(), other.work.drain(20))
    finally:
        await other.aclose()

    assert again.status == 200 and "Already creating" in blocks_text(again.body["view"])
    assert post_count(slack) == 1 and len(tickets_about(slack, "label printer")) == 1
    assert len(success_posts(slack)) == 1


async def test_event_retries_racing_the_first_delivery_post_one_suggestion(slack: Slack) -> None:
    parent = say(slack, "Marcus says Outlook stopped syncing this morning", user=NEWBIE)
    await link_thread(slack, parent, str(OUTLOOK_TICKET))
    message = say(
        slack, "Also the scanner in accounting shows a paper jam error", user=NEWBIE, thread_ts=parent["ts"]
    )
    event = p.message_event(
        CHANNEL,
        user=NEWBIE,
        text=message["text"],
        ts=message["ts"],
        thread_ts=parent["ts"],
        team_id=slack.team,
    )
    body = p.event_callback(event, team_id=slack.team, event_id="Ev0SCANNER")

    # The first delivery and Slack's three retries (it thought the first timed out) at once, each acked
    # while ConnectWise holds every answer: no ack waits for it.
    with slack.sandbox.holding():
        deliveries = await asyncio.gather(
            ack(slack, body), *(ack(slack, body, retry_num=n, retry_reason="http_timeout") for n in (1, 2, 3))
        )
    await slack.settle()

    assert all(sent.status == 200 for sent in deliveries)
    assert len(suggestions(slack, parent["ts"])) == 1


async def test_an_event_retry_reaching_a_restarted_process_posts_nothing_more(
    slack: Slack, app_tls: ssl.SSLContext, app_key: bytes
) -> None:
    parent = say(slack, "Marcus says Outlook stopped syncing this morning", user=NEWBIE)
    await link_thread(slack, parent, str(OUTLOOK_TICKET))
    message = say(
        slack, "Also the scanner in accounting shows a paper jam error", user=NEWBIE, thread_ts=parent["ts"]
    )
    event = p.message_event(
        CHANNEL,
        user=NEWBIE,
        text=message["text"],
        ts=message["ts"],
        thread_ts=parent["ts"],
        team_id=slack.team,
    )
    body = p.event_callback(event, team_id=slack.team, event_id="Ev0RESTART")
    await slack.send(body)
    [suggestion] = suggestions(slack, parent["ts"])
    await slack.click(
        SuggestionAction.DISMISS,
        read_suggestion_value(suggestion["blocks"][1]["elements"][0]["value"])[0],
        message=suggestion,
    )

    settings = slack.deps.settings
    restarted = build_deps(
        settings,
        storage=Storage(settings.database_url, Fernet(app_key)),
        factories=provider_factories(app_tls),
    )
    try:
        async with serve_app(settings, restarted, slack.fake) as after_restart:
            for retry in (1, 2):
                resp = await after_restart.send(*body, retry_num=retry)
                assert resp.status_code == 200
            await restarted.work.drain(20)
    finally:
        await restarted.aclose()

    assert suggestions(slack, parent["ts"]) == []  # dismissed, and the retries did not bring it back
    posted = [
        c for c in slack.fake.calls_to("chat.postMessage") if "Create ticket" in str(c.args.get("text"))
    ]
    assert len(posted) == 1
