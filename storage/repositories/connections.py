"""The PSA connection of a workspace; the private key is encrypted at rest and decrypted only on request."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, SecretStr
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import SecretBox
from storage.errors import (
    ConnectionNotFoundError,
    KeyHostMismatchError,
    KeyRequiredError,
    SecretDecryptionError,
)
from storage.models import PSAConnectionRow
from storage.repositories._common import Record, dialect_insert, require_team, table_of, utcnow

T = table_of(PSAConnectionRow)


class ConnectionCredentials(BaseModel):
    """What an admin enters to connect a PSA; `private_key=None` keeps the stored one."""

    model_config = ConfigDict(frozen=True)

    provider_kind: str = "connectwise"
    base_url: str
    company_id: str
    public_key: str
    client_id: str
    private_key: SecretStr | None


class ConnectionInfo(Record):
    """A stored connection without its secret (enough for Home footers and the connect modal)."""

    team_id: str
    enterprise_id: str | None
    provider_kind: str
    base_url: str
    company_id: str
    public_key: str
    client_id: str
    key_host: str  # the host the private key was validated with (and the only one it is sent to)
    connected_by: str
    connected_at: datetime


class PSAConnection(ConnectionInfo):
    """A stored connection with its decrypted private key (masked in repr/str/logs)."""

    private_key: SecretStr


def host_of(base_url: str) -> str:
    """The host (and port) of an API root, as recorded with the key: lower-case, without user info."""
    return urlsplit(base_url).netloc.rsplit("@", 1)[-1].lower()


async def save_connection(
    *,
    session: AsyncSession,
    team_id: str,
    credentials: ConnectionCredentials,
    connected_by: str,
    box: SecretBox,
    enterprise_id: str | None = None,
    now: datetime | None = None,
) -> ConnectionInfo:
    """Create or replace the workspace's connection (encrypting the private key).

    Without a private key the stored one is kept — only for the same host and company it was validated
    with (KeyRequiredError otherwise): a key never follows a connection to another site.
    """
    require_team(team_id)
    values: dict[str, Any] = {
        "enterprise_id": enterprise_id,
        "provider_kind": credentials.provider_kind,
        "base_url": credentials.base_url,
        "company_id": credentials.company_id,
        "public_key": credentials.public_key,
        "client_id": credentials.client_id,
        "connected_by": connected_by,
        "connected_at": utcnow(now),
    }
    host = host_of(credentials.base_url)
    if credentials.private_key is None:
        same_site = (T.c.key_host == host) & (T.c.company_id == credentials.company_id)
        result = await session.execute(
            update(T).where(T.c.team_id == team_id, same_site).values(**values).returning(*T.c)
        )
        row = result.first()
        if row is None:
            if await _row(session, team_id) is not None:
                raise KeyRequiredError("The site or company changed: enter the private key again.")
            raise ConnectionNotFoundError("No stored private key to keep: enter the private key.")
        return ConnectionInfo.model_validate(row)
    values["private_key_encrypted"] = box.encrypt(credentials.private_key)
    values["key_host"] = host
    stmt = dialect_insert(session, T).values(team_id=team_id, **values)
    stmt = stmt.on_conflict_do_update(index_elements=[T.c.team_id], set_=values)
    result = await session.execute(stmt.returning(*T.c))
    return ConnectionInfo.model_validate(result.one())


async def _row(session: AsyncSession, team_id: str) -> Any:
    require_team(team_id)
    return (await session.execute(select(T).where(T.c.team_id == team_id))).first()


async def get_connection_info(*, session: AsyncSession, team_id: str) -> ConnectionInfo | None:
    """The workspace's connection without decrypting anything, or None when not connected."""
    row = await _row(session, team_id)
    return None if row is None else ConnectionInfo.model_validate(row)


async def get_connection(*, session: AsyncSession, team_id: str, box: SecretBox) -> PSAConnection | None:
    """The workspace's connection with its private key decrypted, or None when not connected."""
    row = await _row(session, team_id)
    if row is None:
        return None
    info = ConnectionInfo.model_validate(row)
    if host_of(info.base_url) != info.key_host:
        raise KeyHostMismatchError(
            f"The stored private key was validated with {info.key_host}, not {host_of(info.base_url)}.",
            team_id=team_id,
        )
    try:
        private_key = box.decrypt(row.private_key_encrypted)
    except SecretDecryptionError as exc:
        raise SecretDecryptionError(str(exc), team_id=team_id) from exc
    return PSAConnection(**info.model_dump(), private_key=private_key)


async def delete_connection(*, session: AsyncSession, team_id: str) -> bool:
    """Forget the workspace's connection; True if there was one."""
    require_team(team_id)
    result = await session.execute(delete(T).where(T.c.team_id == team_id).returning(T.c.team_id))
    return result.first() is not None
