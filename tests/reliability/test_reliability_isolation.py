"""Two workspaces on one app (OAuth mode), each with its own ConnectWise: requests from workspace B that
carry workspace A's ids (ticket numbers, view ids, private_metadata, idempotency keys, threads) reach
only B's own PSA and B's own rows — A's ConnectWise sees no request and A's rows stay as they were."""

from __future__ import annotations

import json
import shutil
import ssl
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from create_driver import values_for
from cryptography.fernet import Fernet
from pydantic import SecretStr
from scenario_harness import ADMIN, CHANNEL, DEMO, USERS, blocks_text, scenario_settings, serve_app
from scenario_harness import test_factories as provider_factories
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import text

from bot.app import BOT_SCOPES
from bot.deps import AppDeps, build_deps
from bot.ids import Callback, CreateAction, DetailAction, LinkThreadField, MappingAction, Shortcut
from bot.local import FakeChannel, FakeSlack, FakeUser, SlackRequestSender
from bot.local import payloads as p
from bot.views.mapping import member_block_id
from psa.connectwise.sandbox import SandboxServer
from storage import ConnectionCredentials, Storage

TEAM_A, TEAM_B = "T0LOCAL", "T0RIVAL"
RIVAL, RIVAL_ADMIN = "U0RIVAL", "U0RIVALADMIN"
CLIENT_ID = "1111.2222"
BOT_TOKEN = "xoxb-local"
SECRET_SUMMARY = "TEAM-A-ONLY merger data room outage"
TICKET = 1649
TABLES = (
    "psa_connections",
    "member_mappings",
    "thread_links",
    "idempotency_ledger",
    "spinoff_suggestions",
    "processed_events",
    "audit_events",
)


@pytest.fixture(scope="module")
def rival_sandbox() -> Iterator[SandboxServer]:
    """Workspace B's own ConnectWise (other keys, same seed data)."""
    with SandboxServer(company_id="rival", public_key="rival-public", private_key="rival-private") as server:
        yield server


@dataclass
class TwoWorkspaces:
    fake: FakeSlack
    deps: AppDeps
    sender: SlackRequestSender
    a: SandboxServer
    b: SandboxServer

    async def send(self, body: tuple[str, str], *, view_id: str | None = None) -> Any:
        """Post a signed request; for a submission (`view_id`) apply the ack first, as Slack does."""
        resp = await self.sender.send(*body)
        assert resp.status_code == 200, resp.text
        ack = json.loads(resp.text) if resp.text.startswith("{") else None
        if view_id is not None and self.fake.is_view_open(view_id):
            self.fake.apply_view_response(view_id, ack)
        await self.deps.work.drain(20)
        return ack

    async def rows_of(self, team_id: str) -> dict[str, list[tuple[Any, ...]]]:
        async with self.deps.storage.read_session() as session:
            return {
                table: sorted(
                    tuple(map(str, row))
                    for row in (
                        await session.execute(
                            text(f"SELECT * FROM {table} WHERE team_id = :t"), {"t": team_id}
                        )
                    ).all()
                )
                for table in TABLES
            }

    def seen_by(self, user: str) -> str:
        """Everything the app showed this user: modals, Home, ephemeral replies and messages to them."""
        views = [v for v in self.fake.state()["views"].values() if v["user_id"] == user]
        posted = [c.args for c in self.fake.calls if user in (c.args.get("user"), c.args.get("channel"))]
        return json.dumps([*views, *posted, *self.fake.ephemeral(CHANNEL, user)], ensure_ascii=False)


def _credentials(sandbox: SandboxServer) -> ConnectionCredentials:
    return ConnectionCredentials(
        provider_kind="connectwise",
        base_url=sandbox.base_url,
        company_id=sandbox.company_id,
        public_key=sandbox.public_key,
        private_key=SecretStr(sandbox.private_key),
        client_id="isolation-test",
    )


@pytest.fixture
async def two_workspaces(
    sandbox: SandboxServer,
    rival_sandbox: SandboxServer,
    app_template_db: Path,
    tmp_path: Path,
    app_tls: ssl.SSLContext,
    app_key: bytes,
) -> AsyncIterator[TwoWorkspaces]:
    rival_sandbox.reset()
    store_a = sandbox.state.store
    with store_a.lock:  # a ticket only workspace A's ConnectWise has (reset() restores the seed)
        store_a.tables["tickets"][TICKET]["summary"] = SECRET_SUMMARY
        store_a.touch("tickets")
    db = tmp_path / "two.db"
    shutil.copyfile(app_template_db, db)
    url = f"sqlite+aiosqlite:///{db}"
    users = [
        *USERS,
        FakeUser(id=RIVAL, name="rival"),
        FakeUser(id=RIVAL_ADMIN, name="boss", is_admin=True, is_owner=True),
    ]
    async with FakeSlack(users=users, channels=[FakeChannel(id=CHANNEL, name="support")]) as fake:
        settings = scenario_settings(
            url, fake, slack_bot_token=None, slack_client_id=CLIENT_ID, slack_client_secret="s"
        )
        deps = build_deps(
            settings,
            storage=Storage(url, Fernet(app_key)),
            factories=provider_factories(app_tls),
        )
        store, _ = deps.storage.slack_oauth_stores(CLIENT_ID)
        for team, (source, mapped_user) in {TEAM_A: (sandbox, DEMO), TEAM_B: (rival_sandbox, RIVAL)}.items():
            await store.async_save(
                Installation(
                    app_id="A0LOCAL",
                    team_id=team,
                    user_id=ADMIN,
                    bot_token=BOT_TOKEN,
                    bot_id="B0LOCAL",
                    bot_user_id="U0LOCALBOT",
                    bot_scopes=list(BOT_SCOPES),
                    installed_at=datetime.now(UTC).timestamp(),
                )
            )
            workspace = deps.storage.workspace(team)
            await workspace.save_connection(_credentials(source), connected_by=ADMIN)
            await workspace.map_member(
                mapped_user, member_id=17, member_identifier="jdoe", member_name="Jordan Doe", mapped_by=ADMIN
            )
        try:
            async with serve_app(settings, deps, fake) as sender:
                yield TwoWorkspaces(fake, deps, sender, sandbox, rival_sandbox)
                await deps.work.drain(20)
        finally:
            await deps.aclose()


def _command(env: TwoWorkspaces, text_: str, *, user: str, team: str) -> tuple[str, str]:
    return p.slash_command(
        "/tickets",
        text_,
        user=user,
        channel=CHANNEL,
        team=team,
        trigger_id=env.fake.new_trigger_id(user),
        response_url=env.fake.new_response_url(CHANNEL, user),
    )


def _click(
    env: TwoWorkspaces, action_id: str, value: Any, view: dict[str, Any], *, user: str, team: str, **kw: Any
) -> tuple[str, str]:
    return p.block_actions(
        action_id,
        value,
        user=user,
        team=team,
        view=view,
        trigger_id=env.fake.new_trigger_id(user, view_id=view["id"]),
        **kw,
    )


async def test_workspace_b_cannot_read_or_change_workspace_a_with_a_s_ids(
    two_workspaces: TwoWorkspaces,
) -> None:
    env, fake = two_workspaces, two_workspaces.fake
    # Workspace A works normally: a detail modal, a created ticket, a linked thread, a mapping.
    await env.send(_command(env, str(TICKET), user=DEMO, team=TEAM_A))
    detail_a = fake.last_view(DEMO)
    assert detail_a is not None and SECRET_SUMMARY in blocks_text(detail_a)
    await env.send(_command(env, "new", user=DEMO, team=TEAM_A))
    await env.send(_click(env, CreateAction.BOARD, "1", fake.last_view(DEMO) or {}, user=DEMO, team=TEAM_A))
    form_a = fake.last_view(DEMO) or {}
    typed = values_for(form_a, summary="A's own printer", company=("Acme Corp", "42"), priority="3")
    submitted = p.view_submission(
        form_a, user=DEMO, team=TEAM_A, values=typed, trigger_id=fake.new_trigger_id(DEMO)
    )
    await env.send(submitted, view_id=form_a["id"])
    created_a = fake.view(form_a["id"]) or {}
    assert "created in ConnectWise" in blocks_text(created_a)
    thread = fake.add_message(CHANNEL, user=DEMO, text="A's incident thread")
    await env.send(
        p.message_shortcut(
            Shortcut.LINK_THREAD, thread, CHANNEL, DEMO, team=TEAM_A, trigger_id=fake.new_trigger_id(DEMO)
        )
    )
    link_modal = fake.last_view(DEMO) or {}
    await env.send(
        p.view_submission(
            link_modal,
            user=DEMO,
            team=TEAM_A,
            values={LinkThreadField.TICKET: {LinkThreadField.TICKET: str(TICKET)}},
        )
    )
    before = await env.rows_of(TEAM_A)
    assert before["thread_links"] and before["idempotency_ledger"] and before["member_mappings"]
    env.a.clear_requests()
    a_ticket = dict(env.a.state.store.tables["tickets"][TICKET])

    # Workspace B's users replay A's ids against the app.
    await env.send(_command(env, str(TICKET), user=RIVAL, team=TEAM_B))  # same number, B's own ticket
    await env.send(_command(env, "mine", user=RIVAL, team=TEAM_B))
    await env.send(
        _click(env, DetailAction.STATUS, "129", detail_a, user=RIVAL, team=TEAM_B)
    )  # A's view + metadata
    await env.send(_click(env, DetailAction.ADD_NOTE, None, detail_a, user=RIVAL, team=TEAM_B,
                          state_values={}))  # fmt: skip
    replay = p.view_submission(
        form_a, user=RIVAL, team=TEAM_B, values=typed, trigger_id=fake.new_trigger_id(RIVAL)
    )
    await env.send(replay, view_id=form_a["id"])  # A's draft, with A's idempotency key
    await env.send(
        p.event_callback(
            p.message_event(
                CHANNEL,
                user=RIVAL,
                text="Also the VPN is down for everyone",
                thread_ts=thread["ts"],
                team_id=TEAM_B,
            ),
            team_id=TEAM_B,
        )
    )
    await env.send(
        p.event_callback(p.app_home_opened_event(RIVAL, channel=fake.dm_channel(RIVAL)), team_id=TEAM_B)
    )
    await env.send(_command(env, "map", user=RIVAL_ADMIN, team=TEAM_B))
    mapping_b = fake.last_view(RIVAL_ADMIN) or {}
    if mapping_b.get("callback_id") == Callback.MAPPING:
        await env.send(_click(env, MappingAction.SLACK_USER, DEMO, mapping_b, user=RIVAL_ADMIN, team=TEAM_B))
        mapping_b = fake.view(mapping_b["id"]) or mapping_b
        values = {member_block_id(DEMO): {MappingAction.MEMBER: ("Ming Chen", "2")}}
        await env.send(p.view_submission(mapping_b, user=RIVAL_ADMIN, team=TEAM_B, values=values))

    assert env.a.requests == [], [f"{r.method} {r.path}" for r in env.a.requests]
    assert dict(env.a.state.store.tables["tickets"][TICKET]) == a_ticket
    assert await env.rows_of(TEAM_A) == before
    assert SECRET_SUMMARY not in env.seen_by(RIVAL) + env.seen_by(RIVAL_ADMIN)
    assert "URGENT: server down" in env.seen_by(RIVAL)  # B's own #1649 is what B was shown
    # B's requests were served — against B's own data.
    assert env.b.state.store.tables["tickets"][TICKET]["status"]["id"] == 129
    assert "My queue" in blocks_text(fake.home_view(RIVAL) or {})
    b_rows = await env.rows_of(TEAM_B)
    assert any(DEMO in row for row in b_rows["member_mappings"]), b_rows["member_mappings"]
    # A's draft is kept in A's workspace only: B's replay of A's form is a stale form to B, so A's key
    # fetched nothing of A's and nothing was created anywhere.
    assert env.b.request_count("POST", "/service/tickets") == 0
    # B's ledger holds only B's own status change of B's #1649 (its click carried A's view, but the write
    # went to B's ticket as B's user), nothing under A's keys.
    b_ledger = (await env.rows_of(TEAM_B))["idempotency_ledger"]
    assert [row[1].split(":")[0] for row in b_ledger] == ["status"], b_ledger
    assert all(key_of_a not in str(b_ledger) for key_of_a in (row[1] for row in before["idempotency_ledger"]))
