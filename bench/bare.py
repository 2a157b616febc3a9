"""The baseline: a bare Bolt app whose listeners only ack, on the same adapter and server as the app.

`python -m bench.bare --port N` serves it like `python -m bot serve` does (Starlette + Bolt's
AsyncSlackRequestHandler under uvicorn, same host, log level and request path), configured from the
same SLACK_* variables through `Settings`.
"""

from __future__ import annotations

import argparse
import logging
import re
from collections.abc import Sequence

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.http_serving import run_uvicorn
from bot.settings import Settings

ANY = re.compile(".*")


async def _noop(ack: AsyncAck) -> None:
    await ack()


def bare_app(settings: Settings) -> AsyncApp:
    """A Bolt app with one no-op listener per kind of request the load sends."""
    assert settings.slack_bot_token is not None and settings.slack_signing_secret is not None
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url or AsyncWebClient.BASE_URL,
    )
    app = AsyncApp(
        client=client,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        process_before_response=True,
        logger=logging.getLogger("bench.bare"),
    )
    app.command(ANY)(_noop)
    app.action(ANY)(_noop)
    app.view(ANY)(_noop)
    app.shortcut(ANY)(_noop)
    app.options(ANY)(_noop)
    return app


def bare_asgi(settings: Settings) -> Starlette:
    """The bare app behind the same routes as `bot.server.create_asgi`."""
    handler = AsyncSlackRequestHandler(bare_app(settings))

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[Route("/slack/events", events, methods=["POST"]), Route("/healthz", healthz, methods=["GET"])]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the bare app under uvicorn exactly as `python -m bot serve` serves the real one."""
    parser = argparse.ArgumentParser(prog="python -m bench.bare", description=__doc__)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", type=int)
    where.add_argument("--fd", type=int, help="serve on this inherited listening socket")
    args = parser.parse_args(argv)
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    run_uvicorn(bare_asgi(settings), port=args.port or 0, fd=args.fd, log_level=settings.log_level)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
