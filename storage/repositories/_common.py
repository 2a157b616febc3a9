"""Helpers shared by the repositories: workspace guard, UTC clock, dialect-specific INSERT."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Base


class Record(BaseModel):
    """Base of the immutable value objects the repositories return."""

    model_config = ConfigDict(frozen=True, from_attributes=True)


def require_team(team_id: str) -> str:
    """Refuse an empty workspace id, so no query can ever run unscoped."""
    if not isinstance(team_id, str) or not team_id.strip():
        raise ValueError("team_id is required for every storage operation")
    return team_id


def utcnow(now: datetime | None = None) -> datetime:
    """`now` (must be aware) or the current UTC time."""
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """INSERT with ON CONFLICT support for the session's backend (SQLite or Postgres)."""
    bind = session.bind
    name = bind.dialect.name if bind is not None else ""
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"Unsupported database dialect {name!r}")


def table_of(model: type[Base]) -> Table:
    """The Core table behind a model: repositories use Core statements so no ORM object (or stale
    identity-map state) ever escapes a session."""
    return cast(Table, model.__table__)
