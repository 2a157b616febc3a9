"""The app manifests agree with bot/ids.py, the app's scopes and routes, and Slack's schema limits.

`manifest.yml` for Socket Mode (no public URL), `manifest.http.yml` for an HTTP/OAuth install.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from scenario_harness import CHANNEL, DEMO, Slack

from bot.app import BOT_SCOPES
from bot.ids import COMMAND, Shortcut
from bot.local import payloads as p
from bot.server import EVENTS_PATH, REDIRECT_PATH

ROOT = Path(__file__).resolve().parents[3]
SOCKET = ROOT / "manifest.yml"
HTTP = ROOT / "manifest.http.yml"


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(params=[SOCKET, HTTP], ids=["socket", "http"])
def manifest(request: pytest.FixtureRequest) -> dict[str, Any]:
    return load(request.param)


def test_the_slash_command_is_ours_with_a_usage_hint(manifest: dict[str, Any]) -> None:
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == COMMAND
    assert 0 < len(command["usage_hint"]) <= 1000 and len(command["description"]) <= 2000
    assert command["should_escape"] is True  # `assigned:@user` arrives as <@U…>, resolved by id


def test_shortcuts_use_the_callback_ids_the_app_registers(manifest: dict[str, Any]) -> None:
    shortcuts = manifest["features"]["shortcuts"]
    assert {(s["type"], s["callback_id"]) for s in shortcuts} == {
        ("global", Shortcut.NEW_TICKET),
        ("message", Shortcut.CREATE_SPINOFF),
        ("message", Shortcut.LINK_THREAD),
        ("message", Shortcut.LOG_TIME),
        ("message", Shortcut.ADD_TO_TICKET),
    }
    names = {s["callback_id"]: s["name"] for s in shortcuts}
    assert names[Shortcut.CREATE_SPINOFF] == "Create spin-off ticket"
    assert names[Shortcut.LINK_THREAD] == "Link thread to ticket"
    assert names[Shortcut.NEW_TICKET] == "New ticket"
    assert names[Shortcut.LOG_TIME] == "Log time on ticket"
    assert names[Shortcut.ADD_TO_TICKET] == "Add to ticket as note"
    assert all(len(s["name"]) <= 24 and len(s["description"]) <= 150 for s in shortcuts)


def test_home_tab_events_scopes_and_interactivity(manifest: dict[str, Any]) -> None:
    assert manifest["features"]["app_home"] == {
        "home_tab_enabled": True,
        "messages_tab_enabled": True,  # "View all tickets" lands in the app's DM...
        "messages_tab_read_only_enabled": True,  # ...which nobody needs to type into
    }
    assert len(manifest["display_information"]["name"]) <= 35
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert sorted(events) == ["app_home_opened", "link_shared", "message.channels", "message.groups"]
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)
    assert "users:read.email" in BOT_SCOPES  # the mapping modal suggests the member with your e-mail
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_socket_mode_manifest_needs_no_public_url() -> None:
    manifest = load(SOCKET)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "https://" not in json.dumps({k: v for k, v in manifest.items() if k != "display_information"})


def test_http_manifest_points_every_url_at_the_app_and_differs_only_in_urls() -> None:
    http = load(HTTP)
    settings = http["settings"]
    urls = [
        http["features"]["slash_commands"][0]["url"],
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        settings["interactivity"]["message_menu_options_url"],  # external selects' options
    ]
    assert all(u.startswith("https://") and u.endswith(EVENTS_PATH) for u in urls)
    assert [u.endswith(REDIRECT_PATH) for u in http["oauth_config"]["redirect_urls"]] == [True]
    assert settings["socket_mode_enabled"] is False

    stripped = copy.deepcopy(http)
    del stripped["features"]["slash_commands"][0]["url"]
    del stripped["settings"]["event_subscriptions"]["request_url"]
    del stripped["settings"]["interactivity"]["request_url"]
    del stripped["settings"]["interactivity"]["message_menu_options_url"]
    del stripped["oauth_config"]["redirect_urls"]
    stripped["settings"]["socket_mode_enabled"] = True
    assert stripped == load(SOCKET)


async def test_every_shortcut_in_the_manifest_opens_a_modal_or_answers(slack: Slack) -> None:
    message = slack.fake.add_message(CHANNEL, user=DEMO, text="Printer on floor 2 is jammed again")
    for shortcut in load(SOCKET)["features"]["shortcuts"]:
        trigger = slack.fake.new_trigger_id(DEMO)
        if shortcut["type"] == "global":
            body = p.global_shortcut(shortcut["callback_id"], user=DEMO, trigger_id=trigger)
        else:
            response_url = slack.fake.new_response_url(CHANNEL, DEMO)
            body = p.message_shortcut(
                shortcut["callback_id"], message, CHANNEL, DEMO, trigger_id=trigger, response_url=response_url
            )
        opened = len(slack.fake.calls_to("views.open"))
        answered = len(slack.fake.responses)

        sent = await slack.send(body)

        assert sent.status == 200
        if shortcut["callback_id"] == Shortcut.ADD_TO_TICKET:  # no modal: it says what it did, or why not
            assert len(slack.fake.responses) == answered + 1
        else:
            assert len(slack.fake.calls_to("views.open")) == opened + 1, shortcut["callback_id"]
