"""Cache invalidation across processes: which workspace's connection or member mappings just changed.

Every committed INSERT/UPDATE/DELETE on a watched table is announced, whatever code made it (the
connect modal, `python -m bot map`, another helper's flow): the engine's DML is observed, not the
callers. In this process the announcement is delivered at commit. On Postgres the same transaction
also sends `NOTIFY bot_changes` (delivered to every listening process when it commits, dropped if it
rolls back), and each process LISTENs on a dedicated asyncpg connection; if that connection is lost,
every subscriber is told that everything changed (notifications may have been missed meanwhile).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from contextlib import suppress
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import Connection, ExecutionContext
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.jobs.connector import postgres_conninfo

log = logging.getLogger(__name__)

CHANNEL = "bot_changes"
WATCHED = frozenset({"psa_connections", "member_mappings", "engineer_keys", "access_settings"})
EVERYTHING = "*"  # the team of a change that concerns every workspace
_PENDING = "bot_changes_pending"
_COMMITTED = "bot_changes_committed"
_RECONNECT_DELAY = 1.0

Subscriber = Callable[[str, str], None]  # (table, team_id or EVERYTHING)


class ChangeFeed:
    """Announces committed changes of watched tables to subscribers here and (Postgres) in every process."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._subscribers: list[Subscriber] = []
        self._listener: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        sync_engine = engine.sync_engine
        event.listen(sync_engine, "after_cursor_execute", self._after_execute)
        event.listen(sync_engine, "commit", self._on_commit)
        event.listen(sync_engine, "rollback", self._on_rollback)
        # "commit" fires just before COMMIT: a reader could still load the old rows and cache them.
        # The connection goes back to the pool only after COMMIT returned: announce then.
        event.listen(sync_engine, "checkin", self._on_checkin)

    def subscribe(self, subscriber: Subscriber) -> None:
        """Call `subscriber(table, team_id)` after each committed change (team_id "*" = all)."""
        self._subscribers.append(subscriber)

    def publish(self, table: str, team_id: str) -> None:
        """Tell this process's subscribers (exceptions are logged, never raised to the writer)."""
        for subscriber in list(self._subscribers):
            try:
                subscriber(table, team_id)
            except Exception:
                log.exception("cache subscriber failed for %s/%s", table, team_id)

    # -- observing writes ---------------------------------------------------------------------

    def _after_execute(
        self,
        conn: Connection,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: ExecutionContext | None,
        executemany: bool,
    ) -> None:
        change = _watched_change(context)
        if change is None:
            return
        conn.info.setdefault(_PENDING, set()).add(change)
        if self._postgres:
            # Same transaction: delivered to listeners at commit, never if it rolls back.
            notify = conn.connection.cursor()
            notify.execute("SELECT pg_notify($1, $2)", (CHANNEL, f"{change[0]}:{change[1]}"))

    def _on_commit(self, conn: Connection) -> None:
        pending = conn.info.pop(_PENDING, None)
        if pending:
            conn.info.setdefault(_COMMITTED, set()).update(pending)

    def _on_rollback(self, conn: Connection) -> None:
        conn.info.pop(_PENDING, None)

    def _on_checkin(self, _dbapi_connection: Any, record: Any) -> None:
        for table, team in record.info.pop(_COMMITTED, set()):
            self.publish(table, team)

    # -- listening to other processes ---------------------------------------------------------

    async def start(self) -> None:
        """On Postgres, listen for other processes' changes (returns once listening; no-op on SQLite)."""
        if not self._postgres or self._listener is not None:
            return
        self._listener = asyncio.get_running_loop().create_task(self._listen(), name="change-feed")
        waiter = asyncio.ensure_future(self._listening.wait())
        done, _ = await asyncio.wait({waiter, self._listener}, return_when=asyncio.FIRST_COMPLETED)
        if waiter not in done:
            waiter.cancel()
            self._listener.result()  # the listener failed at once: raise why

    async def _listen(self) -> None:
        dsn = postgres_conninfo(self._engine.url)
        first = True
        while True:
            lost = asyncio.Event()
            try:
                conn = await asyncpg.connect(dsn)
            except (OSError, asyncpg.PostgresError):
                if first:
                    raise
                log.warning("change feed: cannot reconnect; retrying")
                await asyncio.sleep(_RECONNECT_DELAY)
                continue
            try:
                conn.add_termination_listener(functools.partial(_set, lost))
                await conn.add_listener(CHANNEL, self._on_notify)
                if not first:
                    self.publish(EVERYTHING, EVERYTHING)  # changes may have been missed meanwhile
                first = False
                self._listening.set()
                await lost.wait()
                log.warning("change feed: connection lost; reconnecting")
            finally:
                with suppress(Exception):
                    await conn.close()

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        table, _, team = payload.partition(":")
        self.publish(table, team or EVERYTHING)

    async def aclose(self) -> None:
        """Stop listening."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await listener


def _set(flag: asyncio.Event, *_args: Any) -> None:
    flag.set()


def _watched_change(context: Any) -> tuple[str, str] | None:
    if context is None or not (context.isinsert or context.isupdate or context.isdelete):
        return None
    compiled: Any = context.compiled
    table = getattr(getattr(compiled, "statement", None), "table", None)
    name = getattr(table, "name", None)
    if name not in WATCHED:
        return None
    teams = {
        str(value)
        for params in (context.compiled_parameters or [])
        for key, value in params.items()
        if key == "team_id" or key.startswith("team_id_")
    }
    return (str(name), teams.pop() if len(teams) == 1 else EVERYTHING)
