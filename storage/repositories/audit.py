"""Audit trail: who did what to which ticket. Details are small JSON and are scrubbed of secrets."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import SecretBytes, SecretStr
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditAction, AuditEventRow
from storage.repositories._common import Record, require_team, table_of, utcnow

T = table_of(AuditEventRow)
REDACTED = "[redacted]"
SECRET_KEY_PARTS = (
    "private_key",
    "secret",
    "token",
    "password",
    "passwd",
    "authorization",
    "api_key",
    "credential",
)
TEXT_MAX = 500
DETAIL_MAX = 4000
DEPTH_MAX = 4


class AuditEvent(Record):
    """One recorded action."""

    id: int
    team_id: str
    slack_user_id: str
    action: AuditAction
    ticket_id: int | None
    detail: dict[str, Any]
    created_at: datetime
    psa_member_id: int | None = None
    attribution: str | None = None
    ledger_key: str | None = None


def _is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return any(part in lowered for part in SECRET_KEY_PARTS)


def _clean(value: Any, depth: int) -> Any:
    if isinstance(value, SecretStr | SecretBytes):
        return REDACTED
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value[:TEXT_MAX]
    if depth >= DEPTH_MAX:
        return "…"
    if isinstance(value, Mapping):
        return {
            str(k): REDACTED if _is_secret_key(str(k)) else _clean(v, depth + 1) for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(v, depth + 1) for v in list(value)[:50]]
    return str(value)[:TEXT_MAX]


def scrub_detail(detail: Mapping[str, Any] | None) -> dict[str, Any]:
    """A JSON-safe, size-bounded copy of `detail` with secret-looking keys and SecretStr values redacted."""
    cleaned: dict[str, Any] = _clean(dict(detail or {}), 0)
    if len(json.dumps(cleaned, default=str)) > DETAIL_MAX:
        return {"truncated": True, "keys": sorted(cleaned)[:50]}
    return cleaned


async def record(
    *,
    session: AsyncSession,
    team_id: str,
    slack_user_id: str,
    action: AuditAction,
    ticket_id: int | None = None,
    detail: Mapping[str, Any] | None = None,
    psa_member_id: int | None = None,
    attribution: str | None = None,
    ledger_key: str | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Append an audit event (the detail is scrubbed first); `psa_member_id`/`attribution` say on whose
    behalf the PSA was written and how it records that, `ledger_key` which write this is."""
    require_team(team_id)
    stmt = (
        insert(T)
        .values(
            team_id=team_id,
            slack_user_id=slack_user_id,
            action=AuditAction(action),
            ticket_id=ticket_id,
            detail=scrub_detail(detail),
            created_at=utcnow(now),
            psa_member_id=psa_member_id,
            attribution=attribution,
            ledger_key=ledger_key,
        )
        .returning(*T.c)
    )
    return AuditEvent.model_validate((await session.execute(stmt)).one())


async def list_events(
    *, session: AsyncSession, team_id: str, ticket_id: int | None = None, limit: int = 50
) -> list[AuditEvent]:
    """The workspace's most recent audit events (optionally for one ticket), newest first."""
    require_team(team_id)
    stmt = select(T).where(T.c.team_id == team_id)
    if ticket_id is not None:
        stmt = stmt.where(T.c.ticket_id == ticket_id)
    stmt = stmt.order_by(T.c.created_at.desc(), T.c.id.desc()).limit(max(1, min(limit, 500)))
    return [AuditEvent.model_validate(row) for row in await session.execute(stmt)]
