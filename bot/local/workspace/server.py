"""The local workspace's web server: the page, its static files and the small JSON API the page calls."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, Field, ValidationError, model_validator

from bot.local.fake_slack import FakeSlack
from bot.local.fake_slack.lifecycle import LocalServer
from bot.local.workspace.bridge import Outcome, SlackBridge
from bot.local.workspace.directory import APP_NAME, COMMANDS, GLOBAL_SHORTCUTS, MESSAGE_SHORTCUTS
from bot.local.workspace.snapshot import user_snapshot

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_POLL_SECONDS = 25.0
POLL_INTERVAL_SECONDS = 0.05


class UserRequest(BaseModel):
    """Every browser request names the member acting."""

    user: str


class CommandRequest(UserRequest):
    channel: str
    text: str = Field(max_length=4000)


class MessageRequest(UserRequest):
    channel: str
    text: str = Field(min_length=1, max_length=40000)
    thread_ts: str | None = None


class ActionRequest(UserRequest):
    action_id: str
    block_id: str | None = None
    value: Any = None
    values: dict[str, Any] = Field(default_factory=dict)
    view_id: str | None = None
    channel: str | None = None
    ts: str | None = None

    @model_validator(mode="after")
    def _has_surface(self) -> ActionRequest:
        if not self.view_id and not (self.channel and self.ts):
            raise ValueError("an interaction comes from a view or a message")
        return self


class SuggestRequest(ActionRequest):
    block_id: str
    query: str = ""


class SubmitRequest(UserRequest):
    view_id: str
    values: dict[str, Any] = Field(default_factory=dict)


class CloseRequest(UserRequest):
    view_id: str
    clear: bool = False


class ShortcutRequest(UserRequest):
    callback_id: str
    channel: str | None = None
    ts: str | None = None


class HomeRequest(UserRequest):
    tab: str = "home"


M = TypeVar("M", bound=UserRequest)

BRIDGE_KEY: web.AppKey[SlackBridge] = web.AppKey("bridge")
FAKE_KEY: web.AppKey[FakeSlack] = web.AppKey("fake")
CLOSING_KEY: web.AppKey[asyncio.Event] = web.AppKey("closing")


def _bridge(request: web.Request) -> SlackBridge:
    return request.app[BRIDGE_KEY]


def _fail(error: str, status: int = 400) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status)


def _endpoint(
    model: type[M], run: Callable[[SlackBridge, M], Awaitable[Outcome]]
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A JSON POST endpoint: validate the body, check the member exists, run, answer the outcome."""

    async def handler(request: web.Request) -> web.Response:
        try:
            body = model.model_validate(await request.json())
        except (ValueError, ValidationError):
            return _fail("invalid_request")
        bridge = _bridge(request)
        if body.user not in bridge.users:
            return _fail("unknown_user", 404)
        try:
            outcome = await run(bridge, body)
        except KeyError:
            bridge.touch()
            return _fail("gone", 404)  # the message or view the member acted on no longer exists
        except ValueError as exc:
            logger.info("could not build the Slack request: %s", exc)
            return _fail("stale_input", 409)
        return web.json_response({**outcome.model_dump(exclude_none=True)})

    return handler


async def _command(bridge: SlackBridge, r: CommandRequest) -> Outcome:
    text = r.text.strip()
    command, _, rest = text.partition(" ")
    if command not in COMMANDS:
        bridge.notice(
            r.channel,
            r.user,
            f"{command} is not a valid command. In Slack, all messages that "
            'start with the "/" character are interpreted as commands.',
        )
        return Outcome(ok=False, error="unknown_command")
    return await bridge.command(r.user, r.channel, command, rest.strip())


async def _message(bridge: SlackBridge, r: MessageRequest) -> Outcome:
    return await bridge.message(r.user, r.channel, r.text, r.thread_ts)


async def _action(bridge: SlackBridge, r: ActionRequest) -> Outcome:
    if r.view_id:
        return await bridge.view_action(
            r.user, r.view_id, action_id=r.action_id, block_id=r.block_id, value=r.value, values=r.values
        )
    return await bridge.message_action(
        r.user,
        r.channel or "",
        r.ts or "",
        action_id=r.action_id,
        block_id=r.block_id,
        value=r.value,
        values=r.values,
    )


async def _suggest(bridge: SlackBridge, r: SuggestRequest) -> Outcome:
    return await bridge.suggest(
        r.user,
        action_id=r.action_id,
        block_id=r.block_id,
        query=r.query,
        view_id=r.view_id,
        channel_id=r.channel,
        ts=r.ts,
        values=r.values,
    )


async def _submit(bridge: SlackBridge, r: SubmitRequest) -> Outcome:
    return await bridge.submit(r.user, r.view_id, r.values)


async def _close(bridge: SlackBridge, r: CloseRequest) -> Outcome:
    return await bridge.close(r.user, r.view_id, clear=r.clear)


async def _shortcut(bridge: SlackBridge, r: ShortcutRequest) -> Outcome:
    if r.channel and r.ts:
        return await bridge.message_shortcut(r.user, r.channel, r.ts, r.callback_id)
    return await bridge.global_shortcut(r.user, r.callback_id)


async def _home(bridge: SlackBridge, r: HomeRequest) -> Outcome:
    return await bridge.open_home(r.user, r.tab)


async def index(request: web.Request) -> web.FileResponse:
    """GET /: the workspace page."""
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


async def bootstrap(request: web.Request) -> web.Response:
    """GET /ui/bootstrap: who and what is in the workspace (fixed for the page's lifetime)."""
    bridge = _bridge(request)
    fake = request.app[FAKE_KEY]
    ident = fake.identity
    return web.json_response(
        {
            "team": {"id": ident.team_id, "name": ident.team_name, "domain": ident.domain},
            "app": {"name": APP_NAME, "bot_user_id": ident.bot_user_id, "bot_id": ident.bot_id},
            "users": [u.model_dump() for u in bridge.users.values()],
            "channels": [c.model_dump() for c in bridge.channels.values()],
            "dm_channels": {u: fake.dm_channel(u) for u in bridge.users},
            "commands": list(COMMANDS),
            "message_shortcuts": [s.model_dump() for s in MESSAGE_SHORTCUTS],
            "global_shortcuts": [s.model_dump() for s in GLOBAL_SHORTCUTS],
        }
    )


def _user_param(request: web.Request) -> str | None:
    user = request.query.get("user", "")
    return user if user in _bridge(request).users else None


async def state(request: web.Request) -> web.Response:
    """GET /ui/state?user=U: the workspace as one member sees it."""
    user = _user_param(request)
    if user is None:
        return _fail("unknown_user", 404)
    return web.json_response(user_snapshot(request.app[FAKE_KEY], _bridge(request), user))


async def poll(request: web.Request) -> web.Response:
    """GET /ui/poll?user=U&after=V&timeout=S: wait until something changed after version V, then /ui/state."""
    user = _user_param(request)
    if user is None:
        return _fail("unknown_user", 404)
    try:
        after = int(request.query.get("after", "0"))
        timeout = min(float(request.query.get("timeout", "20")), MAX_POLL_SECONDS)
    except ValueError:
        return _fail("invalid_request")
    bridge = _bridge(request)
    closing = request.app[CLOSING_KEY]
    deadline = time.monotonic() + timeout
    # The fake records the app's calls without notifying anyone, so waiting means looking again.
    while bridge.version <= after and time.monotonic() < deadline and not closing.is_set():  # noqa: ASYNC110
        await asyncio.sleep(POLL_INTERVAL_SECONDS)
    return web.json_response(user_snapshot(request.app[FAKE_KEY], bridge, user))


def build_app(fake: FakeSlack, bridge: SlackBridge) -> web.Application:
    """The aiohttp application serving the page and the /ui API."""
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app[BRIDGE_KEY] = bridge
    app[FAKE_KEY] = fake
    app[CLOSING_KEY] = asyncio.Event()

    async def release_pollers(app: web.Application) -> None:
        app[CLOSING_KEY].set()  # open long polls answer now instead of holding shutdown

    app.on_shutdown.append(release_pollers)
    app.router.add_get("/", index)
    app.router.add_get("/ui/bootstrap", bootstrap)
    app.router.add_get("/ui/state", state)
    app.router.add_get("/ui/poll", poll)
    app.router.add_post("/ui/command", _endpoint(CommandRequest, _command))
    app.router.add_post("/ui/message", _endpoint(MessageRequest, _message))
    app.router.add_post("/ui/action", _endpoint(ActionRequest, _action))
    app.router.add_post("/ui/suggest", _endpoint(SuggestRequest, _suggest))
    app.router.add_post("/ui/submit", _endpoint(SubmitRequest, _submit))
    app.router.add_post("/ui/close", _endpoint(CloseRequest, _close))
    app.router.add_post("/ui/shortcut", _endpoint(ShortcutRequest, _shortcut))
    app.router.add_post("/ui/home", _endpoint(HomeRequest, _home))
    app.router.add_static("/static/", STATIC_DIR, append_version=False)
    return app


class WorkspaceServer(LocalServer):
    """Serves the local Slack workspace page for a FakeSlack and the app behind a SlackBridge."""

    def __init__(
        self, fake: FakeSlack, bridge: SlackBridge, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        super().__init__(host=host, port=port)
        self.fake = fake
        self.bridge = bridge

    def _build_app(self) -> web.Application:
        return build_app(self.fake, self.bridge)
