"""The local workspace sends what Slack would for each click, and shows the app's answers as Slack does."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient
from workspace_kit import ADMIN, ENGINEER, SUPPORT, ServeWorkspace, workspace_server

from bot.local import FakeSlack, SlackRequestSender

Seen = dict[str, Any]


@pytest.fixture
def serve(
    fake: FakeSlack, serve_bolt: Callable[[AsyncApp], AbstractAsyncContextManager[SlackRequestSender]]
) -> ServeWorkspace:
    return workspace_server(fake, serve_bolt)


def button_blocks(action_id: str = "next", value: str = "2") -> list[dict[str, Any]]:
    return [
        {"type": "section", "block_id": "head", "text": {"type": "mrkdwn", "text": "*Page 1*"}},
        {
            "type": "actions",
            "block_id": "pager",
            "elements": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "value": value,
                    "text": {"type": "plain_text", "text": "Next"},
                }
            ],
        },
    ]


def form_modal(**extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "form",
        "title": {"type": "plain_text", "text": "Form"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [
            {
                "type": "input",
                "block_id": "summary",
                "label": {"type": "plain_text", "text": "Summary"},
                "element": {"type": "plain_text_input", "action_id": "text", "initial_value": "draft"},
            },
            {
                "type": "input",
                "block_id": "company",
                "optional": True,
                "label": {"type": "plain_text", "text": "Company"},
                "element": {"type": "external_select", "action_id": "pick", "min_query_length": 0},
            },
            {
                "type": "input",
                "block_id": "flags",
                "optional": True,
                "label": {"type": "plain_text", "text": "Flags"},
                "element": {
                    "type": "checkboxes",
                    "action_id": "flags",
                    "options": [
                        {"text": {"type": "plain_text", "text": "Internal"}, "value": "internal"},
                        {"text": {"type": "plain_text", "text": "Urgent"}, "value": "urgent"},
                    ],
                },
            },
        ],
        **extra,
    }


async def test_slash_command_is_signed_with_a_live_trigger_and_its_ack_text_is_an_ephemeral_reply(
    make_app: Callable[..., AsyncApp], serve: ServeWorkspace, fake: FakeSlack
) -> None:
    app = make_app()
    seen: Seen = {}

    @app.command("/tickets")
    async def command(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        seen["body"] = body
        seen["opened"] = await client.views_open(trigger_id=body["trigger_id"], view=form_modal())
        await ack(text="Opening your tickets…")

    async with serve(app) as page:
        outcome = await page.post("command", channel=SUPPORT, text="/tickets search printer & <scanner>")
        mine, theirs = await page.state(), await page.state(ADMIN)

    assert outcome == {"ok": True, "_status": 200}
    assert seen["body"]["text"] == "search printer &amp; &lt;scanner&gt;"  # escaped, as Slack sends it
    assert seen["body"]["user_id"] == ENGINEER and seen["body"]["channel_id"] == SUPPORT
    assert seen["opened"]["ok"] is True
    assert [m["text"] for m in mine["ephemeral"][SUPPORT]] == ["Opening your tickets…"]
    assert SUPPORT not in theirs["ephemeral"]
    assert [v["id"] for v in mine["modals"]] == [seen["opened"]["view"]["id"]]
    assert theirs["modals"] == []


async def test_a_command_the_app_does_not_handle_shows_slacks_dispatch_failed_notice(
    make_app: Callable[..., AsyncApp], serve: ServeWorkspace
) -> None:
    async with serve(make_app()) as page:
        outcome = await page.post("command", channel=SUPPORT, text="/tickets mine")
        state = await page.state()

    assert outcome["ok"] is False
    assert [m["text"] for m in state["ephemeral"][SUPPORT]] == [
        '/tickets failed with the error "dispatch_failed"'
    ]
    assert state["ephemeral"][SUPPORT][0]["user"] == "USLACKBOT"


async def test_unknown_commands_never_reach_the_app(
    make_app: Callable[..., AsyncApp], serve: ServeWorkspace, fake: FakeSlack
) -> None:
    async with serve(make_app()) as page:
        await page.post("command", channel=SUPPORT, text="/giphy cats")
        state = await page.state()

    assert "/giphy is not a valid command" in state["ephemeral"][SUPPORT][0]["text"]
    assert fake.calls == []


async def test_a_message_is_stored_escaped_and_delivered_as_a_message_event_in_its_thread(
    make_app: Callable[..., AsyncApp], serve: ServeWorkspace, fake: FakeSlack
) -> None:
    app = make_app()
    events: list[dict[str, Any]] = []

    @app.event("message")
    async def on_message(event: dict[str, Any]) -> None:
        events.append(event)

    parent = fake.add_message(SUPPORT, user=ADMIN, text="Printer down")
    async with serve(app) as page:
        outcome = await page.post(
            "message", channel=SUPPORT, text="<!channel> Tom & Jerry", thread_ts=parent["ts"]
        )

    stored = fake.messages(SUPPORT)[-1]
    assert outcome["ok"] is True
    assert stored["text"] == "&lt;!channel&gt; Tom &amp; Jerry" and stored["thread_ts"] == parent["ts"]
    assert [(e["text"], e["ts"], e["thread_ts"], e["channel_type"]) for e in events] == [
        (stored["text"], stored["ts"], parent["ts"], "channel")
    ]
    assert fake.messages(SUPPORT)[0]["reply_count"] == 1


async def test_a_link_to_an_unfurl_domain_is_sent_as_link_shared_and_the_preview_is_kept(
    make_app: Callable[..., AsyncApp],
    fake: FakeSlack,
    serve_bolt: Callable[[AsyncApp], AbstractAsyncContextManager[SlackRequestSender]],
) -> None:
    app = make_app()
    shared: list[dict[str, Any]] = []

    @app.event("message")
    async def on_message() -> None:
        return None

    @app.event("link_shared")
    async def on_link(event: dict[str, Any], client: AsyncWebClient) -> None:
        shared.append(event)
        url = event["links"][0]["url"]
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*#7* Printer"}}]
        await client.chat_unfurl(
            channel=event["channel"], ts=event["message_ts"], unfurls={url: {"blocks": blocks}}
        )

    link = "https://tickets.example.com/ticket?id=7&x=1"
    async with workspace_server(fake, serve_bolt, unfurl_domains=("example.com",))(app) as page:
        await page.post(
            "message", channel=SUPPORT, text=f"see {link} and https://elsewhere.org/a", thread_ts=None
        )

    stored = fake.messages(SUPPORT)[-1]
    assert (
        stored["text"]
        == "see <https://tickets.example.com/ticket?id=7&amp;x=1> and <https://elsewhere.org/a>"
    )
    assert [[link_["url"] for link_ in e["links"]] for e in shared] == [[link]]
    assert stored["unfurls"][link]["blocks"][0]["text"]["text"] == "*#7* Printer"


async def test_a_button_on_an_ephemeral_message_replaces_it_in_place_through_response_url(
    make_app: Callable[..., AsyncApp], serve: ServeWorkspace, fake: FakeSlack
) -> None:
    app = make_app()
    seen: Seen = {}

    @app.command("/tickets")
    async def command(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        await respond(text="page 1", blocks=button_blocks())

    @app.action("next")
    async def next_page(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        seen["body"] = body
        await respond(text="page 2", blocks=button_blocks(value="3"), replace_original=True)

    async with serve(app) as page:
        await page.post("command", channel=SUPPORT, text="/tickets mine")
        listing = (await page.state())["ephemeral"][SUPPORT][0]
        outcome = await page.post(
            "action", channel=SUPPORT, ts=listing["ts"], action_id="next", block_id="pager"
        )
        after = (await page.state())["ephemeral"][SUPPORT]

    body = seen["body"]
    assert outcome["ok"] is True
    assert body["container"] == {
        "type": "message",
        "message_ts": listing["ts"],
        "channel_id": SUPPORT,
        "is_ephemeral": True,
    }
    assert "message" not in body  # Slack does not echo ephemeral messages back
    assert body["actions"][0]["value"] == "2"
    assert [(m["ts"], m["text"]) for m in after] == [(listing["ts"], "page 2")]


async def test_submit_shows_field_errors_then_closes_on_an_empty_ack(
    make_app: Callable[..., AsyncApp], serve: ServeWorkspace, fake: FakeSlack
) -> None:
    app = make_app()
    submitted: list[dict[str, Any]] = []

    @app.command("/tickets")
    async def command(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=form_modal())

    @app.view("form")
    async def on_submit(ack: AsyncAck, view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        submitted.append(values)
        if values["summary"]["text"]["value"] is None:
            await ack(response_action="errors", errors={"summary": "A summary is required"})
        else:
            await ack()

    option = {"text": {"type": "plain_text", "text": "Acme Corp"}, "value": "250"}
    async with serve(app) as page:
        await page.post("command", channel=SUPPORT, text="/tickets new")
        view_id = (await page.state())["modals"][0]["id"]
        typed: dict[str, dict[str, Any]] = {
            "summary": {"text": ""},
            "company": {"pick": option},
            "flags": {"flags": ["urgent"]},
        }
        refused = await page.post("submit", view_id=view_id, values=typed)
        still_open = (await page.state())["modals"]
        typed["summary"]["text"] = "Printer jams"
        accepted = await page.post("submit", view_id=view_id, values=typed)
        closed = (await page.state())["modals"]

    assert refused == {"ok": False, "errors": {"summary": "A summary is required"}, "_status": 200}
    assert [v["id"] for v in still_open] == [view_id]
    assert still_open[0]["state"]["values"]["company"]["pick"]["selected_option"] == option  # kept
    assert submitted[0]["summary"]["text"]["value"] is None  # an emptied input reports null
    assert submitted[1]["summary"]["text"]["value"] == "Printer jams"
    assert submitted[1]["company"]["pick"]["selected_option"] == option
    assert [o["value"] for o in submitted[1]["flags"]["flags"]["selected_options"]] == ["urgent"]
    assert accepted["ok"] is True and closed == []


async def test_response_action_push_stacks_a_view_and_cancel_pops_back_to_the_first(
    make_app: Callable[..., AsyncApp], serve: ServeWorkspace
) -> None:
    app = make_app()
    closed: list[dict[str, Any]] = []
    second = {**form_modal(), "callback_id": "second", "title": {"type": "plain_text", "text": "Step 2"}}

    @app.command("/tickets")
    async def command(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=form_modal())

    @app.view("form")
    async def on_submit(ack: AsyncAck) -> None:
        await ack(response_action="push", view={**second, "notify_on_close": True})

    @app.view_closed("second")
    async def on_closed(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        closed.append(body)

    async with serve(app) as page:
        await page.post("command", channel=SUPPORT, text="/tickets new")
        first = (await page.state())["modals"][0]["id"]
        await page.post("submit", view_id=first, values={"summary": {"text": "x"}})
        stack = (await page.state())["modals"]
        await page.post("close", view_id=stack[1]["id"])
        after = (await page.state())["modals"]

    assert [v["title"]["text"] for v in stack] == ["Form", "Step 2"]
    assert [v["id"] for v in after] == [first]
    assert len(closed) == 1 and closed[0]["is_cleared"] is False


async def test_external_select_search_sends_block_suggestion_with_what_was_typed(
    make_app: Callable[..., AsyncApp], serve: ServeWorkspace
) -> None:
    app = make_app()
    seen: Seen = {}

    @app.command("/tickets")
    async def command(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=form_modal())

    @app.options("pick")
    async def options(ack: AsyncAck, body: dict[str, Any]) -> None:
        seen["body"] = body
        query = body["value"]
        await ack(options=[{"text": {"type": "plain_text", "text": f"{query} Corp"}, "value": "1"}])

    async with serve(app) as page:
        await page.post("command", channel=SUPPORT, text="/tickets new")
        view_id = (await page.state())["modals"][0]["id"]
        answer = await page.post(
            "suggest",
            view_id=view_id,
            action_id="pick",
            block_id="company",
            query="Acme",
            values={"summary": {"text": "typed so far"}},
        )

    assert answer["options"] == [{"text": {"type": "plain_text", "text": "Acme Corp"}, "value": "1"}]
    assert seen["body"]["type"] == "block_suggestion" and seen["body"]["value"] == "Acme"
    assert seen["body"]["view"]["state"]["values"]["summary"]["text"]["value"] == "typed so far"


async def test_opening_home_sends_app_home_opened_with_the_published_view(
    make_app: Callable[..., AsyncApp], serve: ServeWorkspace, fake: FakeSlack
) -> None:
    app = make_app()
    events: list[dict[str, Any]] = []

    @app.event("app_home_opened")
    async def opened(event: dict[str, Any], client: AsyncWebClient) -> None:
        events.append(event)
        await client.views_publish(
            user_id=event["user"],
            view={"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}]},
        )

    async with serve(app) as page:
        await page.post("home")
        first = (await page.state())["home"]
        await page.post("home", tab="messages")
        admin = await page.state(ADMIN)

    assert events[0]["tab"] == "home" and "view" not in events[0]
    assert events[0]["channel"] == fake.dm_channel(ENGINEER)
    assert events[1]["tab"] == "messages" and events[1]["view"]["id"] == first["id"]
    assert first["blocks"][0]["text"]["text"] == "Hi"
    assert admin["home"] is None  # each member has their own Home


async def test_shortcuts_carry_the_message_or_nothing_and_a_live_trigger(
    make_app: Callable[..., AsyncApp], serve: ServeWorkspace, fake: FakeSlack
) -> None:
    app = make_app()
    seen: list[dict[str, Any]] = []

    @app.shortcut("create_spinoff_ticket")
    @app.shortcut("new_ticket")
    async def shortcut(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        seen.append(body)
        await client.views_open(trigger_id=body["trigger_id"], view=form_modal())

    parent = fake.add_message(SUPPORT, user=ADMIN, text="Printer down")
    reply = fake.add_message(SUPPORT, user=ADMIN, text="Also the scanner", thread_ts=parent["ts"])
    async with serve(app) as page:
        await page.post("shortcut", callback_id="create_spinoff_ticket", channel=SUPPORT, ts=reply["ts"])
        await page.post("shortcut", callback_id="new_ticket")

    spinoff, new = seen
    assert spinoff["type"] == "message_action" and spinoff["channel"]["id"] == SUPPORT
    assert spinoff["message"]["text"] == "Also the scanner"
    assert spinoff["message"]["thread_ts"] == parent["ts"]
    assert spinoff["response_url"].startswith(fake.url)
    assert new["type"] == "shortcut" and "channel" not in new
    assert len(fake.calls_to("views.open")) == 2
    assert all(isinstance(c.response, dict) and c.response["ok"] for c in fake.calls_to("views.open"))


async def test_a_slow_app_leaves_the_command_with_slacks_timeout_notice(
    make_app: Callable[..., AsyncApp], serve: ServeWorkspace
) -> None:
    app = make_app()
    released = asyncio.Event()

    @app.command("/tickets")
    async def command(ack: AsyncAck) -> None:
        await released.wait()  # slower than any ack timeout: it acks only once the test has looked
        await ack()

    async with serve(app) as page:
        page.bridge.ack_timeout = 0.1
        try:
            await page.post("command", channel=SUPPORT, text="/tickets mine")
            state = await page.state()
        finally:
            released.set()

    assert state["ephemeral"][SUPPORT][0]["text"] == '/tickets failed with the error "operation_timeout"'
