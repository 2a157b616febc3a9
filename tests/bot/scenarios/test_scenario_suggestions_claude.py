"""With ANTHROPIC_API_KEY set, suggestions come from Claude (the real SDK against a local Messages API),
and the offline detector takes over when the API fails."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from scenario_claude_kit import MessagesAPI, with_api_key
from scenario_harness import NEWBIE, Slack
from scenario_spinoff_kit import OUTLOOK_TICKET, link_thread, reply, say, suggestions

MakeSlack = Callable[..., AbstractAsyncContextManager[Slack]]


async def linked_thread(slack: Slack) -> dict[str, Any]:
    parent = say(slack, "Marcus says Outlook stopped syncing this morning", user=NEWBIE)
    await link_thread(slack, parent, str(OUTLOOK_TICKET))
    await reply(slack, parent["ts"], "Can you have him restart Outlook in safe mode?")
    return parent


async def test_claudes_actions_block_becomes_the_suggestion(
    make_slack: MakeSlack, messages_api: MessagesAPI
) -> None:
    async with make_slack(configure=with_api_key) as slack:
        parent = await linked_thread(slack)
        assert suggestions(slack, parent["ts"]) == []  # the model said nothing about the follow-up
        messages_api.answer_text = (
            "That's a separate issue.\n[ACTIONS]\n```json\n"
            '[{"label": "Create ticket: Docking station not charging", "command": "create_spin_off_ticket", '
            '"description": "Marcus\'s docking station does not charge his laptop",}]\n```\n[/ACTIONS]'
        )

        await reply(slack, parent["ts"], "unrelated: his dock won't charge the laptop anymore", user=NEWBIE)

        assert [m["text"] for m in suggestions(slack, parent["ts"])] == [
            "Create ticket: Marcus's docking station does not charge his laptop"
        ]
        prompt = messages_api.requests[-1]["messages"][0]["content"]
        assert "Outlook not syncing" in prompt  # the linked ticket
        assert "restart Outlook in safe mode" in prompt.split("<new_message>")[0]  # the thread so far
        assert "his dock won't charge the laptop" in prompt.split("<new_message>")[1]
        assert messages_api.requests[-1]["model"] == slack.deps.settings.anthropic_model


async def test_no_actions_block_means_no_suggestion(make_slack: MakeSlack, messages_api: MessagesAPI) -> None:
    messages_api.answer_text = ""
    async with make_slack(configure=with_api_key) as slack:
        parent = await linked_thread(slack)

        # The offline detector would suggest this one; the model decided otherwise.
        await reply(slack, parent["ts"], "Also, the printer on the 2nd floor is offline", user=NEWBIE)

        assert messages_api.requests
        assert suggestions(slack, parent["ts"]) == []


async def test_an_api_failure_falls_back_to_the_offline_detector(
    make_slack: MakeSlack, messages_api: MessagesAPI
) -> None:
    messages_api.status = 400
    async with make_slack(configure=with_api_key) as slack:
        parent = await linked_thread(slack)

        await reply(slack, parent["ts"], "Also, the printer on the 2nd floor is offline", user=NEWBIE)

        assert len(messages_api.requests) >= 2  # the model was asked (for both replies)…
        assert [m["text"] for m in suggestions(slack, parent["ts"])] == [
            "Create ticket: The printer on the 2nd floor is offline"  # …and the heuristic answered
        ]
