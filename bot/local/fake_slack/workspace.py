"""The fake workspace's people, conversations and messages (not thread-safe: FakeSlack holds the lock)."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from bot.local.fake_slack.models import FakeChannel, FakeUser, FakeUsergroup, team_domain


class MethodError(Exception):
    """A Web API failure, answered as `{"ok": false, "error": ...}` with `status`."""

    def __init__(self, error: str, *, status: int = 200, details: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.details = details or []

    def body(self) -> dict[str, Any]:
        """Return the JSON body Slack would send for this error."""
        body: dict[str, Any] = {"ok": False, "error": self.error}
        if self.details:
            body["errors"] = list(self.details)
            body["response_metadata"] = {"messages": [f"[ERROR] {d}" for d in self.details]}
        return body


class Identity(BaseModel):
    """Who the fake workspace and the installed app are."""

    team_id: str
    team_name: str
    bot_token: str
    app_id: str
    bot_id: str
    bot_user_id: str
    bot_name: str
    enterprise_id: str | None = None  # the Enterprise Grid org, when the workspace belongs to one
    org_wide: bool = False  # the app is installed for the whole org (auth.test names the org)

    @property
    def domain(self) -> str:
        """Return the workspace subdomain."""
        return team_domain(self.team_name)

    def bot_user(self) -> FakeUser:
        """Return the app's bot user as a workspace member."""
        return FakeUser(
            id=self.bot_user_id,
            name=self.bot_name,
            real_name=self.bot_name,
            is_bot=True,
            bot_id=self.bot_id,
        )


class Workspace:
    """Users, channels, channel messages (with threads) and ephemeral messages."""

    def __init__(
        self, identity: Identity, users: Iterable[FakeUser], channels: Iterable[FakeChannel]
    ) -> None:
        self.identity = identity
        self.users: dict[str, FakeUser] = {}
        self.usergroups: dict[str, FakeUsergroup] = {}
        self.channels: dict[str, FakeChannel] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.ephemerals: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._last_ts_us = 0
        self.add_user(identity.bot_user())
        for user in users:
            self.add_user(user)
        for channel in channels:
            self.add_channel(channel)

    def next_ts(self) -> str:
        """Return a unique, strictly increasing message ts such as `1700000000.000100`."""
        self._last_ts_us = max(int(time.time() * 1_000_000), self._last_ts_us + 1)
        return f"{self._last_ts_us // 1_000_000}.{self._last_ts_us % 1_000_000:06d}"

    def add_user(self, user: FakeUser) -> FakeUser:
        """Add or replace a member."""
        self.users[user.id] = user
        return user

    def add_usergroup(self, group: FakeUsergroup) -> FakeUsergroup:
        """Add or replace a user group."""
        self.usergroups[group.id] = group
        return group

    def usergroup(self, group_id: Any, *, include_disabled: bool = False) -> FakeUsergroup:
        """Return a user group or fail with `no_such_subteam` (a disabled one only when asked for)."""
        group = self.usergroups.get(group_id) if isinstance(group_id, str) else None
        if group is None or (group.disabled and not include_disabled):
            raise MethodError("no_such_subteam")
        return group

    def add_channel(self, channel: FakeChannel) -> FakeChannel:
        """Add or replace a conversation."""
        self.channels[channel.id] = channel
        self.messages.setdefault(channel.id, [])
        return channel

    def user(self, user_id: Any) -> FakeUser:
        """Return a member or fail with `user_not_found`."""
        if not isinstance(user_id, str) or user_id not in self.users:
            raise MethodError("user_not_found")
        return self.users[user_id]

    def dm_channel(self, user_id: str) -> FakeChannel:
        """Return (opening if needed) the app's DM with a member."""
        self.user(user_id)
        for channel in self.channels.values():
            if channel.is_im and channel.user == user_id:
                return channel
        return self.add_channel(FakeChannel(id="D" + user_id[1:], is_im=True, user=user_id))

    def channel(self, channel_id: Any) -> FakeChannel:
        """Return a conversation or fail with `channel_not_found`."""
        if not isinstance(channel_id, str) or channel_id not in self.channels:
            raise MethodError("channel_not_found")
        return self.channels[channel_id]

    def postable_channel(self, channel_id: Any) -> FakeChannel:
        """Resolve where the bot may post: a user id opens the DM, a `#name` names a channel."""
        if isinstance(channel_id, str) and channel_id in self.users:
            return self.dm_channel(channel_id)
        if isinstance(channel_id, str) and channel_id not in self.channels:
            named = [c for c in self.channels.values() if c.name and c.name == channel_id.removeprefix("#")]
            channel_id = named[0].id if named else channel_id
        channel = self.channel(channel_id)
        if not channel.is_member:
            raise MethodError("not_in_channel")
        return channel

    def bot_message(self, *, text: Any, blocks: Any, **extra: Any) -> dict[str, Any]:
        """Build a message authored by the app's bot user."""
        ident = self.identity
        message: dict[str, Any] = {
            "type": "message",
            "user": ident.bot_user_id,
            "bot_id": ident.bot_id,
            "app_id": ident.app_id,
            "team": ident.team_id,
            "text": text if isinstance(text, str) else "",
            "bot_profile": {"id": ident.bot_id, "app_id": ident.app_id, "name": ident.bot_name},
        }
        if blocks is not None:
            message["blocks"] = blocks
        message.update({k: v for k, v in extra.items() if v is not None})
        return message

    def post(self, channel_id: str, message: dict[str, Any]) -> dict[str, Any]:
        """Store a message in a channel, stamping `ts` and linking thread replies to their parent."""
        message = {**message, "ts": self.next_ts()}
        thread_ts = message.get("thread_ts")
        if thread_ts:
            parent = self.find(channel_id, thread_ts)
            if parent is not None:
                parent["thread_ts"] = thread_ts
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                users = parent.setdefault("reply_users", [])
                if message.get("user") not in users:
                    users.append(message.get("user"))
                parent["latest_reply"] = message["ts"]
        self.messages.setdefault(channel_id, []).append(message)
        return message

    def find(self, channel_id: str, ts: Any) -> dict[str, Any] | None:
        """Return the stored channel message with this ts, if any."""
        for message in self.messages.get(channel_id, []):
            if message["ts"] == ts:
                return message
        return None

    def own_message(self, channel_id: Any, ts: Any) -> dict[str, Any]:
        """Return a message the bot may edit, or fail like chat.update does."""
        channel = self.channel(channel_id)
        message = self.find(channel.id, ts)
        if message is None:
            raise MethodError("message_not_found")
        if message.get("user") != self.identity.bot_user_id:
            raise MethodError("cant_update_message")
        return message

    def delete(self, channel_id: str, ts: str) -> None:
        """Remove a channel message (its replies stay, as in Slack)."""
        self.messages[channel_id] = [m for m in self.messages.get(channel_id, []) if m["ts"] != ts]

    def post_ephemeral(self, channel_id: str, user_id: str, message: dict[str, Any]) -> dict[str, Any]:
        """Store an ephemeral message only `user_id` can see."""
        message = {**message, "ts": self.next_ts(), "channel": channel_id, "recipient": user_id}
        self.ephemerals.setdefault((channel_id, user_id), []).append(message)
        return message

    def find_ephemeral(self, channel_id: str, user_id: str, ts: Any) -> dict[str, Any] | None:
        """Return a stored ephemeral message, if any."""
        for message in self.ephemerals.get((channel_id, user_id), []):
            if message["ts"] == ts:
                return message
        return None

    def delete_ephemeral(self, channel_id: str, user_id: str, ts: str) -> None:
        """Remove an ephemeral message (the user dismissed it or the app deleted it)."""
        key = (channel_id, user_id)
        self.ephemerals[key] = [m for m in self.ephemerals.get(key, []) if m["ts"] != ts]

    def add_reaction(self, channel_id: Any, ts: Any, name: Any, user_id: str) -> None:
        """Add a reaction by `user_id`, failing like reactions.add does."""
        if not isinstance(name, str) or not name.strip(":"):
            raise MethodError("invalid_name")
        message = self.find(self.channel(channel_id).id, ts)
        if message is None:
            raise MethodError("message_not_found")
        name = name.strip(":")
        reactions = message.setdefault("reactions", [])
        for reaction in reactions:
            if reaction["name"] == name:
                if user_id in reaction["users"]:
                    raise MethodError("already_reacted")
                reaction["users"].append(user_id)
                reaction["count"] += 1
                return
        reactions.append({"name": name, "users": [user_id], "count": 1})

    def top_level(self, channel_id: str) -> list[dict[str, Any]]:
        """Return channel messages that are not thread replies, oldest first."""
        return [
            m
            for m in self.messages.get(channel_id, [])
            if not m.get("thread_ts") or m["thread_ts"] == m["ts"]
        ]

    def thread(self, channel_id: str, ts: str) -> list[dict[str, Any]]:
        """Return a thread (parent first, when known) oldest first."""
        parent = self.find(channel_id, ts)
        replies = [m for m in self.messages.get(channel_id, []) if m.get("thread_ts") == ts and m["ts"] != ts]
        return ([parent] if parent is not None else []) + replies

    def snapshot(self) -> dict[str, Any]:
        """Return a JSON-ready deep copy of users, channels, messages and ephemerals."""
        ident = self.identity
        return copy.deepcopy(
            {
                "team": {"id": ident.team_id, "name": ident.team_name, "domain": ident.domain},
                "app": {"app_id": ident.app_id, "bot_id": ident.bot_id, "bot_user_id": ident.bot_user_id},
                "users": [u.to_slack(ident.team_id) for u in self.users.values()],
                "channels": [c.to_slack(ident.bot_user_id) for c in self.channels.values()],
                "messages": self.messages,
                "ephemeral": {
                    channel: {u: msgs for (c, u), msgs in self.ephemerals.items() if c == channel}
                    for channel in {c for c, _ in self.ephemerals}
                },
            }
        )
