"""Key rotation: every encrypted column of the schema re-encrypted with the newest key, in one transaction.

The columns are declared once in `ENCRYPTED_COLUMNS`; a table that stores a new secret adds one line
there (a test fails when a `*_encrypted` column of the models is missing from it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pydantic import BaseModel, Field
from sqlalchemy import Column, Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import SecretBox
from storage.errors import SecretDecryptionError
from storage.models import Base, EngineerKeysRow, PSAConnectionRow
from storage.repositories._common import table_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EncryptedColumn:
    """A column holding Fernet tokens (rows are addressed by the table's primary key)."""

    model: type[Base]
    column: str

    @property
    def table(self) -> Table:
        return table_of(self.model)

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column}"


ENCRYPTED_COLUMNS: tuple[EncryptedColumn, ...] = (
    EncryptedColumn(PSAConnectionRow, "private_key_encrypted"),
    EncryptedColumn(EngineerKeysRow, "private_key_encrypted"),
)


class RotationReport(BaseModel):
    """What `rotate-keys` did: tokens re-encrypted per column, and rows no configured key opens."""

    rotated: dict[str, int] = Field(default_factory=dict)
    unreadable: list[str] = Field(default_factory=list)  # "psa_connections.private_key_encrypted team_id=T1"


async def rotate_secrets(
    *, session: AsyncSession, box: SecretBox, columns: tuple[EncryptedColumn, ...] = ENCRYPTED_COLUMNS
) -> RotationReport:
    """Re-encrypt every token of `columns` with the newest key (the caller's transaction holds them all).

    A token no configured key opens is left as it is and listed in the report (an admin must reconnect
    that workspace); it never stops the others from being rotated.
    """
    report = RotationReport()
    for spec in columns:
        table = spec.table
        keys: list[Column[object]] = list(table.primary_key.columns)
        token_column = table.c[spec.column]
        rows = (await session.execute(select(*keys, token_column).where(token_column.is_not(None)))).all()
        rotated = 0
        for row in rows:
            ids = {key.name: row._mapping[key] for key in keys}
            try:
                token = box.rotate(row._mapping[token_column])
            except SecretDecryptionError:
                where = " ".join(f"{k}={v}" for k, v in ids.items())
                report.unreadable.append(f"{spec.name} {where}")
                log.error("key rotation: %s %s cannot be decrypted with any configured key", spec.name, where)
                continue
            condition = [key == ids[key.name] for key in keys]
            await session.execute(update(table).where(*condition).values({spec.column: token}))
            rotated += 1
        report.rotated[spec.name] = rotated
    return report
