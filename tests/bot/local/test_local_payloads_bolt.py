"""Every payload builder, signed and POSTed to a real Bolt app over HTTP, reaches the right listener."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from fakeslack_samples import create_modal, list_message_blocks
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.local import FakeSlack, SlackRequestSender
from bot.local.payloads import (
    app_home_opened_event,
    block_actions,
    block_suggestion,
    event_callback,
    global_shortcut,
    message_event,
    message_shortcut,
    slash_command,
    url_verification,
    view_closed,
    view_submission,
)

ServeBolt = Callable[[AsyncApp], AbstractAsyncContextManager[SlackRequestSender]]
Seen = dict[str, Any]


def build_app(make_app: Callable[..., AsyncApp], seen: Seen) -> AsyncApp:
    """A tiny app with one listener per surface, each noting what it received."""
    app = make_app()

    @app.command("/tickets")
    async def command(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        seen["command"] = body
        await respond(text=f"Searching for {body['text']}")

    @app.action("ticket_next")
    async def next_page(
        ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        seen["ticket_next"] = (action, body)
        await respond(text="Page 2", replace_original=True)

    @app.action("ticket_more")
    async def more(ack: AsyncAck, action: dict[str, Any]) -> None:
        await ack()
        seen["ticket_more"] = action

    @app.action({"block_id": "board", "action_id": "value"})
    async def board_changed(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        seen["board"] = body
        view = body["view"]
        await client.views_update(
            view_id=view["id"], hash=view["hash"], view=create_modal(private_metadata="v2")
        )

    @app.view("create_ticket")
    async def submitted(ack: AsyncAck, view: dict[str, Any]) -> None:
        seen["view_submission"] = view
        await ack(response_action="errors", errors={"summary": "Summary is required"})

    @app.view_closed("create_ticket")
    async def closed(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        seen["view_closed"] = body

    @app.options({"block_id": "company", "action_id": "value"})
    async def companies(ack: AsyncAck, payload: dict[str, Any]) -> None:
        seen["options"] = payload
        query = payload["value"]
        await ack(options=[{"text": {"type": "plain_text", "text": f"{query} Corp"}, "value": "250"}])

    @app.message_shortcut("ticket_from_message")
    async def from_message(ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        seen["message_shortcut"] = shortcut
        modal = create_modal(callback_id="spin_off")
        modal["blocks"][0]["element"]["initial_value"] = shortcut["message"]["text"]
        await client.views_open(trigger_id=shortcut["trigger_id"], view=modal)

    @app.shortcut("new_ticket")
    async def new_ticket(ack: AsyncAck, shortcut: dict[str, Any]) -> None:
        await ack()
        seen["global_shortcut"] = shortcut

    @app.event("app_home_opened")
    async def home(event: dict[str, Any], client: AsyncWebClient) -> None:
        seen["app_home_opened"] = event
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "No open tickets assigned to you"}}]
        await client.views_publish(user_id=event["user"], view={"type": "home", "blocks": blocks})

    @app.event("message")
    async def message(event: dict[str, Any]) -> None:
        seen["message"] = event

    return app


@pytest.fixture
def seen() -> Seen:
    return {}


@pytest.fixture
def app(make_app: Callable[..., AsyncApp], seen: Seen) -> AsyncApp:
    return build_app(make_app, seen)


async def open_modal(fake: FakeSlack, user: str = "U0ADMIN") -> dict[str, Any]:
    client = AsyncWebClient(token="xoxb-local", base_url=fake.api_url)
    await client.views_open(trigger_id=fake.new_trigger_id(user), view=create_modal())
    view = fake.last_view(user)
    assert view is not None
    return view


async def test_slash_command_reaches_the_command_and_can_respond(
    app: AsyncApp, serve_bolt: ServeBolt, fake: FakeSlack, seen: Seen
) -> None:
    body = slash_command(
        "/tickets",
        "printer",
        user=fake.add_user(id="U0KIM", name="kim"),
        channel="C0GENERAL",
        trigger_id=fake.new_trigger_id("U0KIM"),
        response_url=fake.new_response_url("C0GENERAL", "U0KIM"),
    )
    async with serve_bolt(app) as sender:
        assert (await sender.send(*body)).status_code == 200
    got = seen["command"]
    assert (got["command"], got["text"], got["user_id"], got["user_name"]) == (
        "/tickets",
        "printer",
        "U0KIM",
        "kim",
    )
    assert (got["channel_id"], got["team_id"], got["api_app_id"]) == ("C0GENERAL", "T0LOCAL", "A0LOCAL")
    assert [m["text"] for m in fake.ephemeral("C0GENERAL", "U0KIM")] == ["Searching for printer"]


async def test_button_on_an_ephemeral_message_pages_in_place(
    app: AsyncApp, serve_bolt: ServeBolt, fake: FakeSlack, seen: Seen
) -> None:
    client = AsyncWebClient(token="xoxb-local", base_url=fake.api_url)
    posted = await client.chat_postEphemeral(
        channel="C0GENERAL", user="U0ADMIN", text="Page 1", blocks=list_message_blocks()
    )
    [shown] = fake.ephemeral("C0GENERAL", "U0ADMIN")
    body = block_actions(
        "ticket_next",
        user="U0ADMIN",
        message=shown,
        channel="C0GENERAL",
        is_ephemeral=True,
        response_url=fake.new_response_url("C0GENERAL", "U0ADMIN", posted["message_ts"]),
    )
    async with serve_bolt(app) as sender:
        assert (await sender.send(*body)).status_code == 200
    action, payload = seen["ticket_next"]
    assert (action["type"], action["block_id"], action["value"]) == ("button", "paging", '{"page":2}')
    assert payload["container"] == {
        "type": "message",
        "message_ts": posted["message_ts"],
        "channel_id": "C0GENERAL",
        "is_ephemeral": True,
    }
    [page] = fake.ephemeral("C0GENERAL", "U0ADMIN")
    assert (page["ts"], page["text"]) == (posted["message_ts"], "Page 2")


async def test_overflow_choice_reaches_its_listener(
    app: AsyncApp, serve_bolt: ServeBolt, fake: FakeSlack, seen: Seen
) -> None:
    message = {"ts": "1700000000.000100", "text": "list", "blocks": list_message_blocks()}
    async with serve_bolt(app) as sender:
        await sender.send(
            *block_actions("ticket_more", "share", user="U0ADMIN", message=message, channel="C0GENERAL")
        )
    assert seen["ticket_more"]["selected_option"]["value"] == "share"
    with pytest.raises(ValueError, match="no option 'delete'"):
        block_actions("ticket_more", "delete", user="U0ADMIN", message=message, channel="C0GENERAL")
    with pytest.raises(ValueError, match="sends its own value"):
        block_actions("ticket_next", "other", user="U0ADMIN", message=message, channel="C0GENERAL")


async def test_select_in_a_modal_carries_view_and_state(
    app: AsyncApp, serve_bolt: ServeBolt, fake: FakeSlack, seen: Seen
) -> None:
    view = await open_modal(fake)
    body = block_actions(
        "value",
        "2",
        block_id="board",
        user="U0ADMIN",
        view=view,
        state_values={"summary": {"value": "Printer jam"}},
    )
    async with serve_bolt(app) as sender:
        assert (await sender.send(*body)).status_code == 200
    payload = seen["board"]
    assert payload["container"] == {"type": "view", "view_id": view["id"]}
    assert payload["actions"][0]["selected_option"]["value"] == "2"
    values = payload["view"]["state"]["values"]
    assert values["board"]["value"]["selected_option"]["text"]["text"] == "Projects"
    assert values["summary"]["value"] == {"type": "plain_text_input", "value": "Printer jam"}
    assert "response_url" not in payload
    updated = fake.last_view("U0ADMIN")
    assert updated is not None and updated["private_metadata"] == "v2" and updated["hash"] != view["hash"]


async def test_submission_carries_typed_values_and_gets_errors_back(
    app: AsyncApp, serve_bolt: ServeBolt, fake: FakeSlack, seen: Seen
) -> None:
    view = await open_modal(fake)
    values = {
        "summary": {"value": "Printer jam"},
        "company": {"value": ("Acme Corp", "250")},
        "assignee": {"value": "U0ENGINEER"},
        "flags": {"value": ["urgent"]},
        "kind": {"value": "incident"},
        "due": {"value": "2026-08-01"},
    }
    async with serve_bolt(app) as sender:
        resp = await sender.send(*view_submission(view, user="U0ADMIN", values=values))
    assert resp.json() == {"response_action": "errors", "errors": {"summary": "Summary is required"}}
    got = seen["view_submission"]
    assert (got["id"], got["hash"], got["private_metadata"]) == (view["id"], view["hash"], '{"draft":"d1"}')
    state = got["state"]["values"]
    assert state["company"]["value"]["selected_option"]["value"] == "250"
    assert state["assignee"]["value"]["selected_user"] == "U0ENGINEER"
    assert [o["value"] for o in state["flags"]["value"]["selected_options"]] == ["urgent"]
    assert state["board"]["value"]["selected_option"]["value"] == "1"
    assert fake.apply_view_response(view["id"], resp.json()) == fake.view(view["id"])


async def test_view_closed_and_options_requests_are_routed(
    app: AsyncApp, serve_bolt: ServeBolt, fake: FakeSlack, seen: Seen
) -> None:
    view = await open_modal(fake)
    async with serve_bolt(app) as sender:
        options = await sender.send(*block_suggestion("value", "company", "acm", user="U0ADMIN", view=view))
        closed = await sender.send(*view_closed(view, user="U0ADMIN"))
    assert options.json() == {
        "options": [{"text": {"type": "plain_text", "text": "acm Corp"}, "value": "250"}]
    }
    assert seen["options"]["view"]["id"] == view["id"]
    assert closed.status_code == 200
    assert seen["view_closed"]["view"]["id"] == view["id"] and seen["view_closed"]["is_cleared"] is False


async def test_message_shortcut_opens_a_prefilled_modal(
    app: AsyncApp, serve_bolt: ServeBolt, fake: FakeSlack, seen: Seen
) -> None:
    message = fake.add_message("C0SUPPORT", user="U0ENGINEER", text="VPN is down for the Denver office")
    body = message_shortcut(
        "ticket_from_message",
        message,
        "C0SUPPORT",
        "U0ADMIN",
        trigger_id=fake.new_trigger_id("U0ADMIN"),
        response_url=fake.new_response_url("C0SUPPORT", "U0ADMIN"),
    )
    async with serve_bolt(app) as sender:
        assert (await sender.send(*body)).status_code == 200
    assert seen["message_shortcut"]["message_ts"] == message["ts"]
    modal = fake.last_view("U0ADMIN")
    assert modal is not None and modal["callback_id"] == "spin_off"
    assert modal["blocks"][0]["element"]["initial_value"] == "VPN is down for the Denver office"


async def test_global_shortcut_is_routed(app: AsyncApp, serve_bolt: ServeBolt, seen: Seen) -> None:
    async with serve_bolt(app) as sender:
        assert (await sender.send(*global_shortcut("new_ticket", user="U0ADMIN"))).status_code == 200
    assert (seen["global_shortcut"]["type"], seen["global_shortcut"]["user"]["id"]) == ("shortcut", "U0ADMIN")


async def test_events_reach_their_listeners(
    app: AsyncApp, serve_bolt: ServeBolt, fake: FakeSlack, seen: Seen
) -> None:
    home = app_home_opened_event("U0ADMIN", channel=fake.dm_channel("U0ADMIN"))
    said = fake.add_message("C0SUPPORT", user="U0ENGINEER", text="also the printer")
    message = message_event(
        "C0SUPPORT", user="U0ENGINEER", text=said["text"], ts=said["ts"], thread_ts="1.000001"
    )
    async with serve_bolt(app) as sender:
        assert (await sender.send(*event_callback(home, event_id="Ev1"))).status_code == 200
        assert (await sender.send(*event_callback(message))).status_code == 200
    assert seen["app_home_opened"]["tab"] == "home"
    home_view = fake.home_view("U0ADMIN")
    assert home_view is not None and "No open tickets" in json.dumps(home_view["blocks"])
    assert (seen["message"]["text"], seen["message"]["thread_ts"]) == ("also the printer", "1.000001")


async def test_url_verification_and_unhandled_requests(app: AsyncApp, serve_bolt: ServeBolt) -> None:
    async with serve_bolt(app) as sender:
        challenge = await sender.send(
            *url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
        )
        unhandled = await sender.send(*global_shortcut("nobody_listens", user="U0ADMIN"))
    assert challenge.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    assert unhandled.status_code == 404


async def test_work_after_ack_is_awaited_with_wait_for(
    make_app: Callable[..., AsyncApp], serve_bolt: ServeBolt, fake: FakeSlack
) -> None:
    app = make_app(process_before_response=False)

    @app.command("/tickets")
    async def command(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        opened = await client.views_open(trigger_id=body["trigger_id"], view=create_modal())
        await client.chat_postMessage(channel=body["user_id"], text=f"Opened {opened['view']['id']}")

    body = slash_command(
        "/tickets", "new", user="U0ADMIN", channel="C0GENERAL", trigger_id=fake.new_trigger_id()
    )
    async with serve_bolt(app) as sender:
        resp = await sender.send(*body)
        assert (resp.status_code, resp.text) == (200, "")
        [post] = await fake.wait_for("chat.postMessage")
    [opened] = fake.calls_to("views.open")
    assert isinstance(opened.response, dict)
    assert post.args["text"] == f"Opened {opened.response['view']['id']}"
