"""Alembic environment: a connection handed in by storage.migrate, or a URL given with `-x url=...`."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection

from storage.db import create_engine
from storage.models import Base, UtcDateTime

# Any constant works; every process migrating the same Postgres database must use the same one.
POSTGRES_MIGRATION_LOCK = 7_311_202_611


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    # Revisions must not import app code, so our UTC column type is written as its plain SQL type.
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def configure_and_run(connection: Connection) -> None:
    """Run the pending migrations on `connection` (inside the caller's transaction)."""
    if connection.dialect.name == "postgresql":
        # Several app processes may start at once; only one may migrate at a time.
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": POSTGRES_MIGRATION_LOCK})
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=_render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_url(url: str) -> None:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(configure_and_run)
    finally:
        await engine.dispose()


def main() -> None:
    """Entry point Alembic calls when it loads this script."""
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        configure_and_run(connection)
        return
    if context.is_offline_mode():
        raise SystemExit("Offline (--sql) mode is not supported; run against a database.")
    url = context.get_x_argument(as_dictionary=True).get("url") or config.attributes.get("database_url")
    if not url:
        raise SystemExit("Pass the database URL: alembic -x url=sqlite+aiosqlite:///./data/tickets.db ...")
    asyncio.run(_run_from_url(url))


main()
