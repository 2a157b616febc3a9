"""Two app instances on one Postgres database: a change made through one is seen by the other next time."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import pool, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.actor import Actor
from bot.deps import AppDeps, build_deps
from bot.flows.context import FlowContext
from bot.flows.errors import NotMapped
from bot.settings import Settings
from psa.errors import PSAAuthenticationError
from psa.models import TicketFilters
from psa.service import NotMappedError
from storage import AccessSettings, ConnectionCredentials, Storage
from storage.db import normalize_database_url
from storage.migrate import upgrade_async

pytestmark = pytest.mark.postgres

POSTGRES_ENV = "TEST_POSTGRES_URL"
TEAM = "T0SHARED"
ADMIN, ENGINEER = "U0ADMIN", "U0ENG"
JDOE = 17  # the sandbox member mapped below


async def _admin(sql: str) -> None:
    url = normalize_database_url(os.environ[POSTGRES_ENV])
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


@pytest.fixture
async def shared_db() -> AsyncIterator[str]:
    """A fresh, migrated Postgres database (dropped afterwards)."""
    if not os.environ.get(POSTGRES_ENV):
        pytest.skip(f"{POSTGRES_ENV} is not set")
    name = f"test_caches_{uuid.uuid4().hex[:16]}"
    await _admin(f'CREATE DATABASE "{name}"')
    base = normalize_database_url(os.environ[POSTGRES_ENV])
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        await upgrade_async(url)
        yield url
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def app_instance(url: str, key: bytes) -> AsyncIterator[AppDeps]:
    """One app instance's dependencies (its own engine, pools, caches and change listener)."""
    deps = build_deps(Settings(database_url=url, app_env="test"), storage=Storage(url, Fernet(key)))
    assert deps.changes is not None
    await deps.changes.start()
    try:
        yield deps
    finally:
        await deps.aclose()


def heard(deps: AppDeps, table: str) -> asyncio.Event:
    """Set when this instance hears of a committed change to `table` (from any instance)."""
    event = asyncio.Event()
    assert deps.changes is not None
    deps.changes.subscribe(lambda changed, team: event.set() if changed == table else None)
    return event


async def test_a_connection_rekeyed_through_one_instance_works_on_the_other(
    shared_db: str, good_credentials: ConnectionCredentials
) -> None:
    key = Fernet.generate_key()
    async with app_instance(shared_db, key) as a, app_instance(shared_db, key) as b:
        stale = good_credentials.model_copy(update={"private_key": SecretStr("an-old-key")})
        set_up = heard(b, "psa_connections"), heard(b, "member_mappings")
        await a.storage.workspace(TEAM).save_connection(stale, connected_by=ADMIN)
        await a.storage.workspace(TEAM).map_member(
            ENGINEER, member_id=JDOE, member_identifier="jdoe", member_name="Jane Doe", mapped_by=ADMIN
        )
        # B has heard of the set-up before it reads: a late notice would drop what B is about to cache.
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in set_up)), 60)
        on_b = await b.workspaces.service(TEAM)
        assert on_b is not None
        with pytest.raises(PSAAuthenticationError):  # B has built and cached the old key
            await on_b.search(TicketFilters(assigned="me"), user_ref=ENGINEER)

        rekeyed = heard(b, "psa_connections")
        await a.workspaces.connect(TEAM, ADMIN, good_credentials)
        await asyncio.wait_for(rekeyed.wait(), 60)

        on_b = await b.workspaces.service(TEAM)
        assert on_b is not None
        page = await on_b.search(TicketFilters(assigned="me"), user_ref=ENGINEER)
        assert page.items


async def test_a_mapping_made_through_one_instance_is_seen_by_the_other(
    shared_db: str, good_credentials: ConnectionCredentials
) -> None:
    key = Fernet.generate_key()
    async with app_instance(shared_db, key) as a, app_instance(shared_db, key) as b:
        connected = heard(b, "psa_connections")
        await a.storage.workspace(TEAM).save_connection(good_credentials, connected_by=ADMIN)
        # Heard before B builds its service: a late notice would retire the service B is holding,
        # leaving its cached (empty) mappings out of reach of the mapping notice below.
        await asyncio.wait_for(connected.wait(), 60)
        on_b = await b.workspaces.service(TEAM)
        assert on_b is not None
        with pytest.raises(NotMappedError):  # B has read (and cached) the mappings: none yet
            await on_b.search(TicketFilters(assigned="me"), user_ref=ENGINEER)

        mapped = heard(b, "member_mappings")
        await a.storage.workspace(TEAM).map_member(
            ENGINEER, member_id=JDOE, member_identifier="jdoe", member_name="Jane Doe", mapped_by=ADMIN
        )
        await asyncio.wait_for(mapped.wait(), 60)

        page = await on_b.search(TicketFilters(assigned="me"), user_ref=ENGINEER)
        assert page.items


async def test_access_settings_and_mappings_changed_through_one_instance_apply_on_the_other(
    shared_db: str,
) -> None:
    key = Fernet.generate_key()
    async with app_instance(shared_db, key) as a, app_instance(shared_db, key) as b:
        actor = Actor(team_id=TEAM, user_id=ENGINEER)
        on_b = FlowContext.for_actor(b, AsyncWebClient(token="xoxb-unused"), actor)
        assert await on_b.require_reader() is None  # the defaults: unmapped users may read (kept by B)

        closed = heard(b, "access_settings")
        await a.storage.access(TEAM).save_settings(AccessSettings(unmapped_can_read=False), updated_by=ADMIN)
        await asyncio.wait_for(closed.wait(), 60)
        with pytest.raises(NotMapped):
            await on_b.require_reader()

        mapped = heard(b, "member_mappings")
        await a.storage.workspace(TEAM).map_member(
            ENGINEER, member_id=JDOE, member_identifier="jdoe", member_name="Jane Doe", mapped_by=ADMIN
        )
        await asyncio.wait_for(mapped.wait(), 60)
        member = await on_b.require_reader()
        assert member is not None and member.psa_member_id == JDOE
