"""TICKETS_SECRET_KEY can be rotated: reads open tokens of any listed key, writes use the newest,
`python -m bot rotate-keys` re-encrypts every stored secret; a secret no key opens is said clearly —
admins are told to reconnect, everyone else whom to ask, the log names the workspace — never silence."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr
from reliability_kit import unhandled
from scenario_harness import ADMIN, DEMO, TEAM, Slack, blocks_text, row_ids, sandbox_credentials
from scenario_spinoff_kit import linked_outlook_thread, reply
from sqlalchemy import select

from bot.deps import build_storage
from bot.ids import ConnectField, HomeAction, MessageAction
from bot.local import payloads as p
from bot.settings import Settings
from bot.views.prompts import KEY_UNREADABLE
from psa.connectwise.sandbox import SandboxServer
from storage import SecretBox, Storage
from storage.crypto_rotation import ENCRYPTED_COLUMNS
from storage.migrate import upgrade
from storage.models import Base, PSAConnectionRow

MakeSlack = Callable[..., AbstractAsyncContextManager[Slack]]
ROOT = Path(__file__).resolve().parents[2]
OLD, NEW, LOST = Fernet.generate_key(), Fernet.generate_key(), Fernet.generate_key()


async def store_connection_with(slack: Slack, key: bytes, team: str = TEAM) -> None:
    """Save the workspace's connection as an app running with only `key` would have."""
    other = Storage(slack.deps.settings.database_url, Fernet(key))
    try:
        await other.workspace(team).save_connection(sandbox_credentials(slack.sandbox), connected_by=ADMIN)
    finally:
        await other.close()
    await slack.deps.workspaces.invalidate(team)


async def stored_token(slack: Slack) -> str:
    async with slack.deps.storage.read_session() as session:
        token = await session.scalar(
            select(PSAConnectionRow.private_key_encrypted).where(PSAConnectionRow.team_id == TEAM)
        )
    assert isinstance(token, str)
    return token


def both_keys(deps: object) -> None:
    deps.storage.box = SecretBox(Fernet(NEW), Fernet(OLD))  # type: ignore[attr-defined]


# -- rotation ------------------------------------------------------------------------------------


async def test_with_two_keys_a_secret_written_with_the_old_one_still_works(make_slack: MakeSlack) -> None:
    async with make_slack(connected=False, configure=both_keys) as slack:
        await store_connection_with(slack, OLD)

        await slack.command("mine")

        assert row_ids(slack.last_ephemeral())


async def test_reconnecting_with_two_keys_writes_with_the_newest(make_slack: MakeSlack) -> None:
    async with make_slack(connected=False, mapped={}, configure=both_keys) as slack:
        await store_connection_with(slack, OLD)
        await slack.command("connect", user=ADMIN)
        typed = {
            ConnectField.SITE_URL: slack.sandbox.root_url,
            ConnectField.COMPANY_ID: slack.sandbox.company_id,
            ConnectField.PUBLIC_KEY: slack.sandbox.public_key,
            ConnectField.PRIVATE_KEY: "",  # kept: same site and company
            ConnectField.CLIENT_ID: "scenario",
        }
        sent = await slack.submit(
            slack.modal(ADMIN), user=ADMIN, values={k: {k: v} for k, v in typed.items()}
        )
        token = await stored_token(slack)

    assert sent.body["response_action"] == "update"
    assert Fernet(NEW).decrypt(token.encode()) == slack.sandbox.private_key.encode()
    with pytest.raises(InvalidToken):
        Fernet(OLD).decrypt(token.encode())


def test_tickets_secret_key_lists_keys_newest_first(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'k.db'}",
        tickets_secret_key=SecretStr(f" {NEW.decode()} , {OLD.decode()} "),
    )
    box = build_storage(settings).box
    old_token = Fernet(OLD).encrypt(b"pk").decode()

    assert [s.get_secret_value() for s in settings.secret_keys] == [NEW.decode(), OLD.decode()]
    assert box.decrypt(old_token).get_secret_value() == "pk"
    assert Fernet(NEW).decrypt(box.encrypt(SecretStr("pk")).encode()) == b"pk"


def _rotate(database_url: str, secret: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": database_url, "TICKETS_SECRET_KEY": secret}
    env.pop("APP_ENV", None)
    return subprocess.run(
        [sys.executable, "-m", "bot", "rotate-keys"], env=env, capture_output=True, text=True, timeout=120
    )


async def _seed_teams(database_url: str, sandbox: SandboxServer, keys: dict[str, bytes]) -> None:
    for team, key in keys.items():
        storage = Storage(database_url, Fernet(key))
        try:
            creds = sandbox_credentials(sandbox, private_key=SecretStr(f"pk-of-{team}"))
            await storage.workspace(team).save_connection(creds, connected_by=ADMIN)
        finally:
            await storage.close()


async def test_rotate_keys_re_encrypts_every_stored_secret_with_the_newest_key(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'rotate.db'}"
    upgrade(url)
    await _seed_teams(url, sandbox, {"T0ONE": OLD, "T0TWO": OLD, "T0NEWER": NEW})
    old_only = Storage(url, Fernet(OLD))
    try:  # an engineer's own key pair, in the other encrypted column
        await old_only.engineer_keys("T0ONE").save(
            DEMO,
            psa_member_id=17,
            public_key="jdoe-public",
            private_key=SecretStr("jdoe-private"),
            base_url=sandbox.base_url,
            company_id=sandbox.company_id,
            saved_by=DEMO,
        )
    finally:
        await old_only.close()

    done = _rotate(url, f"{NEW.decode()},{OLD.decode()}")

    assert done.returncode == 0, done.stderr
    assert "psa_connections.private_key_encrypted: 3 re-encrypted" in done.stdout
    assert "engineer_keys.private_key_encrypted: 1 re-encrypted" in done.stdout
    only_new = Storage(url, Fernet(NEW))
    try:
        for team in ("T0ONE", "T0TWO", "T0NEWER"):
            stored = await only_new.workspace(team).connection()
            assert stored is not None and stored.private_key.get_secret_value() == f"pk-of-{team}"
        own = await only_new.engineer_keys("T0ONE").keys(DEMO)
        assert own is not None and own.private_key.get_secret_value() == "jdoe-private"
    finally:
        await only_new.close()


async def test_rotate_keys_names_a_secret_no_key_opens_and_rotates_the_rest(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'rotate.db'}"
    upgrade(url)
    await _seed_teams(url, sandbox, {"T0GOOD": OLD, "T0LOST": LOST})

    done = _rotate(url, f"{NEW.decode()},{OLD.decode()}")

    assert done.returncode == 1
    assert "team_id=T0LOST" in done.stderr and "T0GOOD" not in done.stderr
    only_new = Storage(url, Fernet(NEW))
    try:
        assert await only_new.workspace("T0GOOD").connection() is not None
    finally:
        await only_new.close()


def test_every_encrypted_column_of_the_schema_is_rotated() -> None:
    declared = {(c.table.name, c.column) for c in ENCRYPTED_COLUMNS}
    encrypted = {
        (table.name, column.name)
        for table in Base.metadata.tables.values()
        for column in table.columns
        if column.name.endswith("_encrypted")
    }

    assert encrypted == declared


# -- a secret no configured key opens ------------------------------------------------------------


async def test_admins_are_told_to_reconnect_and_the_log_names_the_workspace(
    make_slack: MakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with make_slack(connected=False) as slack:
        await store_connection_with(slack, LOST)

        await slack.command("mine", user=ADMIN)
        answer = slack.last_ephemeral(ADMIN)

    assert KEY_UNREADABLE in blocks_text(answer)
    assert MessageAction.CONNECT in str(answer["blocks"])
    named = [r for r in caplog.records if r.name == "bot.workspaces" and r.levelno == logging.ERROR]
    assert named and all(TEAM in r.getMessage() for r in named)
    assert not unhandled(caplog.records)


async def test_everyone_else_is_told_to_ask_an_admin(make_slack: MakeSlack) -> None:
    async with make_slack(connected=False) as slack:
        await store_connection_with(slack, LOST)

        await slack.command("mine", user=DEMO)
        text = blocks_text(slack.last_ephemeral(DEMO))

    assert "Ask a workspace admin" in text and "can't be read" in text


async def test_the_home_tab_says_so_for_admins_and_others(make_slack: MakeSlack) -> None:
    async with make_slack(connected=False) as slack:
        await store_connection_with(slack, LOST)

        for user in (ADMIN, DEMO):
            await slack.event(p.app_home_opened_event(user, channel=slack.fake.dm_channel(user)))
        admin_home, demo_home = slack.fake.home_view(ADMIN), slack.fake.home_view(DEMO)

    assert admin_home is not None and KEY_UNREADABLE in blocks_text(admin_home)
    assert HomeAction.CONNECT in str(admin_home["blocks"])
    assert demo_home is not None and "Ask a workspace admin" in blocks_text(demo_home)


async def test_background_work_on_an_unreadable_secret_fails_quietly_and_logged(
    make_slack: MakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with make_slack(connected=False) as slack:
        await store_connection_with(slack, LOST)
        parent = await linked_outlook_thread(slack, "Outlook stopped syncing for the whole office")

        await reply(slack, parent["ts"], "Separately, the printer on the 2nd floor is offline")

    assert not unhandled(caplog.records)
    assert any(TEAM in r.getMessage() for r in caplog.records if r.name == "bot.workspaces")


async def test_an_admin_can_reconnect_after_the_key_was_lost(make_slack: MakeSlack) -> None:
    async with make_slack(connected=False) as slack:
        await store_connection_with(slack, LOST)
        await slack.command("connect", user=ADMIN)
        modal = slack.modal(ADMIN)
        typed = {
            ConnectField.SITE_URL: slack.sandbox.root_url,
            ConnectField.COMPANY_ID: slack.sandbox.company_id,
            ConnectField.PUBLIC_KEY: slack.sandbox.public_key,
            ConnectField.PRIVATE_KEY: "",
            ConnectField.CLIENT_ID: "scenario",
        }
        refused = await slack.submit(modal, user=ADMIN, values={k: {k: v} for k, v in typed.items()})
        typed[ConnectField.PRIVATE_KEY] = slack.sandbox.private_key
        accepted = await slack.submit(modal, user=ADMIN, values={k: {k: v} for k, v in typed.items()})
        await slack.command("mine", user=DEMO)

        assert refused.body["response_action"] == "errors"
        assert accepted.body["response_action"] == "update"
        assert row_ids(slack.last_ephemeral(DEMO))
