"""What Slack itself does for a member's click: build the payload, sign it, post it, apply the answer."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.local import payloads
from bot.local.fake_slack import FakeChannel, FakeSlack, FakeUser
from bot.local.fake_slack.methods import links_in
from bot.local.fake_slack.workspace import MethodError
from bot.local.signing import SlackRequestSender
from bot.local.workspace.delivery import Outcome, as_delivered, drop_message, slack_escape
from bot.local.workspace.state import surface_state, ui_values

logger = logging.getLogger(__name__)

SLACKBOT_ID = "USLACKBOT"
ACK_TIMEOUT_SECONDS = 3.0
SUBMIT_TROUBLE = "We had some trouble connecting. Try again?"


_RAW_LINK = re.compile(r"(?<![<|])\bhttps?://[^\s<>|]+")


def auto_link(escaped: str) -> str:
    """Links typed as plain text, wrapped as Slack stores them (`<https://…>`)."""
    return _RAW_LINK.sub(lambda m: f"<{m.group(0)}>", escaped)


def _in_domains(host: str, domains: set[str]) -> bool:
    host = host.lower()
    return any(host == d or host.endswith("." + d) for d in domains)


class SlackBridge:
    """Turns a member's clicks in the local UI into signed Slack requests to the app, like Slack does."""

    def __init__(
        self,
        fake: FakeSlack,
        sender: SlackRequestSender,
        *,
        users: Iterable[FakeUser],
        channels: Iterable[FakeChannel],
        ack_timeout: float = ACK_TIMEOUT_SECONDS,
        unfurl_domains: Iterable[str] = (),
    ) -> None:
        self.fake = fake
        self.unfurl_domains = {d.lower() for d in unfurl_domains}  # the manifest's, for link_shared
        self.sender = sender
        self.users = {u.id: u for u in users}
        self.channels = {c.id: c for c in channels}
        self.ack_timeout = ack_timeout
        self.team = payloads.Team(id=fake.identity.team_id, domain=fake.identity.domain)
        self.app_id = fake.identity.app_id
        self.notices: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._version = 0

    # ---- change tracking (the browser long-polls on this) ------------------------------------

    @property
    def version(self) -> int:
        """Grows whenever the workspace may look different to someone."""
        return self._version + self.fake.last_seq

    def touch(self) -> None:
        """Note a change made outside the app's Web API calls (a message typed, a modal closed)."""
        self._version += 1

    def notice(self, channel_id: str, user_id: str, text: str) -> None:
        """Show a Slackbot line only `user_id` sees (Slack's own errors, e.g. a failed command)."""
        ts = f"{time.time():.6f}"
        self.notices.setdefault((channel_id, user_id), []).append(
            {"type": "message", "user": SLACKBOT_ID, "text": text, "ts": ts, "slackbot": True}
        )
        self.touch()

    # ---- lookups ------------------------------------------------------------------------------

    def user(self, user_id: str) -> FakeUser:
        """A local member by id (KeyError for strangers)."""
        return self.users[user_id]

    def channel(self, channel_id: str) -> FakeChannel:
        """A channel, or the member's DM with the app."""
        if channel_id in self.channels:
            return self.channels[channel_id]
        for user_id in self.users:
            if self.fake.dm_channel(user_id) == channel_id:
                return FakeChannel(id=channel_id, is_im=True, user=user_id)
        raise KeyError(channel_id)

    def find_message(self, channel_id: str, ts: str, user_id: str) -> tuple[dict[str, Any], bool]:
        """A message the member can see: (message, is_ephemeral); KeyError when it is gone."""
        for message in self.fake.messages(channel_id):
            if message.get("ts") == ts:
                return message, False
        for message in self.fake.ephemeral(channel_id, user_id):
            if message.get("ts") == ts:
                return message, True
        raise KeyError(ts)

    # ---- transport ----------------------------------------------------------------------------

    async def _send(self, body: str, content_type: str) -> httpx.Response | None:
        """Post a signed request; None when the app did not answer within Slack's 3 seconds."""
        try:
            return await asyncio.wait_for(self.sender.send(body, content_type), self.ack_timeout)
        except TimeoutError:
            logger.warning("the app did not acknowledge within %.0fs", self.ack_timeout)
            return None
        except httpx.HTTPError as exc:
            logger.warning("the app could not be reached: %s", type(exc).__name__)
            return None

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any] | None:
        if not response.content.strip():
            return None
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return {"text": response.text}
        return body if isinstance(body, dict) else None

    async def _finish(self, response: httpx.Response | None) -> Outcome:
        self.touch()
        if response is None:
            return Outcome(ok=False, error="The app did not respond in time (operation_timeout).")
        if response.status_code != 200:
            return Outcome(ok=False, error=f"The app answered HTTP {response.status_code} (dispatch_failed).")
        return Outcome()

    # ---- composer -----------------------------------------------------------------------------

    async def command(self, user_id: str, channel_id: str, command: str, text: str) -> Outcome:
        """A slash command typed in the composer: signed form body with trigger_id and response_url."""
        user, channel = self.user(user_id), self.channel(channel_id)
        response_url = self.fake.new_response_url(channel.id, user.id)
        body, content_type = payloads.slash_command(
            command,
            slack_escape(text),
            user=user,
            channel=channel,
            team=self.team,
            trigger_id=self.fake.new_trigger_id(user.id),
            response_url=response_url,
            api_app_id=self.app_id,
        )
        response = await self._send(body, content_type)
        if response is None or response.status_code != 200:
            error = "operation_timeout" if response is None else "dispatch_failed"
            self.notice(channel.id, user.id, f'{command} failed with the error "{error}"')
            return await self._finish(response)
        reply = self._json(response)
        if reply:
            # Slack shows an ack body as the command's reply: the same path as a response_url post.
            async with httpx.AsyncClient(timeout=5) as http:
                await http.post(response_url, json=reply)
        return await self._finish(response)

    async def message(self, user_id: str, channel_id: str, text: str, thread_ts: str | None) -> Outcome:
        """A plain message: stored in the channel, then delivered to the app as a `message` event."""
        user, channel = self.user(user_id), self.channel(channel_id)
        text = auto_link(slack_escape(text))  # Slack stores what members type escaped, links as <url>
        posted = self.fake.add_message(channel.id, user=user.id, text=text, thread_ts=thread_ts or None)
        self.touch()
        if channel.is_im or not channel.is_member:
            return Outcome()  # the manifest subscribes to channel and group messages only
        event = payloads.message_event(
            channel.id,
            user=user.id,
            text=text,
            ts=posted["ts"],
            thread_ts=thread_ts or None,
            channel_type="group" if channel.is_private else "channel",
            team_id=self.team.id,
        )
        body, content_type = payloads.event_callback(
            event,
            team_id=self.team.id,
            api_app_id=self.app_id,
            authorized_user_id=self.fake.identity.bot_user_id,
        )
        outcome = await self._finish(await self._send(body, content_type))
        await self._links_shared(user.id, channel.id, posted, text)
        return outcome

    async def _links_shared(self, user_id: str, channel_id: str, posted: dict[str, Any], text: str) -> None:
        """As Slack does for an app's unfurl domains: a `link_shared` event naming those links."""
        links = [u for u in links_in(text) if _in_domains(urlsplit(u).hostname or "", self.unfurl_domains)]
        if not links:
            return
        event = payloads.link_shared_event(
            channel_id,
            user=user_id,
            message_ts=posted["ts"],
            links=links,
            thread_ts=posted.get("thread_ts"),
            team_id=self.team.id,
        )
        body, content_type = payloads.event_callback(
            event,
            team_id=self.team.id,
            api_app_id=self.app_id,
            authorized_user_id=self.fake.identity.bot_user_id,
        )
        await self._finish(await self._send(body, content_type))

    # ---- interactivity ------------------------------------------------------------------------

    def _sync_view_state(self, view_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """Record what the member typed into an open view (Slack keeps it) and return the view."""
        view = self.fake.view(view_id)
        if view is None or not self.fake.is_view_open(view_id):
            raise KeyError(view_id)
        return self.fake.set_view_state(view_id, surface_state(view, values))

    async def message_action(
        self,
        user_id: str,
        channel_id: str,
        ts: str,
        *,
        action_id: str,
        block_id: str | None,
        value: Any,
        values: dict[str, Any],
    ) -> Outcome:
        """A click or pick on an element of a message (channel, thread or ephemeral)."""
        user, channel = self.user(user_id), self.channel(channel_id)
        message, ephemeral = self.find_message(channel.id, ts, user.id)
        body, content_type = payloads.block_actions(
            action_id,
            value,
            user=user,
            block_id=block_id,
            message=message,
            channel=channel,
            response_url=self.fake.new_response_url(channel.id, user.id, message_ts=ts),
            trigger_id=self.fake.new_trigger_id(user.id),
            is_ephemeral=ephemeral,
            state_values=ui_values(message, values),
            team=self.team,
            api_app_id=self.app_id,
        )
        if ephemeral:
            body = drop_message(body)  # Slack does not echo an ephemeral message back to the app
        return await self._finish(await self._send(body, content_type))

    async def view_action(
        self,
        user_id: str,
        view_id: str,
        *,
        action_id: str,
        block_id: str | None,
        value: Any,
        values: dict[str, Any],
    ) -> Outcome:
        """A click or pick inside a modal or the Home tab."""
        user = self.user(user_id)
        view = self._sync_view_state(view_id, values)
        body, content_type = payloads.block_actions(
            action_id,
            value,
            user=user,
            block_id=block_id,
            view=view,
            trigger_id=self.fake.new_trigger_id(user.id, view_id=view_id),
            team=self.team,
            api_app_id=self.app_id,
        )
        return await self._finish(await self._send(body, content_type))

    async def suggest(
        self,
        user_id: str,
        *,
        action_id: str,
        block_id: str,
        query: str,
        view_id: str | None = None,
        channel_id: str | None = None,
        ts: str | None = None,
        values: dict[str, Any] | None = None,
    ) -> Outcome:
        """An external select asks the app for options matching what the member typed."""
        user = self.user(user_id)
        if view_id is not None:
            view = self._sync_view_state(view_id, values or {})
            body, content_type = payloads.block_suggestion(
                action_id, block_id, query, user=user, view=view, team=self.team, api_app_id=self.app_id
            )
        elif channel_id is not None and ts is not None:
            channel = self.channel(channel_id)
            message, _ = self.find_message(channel.id, ts, user.id)
            body, content_type = payloads.block_suggestion(
                action_id,
                block_id,
                query,
                user=user,
                message=message,
                channel=channel,
                team=self.team,
                api_app_id=self.app_id,
            )
        else:
            raise ValueError("a suggestion comes from a view or a message")
        response = await self._send(body, content_type)
        if response is None or response.status_code != 200:
            return Outcome(ok=False, error="Couldn't load options.")
        answer = self._json(response) or {}
        return Outcome(options=answer.get("options"), option_groups=answer.get("option_groups"))

    async def submit(self, user_id: str, view_id: str, values: dict[str, Any]) -> Outcome:
        """Submit a modal; apply `response_action` (errors, update, push, clear) like Slack."""
        user = self.user(user_id)
        view = self._sync_view_state(view_id, values)
        body, content_type = payloads.view_submission(
            view,
            user=user,
            trigger_id=self.fake.new_trigger_id(user.id, view_id=view_id),
            team=self.team,
            api_app_id=self.app_id,
        )
        response = await self._send(body, content_type)
        if response is None or response.status_code != 200:
            await self._finish(response)
            return Outcome(ok=False, error=SUBMIT_TROUBLE)
        answer = self._json(response)
        if answer and answer.get("response_action") == "errors":
            errors = answer.get("errors")
            self.touch()
            return Outcome(ok=False, errors=errors if isinstance(errors, dict) else {})
        try:
            self.fake.apply_view_response(view_id, answer)
        except MethodError as exc:
            logger.warning("the app answered a submission with an invalid view: %s", exc.error)
            self.touch()
            return Outcome(ok=False, error=SUBMIT_TROUBLE)
        except Exception as exc:  # a malformed ack must never break the page
            logger.warning("could not apply a submission answer: %s", type(exc).__name__)
            self.touch()
            return Outcome(ok=False, error=SUBMIT_TROUBLE)
        return await self._finish(response)

    async def close(self, user_id: str, view_id: str, *, clear: bool) -> Outcome:
        """The member closes a modal (Cancel pops one view, X closes the stack); `view_closed` if asked."""
        user = self.user(user_id)
        view = self.fake.view(view_id)
        if view is None or not self.fake.is_view_open(view_id):
            self.touch()
            return Outcome()
        self.fake.close_view(view_id, clear=clear)
        self.touch()
        if not view.get("notify_on_close"):
            return Outcome()
        body, content_type = payloads.view_closed(
            view, user=user, is_cleared=clear, team=self.team, api_app_id=self.app_id
        )
        return await self._finish(await self._send(body, content_type))

    async def global_shortcut(self, user_id: str, callback_id: str) -> Outcome:
        """A global shortcut from the ⚡ menu."""
        body, content_type = payloads.global_shortcut(
            callback_id,
            user=self.user(user_id),
            trigger_id=self.fake.new_trigger_id(user_id),
            team=self.team,
            api_app_id=self.app_id,
        )
        return await self._finish(await self._send(body, content_type))

    async def message_shortcut(self, user_id: str, channel_id: str, ts: str, callback_id: str) -> Outcome:
        """A message shortcut from a message's ⋯ menu."""
        user, channel = self.user(user_id), self.channel(channel_id)
        message, ephemeral = self.find_message(channel.id, ts, user.id)
        if ephemeral:
            return Outcome(ok=False, error="Shortcuts can't be used on messages only visible to you.")
        body, content_type = payloads.message_shortcut(
            callback_id,
            as_delivered(message),
            channel,
            user,
            trigger_id=self.fake.new_trigger_id(user.id),
            response_url=self.fake.new_response_url(channel.id, user.id),
            team=self.team,
            api_app_id=self.app_id,
        )
        return await self._finish(await self._send(body, content_type))

    async def open_home(self, user_id: str, tab: str = "home") -> Outcome:
        """The member opens the app's Home (or Messages) tab: an `app_home_opened` event."""
        user = self.user(user_id)
        event = payloads.app_home_opened_event(
            user.id, channel=self.fake.dm_channel(user.id), tab=tab, view=self.fake.home_view(user.id)
        )
        body, content_type = payloads.event_callback(
            event,
            team_id=self.team.id,
            api_app_id=self.app_id,
            authorized_user_id=self.fake.identity.bot_user_id,
        )
        return await self._finish(await self._send(body, content_type))


__all__ = ["ACK_TIMEOUT_SECONDS", "SLACKBOT_ID", "Outcome", "SlackBridge"]
