"""The migration history builds the schema the models describe, on SQLite and Postgres, and tears it down."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, pool, text
from sqlalchemy.engine import Connection

from storage import migrate
from storage.db import create_engine
from storage.models import Base

APP_TABLES = set(Base.metadata.tables)
HEAD = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
REPO_ROOT = Path(__file__).resolve().parents[2]


async def _tables(url: str) -> set[str]:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as conn:

            def names(sync: Connection) -> set[str]:
                return set(inspect(sync).get_table_names())

            return await conn.run_sync(names)
    finally:
        await engine.dispose()


async def test_upgrade_from_empty_creates_every_table_at_head(empty_db_url: str) -> None:
    assert await migrate.current_revision_async(empty_db_url) is None

    await migrate.upgrade_async(empty_db_url)

    assert APP_TABLES <= await _tables(empty_db_url)
    assert {"slack_installations", "slack_bots", "slack_oauth_states"} <= APP_TABLES
    head = migrate.alembic_config().get_main_option("script_location")
    assert head  # the scripts are found from the package, not from a working directory
    assert await migrate.current_revision_async(empty_db_url) == HEAD


async def test_models_and_migrations_agree(empty_db_url: str) -> None:
    await migrate.upgrade_async(empty_db_url)
    engine = create_engine(empty_db_url, poolclass=pool.NullPool)
    try:
        assert await migrate.schema_drift_engine(engine) == []
        # The comparison is able to fail: remove an index the models declare and it is reported.
        async with engine.begin() as conn:
            await conn.execute(text("DROP INDEX ix_thread_links_team_ticket"))
        drift = await migrate.schema_drift_engine(engine)
        assert any(d[0] == "add_index" and d[1].name == "ix_thread_links_team_ticket" for d in drift)
    finally:
        await engine.dispose()


async def test_downgrade_to_base_removes_every_table_and_upgrade_again_works(empty_db_url: str) -> None:
    await migrate.upgrade_async(empty_db_url)

    await migrate.downgrade_async(empty_db_url, "base")

    assert not (APP_TABLES & await _tables(empty_db_url))
    assert await migrate.current_revision_async(empty_db_url) is None
    await migrate.upgrade_async(empty_db_url)
    assert APP_TABLES <= await _tables(empty_db_url)


async def test_concurrent_upgrades_in_one_process_and_a_repeat_are_harmless(empty_db_url: str) -> None:
    await asyncio.gather(migrate.upgrade_async(empty_db_url), migrate.upgrade_async(empty_db_url))
    await migrate.upgrade_async(empty_db_url)
    assert await migrate.current_revision_async(empty_db_url) == HEAD


async def test_two_processes_migrating_at_once_both_succeed(empty_db_url: str) -> None:
    # Two app instances behind a load balancer start together and each migrate at start-up.
    code = "import sys; from storage.migrate import upgrade; upgrade(sys.argv[1])"
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", code, empty_db_url, cwd=REPO_ROOT, stderr=asyncio.subprocess.PIPE
        )
        for _ in range(2)
    ]
    results = await asyncio.gather(*(p.communicate() for p in procs))
    assert [p.returncode for p in procs] == [0, 0], [err.decode()[-2000:] for _, err in results]
    assert await migrate.current_revision_async(empty_db_url) == HEAD
    assert APP_TABLES <= await _tables(empty_db_url)


async def test_blocking_upgrade_can_be_called_from_inside_a_running_event_loop(empty_db_url: str) -> None:
    migrate.upgrade(empty_db_url)  # what `python -m bot migrate` and local start-up call
    assert migrate.current_revision(empty_db_url) == HEAD
    assert APP_TABLES <= await _tables(empty_db_url)


async def test_ledger_rows_written_before_every_write_had_a_kind_keep_their_meaning(
    empty_db_url: str,
) -> None:
    await migrate.upgrade_async(empty_db_url, "0001")
    engine = create_engine(empty_db_url, poolclass=pool.NullPool)
    insert = (
        "INSERT INTO idempotency_ledger "
        "(team_id, key, state, ticket_id, error, attempts, created_at, updated_at) "
        "VALUES ('T1', :key, :state, NULL, :error, 1, '2026-12-01 10:00:00', '2026-12-01 10:00:00')"
    )
    try:
        async with engine.begin() as conn:
            for key, state, error in [
                ("running", "in_progress", None),
                ("timed-out", "failed", "uncertain: ConnectWise did not answer in time"),
                ("refused", "failed", "company is required"),
            ]:
                await conn.execute(text(insert), {"key": key, "state": state, "error": error})
        await migrate.upgrade_async(empty_db_url)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(text("SELECT key, state, kind FROM idempotency_ledger ORDER BY key"))
            ).all()
        assert [tuple(r) for r in rows] == [
            ("refused", "failed", "create"),
            ("running", "claimed", "create"),
            ("timed-out", "uncertain", "create"),
        ]
        await migrate.downgrade_async(empty_db_url, "0001")
        async with engine.connect() as conn:
            rows = (
                await conn.execute(text("SELECT key, state, error FROM idempotency_ledger ORDER BY key"))
            ).all()
        assert [(r[0], r[1], (r[2] or "")[:11]) for r in rows] == [
            ("refused", "failed", "company is "),
            ("running", "in_progress", ""),
            ("timed-out", "failed", "uncertain: "),
        ]
    finally:
        await engine.dispose()
