"""Live updates: callback settings, deliveries seen, poll cursors, ticket states, follows, preferences.

Each function takes its session; `storage.live.LiveStore` wraps them one transaction per call.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, delete, func, or_, select, union, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    IdempotencyRow,
    LedgerState,
    LiveDeliveryRow,
    LiveFollowRow,
    LivePollCursorRow,
    LivePreferencesRow,
    LiveSettingsRow,
    LiveTicketStateRow,
    MemberMappingRow,
    PSAConnectionRow,
    WriteKind,
)
from storage.repositories._common import Record, dialect_insert, require_team, table_of, utcnow

SETTINGS = table_of(LiveSettingsRow)
DELIVERIES = table_of(LiveDeliveryRow)
CURSORS = table_of(LivePollCursorRow)
STATES = table_of(LiveTicketStateRow)
FOLLOWS = table_of(LiveFollowRow)
PREFS = table_of(LivePreferencesRow)
LEDGER = table_of(IdempotencyRow)


class LiveSettings(Record):
    """A workspace's live-update settings."""

    team_id: str
    token: str
    callback_url: str | None
    subscribed_at: datetime | None
    internal_notes_in_threads: bool
    created_at: datetime


class TicketState(Record):
    """What the app last knew of a ticket, and the version to update it from."""

    data: dict[str, Any]
    version: int
    updated_at: datetime


# -- settings ------------------------------------------------------------------------------------


async def ensure_settings(*, session: AsyncSession, team_id: str, token: str, now: datetime) -> LiveSettings:
    """The workspace's settings, created with `token` when it has none yet."""
    require_team(team_id)
    stmt = dialect_insert(session, SETTINGS).values(team_id=team_id, token=token, created_at=utcnow(now))
    await session.execute(stmt.on_conflict_do_nothing(index_elements=[SETTINGS.c.team_id]))
    row = (await session.execute(select(SETTINGS).where(SETTINGS.c.team_id == team_id))).one()
    return LiveSettings.model_validate(row)


async def get_settings(*, session: AsyncSession, team_id: str) -> LiveSettings | None:
    """The workspace's settings, if any."""
    require_team(team_id)
    row = (await session.execute(select(SETTINGS).where(SETTINGS.c.team_id == team_id))).first()
    return None if row is None else LiveSettings.model_validate(row)


async def settings_by_token(*, session: AsyncSession, token: str) -> LiveSettings | None:
    """The workspace whose callback URL carries `token` (how a delivery finds its workspace)."""
    row = (await session.execute(select(SETTINGS).where(SETTINGS.c.token == token))).first()
    return None if row is None else LiveSettings.model_validate(row)


async def set_subscription(
    *, session: AsyncSession, team_id: str, callback_url: str | None, now: datetime | None
) -> None:
    """Remember the URL registered with the PSA (None: nothing registered any more)."""
    require_team(team_id)
    await session.execute(
        update(SETTINGS)
        .where(SETTINGS.c.team_id == team_id)
        .values(callback_url=callback_url, subscribed_at=None if now is None else utcnow(now))
    )


async def set_internal_notes(*, session: AsyncSession, team_id: str, allowed: bool) -> None:
    """Whether linked threads show internal notes."""
    require_team(team_id)
    await session.execute(
        update(SETTINGS).where(SETTINGS.c.team_id == team_id).values(internal_notes_in_threads=allowed)
    )


async def known_teams(*, session: AsyncSession) -> list[str]:
    """Workspaces that may have something to learn: a stored connection or a mapped engineer."""
    query = union(select(PSAConnectionRow.team_id), select(MemberMappingRow.team_id))
    return sorted(str(r[0]) for r in await session.execute(query))


# -- deliveries and poll cursors -----------------------------------------------------------------


async def first_sight(*, session: AsyncSession, team_id: str, key: str, now: datetime) -> bool:
    """Record a change's dedupe key; False when it was seen before (a retry or a duplicate)."""
    require_team(team_id)
    stmt = dialect_insert(session, DELIVERIES).values(
        team_id=team_id, dedupe_key=key, received_at=utcnow(now)
    )
    stmt = stmt.on_conflict_do_nothing(index_elements=[DELIVERIES.c.team_id, DELIVERIES.c.dedupe_key])
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def prune_deliveries(*, session: AsyncSession, before: datetime) -> int:
    """Forget dedupe keys older than the PSA retries a delivery."""
    result = await session.execute(delete(DELIVERIES).where(DELIVERIES.c.received_at < utcnow(before)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def get_cursor(*, session: AsyncSession, team_id: str) -> dict[str, Any] | None:
    """The poller's cursor as stored."""
    require_team(team_id)
    row = (await session.execute(select(CURSORS.c.cursor).where(CURSORS.c.team_id == team_id))).first()
    return None if row is None else dict(row[0])


async def save_cursor(*, session: AsyncSession, team_id: str, cursor: dict[str, Any], now: datetime) -> None:
    """Store the poller's cursor."""
    require_team(team_id)
    values = {"cursor": cursor, "polled_at": utcnow(now)}
    stmt = dialect_insert(session, CURSORS).values(team_id=team_id, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=[CURSORS.c.team_id], set_=values))


# -- ticket states -------------------------------------------------------------------------------


async def get_state(*, session: AsyncSession, team_id: str, ticket_id: int) -> TicketState | None:
    """What the app last knew of a ticket."""
    require_team(team_id)
    row = (
        await session.execute(
            select(STATES.c.data, STATES.c.version, STATES.c.updated_at).where(
                STATES.c.team_id == team_id, STATES.c.ticket_id == ticket_id
            )
        )
    ).first()
    return None if row is None else TicketState.model_validate(row)


async def put_state(
    *,
    session: AsyncSession,
    team_id: str,
    ticket_id: int,
    data: dict[str, Any],
    expected: int | None,
    now: datetime,
    sla_due_at: datetime | None = None,
) -> int | None:
    """Store a ticket's state (and its SLA due time, for `due_between`) if nobody changed it since
    `expected` (None: no state yet); the new version, or None when another writer got there first."""
    require_team(team_id)
    due = utcnow(sla_due_at) if sla_due_at is not None else None
    if expected is None:
        stmt = dialect_insert(session, STATES).values(
            team_id=team_id, ticket_id=ticket_id, data=data, version=1, updated_at=utcnow(now), sla_due_at=due
        )
        stmt = stmt.on_conflict_do_nothing(index_elements=[STATES.c.team_id, STATES.c.ticket_id])
        return 1 if (await session.execute(stmt)).rowcount else None  # type: ignore[attr-defined]
    result = await session.execute(
        update(STATES)
        .where(STATES.c.team_id == team_id, STATES.c.ticket_id == ticket_id, STATES.c.version == expected)
        .values(data=data, version=expected + 1, updated_at=utcnow(now), sla_due_at=due)
    )
    return expected + 1 if result.rowcount else None  # type: ignore[attr-defined]


async def all_states(*, session: AsyncSession, team_id: str) -> list[tuple[int, dict[str, Any]]]:
    """Every kept ticket state of a workspace (ticket id, data)."""
    require_team(team_id)
    rows = await session.execute(select(STATES.c.ticket_id, STATES.c.data).where(STATES.c.team_id == team_id))
    return [(int(r[0]), dict(r[1])) for r in rows]


def due_between_query(team_id: str, after: datetime, until: datetime) -> Select[tuple[int, dict[str, Any]]]:
    """States whose SLA is due in (after, until], soonest first: a range scan of the
    (team_id, sla_due_at) index."""
    return (
        select(STATES.c.ticket_id, STATES.c.data)
        .where(
            STATES.c.team_id == team_id,
            STATES.c.sla_due_at > utcnow(after),
            STATES.c.sla_due_at <= utcnow(until),
        )
        .order_by(STATES.c.sla_due_at)
    )


async def due_between(
    *, session: AsyncSession, team_id: str, after: datetime, until: datetime
) -> list[tuple[int, dict[str, Any]]]:
    """Kept states of open tickets whose SLA is due in (after, until] (ticket id, data)."""
    require_team(team_id)
    rows = await session.execute(due_between_query(team_id, after, until))
    return [(int(r[0]), dict(r[1])) for r in rows]


# -- follows -------------------------------------------------------------------------------------


async def follow(*, session: AsyncSession, team_id: str, user_id: str, ticket_id: int, now: datetime) -> None:
    """The user follows the ticket (again: no change)."""
    require_team(team_id)
    stmt = dialect_insert(session, FOLLOWS).values(
        team_id=team_id, slack_user_id=user_id, ticket_id=ticket_id, followed_at=utcnow(now)
    )
    await session.execute(stmt.on_conflict_do_nothing())


async def unfollow(*, session: AsyncSession, team_id: str, user_id: str, ticket_id: int) -> bool:
    """The user stops following the ticket; True if they did."""
    require_team(team_id)
    result = await session.execute(
        delete(FOLLOWS).where(
            FOLLOWS.c.team_id == team_id, FOLLOWS.c.slack_user_id == user_id, FOLLOWS.c.ticket_id == ticket_id
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def followers(*, session: AsyncSession, team_id: str, ticket_id: int) -> list[str]:
    """Users following the ticket."""
    require_team(team_id)
    rows = await session.execute(
        select(FOLLOWS.c.slack_user_id)
        .where(FOLLOWS.c.team_id == team_id, FOLLOWS.c.ticket_id == ticket_id)
        .order_by(FOLLOWS.c.followed_at)
    )
    return [str(r[0]) for r in rows]


async def followed(*, session: AsyncSession, team_id: str, user_id: str) -> list[int]:
    """Tickets the user follows."""
    require_team(team_id)
    rows = await session.execute(
        select(FOLLOWS.c.ticket_id).where(FOLLOWS.c.team_id == team_id, FOLLOWS.c.slack_user_id == user_id)
    )
    return [int(r[0]) for r in rows]


# -- preferences ---------------------------------------------------------------------------------


async def get_preferences(
    *, session: AsyncSession, team_id: str, user_ids: Collection[str]
) -> dict[str, dict[str, Any]]:
    """Stored preferences of these users (users without any are absent)."""
    require_team(team_id)
    if not user_ids:
        return {}
    rows = await session.execute(
        select(PREFS.c.slack_user_id, PREFS.c.data).where(
            PREFS.c.team_id == team_id, PREFS.c.slack_user_id.in_(list(user_ids))
        )
    )
    return {str(r[0]): dict(r[1]) for r in rows}


async def save_preferences(
    *, session: AsyncSession, team_id: str, user_id: str, data: dict[str, Any], now: datetime
) -> None:
    """Store a user's preferences."""
    require_team(team_id)
    values = {"data": data, "updated_at": utcnow(now)}
    stmt = dialect_insert(session, PREFS).values(team_id=team_id, slack_user_id=user_id, **values)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=[PREFS.c.team_id, PREFS.c.slack_user_id], set_=values)
    )


# -- who made a change from Slack ----------------------------------------------------------------


async def slack_writers(
    *,
    session: AsyncSession,
    team_id: str,
    ticket_id: int,
    kinds: Collection[str],
    since: datetime,
    marker: str | None = None,
) -> set[str]:
    """Slack users who wrote this kind of change to the ticket from Slack since `since`: writes in the
    ledger, claimed before the PSA call (so there before the PSA can announce the change), except those
    the PSA refused. Every write from Slack claims it (bot.flows.once.write_once; creates theirs).

    A create learns its ticket's id only once the PSA answered, and the PSA may announce the ticket
    before that: `marker` (the create marker the ticket carries) finds the create's claim meanwhile."""
    require_team(team_id)
    this_ticket = LEDGER.c.ticket_id == ticket_id
    if marker and WriteKind.CREATE.value in kinds:
        created = LEDGER.c.payload["marker"].as_string() == marker
        made_it = and_(LEDGER.c.kind == WriteKind.CREATE.value, created)
        this_ticket = or_(this_ticket, made_it)
    query = select(LEDGER.c.actor_user_id).where(
        LEDGER.c.team_id == team_id,
        this_ticket,
        LEDGER.c.kind.in_(list(kinds)),
        LEDGER.c.state != LedgerState.FAILED.value,
        LEDGER.c.updated_at >= utcnow(since),
    )
    return {str(r[0]) for r in await session.execute(query) if r[0]}


async def count_states(*, session: AsyncSession, team_id: str) -> int:
    """How many tickets the app keeps a state of (for tests and the README's figures)."""
    require_team(team_id)
    query = select(func.count()).select_from(STATES).where(STATES.c.team_id == team_id)
    return int((await session.scalar(query)) or 0)
