"""Failure states end to end: PSA outages, throttling, slowness, bad requests — all explained, none a 500."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from scenario_harness import CHANNEL, DEMO, Slack, blocks_text, find_block, row_block, row_ids
from waiting import wait_until

from bot.deps import AppDeps
from bot.flows import detail as detail_flow
from bot.ids import DetailAction, DetailBlock, ListAction
from bot.local import payloads as p

MakeSlack = Callable[..., AbstractAsyncContextManager[Slack]]


async def test_psa_outage_on_the_list_says_nothing_changed_and_to_retry(slack: Slack) -> None:
    slack.sandbox.inject_fault(path_pattern="service/tickets", status=500, count=None)

    await slack.command("mine")

    shown = blocks_text(slack.last_ephemeral(DEMO))
    assert "Couldn't load the tickets" in shown
    assert "Try again" in shown


async def test_long_throttling_is_explained(slack: Slack) -> None:
    slack.sandbox.inject_fault(path_pattern="service/tickets", status=429, retry_after=30, count=None)

    await slack.command("mine")

    assert "throttling" in blocks_text(slack.last_ephemeral(DEMO))


async def test_a_short_throttle_is_retried_transparently(slack: Slack) -> None:
    slack.sandbox.inject_fault(path_pattern="service/tickets", status=429, retry_after=0, count=1)

    await slack.command("mine")

    assert row_ids(slack.last_ephemeral(DEMO))


async def test_rejected_keys_point_to_the_connection(slack: Slack) -> None:
    slack.sandbox.inject_fault(status=401, count=None)

    await slack.command("mine")

    assert "/tickets connect" in blocks_text(slack.last_ephemeral(DEMO))


async def test_paging_failure_keeps_the_list_and_explains_beside_it(slack: Slack) -> None:
    await slack.command("search")
    first = slack.last_ephemeral(DEMO)
    slack.sandbox.inject_fault(path_pattern="service/tickets", status=503, count=None)

    await slack.click(ListAction.NEXT, message=first)

    messages = slack.ephemerals(DEMO)
    assert len(messages) == 2
    assert row_ids(messages[0]) == row_ids(first)
    assert "Couldn't load the tickets" in blocks_text(messages[1])


async def test_detail_hydration_failure_shows_the_row_and_the_reason(slack: Slack) -> None:
    await slack.command("mine")
    slack.sandbox.inject_fault(path_pattern="notes", status=500, count=None)

    await slack.click(
        ListAction.OPEN,
        message=slack.last_ephemeral(DEMO),
        block_id=row_block(slack.last_ephemeral(DEMO), 1649),
    )

    view = slack.modal(DEMO)
    assert "URGENT: server down" in blocks_text(view)
    error = find_block(view, DetailBlock.ERROR)
    assert error is not None and "Try again" in blocks_text({"blocks": [error]})


async def test_slow_psa_opens_a_placeholder_in_time_then_hydrates(
    slack: Slack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(detail_flow, "ROW_WAIT_SECONDS", 0.05)  # the placeholder, however fast the machine
    with slack.sandbox.holding():  # ConnectWise answers nothing until the placeholder is open
        command = asyncio.create_task(slack.command("1649"))
        await wait_until(lambda: slack.fake.calls_to("views.open"), within=60, what="the placeholder")
    await command

    opened = slack.fake.calls_to("views.open")
    assert len(opened) == 1 and opened[0].response["ok"] is True  # type: ignore[index]
    assert "Loading" in blocks_text(opened[0].args["view"])
    assert "Marcus Webb" in blocks_text(slack.modal(DEMO))


async def test_expired_trigger_is_logged_not_crashed(slack: Slack) -> None:
    slack.fake.inject_error("views.open", "expired_trigger_id")

    sent = await slack.command("1649")

    assert sent.status == 200
    assert slack.fake.calls_to("views.update") == []


async def test_bad_signature_is_rejected_with_401(slack: Slack) -> None:
    body, content_type = p.slash_command("/tickets", "mine", user=DEMO, channel=CHANNEL)
    resp = await slack.sender.http.post(
        slack.sender.events_url,
        content=body.encode(),
        headers={
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(int(time.time())),
            "X-Slack-Signature": "v0=" + "0" * 64,
        },
    )

    assert resp.status_code == 401
    await slack.settle()
    assert slack.fake.calls_to("response_url") == []


async def test_stale_timestamp_is_rejected_with_401(slack: Slack) -> None:
    sent = await slack.send(
        p.slash_command("/tickets", "mine", user=DEMO, channel=CHANNEL), timestamp=int(time.time()) - 600
    )

    assert sent.status == 401
    assert slack.fake.calls_to("response_url") == []


async def test_unknown_actions_shortcuts_and_events_are_acknowledged(slack: Slack) -> None:
    message = {
        "ts": "1.0",
        "blocks": [
            {
                "type": "actions",
                "block_id": "b",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "retired.button",
                        "text": {"type": "plain_text", "text": "x"},
                    }
                ],
            }
        ],
    }
    assert (await slack.click("retired.button", message=message)).status == 200
    assert (await slack.send(p.global_shortcut("retired_shortcut", user=DEMO))).status == 200
    assert (await slack.event({"type": "reaction_added", "user": DEMO})).status == 200


async def test_a_request_from_another_workspace_is_dropped(slack: Slack) -> None:
    sent = await slack.send(
        p.slash_command(
            "/tickets",
            "mine",
            user=DEMO,
            channel=CHANNEL,
            team="T0INTRUDER",
            response_url=slack.fake.new_response_url(CHANNEL, DEMO),
        )
    )

    assert sent.status == 200
    assert slack.fake.calls_to("response_url") == []


async def test_a_listener_crash_still_answers_200(make_slack: MakeSlack) -> None:
    def break_registry(deps: AppDeps) -> None:
        async def boom(team_id: str) -> Any:
            raise RuntimeError("registry exploded")

        deps.workspaces.service = boom  # type: ignore[method-assign]

    async with make_slack(configure=break_registry) as slack:
        await slack.command("mine")
        message = {
            "ts": "1.0",
            "blocks": [
                {
                    "type": "actions",
                    "block_id": "b",
                    "elements": [
                        {
                            "type": "external_select",
                            "action_id": ListAction.COMPANY,
                            "placeholder": {"type": "plain_text", "text": "Company"},
                        }
                    ],
                }
            ],
        }
        body, content_type = p.block_suggestion(
            ListAction.COMPANY, "b", "acme", user=DEMO, message=message, channel=CHANNEL
        )
        sent = await slack.send((body, content_type))

        assert sent.status == 200
        assert sent.headers.get("x-slack-no-retry") == "1"


@pytest.mark.parametrize("text", ["", "mine", "help", "1649", "search printer", "#x", "新しい"])
async def test_any_text_is_answered_with_200(slack: Slack, text: str) -> None:
    sent = await slack.command(text)
    assert sent.status == 200
    assert json.dumps(sent.body) is not None


async def test_an_unexpected_failure_tells_the_user_something_went_wrong_without_internals(
    make_slack: MakeSlack,
) -> None:
    def break_registry(deps: AppDeps) -> None:
        async def boom(team_id: str) -> Any:
            raise RuntimeError("registry exploded")

        deps.workspaces.service = boom  # type: ignore[method-assign]

    async with make_slack(configure=break_registry) as slack:
        await slack.command("mine")

        text = blocks_text(slack.last_ephemeral(DEMO))
        assert "Something went wrong" in text
        assert "RuntimeError" not in text and "exploded" not in text


async def test_a_change_after_the_connection_was_removed_says_so_in_the_modal(slack: Slack) -> None:
    await slack.command("1649")
    modal = slack.modal(DEMO)
    await slack.deps.workspaces.disconnect(slack.team)

    await slack.click(DetailAction.ADD_NOTE, view=modal)

    view = slack.modal(DEMO)
    error = find_block(view, DetailBlock.ERROR)
    assert error is not None and "not connected" in blocks_text({"blocks": [error]})
    assert "URGENT: server down" in blocks_text(view)  # the ticket stays on screen
