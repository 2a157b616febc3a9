"""A stored private key is bound to the host it was validated with: keeping it for another host or
company is refused, a connection whose site changed behind the app's back is not decrypted, and
connections stored before the binding existed get their own host on upgrade."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import text

from storage import ConnectionCredentials, KeyHostMismatchError, KeyRequiredError, Storage, StoredKeyUnusable
from storage import migrate as migrations

SITE = "https://api-na.myconnectwise.net/v4_6_release/apis/3.0"


def credentials(private_key: str | None = "pk-1", **changes: str) -> ConnectionCredentials:
    values = {"base_url": SITE, "company_id": "acme", "public_key": "pub", "client_id": "cid", **changes}
    return ConnectionCredentials(private_key=SecretStr(private_key) if private_key else None, **values)


async def test_the_validated_host_is_recorded_with_the_key(db: Storage) -> None:
    info = await db.workspace("T1").save_connection(credentials(), connected_by="U1")

    assert info.key_host == "api-na.myconnectwise.net"


@pytest.mark.parametrize(
    "changes",
    [
        {"base_url": "https://evil.example.com/v4_6_release/apis/3.0"},
        {"base_url": "https://api-na.myconnectwise.net:8443/v4_6_release/apis/3.0"},
        {"company_id": "othercorp"},
    ],
)
async def test_keeping_the_key_for_another_host_or_company_is_refused(
    db: Storage, changes: dict[str, str]
) -> None:
    store = db.workspace("T1")
    await store.save_connection(credentials(), connected_by="U1")

    with pytest.raises(KeyRequiredError):
        await store.save_connection(credentials(None, **changes), connected_by="U1")

    stored = await store.connection()
    assert stored is not None and stored.base_url == SITE and stored.company_id == "acme"


async def test_keeping_the_key_for_another_path_on_the_same_host_is_allowed(db: Storage) -> None:
    store = db.workspace("T1")
    await store.save_connection(credentials(), connected_by="U1")

    moved = SITE.replace("v4_6_release", "v2025_1")
    await store.save_connection(credentials(None, base_url=moved), connected_by="U1")

    stored = await store.connection()
    assert stored is not None and stored.base_url == moved and stored.private_key.get_secret_value() == "pk-1"


async def test_a_site_changed_behind_the_apps_back_is_never_decrypted(db: Storage) -> None:
    store = db.workspace("T1")
    await store.save_connection(credentials(), connected_by="U1")
    async with db.session() as session:
        await session.execute(text("UPDATE psa_connections SET base_url = 'https://evil.example.com/x'"))

    with pytest.raises(KeyHostMismatchError) as raised:
        await store.connection()

    assert isinstance(raised.value, StoredKeyUnusable) and raised.value.team_id == "T1"


async def test_connections_stored_before_the_binding_get_their_own_host_on_upgrade(empty_db_url: str) -> None:
    await migrations.upgrade_async(empty_db_url, "0006")
    storage = Storage(empty_db_url, Fernet(Fernet.generate_key()))
    try:
        async with storage.session() as session:
            await session.execute(
                text(
                    "INSERT INTO psa_connections (team_id, provider_kind, base_url, company_id, public_key, "
                    "client_id, private_key_encrypted, connected_by, connected_at) VALUES ('T1', "
                    "'connectwise', :url, 'acme', 'pub', 'cid', :token, 'U1', :now)"
                ),
                {"url": SITE, "token": storage.box.encrypt(SecretStr("pk-1")), "now": datetime.now(UTC)},
            )
        await storage.migrate()

        stored = await storage.workspace("T1").connection()
    finally:
        await storage.close()

    assert stored is not None and stored.key_host == "api-na.myconnectwise.net"
    assert stored.private_key.get_secret_value() == "pk-1"
