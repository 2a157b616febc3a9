"""Audit trail: who did what to which ticket, newest first, never with secrets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from pydantic import SecretStr

from storage import AuditAction, Storage
from storage.repositories import audit

T0 = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


async def test_events_are_listed_newest_first_and_by_ticket(db: Storage) -> None:
    async with db.session() as s:
        for minutes, action, ticket in (
            (0, AuditAction.CREATE, 1),
            (1, AuditAction.NOTE, 1),
            (2, AuditAction.NOTE, 2),
        ):
            await audit.record(
                session=s,
                team_id="T1",
                slack_user_id="U1",
                action=action,
                ticket_id=ticket,
                detail={"internal": True},
                now=T0 + timedelta(minutes=minutes),
            )
    ws = db.workspace("T1")

    everything = await ws.read(audit.list_events)
    ticket_1 = await ws.read(partial(audit.list_events, ticket_id=1))

    assert [(e.action, e.ticket_id) for e in everything] == [
        (AuditAction.NOTE, 2),
        (AuditAction.NOTE, 1),
        (AuditAction.CREATE, 1),
    ]
    assert [e.action for e in ticket_1] == [AuditAction.NOTE, AuditAction.CREATE]
    assert everything[0].detail == {"internal": True} and everything[0].created_at == T0 + timedelta(
        minutes=2
    )
    assert len(await ws.read(partial(audit.list_events, limit=1))) == 1


async def record(db: Storage, action: AuditAction, **line: Any) -> audit.AuditEvent:
    """U1's audit line in workspace T1, written as the app does: one repository call, one transaction."""
    return await db.workspace("T1").write(partial(audit.record, slack_user_id="U1", action=action, **line))


async def test_status_change_detail_round_trips_as_json(db: Storage) -> None:
    detail = {"from": "New", "to": "In Progress", "status_id": 12, "assignees": ["jdoe", "asmith"]}
    event = await record(db, AuditAction.STATUS_CHANGE, ticket_id=1042, detail=detail)
    [stored] = await db.workspace("T1").read(audit.list_events)
    assert stored == event and stored.detail == detail


async def test_secrets_never_reach_the_audit_detail(db: Storage) -> None:
    detail = {
        "private_key": "PrivKey-LEAK-1",
        "nested": {"bot_token": "xoxb-LEAK-2", "password": "LEAK-3", "ok": "kept"},
        "value": SecretStr("LEAK-4"),
        "items": [{"client_secret": "LEAK-5"}],
    }
    event = await record(db, AuditAction.CONNECT, detail=detail)
    [stored] = await db.workspace("T1").read(audit.list_events)

    for shown in (repr(event), repr(stored), stored.model_dump_json()):
        assert "LEAK" not in shown
    assert stored.detail["nested"]["ok"] == "kept"
    assert stored.detail["private_key"] == audit.REDACTED


async def test_oversized_detail_is_bounded(db: Storage) -> None:
    event = await record(db, AuditAction.NOTE, detail={f"k{i}": "x" * 400 for i in range(50)})
    assert event.detail["truncated"] is True


async def test_unknown_actions_are_refused(db: Storage) -> None:
    with pytest.raises(ValueError):
        await record(db, "delete_everything", ticket_id=1)  # type: ignore[arg-type]
