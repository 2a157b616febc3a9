"""The `/__fake` HTTP endpoints a browser workspace uses to watch the app and act as a member."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.local import FakeSlack


@pytest.fixture
async def http(fake: FakeSlack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=fake.url + "__fake/") as client:
        yield client


def modal(title: str) -> dict[str, Any]:
    return {"type": "modal", "title": {"type": "plain_text", "text": title}, "blocks": [{"type": "divider"}]}


async def test_state_shows_the_workspace_as_json(
    http: httpx.AsyncClient, client: AsyncWebClient, fake: FakeSlack
) -> None:
    await client.chat_postMessage(channel="C0GENERAL", text="hello")
    await client.chat_postEphemeral(channel="C0GENERAL", user="U0ADMIN", text="psst")
    await client.views_publish(user_id="U0ADMIN", view={"type": "home", "blocks": [{"type": "divider"}]})
    state = (await http.get("state")).json()
    assert state["team"]["id"] == "T0LOCAL"
    assert {u["id"] for u in state["users"]} == {"U0LOCALBOT", "U0ADMIN", "U0ENGINEER"}
    assert [m["text"] for m in state["messages"]["C0GENERAL"]] == ["hello"]
    assert [m["text"] for m in state["ephemeral"]["C0GENERAL"]["U0ADMIN"]] == ["psst"]
    home_id = state["home"]["U0ADMIN"]
    assert state["views"][home_id]["type"] == "home" and state["views"][home_id]["open"] is True
    assert state["last_seq"] == 3


async def test_events_return_calls_after_a_sequence_number(
    http: httpx.AsyncClient, client: AsyncWebClient
) -> None:
    await client.auth_test()
    await client.chat_postMessage(channel="C0GENERAL", text="one")
    page = (await http.get("events", params={"after": 0})).json()
    assert [e["method"] for e in page["events"]] == ["auth.test", "chat.postMessage"]
    assert page["events"][1]["args"]["text"] == "one"
    assert page["last_seq"] == 2
    empty = (await http.get("events", params={"after": 2})).json()
    assert (empty["events"], empty["last_seq"]) == ([], 2)


async def test_events_long_poll_until_the_app_calls(http: httpx.AsyncClient, client: AsyncWebClient) -> None:
    polling = asyncio.create_task(http.get("events", params={"after": 0, "timeout": 30}))
    # Nothing called yet: a short poll answers empty at its timeout, and the long one is still open.
    empty = (await http.get("events", params={"after": 0, "timeout": 0.1})).json()
    assert empty["events"] == [] and not polling.done()
    await client.chat_postMessage(channel="C0GENERAL", text="late")
    page = (await polling).json()
    assert [e["args"]["text"] for e in page["events"]] == ["late"]
    assert (await http.get("events", params={"after": "x"})).status_code == 400


async def test_minting_and_member_actions_over_http(
    http: httpx.AsyncClient, client: AsyncWebClient, fake: FakeSlack
) -> None:
    trigger = (await http.post("trigger_ids", json={"user_id": "U0ADMIN"})).json()["trigger_id"]
    view = (await client.views_open(trigger_id=trigger, view=modal("One")))["view"]
    typed = {"b": {"a": {"type": "plain_text_input", "value": "x"}}}
    assert (await http.post(f"views/{view['id']}/state", json={"values": typed})).json()["view"]["state"] == {
        "values": typed
    }
    answer = {"response_action": "update", "view": modal("Two")}
    shown = (await http.post(f"views/{view['id']}/response", json=answer)).json()["view"]
    assert shown["title"]["text"] == "Two"
    assert (await http.post(f"views/{view['id']}/close", json={})).json() == {"ok": True}
    assert not fake.is_view_open(view["id"])
    gone = await http.post(f"views/{view['id']}/close", json={})
    assert (gone.status_code, gone.json()["error"]) == (404, "not_found")

    said = (
        await http.post("messages", json={"channel": "C0GENERAL", "user": "U0ADMIN", "text": "hi"})
    ).json()
    assert fake.messages("C0GENERAL")[0]["ts"] == said["message"]["ts"]
    url = (await http.post("response_urls", json={"channel_id": "C0GENERAL", "user_id": "U0ADMIN"})).json()
    async with httpx.AsyncClient() as raw:
        assert (await raw.post(url["response_url"], json={"text": "via url"})).text == "ok"
    assert fake.ephemeral("C0GENERAL", "U0ADMIN")[0]["text"] == "via url"
    assert (await http.post("response_urls", json={})).status_code == 400
    bad = await http.post("messages", json={"channel": "C0NOPE", "user": "U0ADMIN", "text": "x"})
    assert (bad.status_code, bad.json()["error"]) == (404, "channel_not_found")
