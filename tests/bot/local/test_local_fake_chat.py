"""The fake's auth and messaging methods, driven by the real slack_sdk AsyncWebClient."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import Any

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.local import FakeSlack


async def slack_error(call: Awaitable[Any]) -> str:
    with pytest.raises(SlackApiError) as info:
        await call
    return str(info.value.response["error"])


def section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if block_id:
        block["block_id"] = block_id
    return block


async def test_auth_test_describes_the_bot_and_workspace(client: AsyncWebClient) -> None:
    resp = await client.auth_test()
    assert resp["team_id"] == "T0LOCAL"
    assert resp["user_id"] == "U0LOCALBOT"
    assert resp["bot_id"] == "B0LOCAL"
    assert resp["url"] == "https://local-workspace.slack.com/"
    assert resp["is_enterprise_install"] is False
    assert "chat:write" in resp.headers["x-oauth-scopes"]


async def test_wrong_or_missing_token_is_refused(fake: FakeSlack) -> None:
    assert await slack_error(AsyncWebClient(token="xoxb-wrong", base_url=fake.api_url).auth_test()) == (
        "invalid_auth"
    )
    assert await slack_error(AsyncWebClient(base_url=fake.api_url).auth_test()) == "not_authed"


async def test_token_may_come_as_a_form_parameter(fake: FakeSlack) -> None:
    async with httpx.AsyncClient() as http:
        resp = await http.post(fake.api_url + "auth.test", data={"token": "xoxb-local"})
    assert resp.json()["ok"] is True
    assert "token" not in fake.calls_to("auth.test")[0].args


async def test_unknown_method_is_reported(client: AsyncWebClient) -> None:
    assert await slack_error(client.api_call("chat.teleport")) == "unknown_method"


async def test_posted_messages_get_unique_increasing_ts(client: AsyncWebClient, fake: FakeSlack) -> None:
    responses = await asyncio.gather(
        *(client.chat_postMessage(channel="C0GENERAL", text=f"n{i}") for i in range(20))
    )
    stamps = [r["ts"] for r in responses]
    assert len(set(stamps)) == 20
    stored = [m["ts"] for m in fake.messages("C0GENERAL")]
    assert stored == sorted(stored, key=float)
    first = responses[0]
    assert first["channel"] == "C0GENERAL"
    assert first["message"]["bot_id"] == "B0LOCAL"
    assert first["message"]["text"] == "n0"


async def test_reply_in_thread_is_linked_to_its_parent(client: AsyncWebClient, fake: FakeSlack) -> None:
    parent = await client.chat_postMessage(
        channel="C0SUPPORT", text="Ticket #1042", blocks=[section("#1042")]
    )
    await client.chat_postMessage(
        channel="C0SUPPORT",
        thread_ts=parent["ts"],
        text="Create ticket?",
        metadata={"event_type": "spin_off", "event_payload": {"ticket": 1042}},
    )
    thread = (await client.conversations_replies(channel="C0SUPPORT", ts=parent["ts"]))["messages"]
    assert [m["text"] for m in thread] == ["Ticket #1042", "Create ticket?"]
    assert thread[0]["reply_count"] == 1
    assert thread[1]["metadata"]["event_payload"] == {"ticket": 1042}
    history = (await client.conversations_history(channel="C0SUPPORT"))["messages"]
    assert [m["text"] for m in history] == ["Ticket #1042"]


async def test_posting_to_a_user_id_lands_in_the_dm(client: AsyncWebClient, fake: FakeSlack) -> None:
    resp = await client.chat_postMessage(channel="U0ENGINEER", text="hi")
    assert resp["channel"] == fake.dm_channel("U0ENGINEER")
    assert fake.messages(resp["channel"])[0]["text"] == "hi"


async def test_a_channel_may_be_named(client: AsyncWebClient, fake: FakeSlack) -> None:
    assert (await client.chat_postMessage(channel="#support", text="x"))["channel"] == "C0SUPPORT"
    assert (await client.chat_postMessage(channel="general", text="y"))["channel"] == "C0GENERAL"


async def test_channel_errors(client: AsyncWebClient, fake: FakeSlack) -> None:
    fake.add_channel(id="C0PRIVATE", name="secret", is_private=True, is_member=False)
    assert await slack_error(client.chat_postMessage(channel="C0NOPE", text="x")) == "channel_not_found"
    assert await slack_error(client.chat_postMessage(channel="C0PRIVATE", text="x")) == "not_in_channel"
    assert await slack_error(client.conversations_history(channel="C0PRIVATE")) == "not_in_channel"
    with pytest.warns(UserWarning, match="`text` argument is missing"):
        assert await slack_error(client.chat_postMessage(channel="C0GENERAL")) == "no_text"


async def test_a_whitespace_only_message_is_refused_as_no_text(client: AsyncWebClient) -> None:
    with pytest.warns(UserWarning, match="`text` argument is missing"):
        assert await slack_error(client.chat_postMessage(channel="C0GENERAL", text=" \n\t")) == "no_text"


async def test_message_limits_are_enforced_like_slack(client: AsyncWebClient, fake: FakeSlack) -> None:
    fifty = [section(f"row {i}") for i in range(50)]
    assert (await client.chat_postMessage(channel="C0GENERAL", text="ok", blocks=fifty))["ok"]
    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel="C0GENERAL", text="x", blocks=[*fifty, section("51")])
    assert info.value.response["error"] == "invalid_blocks"
    assert "no more than 50 items allowed [json-pointer:/blocks]" in info.value.response["errors"]
    too_long = "x" * 40_001
    assert await slack_error(client.chat_postMessage(channel="C0GENERAL", text=too_long)) == "msg_too_long"
    bad_blocks = [
        [section("y" * 3001)],
        [section("")],
        [section("a", "dup"), section("b", "dup")],
        [{"type": "header", "text": {"type": "mrkdwn", "text": "*bold*"}}],
        [{"type": "sparkles"}],
        [
            {
                "type": "actions",
                "elements": [{"type": "button", "text": {"type": "plain_text", "text": "b" * 76}}],
            }
        ],
        [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "static_select",
                        "action_id": "status",
                        "options": [{"text": {"type": "plain_text", "text": "New"}, "value": "1"}],
                        "initial_option": {"text": {"type": "plain_text", "text": "Old"}, "value": "9"},
                    }
                ],
            }
        ],
    ]
    for blocks in bad_blocks:
        error = await slack_error(client.chat_postMessage(channel="C0GENERAL", text="x", blocks=blocks))
        assert error == "invalid_blocks", blocks
    assert len(fake.messages("C0GENERAL")) == 1


async def test_metadata_must_name_an_event_type(client: AsyncWebClient) -> None:
    call = client.chat_postMessage(channel="C0GENERAL", text="x", metadata={"event_payload": {}})
    assert await slack_error(call) == "invalid_metadata_format"


async def test_form_encoded_json_arguments_are_decoded(client: AsyncWebClient, fake: FakeSlack) -> None:
    blocks = [section("from a form body")]
    await client.api_call("chat.postMessage", data={"channel": "C0GENERAL", "blocks": json.dumps(blocks)})
    assert fake.calls_to("chat.postMessage")[0].args["blocks"] == blocks
    assert fake.messages("C0GENERAL")[0]["blocks"] == blocks
    broken = client.api_call("chat.postMessage", data={"channel": "C0GENERAL", "blocks": "[{"})
    assert await slack_error(broken) == "invalid_blocks_format"


async def test_ephemeral_messages_are_kept_per_user(client: AsyncWebClient, fake: FakeSlack) -> None:
    resp = await client.chat_postEphemeral(channel="C0GENERAL", user="U0ADMIN", text="only you")
    assert resp["message_ts"]
    assert [m["text"] for m in fake.ephemeral("C0GENERAL", "U0ADMIN")] == ["only you"]
    assert fake.ephemeral("C0GENERAL", "U0ENGINEER") == []
    assert fake.messages("C0GENERAL") == []
    missing = client.chat_postEphemeral(channel="C0GENERAL", user="U0GHOST", text="x")
    assert await slack_error(missing) == "user_not_found"


async def test_update_and_delete_only_touch_the_bots_own_messages(
    client: AsyncWebClient, fake: FakeSlack
) -> None:
    posted = await client.chat_postMessage(channel="C0GENERAL", text="Status: New")
    updated = await client.chat_update(channel="C0GENERAL", ts=posted["ts"], text="Status: In Progress")
    assert updated["ts"] == posted["ts"]
    assert fake.messages("C0GENERAL")[0]["text"] == "Status: In Progress"
    human = fake.add_message("C0GENERAL", user="U0ADMIN", text="mine")
    assert await slack_error(client.chat_update(channel="C0GENERAL", ts=human["ts"], text="x")) == (
        "cant_update_message"
    )
    assert await slack_error(client.chat_delete(channel="C0GENERAL", ts=human["ts"])) == "cant_delete_message"
    assert await slack_error(client.chat_update(channel="C0GENERAL", ts="1.000001", text="x")) == (
        "message_not_found"
    )
    await client.chat_delete(channel="C0GENERAL", ts=posted["ts"])
    assert [m["text"] for m in fake.messages("C0GENERAL")] == ["mine"]


async def test_permalinks_point_at_the_message_and_its_thread(client: AsyncWebClient) -> None:
    parent = await client.chat_postMessage(channel="C0GENERAL", text="p")
    reply = await client.chat_postMessage(channel="C0GENERAL", text="r", thread_ts=parent["ts"])
    link = (await client.chat_getPermalink(channel="C0GENERAL", message_ts=parent["ts"]))["permalink"]
    assert link == f"https://local-workspace.slack.com/archives/C0GENERAL/p{parent['ts'].replace('.', '')}"
    reply_link = (await client.chat_getPermalink(channel="C0GENERAL", message_ts=reply["ts"]))["permalink"]
    assert reply_link.endswith(f"?thread_ts={parent['ts']}&cid=C0GENERAL")
    missing = client.chat_getPermalink(channel="C0GENERAL", message_ts="1.2")
    assert await slack_error(missing) == "message_not_found"


async def test_reactions_are_added_once(client: AsyncWebClient, fake: FakeSlack) -> None:
    msg = fake.add_message("C0GENERAL", user="U0ADMIN", text="printer on fire")
    await client.reactions_add(channel="C0GENERAL", timestamp=msg["ts"], name=":ticket:")
    assert fake.messages("C0GENERAL")[0]["reactions"] == [
        {"name": "ticket", "users": ["U0LOCALBOT"], "count": 1}
    ]
    again = client.reactions_add(channel="C0GENERAL", timestamp=msg["ts"], name="ticket")
    assert await slack_error(again) == "already_reacted"


async def test_history_pages_newest_first(client: AsyncWebClient, fake: FakeSlack) -> None:
    fake.marketplace_app = True  # several history calls in a row (see test_local_fake_history_limits)
    for i in range(5):
        await client.chat_postMessage(channel="C0GENERAL", text=str(i))
    first = await client.conversations_history(channel="C0GENERAL", limit=3)
    assert [m["text"] for m in first["messages"]] == ["4", "3", "2"]
    assert first["has_more"] is True
    cursor = first["response_metadata"]["next_cursor"]
    rest = await client.conversations_history(channel="C0GENERAL", limit=3, cursor=cursor)
    assert [m["text"] for m in rest["messages"]] == ["1", "0"]
    assert rest["has_more"] is False
    assert (
        await slack_error(client.conversations_replies(channel="C0GENERAL", ts="1.1")) == "thread_not_found"
    )
