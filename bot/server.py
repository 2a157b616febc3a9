"""The ASGI app (Starlette + Bolt's adapter): /slack/events, OAuth install paths, /healthz; Socket Mode."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler, to_starlette_response
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.app import build_app
from bot.boundary import BadRequest, BodyLimit, bolt_request
from bot.deps import AppDeps, build_deps
from bot.fast_ack import KnownWorkspaces, ack_command, forget_if_uninstalled, is_tickets_command, remember
from bot.flows.live.inbound import CALLBACK_PATH, receive
from bot.replay import DeliveryRecorder, RecentDeliveries, is_replay, settle_delivery
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

    # A SQLite install with its worker in a thread keeps the ack free of database writes (bot/replay.py).
    recent = RecentDeliveries() if deps.worker_thread is not None else None
    recorder = DeliveryRecorder(deps.storage) if recent is not None else None
    # Jobs on Postgres: replay records go through the job engine's open pool; a command's goes into its
    # job's hand-off statement (one round trip in all).
    durable = deps.jobs.queue if deps.jobs is not None and deps.work is deps.jobs.queue else None
    durable = durable if durable is not None and durable.durable else None

    def record_later(write: Coroutine[Any, Any, Any]) -> None:
        deps.tasks.spawn(write, name="replay-record")

    # `/tickets` from a workspace Bolt authorized lately skips Bolt's dispatch (bot/fast_ack.py).
    known = KnownWorkspaces() if settings.fast_ack else None
    if known is not None:
        app.middleware(remember(known))

    secret = settings.slack_signing_secret
    verifier = SignatureVerifier(secret.get_secret_value()) if secret is not None else None

    async def events(request: Request) -> Response:
        if request.method != "POST":  # the OAuth install and redirect pages
            return await handler.handle(request)
        raw = await request.body()  # at most MAX_BODY_BYTES: body_limit answered 413 otherwise
        # Bolt verifies signatures too, but only after parsing the body, and a timestamp that is not
        # a number makes it raise: refuse anything unsigned before Bolt sees it.
        if verifier is not None and not _signed(raw, request, verifier):
            return JSONResponse({"error": "invalid request"}, status_code=401)
        try:
            bolt_req = bolt_request(raw, query=request.query_params, headers=request.headers)
        except BadRequest as exc:
            log.info("refused a malformed request to %s: %s", request.url.path, exc)
            return Response(status_code=400)
        replayed = await is_replay(deps.storage, bolt_req, recent=recent, recorder=recorder, durable=durable)
        if replayed:
            return Response(status_code=200)
        try:
            if known is not None:
                if is_tickets_command(bolt_req) and known.knows(
                    bolt_req.context.enterprise_id, bolt_req.context.team_id
                ):
                    return to_starlette_response(await ack_command(deps, bolt_req))
                forget_if_uninstalled(known, bolt_req)
            return to_starlette_response(await app.async_dispatch(bolt_req))
        except (ValueError, LookupError, TypeError, AttributeError) as exc:
            # Bolt reads fields it assumes are there before any listener or error handler runs: a
            # malformed or truncated body is the sender's fault, not a 500.
            log.info("refused a malformed request to %s: %s", request.url.path, type(exc).__name__)
            return Response(status_code=400)
        finally:
            settle_delivery(deps.storage, record_later)

    async def healthz(request: Request) -> Response:
        pending = deps.tasks.pending
        if deps.jobs is not None and deps.jobs.started:
            pending += await deps.jobs.queue.pending()
        if deps.worker_thread is not None:
            pending += await deps.worker_thread.pending()
        return JSONResponse({"ok": True, "pending_tasks": pending})

    async def psa_callback(request: Request) -> Response:
        """A change the PSA pushes (verified, de-duplicated and queued within its 5 s timeout)."""
        answer = await receive(deps, request.path_params["token"], request.headers, await request.body())
        return JSONResponse({"outcome": answer.outcome}, status_code=answer.status)

    routes = [
        Route(EVENTS_PATH, events, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route(CALLBACK_PATH, psa_callback, methods=["POST"]),
    ]
    if settings.oauth_mode:
        routes += [
            Route(INSTALL_PATH, events, methods=["GET"]),
            Route(REDIRECT_PATH, events, methods=["GET"]),
        ]

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if run_migrations:
            await deps.storage.migrate()
        await deps.housekeep()
        if recent is not None:
            await recent.restore(deps.storage)
        if deps.changes is not None:
            await deps.changes.start()
        if deps.jobs is not None:
            await deps.jobs.start()
        if deps.worker_thread is not None:
            await deps.worker_thread.start()
        session = shared_session(app)
        try:
            yield
        finally:
            if recorder is not None:
                await recorder.flush()
            if session is not None:
                app.client.session = None
                await session.close()
            if owned:
                await deps.aclose()
            else:
                await deps.tasks.drain()

    api = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(BodyLimit)])
    api.state.bolt = app
    api.state.deps = deps
    return api


def shared_session(app: AsyncApp) -> aiohttp.ClientSession | None:
    """Give the app's Slack client one pooled aiohttp session (None if it already has one).

    slack_sdk opens and closes a session per API call without one; Bolt copies `app.client.session`
    into every per-request client, so all Slack calls share this pool. Call inside the running loop.
    """
    if app.client.session is not None and not app.client.session.closed:
        return None
    # A running session replaces slack_sdk's per-call timeout, so it carries the client's own.
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=app.client.timeout))
    app.client.session = session
    return session


def _signed(raw: bytes, request: Request, verifier: SignatureVerifier) -> bool:
    try:
        return verifier.is_valid_request(raw, dict(request.headers))
    except ValueError:  # X-Slack-Request-Timestamp is not a number
        return False


async def run_socket_mode(settings: Settings, deps: AppDeps | None = None) -> None:
    """Serve over Socket Mode (SLACK_APP_TOKEN) until cancelled."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    if settings.slack_app_token is None:
        raise RuntimeError("SLACK_APP_TOKEN is required for Socket Mode")
    owned = deps is None
    deps = deps or build_deps(settings)
    if settings.app_env == "local":
        await deps.storage.migrate()
    await deps.housekeep()
    if deps.changes is not None:
        await deps.changes.start()
    if deps.jobs is not None:
        await deps.jobs.start()
    if deps.worker_thread is not None:
        await deps.worker_thread.start()
    app: AsyncApp = build_app(settings, deps)
    handler = AsyncSocketModeHandler(app, settings.slack_app_token.get_secret_value())
    session = shared_session(app)
    try:
        await handler.start_async()
    finally:
        await handler.close_async()
        if session is not None:
            app.client.session = None
            await session.close()
        if owned:
            await deps.aclose()
