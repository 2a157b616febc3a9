"""Request bodies exactly as Slack sends them; each builder returns `(body, content_type)` to sign."""

from __future__ import annotations

import copy
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from pydantic import BaseModel

from bot.local.block_state import STATEFUL_TYPES, element_state, find_element, view_state
from bot.local.fake_slack.models import FakeChannel, FakeUser

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
VERIFICATION_TOKEN = "local-verification-token"
DEFAULT_APP_ID = "A0LOCAL"
DEFAULT_BOT_USER_ID = "U0LOCALBOT"

UserLike = str | FakeUser
ChannelLike = str | FakeChannel


class Team(BaseModel):
    """The workspace a request comes from."""

    id: str = "T0LOCAL"
    domain: str = "local-workspace"


DEFAULT_TEAM = Team()
TeamLike = str | Team

__all__ = [
    "DEFAULT_TEAM",
    "FORM",
    "JSON",
    "Team",
    "app_home_opened_event",
    "block_actions",
    "block_suggestion",
    "element_state",
    "event_callback",
    "global_shortcut",
    "message_event",
    "message_shortcut",
    "slash_command",
    "url_verification",
    "view_closed",
    "view_state",
    "view_submission",
]


def _team(team: TeamLike) -> Team:
    return Team(id=team) if isinstance(team, str) else team


def _user(user: UserLike, team: Team) -> dict[str, Any]:
    name = user.name if isinstance(user, FakeUser) else user.lower()
    user_id = user.id if isinstance(user, FakeUser) else user
    return {"id": user_id, "username": name, "name": name, "team_id": team.id}


def _channel(channel: ChannelLike) -> dict[str, Any]:
    if isinstance(channel, FakeChannel):
        name = channel.name or "directmessage"
        return {"id": channel.id, "name": name}
    return {"id": channel, "name": "directmessage" if channel.startswith("D") else channel.lower()}


def _new_trigger_id() -> str:
    # Well-formed but never minted by a FakeSlack, so views.open answers invalid_trigger_id.
    return f"{int(time.time())}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}"


def _action_ts() -> str:
    return f"{time.time():.6f}"


def _interactive(payload: dict[str, Any]) -> tuple[str, str]:
    return urlencode({"payload": json.dumps(payload)}), FORM


def _envelope(kind: str, user: UserLike, team: Team, api_app_id: str) -> dict[str, Any]:
    return {
        "type": kind,
        "user": _user(user, team),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "team": {"id": team.id, "domain": team.domain},
        "enterprise": None,
        "is_enterprise_install": False,
    }


def _with_state(view: dict[str, Any], values: dict[str, Any] | None) -> dict[str, Any]:
    view = copy.deepcopy(view)
    view["state"] = {"values": view_state(view, values)}
    return view


def slash_command(
    command: str,
    text: str = "",
    *,
    user: UserLike,
    channel: ChannelLike,
    team: TeamLike = DEFAULT_TEAM,
    trigger_id: str | None = None,
    response_url: str | None = None,
    api_app_id: str = DEFAULT_APP_ID,
) -> tuple[str, str]:
    """A slash command invocation (form-encoded, fields in Slack's order)."""
    t, u, c = _team(team), _user(user, _team(team)), _channel(channel)
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": t.id,
        "team_domain": t.domain,
        "channel_id": c["id"],
        "channel_name": c["name"],
        "user_id": u["id"],
        "user_name": u["name"],
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        # Port 9 (discard) refuses at once: an unset response_url never leaves the machine.
        "response_url": response_url or "http://127.0.0.1:9/response/unset",
        "trigger_id": trigger_id or _new_trigger_id(),
    }
    return urlencode(fields), FORM


def block_actions(
    action_id: str,
    value: Any = None,
    *,
    user: UserLike,
    block_id: str | None = None,
    message: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    channel: ChannelLike | None = None,
    response_url: str | None = None,
    trigger_id: str | None = None,
    is_ephemeral: bool = False,
    state_values: dict[str, Any] | None = None,
    team: TeamLike = DEFAULT_TEAM,
    api_app_id: str = DEFAULT_APP_ID,
) -> tuple[str, str]:
    """A click/selection on the element `action_id` of a `message` (with `channel`) or a `view`.

    `value` is what the member picked (an option value, a user id, a date...); buttons send their own.
    """
    if (message is None) == (view is None):
        raise ValueError("pass exactly one of message= or view=")
    surface: dict[str, Any] = message if message is not None else view  # type: ignore[assignment]
    unfurl_url: str | None = None
    try:
        block_id, element = find_element(surface.get("blocks", []), action_id, block_id)
    except ValueError:
        if message is None:
            raise
        unfurl_url, block_id, element = _find_in_unfurls(message, action_id, block_id)
    action = {"action_id": action_id, "block_id": block_id, **_action_fields(element, value)}
    action["action_ts"] = _action_ts()
    t = _team(team)
    payload = _envelope("block_actions", user, t, api_app_id)
    payload["trigger_id"] = trigger_id or _new_trigger_id()
    stateful = value is not None and element.get("type") in STATEFUL_TYPES
    picked = {block_id: {action_id: value}} if stateful else {}
    if view is not None:
        values = {**(state_values or {})}
        for b, actions in picked.items():
            values[b] = {**values.get(b, {}), **actions}
        payload["container"] = {"type": "view", "view_id": view.get("id")}
        payload["view"] = _with_state(view, values)
    else:
        assert message is not None
        if channel is None:
            raise ValueError("a message action needs channel=")
        ch = _channel(channel)
        payload["container"] = {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": ch["id"],
            "is_ephemeral": is_ephemeral,
        }
        if unfurl_url is not None:
            # A click in an app's link preview: Slack names the attachment it is drawn as.
            urls = list(message.get("unfurls") or {})
            payload["container"] |= {
                "type": "message_attachment",
                "attachment_id": urls.index(unfurl_url) + 1,
                "is_app_unfurl": True,
                "app_unfurl_url": unfurl_url,
            }
            payload["app_unfurl"] = {
                **copy.deepcopy(message["unfurls"][unfurl_url]),
                "id": urls.index(unfurl_url) + 1,
                "is_app_unfurl": True,
                "app_unfurl_url": unfurl_url,
            }
        payload["channel"] = ch
        payload["message"] = copy.deepcopy(message)
        payload["state"] = {"values": view_state(message, {**(state_values or {}), **picked})}
        payload["response_url"] = response_url or "http://127.0.0.1:9/response/unset"
    payload["actions"] = [action]
    return _interactive(payload)


def _find_in_unfurls(
    message: dict[str, Any], action_id: str, block_id: str | None
) -> tuple[str, str, dict[str, Any]]:
    """(url, block_id, element) of an element in one of the message's link previews (chat.unfurl)."""
    for url, preview in (message.get("unfurls") or {}).items():
        try:
            found_block, element = find_element(preview.get("blocks") or [], action_id, block_id)
        except ValueError:
            continue
        return url, found_block, element
    where = f" in block {block_id!r}" if block_id else ""
    raise ValueError(f"no element with action_id {action_id!r}{where}")


def _action_fields(element: dict[str, Any], value: Any) -> dict[str, Any]:
    kind = element.get("type")
    if kind in ("button", "workflow_button"):
        if value is not None and value != element.get("value"):
            raise ValueError(f"a button sends its own value {element.get('value')!r}, not {value!r}")
        fields: dict[str, Any] = {"type": kind, "text": element.get("text")}
        if "value" in element:
            fields["value"] = element["value"]
        if "style" in element:
            fields["style"] = element["style"]
        return fields
    if kind == "overflow":
        option = next((o for o in element.get("options", []) if o.get("value") == value), None)
        if option is None:
            raise ValueError(f"overflow has no option {value!r}")
        return {"type": kind, "selected_option": option}
    return element_state(element, value)


def view_submission(
    view: dict[str, Any],
    *,
    user: UserLike,
    values: dict[str, Any] | None = None,
    trigger_id: str | None = None,
    response_urls: list[dict[str, Any]] | None = None,
    team: TeamLike = DEFAULT_TEAM,
    api_app_id: str = DEFAULT_APP_ID,
) -> tuple[str, str]:
    """The member presses Submit on `view` after typing `values` ({block_id: {action_id: value}})."""
    payload = _envelope("view_submission", user, _team(team), api_app_id)
    payload["trigger_id"] = trigger_id or _new_trigger_id()
    payload["view"] = _with_state(view, values)
    payload["response_urls"] = response_urls or []
    return _interactive(payload)


def view_closed(
    view: dict[str, Any],
    *,
    user: UserLike,
    is_cleared: bool = False,
    team: TeamLike = DEFAULT_TEAM,
    api_app_id: str = DEFAULT_APP_ID,
) -> tuple[str, str]:
    """The member closes a modal that set `notify_on_close`."""
    payload = _envelope("view_closed", user, _team(team), api_app_id)
    payload["view"] = _with_state(view, None)
    payload["is_cleared"] = is_cleared
    return _interactive(payload)


def block_suggestion(
    action_id: str,
    block_id: str,
    value: str,
    *,
    user: UserLike,
    view: dict[str, Any] | None = None,
    message: dict[str, Any] | None = None,
    channel: ChannelLike | None = None,
    team: TeamLike = DEFAULT_TEAM,
    api_app_id: str = DEFAULT_APP_ID,
) -> tuple[str, str]:
    """The options request an external_select sends while the member types `value`."""
    payload = _envelope("block_suggestion", user, _team(team), api_app_id)
    payload.update({"action_id": action_id, "block_id": block_id, "value": value})
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id")}
        payload["view"] = _with_state(view, None)
    elif message is not None and channel is not None:
        ch = _channel(channel)
        payload["container"] = {"type": "message", "message_ts": message["ts"], "channel_id": ch["id"]}
        payload["channel"] = ch
        payload["message"] = copy.deepcopy(message)
    else:
        raise ValueError("pass view=, or message= with channel=")
    return _interactive(payload)


def message_shortcut(
    callback_id: str,
    message: dict[str, Any],
    channel: ChannelLike,
    user: UserLike,
    *,
    trigger_id: str | None = None,
    response_url: str | None = None,
    team: TeamLike = DEFAULT_TEAM,
    api_app_id: str = DEFAULT_APP_ID,
) -> tuple[str, str]:
    """A message shortcut run on `message` (which carries `ts`, `text`, `user`, maybe `thread_ts`)."""
    payload = _envelope("message_action", user, _team(team), api_app_id)
    payload.update(
        {
            "action_ts": _action_ts(),
            "callback_id": callback_id,
            "trigger_id": trigger_id or _new_trigger_id(),
            "response_url": response_url or "http://127.0.0.1:9/response/unset",
            "channel": _channel(channel),
            "message_ts": message["ts"],
            "message": copy.deepcopy(message),
        }
    )
    return _interactive(payload)


def global_shortcut(
    callback_id: str,
    *,
    user: UserLike,
    trigger_id: str | None = None,
    team: TeamLike = DEFAULT_TEAM,
    api_app_id: str = DEFAULT_APP_ID,
) -> tuple[str, str]:
    """A global shortcut (from the composer or search; no channel)."""
    payload = _envelope("shortcut", user, _team(team), api_app_id)
    payload.update(
        {"action_ts": _action_ts(), "callback_id": callback_id, "trigger_id": trigger_id or _new_trigger_id()}
    )
    return _interactive(payload)


def event_callback(
    event: dict[str, Any],
    *,
    team_id: str = DEFAULT_TEAM.id,
    event_id: str | None = None,
    event_time: int | None = None,
    api_app_id: str = DEFAULT_APP_ID,
    authorized_user_id: str = DEFAULT_BOT_USER_ID,
) -> tuple[str, str]:
    """An Events API delivery wrapping `event` (JSON)."""
    body = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or "Ev" + secrets.token_hex(5).upper(),
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": authorized_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-" + secrets.token_urlsafe(24),
    }
    return json.dumps(body), JSON


def app_home_opened_event(
    user: str, *, channel: str, tab: str = "home", view: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The `app_home_opened` event; `view` is the published Home (with id and hash) when one exists."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user,
        "channel": channel,
        "tab": tab,
        "event_ts": _action_ts(),
    }
    if view is not None:
        event["view"] = copy.deepcopy(view)
    return event


def message_event(
    channel: str,
    *,
    user: str,
    text: str,
    ts: str | None = None,
    thread_ts: str | None = None,
    channel_type: str = "channel",
    team_id: str = DEFAULT_TEAM.id,
) -> dict[str, Any]:
    """A `message` event for a member's message (pass the ts the fake recorded via add_message)."""
    ts = ts or _action_ts()
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "team": team_id,
        "channel_type": channel_type,
        "client_msg_id": secrets.token_hex(16),
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def link_shared_event(
    channel: str,
    *,
    user: str,
    message_ts: str,
    links: list[str],
    thread_ts: str | None = None,
    team_id: str = DEFAULT_TEAM.id,
) -> dict[str, Any]:
    """A `link_shared` event: links to one of the app's unfurl domains posted in a member's message."""
    event: dict[str, Any] = {
        "type": "link_shared",
        "channel": channel,
        "user": user,
        "message_ts": message_ts,
        "unfurl_id": f"{channel}.{message_ts}.{secrets.token_hex(4)}",
        "source": "conversations_history",
        "links": [{"domain": urlsplit(url).hostname or "", "url": url} for url in links],
        "event_ts": _action_ts(),
        "team": team_id,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def url_verification(challenge: str) -> tuple[str, str]:
    """The handshake Slack sends when a Request URL is saved (JSON)."""
    return json.dumps({"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}), JSON
