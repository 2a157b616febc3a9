"""`python -m bot`: migrate, map a member from the command line, and the local `run` hook."""

from __future__ import annotations

import asyncio
import os
from functools import partial
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.__main__ import main
from psa.connectwise.sandbox import SandboxServer
from storage import Storage
from storage.migrate import current_revision
from storage.repositories import mappings as mapping_repo

ENV_VARS = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_API_URL",
    "CW_BASE_URL",
    "CW_COMPANY_ID",
    "CW_PUBLIC_KEY",
    "CW_PRIVATE_KEY",
    "CW_CLIENT_ID",
    "TICKETS_SECRET_KEY",
)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("APP_ENV", "test")
    monkeypatch.setenv("TICKETS_SECRET_KEY", Fernet.generate_key().decode())
    return url


def _cw_env(monkeypatch: pytest.MonkeyPatch, sandbox: SandboxServer) -> None:
    monkeypatch.setenv("CW_BASE_URL", sandbox.base_url)
    monkeypatch.setenv("CW_COMPANY_ID", sandbox.company_id)
    monkeypatch.setenv("CW_PUBLIC_KEY", sandbox.public_key)
    monkeypatch.setenv("CW_PRIVATE_KEY", sandbox.private_key)
    monkeypatch.setenv("CW_CLIENT_ID", "cli-client")


def test_migrate_brings_the_schema_up_to_date(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate"]) == 0
    assert current_revision(env) is not None
    assert "up to date" in capsys.readouterr().out


def test_map_stores_a_mapping_for_the_member_identifier(
    env: str, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _cw_env(monkeypatch, sandbox)

    assert main(["map", "--slack-user", "U0DEMO", "--member", "JDOE", "--team", "T0LOCAL"]) == 0

    out = capsys.readouterr().out
    assert "Mapped U0DEMO" in out and "jdoe" in out
    key = Fernet(os.environ["TICKETS_SECRET_KEY"].encode())
    assert asyncio.run(_mapping(env, key)) == 17


async def _mapping(url: str, fernet: Fernet) -> int | None:
    storage = Storage(url, fernet)
    try:
        found = await storage.workspace("T0LOCAL").read(
            partial(mapping_repo.get_mapping, slack_user_id="U0DEMO")
        )
        return found.psa_member_id if found else None
    finally:
        await storage.close()


def test_map_with_an_unknown_member_fails_clearly(
    env: str, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _cw_env(monkeypatch, sandbox)

    assert main(["map", "--slack-user", "U0DEMO", "--member", "nobody", "--team", "T0LOCAL"]) == 2
    assert "No active ConnectWise member" in capsys.readouterr().err


def test_map_without_a_connection_says_how_to_connect(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["map", "--slack-user", "U0DEMO", "--member", "jdoe", "--team", "T0LOCAL"]) == 2
    assert "No PSA connection" in capsys.readouterr().err
