"""The Web API methods the fake implements, each `(args) -> response body` over the shared state."""

from __future__ import annotations

import base64
import binascii
import copy
import re
import time
from collections.abc import Callable
from typing import Any

from bot.local.fake_slack.history import HistoryLimits
from bot.local.fake_slack.limits import check_message
from bot.local.fake_slack.views import ViewStore
from bot.local.fake_slack.workspace import MethodError, Workspace

Handler = Callable[[dict[str, Any]], dict[str, Any]]

# Arguments slack_sdk sends JSON-encoded inside form or query bodies.
JSON_ARGS = frozenset({"blocks", "attachments", "view", "metadata", "unfurls", "user_auth_blocks"})


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))


def _limit(args: dict[str, Any], default: int, maximum: int = 1000) -> int:
    try:
        limit = int(args.get("limit") or default)
    except (TypeError, ValueError) as exc:
        raise MethodError("invalid_limit") from exc
    return min(max(limit, 1), maximum)


def _page(
    items: list[Any], args: dict[str, Any], *, default_limit: int, maximum: int = 1000
) -> tuple[list[Any], str]:
    """Cut a page by index cursor (base64 `index:N`, opaque to clients as in Slack)."""
    start = 0
    cursor = args.get("cursor")
    if cursor:
        try:
            start = int(base64.b64decode(str(cursor)).decode().removeprefix("index:"))
        except (ValueError, binascii.Error) as exc:
            raise MethodError("invalid_cursor") from exc
    end = start + _limit(args, default_limit, maximum)
    next_cursor = base64.b64encode(f"index:{end}".encode()).decode() if end < len(items) else ""
    return items[start:end], next_cursor


_LINK = re.compile(r"<(https?://[^|>\s]+)(?:\|[^>]*)?>")


def links_in(text: str) -> list[str]:
    """The links of a message as Slack stores its text (`<url>` or `<url|label>`), unescaped."""
    return [m.group(1).replace("&amp;", "&") for m in _LINK.finditer(text)]


def _check_message(args: dict[str, Any]) -> None:
    if isinstance(args.get("blocks"), str):
        raise MethodError("invalid_blocks_format")
    problem = check_message(args.get("text"), args.get("blocks"), args.get("attachments"))
    if problem is not None:
        raise MethodError(problem[0], details=problem[1])
    metadata = args.get("metadata")
    if metadata is not None and (
        not isinstance(metadata, dict) or not metadata.get("event_type") or "event_payload" not in metadata
    ):
        raise MethodError("invalid_metadata_format")


class WebApi:
    """Dispatches Web API method names to handlers operating on the workspace and view store."""

    def __init__(self, workspace: Workspace, views: ViewStore, history: HistoryLimits) -> None:
        self.ws = workspace
        self.views = views
        self.history = history
        self.ident = workspace.identity
        self.handlers: dict[str, Handler] = {
            "auth.test": self.auth_test,
            "chat.postMessage": self.chat_post_message,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.update": self.chat_update,
            "chat.delete": self.chat_delete,
            "chat.getPermalink": self.chat_get_permalink,
            "chat.unfurl": self.chat_unfurl,
            "views.open": self.views_open,
            "views.push": self.views_push,
            "views.update": self.views_update,
            "views.publish": self.views_publish,
            "users.info": self.users_info,
            "users.list": self.users_list,
            "users.lookupByEmail": self.users_lookup_by_email,
            "usergroups.list": self.usergroups_list,
            "usergroups.users.list": self.usergroups_users_list,
            "conversations.info": self.conversations_info,
            "conversations.history": self.conversations_history,
            "conversations.replies": self.conversations_replies,
            "team.info": self.team_info,
            "bots.info": self.bots_info,
            "reactions.add": self.reactions_add,
        }

    def auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        """auth.test: who the bot token belongs to."""
        i = self.ident
        return {
            "ok": True,
            "url": f"https://{i.domain}.slack.com/",
            "team": i.team_name,
            "user": i.bot_name,
            # An org-wide token names the org in place of a workspace (Slack's auth.test reference).
            "team_id": i.enterprise_id if i.org_wide and i.enterprise_id else i.team_id,
            "user_id": i.bot_user_id,
            "bot_id": i.bot_id,
            "is_enterprise_install": i.org_wide,
            **({"enterprise_id": i.enterprise_id} if i.enterprise_id else {}),
        }

    def chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        """chat.postMessage: post as the bot (a user id posts to the DM), optionally in a thread."""
        channel = self.ws.postable_channel(args.get("channel"))
        _check_message(args)
        message = self.ws.bot_message(
            text=args.get("text"),
            blocks=args.get("blocks"),
            attachments=args.get("attachments"),
            thread_ts=args.get("thread_ts") or None,
            metadata=args.get("metadata"),
        )
        posted = self.ws.post(channel.id, message)
        return {"ok": True, "channel": channel.id, "ts": posted["ts"], "message": copy.deepcopy(posted)}

    def chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        """chat.postEphemeral: a message only one member sees."""
        channel = self.ws.postable_channel(args.get("channel"))
        user = self.ws.user(args.get("user"))
        _check_message(args)
        message = self.ws.bot_message(
            text=args.get("text"), blocks=args.get("blocks"), thread_ts=args.get("thread_ts") or None
        )
        posted = self.ws.post_ephemeral(channel.id, user.id, message)
        return {"ok": True, "message_ts": posted["ts"]}

    def chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        """chat.update: edit one of the bot's messages in place."""
        message = self.ws.own_message(args.get("channel"), args.get("ts"))
        text = args.get("text", message.get("text"))
        blocks = args.get("blocks", message.get("blocks"))
        _check_message({**args, "text": text, "blocks": blocks})
        message["text"] = text or ""
        if blocks is not None:
            message["blocks"] = blocks
        if "metadata" in args:
            message["metadata"] = args["metadata"]
        message["edited"] = {"user": self.ident.bot_user_id, "ts": self.ws.next_ts()}
        return {
            "ok": True,
            "channel": args["channel"],
            "ts": message["ts"],
            "text": message["text"],
            "message": copy.deepcopy(message),
        }

    def chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        """chat.delete: remove one of the bot's messages."""
        try:
            message = self.ws.own_message(args.get("channel"), args.get("ts"))
        except MethodError as exc:
            raise MethodError(
                "cant_delete_message" if exc.error == "cant_update_message" else exc.error
            ) from exc
        self.ws.delete(args["channel"], message["ts"])
        return {"ok": True, "channel": args["channel"], "ts": message["ts"]}

    def chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        """chat.getPermalink: a link to a channel message (thread replies carry thread_ts)."""
        channel = self.ws.channel(args.get("channel"))
        message = self.ws.find(channel.id, args.get("message_ts"))
        if message is None:
            raise MethodError("message_not_found")
        link = (
            f"https://{self.ident.domain}.slack.com/archives/{channel.id}/p{message['ts'].replace('.', '')}"
        )
        thread_ts = message.get("thread_ts")
        if thread_ts and thread_ts != message["ts"]:
            link += f"?thread_ts={thread_ts}&cid={channel.id}"
        return {"ok": True, "channel": channel.id, "permalink": link}

    def chat_unfurl(self, args: dict[str, Any]) -> dict[str, Any]:
        """chat.unfurl: previews for links in a member's message (`unfurls`: url → {blocks}; an empty
        object removes a preview). Addressed by channel + ts (the unfurl_id form is not kept here)."""
        unfurls = args.get("unfurls")
        if unfurls is None or unfurls == "":
            raise MethodError("missing_unfurls")
        if not isinstance(unfurls, dict) or not all(isinstance(v, dict) for v in unfurls.values()):
            raise MethodError("invalid_unfurls_format")
        if args.get("unfurl_id") and not args.get("channel"):
            raise MethodError("cannot_find_message")
        channel = self.ws.channel(args.get("channel"))
        message = self.ws.find(channel.id, args.get("ts"))
        if message is None:
            raise MethodError("cannot_find_message")
        if not set(unfurls) <= set(links_in(str(message.get("text") or ""))):
            raise MethodError("cannot_unfurl_url")
        for preview in unfurls.values():
            if preview.get("blocks") is not None:
                _check_message({"text": "unfurl", "blocks": preview["blocks"]})
        kept = dict(message.get("unfurls") or {})
        kept.update({url: copy.deepcopy(v) for url, v in unfurls.items() if v})
        for url in [u for u, v in unfurls.items() if not v]:
            kept.pop(url, None)
        message["unfurls"] = kept
        return {"ok": True}

    def _trigger_arg(self, args: dict[str, Any]) -> Any:
        return args.get("trigger_id") or args.get("interactivity_pointer")

    def views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        """views.open: open a modal with a fresh trigger_id."""
        record = self.views.open(args.get("view"), self._trigger_arg(args))
        return {"ok": True, "view": record.to_slack(self.ident)}

    def views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        """views.push: push onto the modal stack the trigger came from."""
        record = self.views.push(args.get("view"), self._trigger_arg(args))
        return {"ok": True, "view": record.to_slack(self.ident)}

    def views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        """views.update: replace an open view by view_id or external_id, honouring `hash`."""
        record = self.views.update(
            args.get("view"),
            view_id=args.get("view_id"),
            external_id=args.get("external_id"),
            hash=args.get("hash"),
        )
        return {"ok": True, "view": record.to_slack(self.ident)}

    def views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        """views.publish: set a member's Home tab, honouring `hash`."""
        user_id = args.get("user_id")
        if not isinstance(user_id, str) or user_id not in self.ws.users:
            raise MethodError("invalid_arguments", details=["invalid user_id [json-pointer:/user_id]"])
        record = self.views.publish(user_id, args.get("view"), args.get("hash"))
        return {"ok": True, "view": record.to_slack(self.ident)}

    def users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        """users.info: one member, with profile.email."""
        return {"ok": True, "user": self.ws.user(args.get("user")).to_slack(self.ident.team_id)}

    def users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        """users.list: members, paginated by cursor."""
        members = [u.to_slack(self.ident.team_id) for u in self.ws.users.values()]
        page, next_cursor = _page(members, args, default_limit=1000)
        return {
            "ok": True,
            "members": page,
            "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": next_cursor},
        }

    def users_lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        """users.lookupByEmail: find a member by e-mail (case-insensitive)."""
        email = str(args.get("email") or "").lower()
        for user in self.ws.users.values():
            if email and user.email is not None and user.email.lower() == email:
                return {"ok": True, "user": user.to_slack(self.ident.team_id)}
        raise MethodError("users_not_found")

    def usergroups_list(self, args: dict[str, Any]) -> dict[str, Any]:
        """usergroups.list: the workspace's user groups (disabled ones with `include_disabled`, members
        with `include_users`), as in Slack's reference."""
        include_disabled = _truthy(args.get("include_disabled"))
        include_users = _truthy(args.get("include_users"))
        groups = [
            g.to_slack(self.ident.team_id, include_users=include_users)
            for g in self.ws.usergroups.values()
            if include_disabled or not g.disabled
        ]
        return {"ok": True, "usergroups": groups}

    def usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        """usergroups.users.list: the member ids of one user group (`no_such_subteam` when unknown)."""
        group = self.ws.usergroup(
            args.get("usergroup"), include_disabled=_truthy(args.get("include_disabled"))
        )
        return {"ok": True, "users": list(group.users)}

    def conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        """conversations.info: one channel or DM."""
        channel = self.ws.channel(args.get("channel"))
        return {"ok": True, "channel": channel.to_slack(self.ident.bot_user_id)}

    def _readable(self, channel_id: Any) -> str:
        channel = self.ws.channel(channel_id)
        if not channel.is_member:
            raise MethodError("not_in_channel")
        return channel.id

    def conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        """conversations.history: top-level messages, newest first, within oldest/latest."""
        channel_id = self._readable(args.get("channel"))
        inclusive = _truthy(args.get("inclusive"))
        oldest, latest = float(args.get("oldest") or 0), float(args.get("latest") or "inf")

        def within(ts: str) -> bool:
            t = float(ts)
            return (oldest <= t <= latest) if inclusive else (oldest < t < latest)

        messages = [m for m in reversed(self.ws.top_level(channel_id)) if within(m["ts"])]
        cap = self.history.max_messages("conversations.history")
        page, next_cursor = _page(messages, args, default_limit=cap or 100, maximum=cap or 1000)
        return {
            "ok": True,
            "messages": copy.deepcopy(page),
            "has_more": bool(next_cursor),
            "pin_count": 0,
            "response_metadata": {"next_cursor": next_cursor},
        }

    def conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        """conversations.replies: a thread, parent first, oldest first (15 a call outside the Marketplace)."""
        channel_id = self._readable(args.get("channel"))
        thread = self.ws.thread(channel_id, str(args.get("ts") or ""))
        if not thread:
            raise MethodError("thread_not_found")
        cap = self.history.max_messages("conversations.replies")
        page, next_cursor = _page(thread, args, default_limit=cap or 1000, maximum=cap or 1000)
        return {
            "ok": True,
            "messages": copy.deepcopy(page),
            "has_more": bool(next_cursor),
            "response_metadata": {"next_cursor": next_cursor},
        }

    def team_info(self, args: dict[str, Any]) -> dict[str, Any]:
        """team.info: the workspace."""
        i = self.ident
        return {
            "ok": True,
            "team": {
                "id": i.team_id,
                "name": i.team_name,
                "domain": i.domain,
                "email_domain": "example.com",
                "url": f"https://{i.domain}.slack.com/",
                "is_verified": False,
                "icon": {"image_default": True},
            },
        }

    def bots_info(self, args: dict[str, Any]) -> dict[str, Any]:
        """bots.info: the installed app's bot (the only bot in the fake workspace)."""
        i = self.ident
        if args.get("bot") not in (None, "", i.bot_id):
            raise MethodError("bot_not_found")
        return {
            "ok": True,
            "bot": {
                "id": i.bot_id,
                "deleted": False,
                "name": i.bot_name,
                "updated": 1700000000,
                "app_id": i.app_id,
                "user_id": i.bot_user_id,
                "icons": {"image_48": "https://a.slack-edge.com/80588/img/plugins/app/bot_48.png"},
            },
        }

    def reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        """reactions.add: react to a channel message as the bot."""
        self.ws.add_reaction(
            args.get("channel"), args.get("timestamp"), args.get("name"), self.ident.bot_user_id
        )
        return {"ok": True}
