"""Fixtures for the composition-root tests: a migrated SQLite Storage and sandbox credentials."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from psa.connectwise.sandbox import SandboxServer
from storage import ConnectionCredentials, Storage

CLIENT_ID = "00000000-core-client"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A SQLite file for this test."""
    return f"sqlite+aiosqlite:///{tmp_path}/tickets.db"


@pytest.fixture
async def storage(db_url: str) -> AsyncIterator[Storage]:
    """A migrated Storage on a fresh SQLite file."""
    store = Storage(db_url, Fernet(Fernet.generate_key()))
    await store.migrate()
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
def good_credentials(sandbox: SandboxServer) -> ConnectionCredentials:
    """Credentials the sandbox accepts."""
    return ConnectionCredentials(
        provider_kind="connectwise",
        base_url=sandbox.base_url,
        company_id=sandbox.company_id,
        public_key=sandbox.public_key,
        private_key=SecretStr(sandbox.private_key),
        client_id=CLIENT_ID,
    )
