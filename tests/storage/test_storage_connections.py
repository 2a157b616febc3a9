"""PSA connections: stored per workspace, private key encrypted at rest and never shown."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from storage_backends import Backend

from storage import ConnectionCredentials, Storage
from storage.errors import ConnectionNotFoundError, SecretDecryptionError
from storage.repositories import audit as audit_repo
from storage.repositories import connections

PRIVATE_KEY = "PrivKey-7f3a9c1e5b2d4a6f"


def _credentials(private_key: str | None = PRIVATE_KEY, **overrides: str) -> ConnectionCredentials:
    values = {
        "base_url": "https://api-na.myconnectwise.net/v4_6_release/apis/3.0",
        "company_id": "acme",
        "public_key": "PubKey123",
        "client_id": "0f6b2c7e-client",
        **overrides,
    }
    return ConnectionCredentials(private_key=SecretStr(private_key) if private_key else None, **values)


async def test_saved_connection_comes_back_with_the_private_key_as_secret(db: Storage) -> None:
    ws = db.workspace("T1")
    info = await ws.save_connection(_credentials(), connected_by="UADMIN", enterprise_id="E1")

    connection = await ws.connection()

    assert connection is not None
    assert connection.private_key.get_secret_value() == PRIVATE_KEY
    assert (connection.company_id, connection.public_key, connection.connected_by) == (
        "acme",
        "PubKey123",
        "UADMIN",
    )
    assert (connection.provider_kind, connection.enterprise_id) == ("connectwise", "E1")
    assert info.connected_at == connection.connected_at
    assert not hasattr(info, "private_key")


async def test_connection_info_does_not_need_the_key_to_be_readable(db: Storage, backend: Backend) -> None:
    await db.workspace("T1").save_connection(_credentials(), connected_by="UADMIN")
    other_key = backend.storage(Fernet(Fernet.generate_key()))
    try:
        ws = other_key.workspace("T1")
        info = await ws.read(connections.get_connection_info)
        assert info is not None and info.company_id == "acme"
        with pytest.raises(SecretDecryptionError, match="TICKETS_SECRET_KEY"):
            await ws.connection()
    finally:
        await other_key.close()


async def test_private_key_never_appears_in_repr_str_or_logs(
    db: Storage, caplog: pytest.LogCaptureFixture
) -> None:
    ws = db.workspace("T1")
    with caplog.at_level(logging.DEBUG):
        info = await ws.save_connection(_credentials(), connected_by="UADMIN")
        connection = await ws.connection()
        audit_log = await ws.read(audit_repo.list_events)
    assert connection is not None

    for shown in (repr(info), str(info), repr(connection), str(connection), connection.model_dump_json()):
        assert PRIVATE_KEY not in shown
    assert PRIVATE_KEY not in repr(_credentials())
    assert PRIVATE_KEY not in caplog.text
    assert audit_log and all(PRIVATE_KEY not in repr(event) for event in audit_log)


async def test_private_key_is_not_in_the_sqlite_file_bytes(sqlite_db: Storage) -> None:
    await sqlite_db.workspace("T1").save_connection(_credentials(), connected_by="UADMIN")
    assert await sqlite_db.workspace("T1").connection() is not None
    database = make_url(str(sqlite_db.engine.url)).database
    assert database is not None

    files = [p for p in Path(database).parent.iterdir() if p.name.startswith(Path(database).name)]
    raw = b"".join(p.read_bytes() for p in files)  # the db, its WAL and shared-memory files

    assert b"PubKey123" in raw  # the search does look at the stored rows
    assert PRIVATE_KEY.encode() not in raw


async def test_reconnecting_replaces_the_connection(db: Storage) -> None:
    ws = db.workspace("T1")
    await ws.save_connection(_credentials(), connected_by="U1")
    await ws.save_connection(_credentials("NewPrivKey-0001", company_id="acme2"), connected_by="U2")

    connection = await ws.connection()

    assert connection is not None
    assert (connection.company_id, connection.connected_by) == ("acme2", "U2")
    assert connection.private_key.get_secret_value() == "NewPrivKey-0001"


async def test_leaving_the_private_key_blank_keeps_the_stored_one(db: Storage) -> None:
    ws = db.workspace("T1")
    await ws.save_connection(_credentials(), connected_by="U1")
    await ws.save_connection(_credentials(None, public_key="PubKey999"), connected_by="U2")

    connection = await ws.connection()

    assert connection is not None
    assert connection.public_key == "PubKey999"
    assert connection.private_key.get_secret_value() == PRIVATE_KEY


async def test_a_blank_private_key_without_a_stored_one_is_refused(db: Storage) -> None:
    with pytest.raises(ConnectionNotFoundError, match="enter the private key"):
        await db.workspace("T1").save_connection(_credentials(None), connected_by="U1")
    assert await db.workspace("T1").read(connections.get_connection_info) is None


async def test_deleting_the_connection(db: Storage) -> None:
    ws = db.workspace("T1")
    await ws.save_connection(_credentials(), connected_by="U1")
    assert await ws.delete_connection() is True
    assert await ws.connection() is None
    assert await ws.delete_connection() is False


async def test_repository_functions_compose_in_one_transaction_and_roll_back_together(db: Storage) -> None:
    with pytest.raises(RuntimeError):
        async with db.session() as s:
            await connections.save_connection(
                session=s, team_id="T1", credentials=_credentials(), connected_by="U1", box=db.box
            )
            raise RuntimeError("the PSA test call failed")
    assert await db.workspace("T1").read(connections.get_connection_info) is None
