"""The ASGI app (Starlette + Bolt's adapter): /slack/events, OAuth install paths, /healthz; Socket Mode."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.app import build_app
from bot.deps import AppDeps, build_deps
from bot.settings import Settings

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


def create_asgi(
    settings: Settings,
    deps: AppDeps | None = None,
    *,
    client: AsyncWebClient | None = None,
    migrate: bool | None = None,
    own_deps: bool | None = None,
) -> Starlette:
    """The web app. Without `deps` it builds them from settings and closes them on shutdown.

    `migrate` defaults to True in local mode (APP_ENV=local): the schema is brought up to date at start.
    """
    owned = deps is None if own_deps is None else own_deps
    deps = deps or build_deps(settings)
    app = build_app(settings, deps, client=client)
    handler = AsyncSlackRequestHandler(app)
    run_migrations = settings.app_env == "local" if migrate is None else migrate

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True, "pending_tasks": deps.tasks.pending})

    routes = [Route(EVENTS_PATH, events, methods=["POST"]), Route("/healthz", healthz, methods=["GET"])]
    if settings.oauth_mode:
        routes += [
            Route(INSTALL_PATH, events, methods=["GET"]),
            Route(REDIRECT_PATH, events, methods=["GET"]),
        ]

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if run_migrations:
            await deps.storage.migrate()
        try:
            yield
        finally:
            if owned:
                await deps.aclose()
            else:
                await deps.tasks.drain()

    api = Starlette(routes=routes, lifespan=lifespan)
    api.state.bolt = app
    api.state.deps = deps
    return api


async def run_socket_mode(settings: Settings, deps: AppDeps | None = None) -> None:
    """Serve over Socket Mode (SLACK_APP_TOKEN) until cancelled."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    if settings.slack_app_token is None:
        raise RuntimeError("SLACK_APP_TOKEN is required for Socket Mode")
    owned = deps is None
    deps = deps or build_deps(settings)
    if settings.app_env == "local":
        await deps.storage.migrate()
    app: AsyncApp = build_app(settings, deps)
    handler = AsyncSocketModeHandler(app, settings.slack_app_token.get_secret_value())
    try:
        await handler.start_async()
    finally:
        await handler.close_async()
        if owned:
            await deps.aclose()
