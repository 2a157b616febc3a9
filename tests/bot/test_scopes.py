"""Least privilege: the scopes the app requests are exactly those its Web API calls and events need.

The Web API methods are found by reading bot/ (every `x.chat_postMessage(…)`-style call of a method
slack_sdk's AsyncWebClient has); each maps to its scopes in the table below, from the method's page
on api.slack.com (its "Required scopes": bot token). A method missing from the table fails the test
until someone looks its scopes up; a scope nobody needs fails it too.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import yaml
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import BOT_SCOPES

ROOT = Path(__file__).resolve().parents[2]
# The local fake Slack and workspace implement the API; they do not call it.
SCANNED = [p for p in (ROOT / "bot").rglob("*.py") if "local" not in p.relative_to(ROOT / "bot").parts]

METHOD_SCOPES: dict[str, frozenset[str]] = {
    "auth.test": frozenset(),
    "views.open": frozenset(),
    "views.push": frozenset(),
    "views.update": frozenset(),
    "views.publish": frozenset(),
    "chat.update": frozenset({"chat:write"}),
    "chat.postEphemeral": frozenset({"chat:write"}),
    "chat.getPermalink": frozenset(),
    # The share card and the created confirmation go to the channel the user works in, which the bot
    # may not have joined: chat:write.public lets it post to public channels without joining.
    "chat.postMessage": frozenset({"chat:write", "chat:write.public"}),
    # Spin-off prompts read the thread in public and private channels.
    "conversations.replies": frozenset({"channels:history", "groups:history"}),
    # The mapping modal suggests the member whose e-mail matches the user's Slack e-mail.
    "users.info": frozenset({"users:read", "users:read.email"}),
    # Previews of ConnectWise ticket links posted where the app is.
    "chat.unfurl": frozenset({"links:write"}),
    # The admins' "only members of this user group" rule: the groups to pick, and who is in one.
    "usergroups.list": frozenset({"usergroups:read"}),
    "usergroups.users.list": frozenset({"usergroups:read"}),
    # A mapping request without an e-mail match is sent to the workspace's admins (is_admin/is_owner).
    "users.list": frozenset({"users:read"}),
}
EVENT_SCOPES: dict[str, frozenset[str]] = {
    "app_home_opened": frozenset(),
    "message.channels": frozenset({"channels:history"}),
    "message.groups": frozenset({"groups:history"}),
    "message.im": frozenset({"im:history"}),
    "link_shared": frozenset({"links:read"}),
}
MANIFESTS = (ROOT / "manifest.yml", ROOT / "manifest.http.yml")


def _api_methods() -> set[str]:
    # Web API methods are the client's public callables named family_method (not BASE_URL and such).
    return {
        name
        for name in dir(AsyncWebClient)
        if not name.startswith("_") and "_" in name and callable(getattr(AsyncWebClient, name))
    }


def _method_name(attr: str) -> str:
    # slack_sdk names `chat.postMessage` chat_postMessage: dots became underscores.
    return attr.replace("_", ".")


def web_api_calls() -> dict[str, set[str]]:
    """Every Web API method used in bot/ → the files that use it: called (`client.chat_postMessage(…)`)
    or handed on to be called (`_show(client.views_open, …)`)."""
    known = _api_methods()
    found: dict[str, set[str]] = {}
    for path in SCANNED:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in known:
                found.setdefault(_method_name(node.attr), set()).add(str(path.relative_to(ROOT)))
    return found


def _manifest(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def needed_scopes() -> set[str]:
    """The scopes the calls, the events and the command/shortcuts need."""
    calls = web_api_calls()
    unknown = sorted(set(calls) - set(METHOD_SCOPES))
    assert not unknown, f"look up the scopes of {unknown} (called in {[calls[m] for m in unknown]})"
    needed = {scope for method in calls for scope in METHOD_SCOPES[method]}
    for path in MANIFESTS:
        manifest = _manifest(path)
        events = manifest["settings"]["event_subscriptions"]["bot_events"]
        assert set(events) <= set(EVENT_SCOPES), f"{path.name}: events without a known scope"
        needed |= {scope for event in events for scope in EVENT_SCOPES[event]}
        if manifest["features"].get("slash_commands") or manifest["features"].get("shortcuts"):
            needed.add("commands")
    return needed


def test_the_code_calls_the_web_api_methods_this_test_knows() -> None:
    calls = web_api_calls()

    assert {"chat.postMessage", "views.open", "users.info", "conversations.replies"} <= set(calls)
    assert set(calls) <= set(METHOD_SCOPES)


def test_bot_scopes_are_exactly_the_ones_the_code_needs() -> None:
    needed = needed_scopes()

    assert set(BOT_SCOPES) - needed == set(), "requested but never used"
    assert needed - set(BOT_SCOPES) == set(), "used but not requested"


def test_both_manifests_request_exactly_the_bot_scopes() -> None:
    for path in MANIFESTS:
        assert sorted(_manifest(path)["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES), path.name


def test_channels_read_groups_read_and_im_write_are_not_requested() -> None:
    assert {"channels:read", "groups:read", "im:write"}.isdisjoint(BOT_SCOPES)
