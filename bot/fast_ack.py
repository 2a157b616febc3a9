"""The `/tickets` ack without Bolt's dispatch, for a workspace Bolt authorized a moment ago.

The command's ack is always empty and its listener only hands the work off (bot/listeners/commands.py),
yet `app.async_dispatch` runs Bolt's whole middleware chain for it: the installation lookup (a
database read in OAuth mode), the app's middlewares and the matching over every listener. After the
server's signature and replay checks, a command from a workspace Bolt authorized within `TTL_S` is
handed off here exactly as the listener would, and answered with an empty 200.

Anything else goes through Bolt, so does a command from a workspace not seen lately: Bolt authorizes
it (and refuses an unknown one with its own message), and the middleware `remember` records it when
it passed. An uninstall or token revocation forgets the workspace at once in the process that
receives it; other processes stop taking the short path within `TTL_S`.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncBoltContext, AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.app import on_error
from bot.deps import AppDeps
from bot.flows.commands import run_command
from bot.ids import COMMAND
from bot.listeners.handoff import hand_off_command, item_for

TTL_S = 60.0
LIMIT = 10_000  # workspaces remembered (oldest forgotten first)
FORGETTING_EVENTS = frozenset({"app_uninstalled", "tokens_revoked"})

Key = tuple[str | None, str | None]


class KnownWorkspaces:
    """(enterprise, team) pairs whose requests passed Bolt's authorization within the last `ttl` s."""

    def __init__(self, *, ttl: float = TTL_S, limit: int = LIMIT) -> None:
        self._ttl = ttl
        self._limit = limit
        self._seen: OrderedDict[Key, float] = OrderedDict()

    def remember(self, enterprise_id: str | None, team_id: str | None) -> None:
        key = (enterprise_id, team_id)
        self._seen.pop(key, None)
        self._seen[key] = time.monotonic()
        while len(self._seen) > self._limit:
            self._seen.popitem(last=False)

    def knows(self, enterprise_id: str | None, team_id: str | None) -> bool:
        at = self._seen.get((enterprise_id, team_id))
        return at is not None and time.monotonic() - at < self._ttl

    def forget(self, enterprise_id: str | None, team_id: str | None) -> None:
        # An org-wide uninstall names the enterprise only: forget all its workspaces.
        for key in [
            k
            for k in self._seen
            if k == (enterprise_id, team_id) or (enterprise_id and k[0] == enterprise_id)
        ]:
            del self._seen[key]


def remember(known: KnownWorkspaces) -> Callable[..., Awaitable[BoltResponse | None]]:
    """A Bolt middleware, registered after the app's own: a request reaching it was authorized (and
    passed the single-workspace guard), so its workspace is installed."""

    async def middleware(context: AsyncBoltContext, next: Callable[[], Awaitable[Any]]) -> Any:
        installed = context.authorize_result
        if installed is not None and (installed.bot_token or installed.bot_id) and context.team_id:
            known.remember(context.enterprise_id, context.team_id)
        return await next()

    return middleware


def forget_if_uninstalled(known: KnownWorkspaces, request: AsyncBoltRequest) -> None:
    """An app_uninstalled / tokens_revoked event: stop taking the short path for its workspace."""
    body = request.body
    if body.get("type") == "event_callback" and (body.get("event") or {}).get("type") in FORGETTING_EVENTS:
        known.forget(request.context.enterprise_id, request.context.team_id)


def is_tickets_command(request: AsyncBoltRequest) -> bool:
    return request.content_type != "application/json" and request.body.get("command") == COMMAND


async def ack_command(deps: AppDeps, request: AsyncBoltRequest) -> BoltResponse:
    """What Bolt's dispatch would answer for `/tickets`: the work handed off, then an empty 200 (or the
    listener's "queued" line when the work waits behind many others)."""
    try:
        line = await hand_off_command(deps, item_for(request.context, run_command, request.body, {}))
    except Exception as exc:
        return await on_error(exc, request.body, None)  # what Bolt's dispatch would answer
    return BoltResponse(status=200, body="" if line is None else {"text": line})
