"""FakeSlack: a real aiohttp server speaking the Slack Web API, with recording and error injection."""

from __future__ import annotations

import asyncio
import copy
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.local.fake_slack import control
from bot.local.fake_slack.history import HistoryLimits
from bot.local.fake_slack.lifecycle import LocalServer
from bot.local.fake_slack.methods import JSON_ARGS, WebApi
from bot.local.fake_slack.models import (
    DEFAULT_CHANNELS,
    DEFAULT_USERS,
    FakeChannel,
    FakeUser,
    FakeUsergroup,
    RecordedCall,
    ResponsePost,
)
from bot.local.fake_slack.responses import ResponseRejected, ResponseUrls
from bot.local.fake_slack.views import TRIGGER_TTL_SECONDS, ViewStore
from bot.local.fake_slack.workspace import Identity, MethodError, Workspace

DEFAULT_SCOPES = (
    "commands,chat:write,chat:write.public,users:read,users:read.email,channels:read,groups:read,"
    "im:read,im:write,channels:history,groups:history,im:history,reactions:write,team:read,usergroups:read"
)
# Methods whose scope the fake checks against the token's scopes (Slack answers `missing_scope`), so a
# test can stand for an install made before the app asked for it.
CHECKED_SCOPES = {"usergroups.list": "usergroups:read", "usergroups.users.list": "usergroups:read"}


@dataclass
class _Injection:
    error: str
    remaining: int
    status: int
    retry_after: int | None


def _decode_json_args(args: dict[str, Any]) -> dict[str, Any]:
    for key in JSON_ARGS & args.keys():
        if isinstance(args[key], str):
            try:
                args[key] = json.loads(args[key])
            except json.JSONDecodeError:
                pass  # left as a string: the method answers invalid_blocks_format / invalid_arguments
    return args


class FakeSlack(LocalServer):
    """A local Slack Web API + response_url server over a small in-memory workspace."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        team_id: str = "T0LOCAL",
        team_name: str = "Local Workspace",
        bot_token: str = "xoxb-local",
        app_id: str = "A0LOCAL",
        bot_id: str = "B0LOCAL",
        bot_user_id: str = "U0LOCALBOT",
        bot_name: str = "tickets",
        users: Iterable[FakeUser] | None = None,
        channels: Iterable[FakeChannel] | None = None,
        enforce_trigger_expiry: bool = True,
        trigger_ttl: float = TRIGGER_TTL_SECONDS,
        scopes: str = DEFAULT_SCOPES,
        clock: Callable[[], float] = time.monotonic,
        enterprise_id: str | None = None,
        org_wide: bool = False,
        marketplace_app: bool = False,
        usergroups: Iterable[FakeUsergroup] = (),
    ) -> None:
        super().__init__(host=host, port=port)
        self.scopes = scopes
        self.identity = Identity(
            team_id=team_id,
            team_name=team_name,
            bot_token=bot_token,
            app_id=app_id,
            bot_id=bot_id,
            bot_user_id=bot_user_id,
            bot_name=bot_name,
            enterprise_id=enterprise_id,
            org_wide=org_wide,
        )
        self._lock = threading.RLock()
        self._workspace = Workspace(
            self.identity,
            DEFAULT_USERS if users is None else users,
            DEFAULT_CHANNELS if channels is None else channels,
        )
        for group in usergroups:
            self._workspace.add_usergroup(group)
        self._views = ViewStore(self.identity, clock)
        self._views.enforce_trigger_expiry = enforce_trigger_expiry
        self._views.trigger_ttl = trigger_ttl
        self._responses = ResponseUrls(self._workspace, clock)
        self._history = HistoryLimits(clock, marketplace_app=marketplace_app)
        self._api = WebApi(self._workspace, self._views, self._history)
        self._calls: list[RecordedCall] = []
        self._seq = 0
        self._injections: dict[str, list[_Injection]] = {}

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/response/{token}", self._handle_response)
        control.add_routes(app, self)
        return app

    @property
    def api_url(self) -> str:
        """Base URL for `AsyncWebClient(base_url=...)`."""
        return self.url + "api/"

    # ---- HTTP handlers ---------------------------------------------------------------------

    async def _read_args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except json.JSONDecodeError:
                    body = None
                if not isinstance(body, dict):
                    raise MethodError("invalid_json")
                args.update(body)
            else:
                form = await request.post()
                args.update({k: v for k, v in form.items() if isinstance(v, str)})
        return _decode_json_args(args)

    def _take_injection(self, method: str) -> _Injection | None:
        for key in (method, "*"):
            queue = self._injections.get(key)
            if queue:
                injection = queue[0]
                injection.remaining -= 1
                if injection.remaining <= 0:
                    queue.pop(0)
                return injection
        return None

    def _record(self, method: str, args: dict[str, Any], status: int, response: dict[str, Any] | str) -> None:
        self._seq += 1
        self._calls.append(
            RecordedCall(
                seq=self._seq,
                method=method,
                args=copy.deepcopy(args),
                at=time.time(),
                status=status,
                response=copy.deepcopy(response),
            )
        )

    def _dispatch(
        self, method: str, args: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        handler = self._api.handlers.get(method)
        headers: dict[str, str] = {}
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method", "req_method": method}, headers
        if not token:
            return 200, {"ok": False, "error": "not_authed"}, headers
        if token != self.identity.bot_token:
            return 200, {"ok": False, "error": "invalid_auth"}, headers
        headers["x-oauth-scopes"] = self.scopes
        needed = CHECKED_SCOPES.get(method)
        if needed is not None and needed not in self.scopes.split(","):
            return (
                200,
                {"ok": False, "error": "missing_scope", "needed": needed, "provided": self.scopes},
                headers,
            )
        injection = self._take_injection(method)
        if injection is not None:
            status = injection.status
            if injection.error == "ratelimited":
                status = 429 if status == 200 else status
                headers["Retry-After"] = str(1 if injection.retry_after is None else injection.retry_after)
            elif injection.retry_after is not None:
                headers["Retry-After"] = str(injection.retry_after)
            return status, {"ok": False, "error": injection.error}, headers
        wait = self._history.refuse(method)
        if wait is not None:
            headers["Retry-After"] = str(wait)
            return 429, {"ok": False, "error": "ratelimited"}, headers
        try:
            return 200, handler(args), headers
        except MethodError as exc:
            return exc.status, exc.body(), headers
        except (TypeError, ValueError, AttributeError) as exc:
            return 200, {"ok": False, "error": "invalid_arguments", "errors": [str(exc)]}, headers

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            args = await self._read_args(request)
        except MethodError as exc:
            return web.json_response(exc.body(), status=exc.status)
        token = args.pop("token", None)
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        with self._lock:
            status, body, headers = self._dispatch(method, args, token)
            self._record(method, args, status, body)
        return web.json_response(body, status=status, headers=headers)

    async def _handle_response(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        try:
            body: Any = await request.json(loads=json.loads)
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        with self._lock:
            injection = self._take_injection("response_url")
            if injection is not None:
                status, text = injection.status if injection.status != 200 else 500, injection.error
            else:
                try:
                    self._responses.apply(token, body)
                    status, text = 200, "ok"
                except ResponseRejected as rejected:
                    status, text = rejected.status, rejected.reason
            self._record("response_url", body if isinstance(body, dict) else {}, status, text)
        return web.Response(text=text, status=status, content_type="text/plain")

    # ---- seeding and minting ---------------------------------------------------------------

    def add_user(self, user: FakeUser | None = None, /, **fields: Any) -> FakeUser:
        """Add a member, given as a FakeUser or as FakeUser fields."""
        with self._lock:
            return self._workspace.add_user(user if user is not None else FakeUser(**fields))

    def add_usergroup(self, group: FakeUsergroup | None = None, /, **fields: Any) -> FakeUsergroup:
        """Add or replace a user group, given as a FakeUsergroup or as its fields."""
        with self._lock:
            return self._workspace.add_usergroup(group if group is not None else FakeUsergroup(**fields))

    def add_channel(self, channel: FakeChannel | None = None, /, **fields: Any) -> FakeChannel:
        """Add a conversation, given as a FakeChannel or as FakeChannel fields."""
        with self._lock:
            return self._workspace.add_channel(channel if channel is not None else FakeChannel(**fields))

    def dm_channel(self, user_id: str) -> str:
        """Return the id of the app's DM with a member (the App Home Messages tab)."""
        with self._lock:
            return self._workspace.dm_channel(user_id).id

    def add_message(
        self,
        channel: str,
        *,
        user: str,
        text: str,
        thread_ts: str | None = None,
        blocks: list[Any] | None = None,
    ) -> dict[str, Any]:
        """Record a message a member wrote (so history, replies and shortcuts can refer to it)."""
        with self._lock:
            self._workspace.user(user)
            self._workspace.channel(channel)
            message: dict[str, Any] = {
                "type": "message",
                "user": user,
                "text": text,
                "team": self.identity.team_id,
            }
            if thread_ts:
                message["thread_ts"] = thread_ts
            if blocks is not None:
                message["blocks"] = blocks
            return copy.deepcopy(self._workspace.post(channel, message))

    def new_trigger_id(self, user_id: str | None = None, *, view_id: str | None = None) -> str:
        """Mint a trigger_id (valid once, for 3 s); `view_id` says which modal an interaction came from."""
        with self._lock:
            return self._views.new_trigger_id(user_id, view_id)

    def new_response_url(self, channel_id: str, user_id: str, message_ts: str | None = None) -> str:
        """Mint a response_url for an interaction (5 uses within 30 minutes)."""
        with self._lock:
            return f"{self.url}response/{self._responses.mint(channel_id, user_id, message_ts)}"

    @property
    def marketplace_app(self) -> bool:
        """Whether the app is Marketplace-approved: off (default) limits conversations.history and
        conversations.replies to 1 call a minute and 15 messages each, as Slack does for other apps."""
        return self._history.marketplace_app

    @marketplace_app.setter
    def marketplace_app(self, value: bool) -> None:
        with self._lock:
            self._history.marketplace_app = value

    @property
    def enforce_trigger_expiry(self) -> bool:
        """Whether trigger_ids expire after `trigger_ttl` seconds (on by default)."""
        return self._views.enforce_trigger_expiry

    @enforce_trigger_expiry.setter
    def enforce_trigger_expiry(self, value: bool) -> None:
        self._views.enforce_trigger_expiry = value

    def inject_error(
        self,
        method: str,
        error: str = "ratelimited",
        *,
        count: int = 1,
        status: int = 200,
        retry_after: int | None = None,
    ) -> None:
        """Make the next `count` calls to `method` (`*`: any, `response_url`: response URLs) fail."""
        with self._lock:
            self._injections.setdefault(method, []).append(_Injection(error, count, status, retry_after))

    # ---- simulating the user's Slack client ------------------------------------------------

    def close_view(self, view_id: str, *, clear: bool = False) -> None:
        """The user closes a modal (and anything pushed above it; `clear` closes the whole stack)."""
        with self._lock:
            self._views.close(view_id, clear=clear)

    def set_view_state(self, view_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """The user types into an open view: set its `state.values`."""
        with self._lock:
            return self._views.set_state(view_id, values).to_slack(self.identity)

    def apply_view_response(self, view_id: str, response: dict[str, Any] | None) -> dict[str, Any] | None:
        """Apply the app's view_submission ack to the stack; return the view now shown, or None if closed."""
        with self._lock:
            record = self._views.apply_response(view_id, response)
            return record.to_slack(self.identity) if record is not None else None

    # ---- inspection ------------------------------------------------------------------------

    @property
    def calls(self) -> list[RecordedCall]:
        """Every call recorded so far, oldest first."""
        with self._lock:
            return list(self._calls)

    @property
    def last_seq(self) -> int:
        """Sequence number of the latest recorded call (0 before any)."""
        with self._lock:
            return self._seq

    def calls_to(self, method: str) -> list[RecordedCall]:
        """Recorded calls to one method, oldest first."""
        with self._lock:
            return [c for c in self._calls if c.method == method]

    def calls_after(self, seq: int) -> list[RecordedCall]:
        """Recorded calls with a sequence number greater than `seq`."""
        with self._lock:
            return [c for c in self._calls if c.seq > seq]

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        # A hang guard, generous for a busy machine: nothing may depend on how long the wait took.
        timeout: float = 30.0,  # noqa: ASYNC109 - the documented polling API, not a cancel scope
        predicate: Callable[[RecordedCall], bool] | None = None,
    ) -> list[RecordedCall]:
        """Wait until `count` calls to `method` (matching `predicate`) were recorded; return them all."""
        deadline = time.monotonic() + timeout
        while True:
            matched = [c for c in self.calls_to(method) if predicate is None or predicate(c)]
            if len(matched) >= count:
                return matched
            if time.monotonic() >= deadline:
                seen = sorted({c.method for c in self.calls})
                raise TimeoutError(
                    f"expected {count} {method} call(s) within {timeout}s, got {len(matched)}; seen: {seen}"
                )
            await asyncio.sleep(0.01)

    def clear(self) -> None:
        """Forget recorded calls and response_url posts (the workspace itself is kept)."""
        with self._lock:
            self._calls.clear()
            self._responses.posts.clear()

    @property
    def responses(self) -> list[ResponsePost]:
        """Posts to minted response_urls, oldest first (rejected ones included)."""
        with self._lock:
            return list(self._responses.posts)

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Messages in a channel (thread replies included), oldest first."""
        with self._lock:
            return copy.deepcopy(self._workspace.messages.get(channel, []))

    def ephemeral(self, channel: str, user: str) -> list[dict[str, Any]]:
        """Ephemeral messages shown to `user` in `channel`, oldest first."""
        with self._lock:
            return copy.deepcopy(self._workspace.ephemerals.get((channel, user), []))

    def view(self, view_id: str) -> dict[str, Any] | None:
        """A view by id (open or closed), as Slack renders it."""
        with self._lock:
            record = self._views.views.get(view_id)
            return record.to_slack(self.identity) if record is not None else None

    def is_view_open(self, view_id: str) -> bool:
        """Whether the user still sees this view."""
        with self._lock:
            record = self._views.views.get(view_id)
            return record is not None and not record.closed

    def last_view(self, user_id: str | None = None) -> dict[str, Any] | None:
        """The modal most recently opened, pushed or updated (for `user_id`, if given)."""
        with self._lock:
            record = self._views.last_modal(user_id)
            return record.to_slack(self.identity) if record is not None else None

    def current_view(self, user_id: str) -> dict[str, Any] | None:
        """The modal a member has on screen now (top of their open stack), if any."""
        with self._lock:
            record = self._views.current_modal(user_id)
            return record.to_slack(self.identity) if record is not None else None

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        """The Home tab published for a member, if any."""
        with self._lock:
            view_id = self._views.home.get(user_id)
            return self._views.views[view_id].to_slack(self.identity) if view_id else None

    def state(self) -> dict[str, Any]:
        """A JSON-ready snapshot of the workspace, views and traffic counters."""
        with self._lock:
            snapshot = self._workspace.snapshot()
            snapshot["views"] = {
                view_id: {**r.to_slack(self.identity), "user_id": r.user_id, "open": not r.closed}
                for view_id, r in self._views.views.items()
            }
            snapshot["home"] = dict(self._views.home)
            snapshot["responses"] = [p.model_dump(mode="json") for p in self._responses.posts]
            snapshot["last_seq"] = self._seq
            return snapshot
