"""Engineers' own PSA API keys: encrypted at rest, decrypted only to build that engineer's provider.

A key pair is bound to the member it was proven to belong to and to the site (base URL + company id)
it was validated against: `usable_for` refuses it for any other site, so a changed workspace
connection never sends an engineer's keys to a host they were not checked with.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import SecretStr
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import SecretBox
from storage.models import EngineerKeysRow
from storage.repositories._common import Record, dialect_insert, require_team, table_of, utcnow

T = table_of(EngineerKeysRow)
# Every column holding a Fernet token in this table (for key rotation).
ENCRYPTED_COLUMNS = ("private_key_encrypted",)


class EngineerKeysInfo(Record):
    """Stored keys without the secret: enough to say "your own keys are in use" (never shows the key)."""

    team_id: str
    slack_user_id: str
    psa_member_id: int
    public_key: str
    base_url: str
    company_id: str
    validated_at: datetime

    def usable_for(self, *, member_id: int, base_url: str, company_id: str) -> bool:
        """Whether these keys may be sent: same member, same site, same company as when validated."""
        return (
            self.psa_member_id == member_id
            and _site(self.base_url) == _site(base_url)
            and self.company_id.casefold() == company_id.casefold()
        )


class EngineerKeys(EngineerKeysInfo):
    """Stored keys with the decrypted private key (masked in repr/str/logs)."""

    private_key: SecretStr


def _site(url: str) -> str:
    return url.strip().rstrip("/").casefold()


async def save_keys(
    *,
    session: AsyncSession,
    team_id: str,
    slack_user_id: str,
    psa_member_id: int,
    public_key: str,
    private_key: SecretStr,
    base_url: str,
    company_id: str,
    box: SecretBox,
    now: datetime | None = None,
) -> EngineerKeysInfo:
    """Create or replace a Slack user's own keys (the caller has validated them against `base_url`)."""
    require_team(team_id)
    values = {
        "psa_member_id": psa_member_id,
        "public_key": public_key.strip(),
        "private_key_encrypted": box.encrypt(private_key),
        "base_url": base_url,
        "company_id": company_id,
        "validated_at": utcnow(now),
    }
    stmt = dialect_insert(session, T).values(team_id=team_id, slack_user_id=slack_user_id, **values)
    stmt = stmt.on_conflict_do_update(index_elements=[T.c.team_id, T.c.slack_user_id], set_=values)
    return EngineerKeysInfo.model_validate((await session.execute(stmt.returning(*T.c))).one())


async def _row(session: AsyncSession, team_id: str, slack_user_id: str) -> Any:
    require_team(team_id)
    stmt = select(T).where(T.c.team_id == team_id, T.c.slack_user_id == slack_user_id)
    return (await session.execute(stmt)).first()


async def get_keys_info(
    *, session: AsyncSession, team_id: str, slack_user_id: str
) -> EngineerKeysInfo | None:
    """A Slack user's stored keys without decrypting anything."""
    row = await _row(session, team_id, slack_user_id)
    return None if row is None else EngineerKeysInfo.model_validate(row)


async def get_keys(
    *, session: AsyncSession, team_id: str, slack_user_id: str, box: SecretBox
) -> EngineerKeys | None:
    """A Slack user's stored keys with the private key decrypted."""
    row = await _row(session, team_id, slack_user_id)
    if row is None:
        return None
    info = EngineerKeysInfo.model_validate(row)
    return EngineerKeys(**info.model_dump(), private_key=box.decrypt(row.private_key_encrypted))


async def delete_keys(*, session: AsyncSession, team_id: str, slack_user_id: str) -> EngineerKeysInfo | None:
    """Forget a Slack user's keys; the removed row (without secret) or None."""
    require_team(team_id)
    stmt = (
        delete(T)
        .where(T.c.team_id == team_id, T.c.slack_user_id == slack_user_id)
        .returning(*[c for c in T.c if c.name != "private_key_encrypted"])
    )
    row = (await session.execute(stmt)).first()
    return None if row is None else EngineerKeysInfo.model_validate(row)
