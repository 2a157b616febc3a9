"""The multi-instance deployment: two `python -m bot serve` processes on one Postgres database take a
load together — 100 thread links, members claimed at once from both sides, 20 identical ticket
submissions, an event delivered to both — with no lost and no duplicated write."""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from create_driver import values_for
from sqlalchemy import pool, text
from sqlalchemy.ext.asyncio import create_async_engine
from waiting import wait_until

from bench.stack import SECRET_KEY, ServerProcess
from bot.ids import Callback, CreateAction, LinkThreadField, MappingAction, Shortcut
from bot.local import FakeChannel, FakeSlack, FakeUser, SlackRequestSender
from bot.local import payloads as p
from bot.local.block_state import find_element
from psa.connectwise.sandbox import SandboxServer
from storage import Storage
from storage.crypto import fernet_from_secret
from storage.db import normalize_database_url
from storage.migrate import upgrade

pytestmark = pytest.mark.postgres

POSTGRES_ENV = "TEST_POSTGRES_URL"
SIGNING_SECRET = "load-signing-secret"
TEAM, CHANNEL, ADMIN = "T0LOCAL", "C0SUPPORT", "U0ADMIN"
USERS = [f"U0LOAD{i:02d}" for i in range(22)]
LINKS = 100
SUBMISSIONS = 20
SUMMARY = "Two instances, one ticket"


async def _admin_sql(sql: str) -> None:
    engine = create_async_engine(
        normalize_database_url(os.environ[POSTGRES_ENV]),
        isolation_level="AUTOCOMMIT",
        poolclass=pool.NullPool,
    )
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh Postgres database for this test (dropped afterwards), migrated."""
    if not os.environ.get(POSTGRES_ENV):
        pytest.skip(f"{POSTGRES_ENV} is not set: the two-process load test needs a Postgres server")
    name = f"test_reliability_{uuid.uuid4().hex[:16]}"
    await _admin_sql(f'CREATE DATABASE "{name}"')
    url = (
        normalize_database_url(os.environ[POSTGRES_ENV])
        .set(database=name)
        .render_as_string(hide_password=False)
    )
    try:
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        await _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    # The racing users are admins: only an admin maps someone to a member without the e-mail match, so
    # two of them can race for the same member (one wins, the other is refused).
    users = [FakeUser(id=u, name=u.lower(), is_admin=True) for u in USERS] + [
        FakeUser(id=ADMIN, name="admin", is_admin=True)
    ]
    with FakeSlack(users=users, channels=[FakeChannel(id=CHANNEL, name="support")]) as server:
        server.enforce_trigger_expiry = False  # a loaded test machine may take > 3 s between mint and use
        yield server


def _environment(url: str, fake: FakeSlack, sandbox: SandboxServer) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "APP_ENV": "production",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": url,
        "TICKETS_SECRET_KEY": SECRET_KEY,
        "SLACK_BOT_TOKEN": "xoxb-local",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "CW_BASE_URL": sandbox.base_url,
        "CW_COMPANY_ID": sandbox.company_id,
        "CW_PUBLIC_KEY": sandbox.public_key,
        "CW_PRIVATE_KEY": sandbox.private_key,
        "CW_CLIENT_ID": "load-test",
    }


def _command(fake: FakeSlack, text_: str, user: str) -> tuple[str, str]:
    return p.slash_command(
        "/tickets",
        text_,
        user=user,
        channel=CHANNEL,
        trigger_id=fake.new_trigger_id(user),
        response_url=fake.new_response_url(CHANNEL, user),
    )


async def _rows(url: str, sql: str) -> list[Any]:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(text(sql), {"t": TEAM})).all())
    finally:
        await engine.dispose()


async def _until(check: Any, what: str, within: float = 20.0) -> Any:
    return await wait_until(check, within=within, every=0.05, what=what)


def _showing(view: dict[str, Any] | None, callback_id: str, action_id: str) -> dict[str, Any] | None:
    """The view once it is the modal with this element: a busy app may first open a loading view."""
    if not view or view["callback_id"] != callback_id:
        return None
    try:
        find_element(view["blocks"], action_id)
    except ValueError:
        return None
    return view


async def _quiet(servers: list[ServerProcess], http: httpx.AsyncClient) -> None:
    """Both processes finished their post-ack work."""

    async def idle() -> bool:
        pending = [(await http.get(s.url + "/healthz")).json()["pending_tasks"] for s in servers]
        return not any(pending)

    await wait_until(idle, within=60, every=0.05, what="background work to finish")


async def _map_admin(url: str, sandbox: SandboxServer) -> None:
    """Map the admin who creates the ticket to a member none of the racing users claims (ids 1–10)."""
    member = next(m for m in sandbox.state.store.tables["members"].values() if m["id"] > 10)
    storage = Storage(url, fernet_from_secret(SECRET_KEY))
    try:
        await storage.workspace(TEAM).map_member(
            ADMIN,
            member_id=member["id"],
            member_identifier=member["identifier"],
            member_name=f"{member['firstName']} {member['lastName']}",
            mapped_by=ADMIN,
        )
    finally:
        await storage.close()


async def test_two_processes_on_one_postgres_lose_and_duplicate_nothing(
    postgres_url: str, fake: FakeSlack, sandbox: SandboxServer, tmp_path: Path
) -> None:
    env = _environment(postgres_url, fake, sandbox)
    await _map_admin(postgres_url, sandbox)  # creating a ticket takes a mapped engineer
    servers = [ServerProcess(["bot", "serve"], env, tmp_path / f"app{i}.log") for i in (1, 2)]
    await asyncio.gather(*(asyncio.to_thread(s.start) for s in servers))
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            senders = [SlackRequestSender(s.events_url, SIGNING_SECRET, http) for s in servers]

            async def send(n: int, body: tuple[str, str], **kw: Any) -> httpx.Response:
                resp = await senders[n % 2].send(*body, **kw)
                assert resp.status_code == 200, resp.text
                return resp

            # 1. Members claimed from both processes at once: each member ends up with exactly one user.
            async def map_member(i: int, member_id: int) -> None:
                user = USERS[i]
                await send(i, _command(fake, "map", user))
                modal = await _until(
                    lambda: _showing(fake.last_view(user), Callback.MAPPING, MappingAction.MEMBER),
                    "map modal",
                )
                block = next(
                    b["block_id"]
                    for b in modal["blocks"]
                    if (b.get("element") or {}).get("action_id") == MappingAction.MEMBER
                )
                await send(
                    i + 1,
                    p.view_submission(
                        modal, user=user, values={block: {MappingAction.MEMBER: ("m", str(member_id))}}
                    ),
                )

            claims = [(i, 1 + i % 10) for i in range(20)]  # two users race for each of members 1–10
            await asyncio.gather(*(map_member(i, m) for i, m in claims))
            await _quiet(servers, http)

            # 2. 100 threads linked to tickets, shortcut on one process and the submission on the other,
            # by the mapped engineers (linking is a write: an unmapped user gets the mapping prompt).
            mapped = await _rows(postgres_url, "SELECT slack_user_id FROM member_mappings WHERE team_id = :t")
            linkers = sorted(r[0] for r in mapped if r[0] != ADMIN)
            messages = [
                fake.add_message(CHANNEL, user=USERS[i % 20], text=f"incident {i}") for i in range(LINKS)
            ]
            tickets = sorted(
                t["id"] for t in sandbox.state.store.tables["tickets"].values() if not t["closedFlag"]
            )

            async def link(i: int) -> None:
                user, message = linkers[i % len(linkers)], messages[i]
                await send(
                    i,
                    p.message_shortcut(
                        Shortcut.LINK_THREAD, message, CHANNEL, user, trigger_id=fake.new_trigger_id(user)
                    ),
                )
                modal = await _until(
                    lambda: (
                        (v := fake.last_view(user))
                        and v["callback_id"] == Callback.LINK_THREAD
                        and message["ts"] in v["private_metadata"]
                        and v
                    ),
                    "link modal",
                )
                values = {LinkThreadField.TICKET: {LinkThreadField.TICKET: str(tickets[i])}}
                await send(i + 1, p.view_submission(modal, user=user, values=values))

            for start in range(0, LINKS, len(linkers)):  # one modal at a time per user
                await asyncio.gather(*(link(i) for i in range(start, min(LINKS, start + len(linkers)))))

            # 3. The same ticket submission 20 times, split across both processes.
            await send(0, _command(fake, "new", ADMIN))
            form = await _until(
                lambda: _showing(fake.last_view(ADMIN), Callback.CREATE, CreateAction.BOARD), "create form"
            )
            await send(
                1,
                p.block_actions(
                    CreateAction.BOARD, "1", user=ADMIN, view=form, trigger_id=fake.new_trigger_id(ADMIN)
                ),
            )
            await _quiet(servers, http)
            form = fake.view(form["id"]) or form
            typed = values_for(form, summary=SUMMARY, company=("Acme Corp", "42"), priority="3")
            body = p.view_submission(form, user=ADMIN, values=typed)
            sandbox.set_latency(30)
            await asyncio.gather(*(send(n, body) for n in range(SUBMISSIONS)))
            await _quiet(servers, http)
            sandbox.set_latency(0)

            # 4. One thread message delivered to both processes (Slack's retries after a timeout).
            linked = messages[0]
            reply = fake.add_message(
                CHANNEL,
                user=USERS[1],
                text="Also, the printer on the 2nd floor is offline",
                thread_ts=linked["ts"],
            )
            event = p.message_event(
                CHANNEL, user=USERS[1], text=reply["text"], ts=reply["ts"], thread_ts=linked["ts"]
            )
            delivery = p.event_callback(event, event_id="Ev0TWOPROCS")
            await asyncio.gather(*(send(n, delivery, retry_num=n or None) for n in range(6)))
            await _quiet(servers, http)
    finally:
        for server in servers:
            server.stop()

    created = [t for t in sandbox.state.store.tables["tickets"].values() if t["summary"] == SUMMARY]
    links = await _rows(
        postgres_url, "SELECT channel_id, thread_ts, ticket_id FROM thread_links WHERE team_id = :t"
    )
    expected = {(CHANNEL, messages[i]["ts"], tickets[i]) for i in range(LINKS)}
    # Every link once, plus the created ticket's confirmation, whose thread is linked to it.
    assert len(links) == LINKS + 1 and {tuple(r) for r in links if r[2] != created[0]["id"]} == expected
    mappings = await _rows(
        postgres_url, "SELECT slack_user_id, psa_member_id FROM member_mappings WHERE team_id = :t"
    )
    raced = sorted(m for u, m in mappings if u != ADMIN)
    assert raced == list(range(1, 11))  # one winner per member, no loser stored
    assert len(created) == 1 and sandbox.request_count("POST", "/service/tickets") == 1
    ledger = await _rows(
        postgres_url, "SELECT kind, state, ticket_id FROM idempotency_ledger WHERE team_id = :t"
    )
    kept = sorted(tuple(r) for r in ledger)
    assert [r for r in kept if r[0] == "create"] == [("create", "done", created[0]["id"])]
    assert sorted(r[2] for r in kept if r[0] == "link_thread" and r[1] == "done") == sorted(tickets[:LINKS])
    confirmations = [
        c for c in fake.calls_to("chat.postMessage") if "created in ConnectWise" in str(c.args.get("text"))
    ]
    assert len(confirmations) == 1
    suggestions = await _rows(postgres_url, "SELECT thread_ts FROM spinoff_suggestions WHERE team_id = :t")
    assert [r[0] for r in suggestions] == [linked["ts"]]
    posted = [
        c
        for c in fake.calls_to("chat.postMessage")
        if str(c.args.get("text", "")).startswith("Create ticket:")
    ]
    assert len(posted) == 1
    for server in servers:
        log = server.log_text()
        assert not re.search(r"Traceback|\bERROR\b", log), log[-3000:]
