"""With ANTHROPIC_API_KEY set, suggestions come from Claude (the real SDK against a local Messages API),
and the offline detector takes over when the API fails."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from aiohttp import web
from pydantic import SecretStr
from scenario_harness import NEWBIE, Slack
from scenario_spinoff_kit import OUTLOOK_TICKET, link_thread, reply, say, suggestions

from bot.deps import AppDeps, build_spinoff_detector

MakeSlack = Callable[..., AbstractAsyncContextManager[Slack]]


class MessagesAPI:
    """A local stand-in for POST /v1/messages: records requests, answers with the queued text or status."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answer_text = ""
        self.status = 200

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        if self.status != 200:
            error = {"type": "error", "error": {"type": "invalid_request_error", "message": "nope"}}
            return web.json_response(error, status=self.status)
        return web.json_response(
            {
                "id": "msg_01SPINOFF",
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": [{"type": "text", "text": self.answer_text}] if self.answer_text else [],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 420, "output_tokens": 60},
            }
        )


@pytest.fixture
async def messages_api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[MessagesAPI]:
    """The local Messages API, with ANTHROPIC_BASE_URL pointing the SDK at it."""
    api = MessagesAPI()
    app = web.Application()
    app.router.add_post("/v1/messages", api.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{port}")
    yield api
    await runner.cleanup()


def with_api_key(deps: AppDeps) -> None:
    """What build_deps does when ANTHROPIC_API_KEY is set."""
    deps.spinoff = build_spinoff_detector(
        deps.settings.model_copy(update={"anthropic_api_key": SecretStr("sk-ant-test")})
    )


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
