"""The workspace page server: the page itself, long polling, per-member state and bad requests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from workspace_kit import ADMIN, ENGINEER, SUPPORT, ServeWorkspace, workspace_server

from bot.ids import Shortcut
from bot.local import FakeSlack, SlackRequestSender
from bot.local.workspace.directory import GLOBAL_SHORTCUTS, MESSAGE_SHORTCUTS
from bot.local.workspace.state import surface_state, ui_values

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def serve(
    fake: FakeSlack, serve_bolt: Callable[[AsyncApp], AbstractAsyncContextManager[SlackRequestSender]]
) -> ServeWorkspace:
    return workspace_server(fake, serve_bolt)


def modal(title: str, callback_id: str = "step") -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": {"type": "plain_text", "text": title},
        "blocks": [
            {
                "type": "actions",
                "block_id": "go",
                "elements": [
                    {"type": "button", "action_id": "more", "text": {"type": "plain_text", "text": "More"}}
                ],
            }
        ],
    }


async def test_the_page_and_its_modules_are_served(
    make_app: Callable[..., AsyncApp], serve: ServeWorkspace
) -> None:
    async with serve(make_app()) as page:
        index = await page.http.get("/")
        assets = [await page.http.get(f"/static/{p}") for p in ("app.css", "js/main.js", "js/blocks.js")]
        boot = (await page.http.get("/ui/bootstrap")).json()

    assert index.status_code == 200 and '<script type="module" src="/static/js/main.js">' in index.text
    assert all(a.status_code == 200 for a in assets)
    assert {u["id"] for u in boot["users"]} >= {ADMIN, ENGINEER}
    assert boot["commands"] == ["/tickets"]
    assert [s["callback_id"] for s in boot["message_shortcuts"]] == [
        Shortcut.CREATE_SPINOFF,
        Shortcut.LINK_THREAD,
    ]


async def test_a_poll_waits_for_a_change_and_then_answers_with_the_new_state(
    make_app: Callable[..., AsyncApp], serve: ServeWorkspace
) -> None:
    async with serve(make_app()) as page:
        version = (await page.state())["version"]
        waiting = asyncio.create_task(
            page.http.get("/ui/poll", params={"user": ENGINEER, "after": version, "timeout": 25})
        )
        # Nothing changes: this poll answers at its own timeout, and the long one is still open.
        quiet = await page.http.get("/ui/poll", params={"user": ENGINEER, "after": version, "timeout": 0.2})
        assert not waiting.done()
        await page.post("message", channel=SUPPORT, text="hello", user=ADMIN)
        changed = (await waiting).json()

    assert quiet.json()["version"] == version
    assert changed["version"] > version
    assert changed["messages"][SUPPORT][-1]["text"] == "hello"


async def test_pushed_modals_show_as_one_stack_in_order_for_their_member_only(
    make_app: Callable[..., AsyncApp], serve: ServeWorkspace
) -> None:
    app = make_app()

    @app.command("/tickets")
    async def command(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=modal("First"))

    @app.action("more")
    async def more(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_push(trigger_id=body["trigger_id"], view=modal("Second"))

    async with serve(app) as page:
        await page.post("command", channel=SUPPORT, text="/tickets 1")
        first = (await page.state())["modals"][0]
        await page.post("action", view_id=first["id"], action_id="more", block_id="go")
        stack = (await page.state())["modals"]
        admin = (await page.state(ADMIN))["modals"]
        await page.post("close", view_id=first["id"], clear=True)
        after = (await page.state())["modals"]

    assert [v["title"]["text"] for v in stack] == ["First", "Second"]
    assert stack[1]["previous_view_id"] == first["id"]
    assert admin == [] and after == []


@pytest.mark.parametrize(
    ("path", "body", "status", "error"),
    [
        ("command", {"user": "U0NOBODY", "channel": SUPPORT, "text": "/tickets"}, 404, "unknown_user"),
        ("command", {"user": ENGINEER}, 400, "invalid_request"),
        ("message", {"user": ENGINEER, "channel": SUPPORT, "text": ""}, 400, "invalid_request"),
        ("action", {"user": ENGINEER, "channel": SUPPORT, "ts": "1.2", "action_id": "x"}, 404, "gone"),
        ("submit", {"user": ENGINEER, "view_id": "VNOPE"}, 404, "gone"),
        ("action", {"user": ENGINEER, "action_id": "x"}, 400, "invalid_request"),
    ],
)
async def test_bad_requests_get_a_clear_error_and_never_reach_the_app(
    make_app: Callable[..., AsyncApp],
    serve: ServeWorkspace,
    fake: FakeSlack,
    path: str,
    body: dict[str, Any],
    status: int,
    error: str,
) -> None:
    async with serve(make_app()) as page:
        response = await page.http.post(f"/ui/{path}", json=body)
        unknown = await page.http.get("/ui/state", params={"user": "U0NOBODY"})

    assert (response.status_code, response.json()["error"]) == (status, error)
    assert unknown.status_code == 404
    assert fake.calls == []


SURFACE = {
    "blocks": [
        {
            "type": "input",
            "block_id": "summary",
            "element": {"type": "plain_text_input", "action_id": "text", "initial_value": "draft"},
        },
        {
            "type": "input",
            "block_id": "status",
            "element": {
                "type": "static_select",
                "action_id": "pick",
                "options": [{"text": {"type": "plain_text", "text": "New"}, "value": "1"}],
            },
        },
        {"type": "input", "block_id": "who", "element": {"type": "users_select", "action_id": "user"}},
    ]
}


def test_typed_values_become_slack_state_shapes_and_vanished_inputs_are_dropped() -> None:
    typed = {
        "summary": {"text": ""},
        "status": {"pick": "1"},
        "who": {"user": "U0ADMIN"},
        "gone": {"old": "left over from an earlier version of the view"},
    }

    state = surface_state(SURFACE, typed)

    assert state["summary"]["text"] == {"type": "plain_text_input", "value": None}
    assert state["status"]["pick"]["selected_option"]["value"] == "1"
    assert state["who"]["user"] == {"type": "users_select", "selected_user": "U0ADMIN"}
    assert "gone" not in state
    assert ui_values(SURFACE, typed) == {"status": {"pick": "1"}, "who": {"user": "U0ADMIN"}}


def test_the_manifest_declares_the_shortcuts_the_workspace_offers() -> None:
    manifest = next((ROOT / n for n in ("manifest.yml", "manifest.json") if (ROOT / n).exists()), None)
    if manifest is None:
        pytest.skip("manifest.yml is not written yet")
    text = manifest.read_text()
    for shortcut in (*MESSAGE_SHORTCUTS, *GLOBAL_SHORTCUTS):
        assert shortcut.callback_id in text
        assert shortcut.name in text
