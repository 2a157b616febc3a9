"""response_url semantics: minted per interaction, 5 uses within 30 minutes, applied to the workspace."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.local.fake_slack.limits import check_message
from bot.local.fake_slack.models import ResponsePost
from bot.local.fake_slack.workspace import Workspace

MAX_USES = 5
LIFETIME_SECONDS = 30 * 60


@dataclass
class ResponseUrl:
    """Where a response_url points: the channel and user of the interaction and its source message."""

    channel: str
    user: str
    message_ts: str | None
    created: float
    uses: int = 0
    last_ts: str | None = None


class ResponseRejected(Exception):
    """A response_url post Slack would refuse; `status` and `reason` are what Slack answers."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class ResponseUrls:
    """Mints response_url tokens and applies posts to them."""

    def __init__(self, workspace: Workspace, clock: Callable[[], float] = time.monotonic) -> None:
        self.workspace = workspace
        self.clock = clock
        self.urls: dict[str, ResponseUrl] = {}
        self.posts: list[ResponsePost] = []

    def mint(self, channel_id: str, user_id: str, message_ts: str | None = None) -> str:
        """Create a response_url token for an interaction by `user_id` in `channel_id`."""
        token = secrets.token_urlsafe(18)
        self.urls[token] = ResponseUrl(channel_id, user_id, message_ts, created=self.clock())
        return token

    def _target(self, url: ResponseUrl) -> tuple[str, dict[str, Any]] | None:
        """Find the message an original-message edit refers to: a channel or an ephemeral one."""
        ts = url.message_ts or url.last_ts
        if ts is None:
            return None
        found = self.workspace.find(url.channel, ts)
        if found is not None:
            return "channel", found
        found = self.workspace.find_ephemeral(url.channel, url.user, ts)
        return ("ephemeral", found) if found is not None else None

    def apply(self, token: str, body: Any) -> ResponsePost:
        """Apply one post to a response_url, raising ResponseRejected like Slack would (and recording it)."""
        try:
            return self._apply(token, body)
        except ResponseRejected as rejected:
            url = self.urls.get(token)
            post = ResponsePost(
                token=token,
                channel=url.channel if url else "",
                user=url.user if url else "",
                body=body if isinstance(body, dict) else {"raw": body},
                outcome="rejected",
                error=rejected.reason,
                at=time.time(),
            )
            self.posts.append(post)
            raise

    def _apply(self, token: str, body: Any) -> ResponsePost:
        url = self.urls.get(token)
        if url is None:
            raise ResponseRejected(404, "invalid_token")
        if self.clock() - url.created > LIFETIME_SECONDS:
            raise ResponseRejected(404, "expired_url")
        if url.uses >= MAX_USES:
            raise ResponseRejected(404, "used_url")
        if not isinstance(body, dict):
            raise ResponseRejected(400, "invalid_payload")
        target = self._target(url)
        if body.get("delete_original") in (True, "true"):
            if target is None:
                raise ResponseRejected(404, "message_not_found")
            where, message = target
            if where == "channel":
                self.workspace.delete(url.channel, message["ts"])
            else:
                self.workspace.delete_ephemeral(url.channel, url.user, message["ts"])
            return self._record(token, url, body, "deleted", message["ts"])
        problem = check_message(body.get("text"), body.get("blocks"), body.get("attachments"))
        if problem is not None:
            raise ResponseRejected(400, problem[0])
        if body.get("replace_original") in (True, "true") and target is not None:
            _, message = target
            message["text"] = body.get("text") or ""
            message.pop("blocks", None)
            if body.get("blocks") is not None:
                message["blocks"] = body["blocks"]
            return self._record(token, url, body, "replaced", message["ts"])
        fields = self.workspace.bot_message(
            text=body.get("text"), blocks=body.get("blocks"), thread_ts=body.get("thread_ts")
        )
        if body.get("response_type") == "in_channel":
            posted = self.workspace.post(url.channel, fields)
            return self._record(token, url, body, "in_channel", posted["ts"])
        posted = self.workspace.post_ephemeral(url.channel, url.user, fields)
        return self._record(token, url, body, "ephemeral", posted["ts"])

    def _record(
        self, token: str, url: ResponseUrl, body: dict[str, Any], outcome: str, ts: str
    ) -> ResponsePost:
        url.uses += 1
        if outcome != "deleted":
            url.last_ts = ts
        post = ResponsePost(
            token=token, channel=url.channel, user=url.user, body=body, outcome=outcome, ts=ts, at=time.time()
        )
        self.posts.append(post)
        return post
