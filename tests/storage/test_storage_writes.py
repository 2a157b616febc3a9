"""The write ledger: every kind of write under one key, its audit line in the same transaction, and what
recovery finds after a crash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from sqlalchemy import update

from storage import AuditAction, AuditEntry, LedgerState, Storage, WriteKind
from storage.models import IdempotencyRow
from storage.repositories import audit as audit_repo
from storage.repositories._common import table_of

LEDGER = table_of(IdempotencyRow)


async def _age(db: Storage, key: str, minutes: int) -> None:
    """Pretend the entry was last touched `minutes` ago (a process that died that long ago)."""
    async with db.session() as s:
        at = datetime.now(UTC) - timedelta(minutes=minutes)
        await s.execute(update(LEDGER).where(LEDGER.c.key == key).values(updated_at=at))


@pytest.mark.parametrize("kind", list(WriteKind))
async def test_every_kind_of_write_is_done_once_with_its_audit_line(db: Storage, kind: WriteKind) -> None:
    ledger = db.ledger("T1")
    first = await ledger.claim(
        f"{kind}-1", kind=kind, actor_user_id="U1", actor_member_id=17, ticket_id=1642, payload={"a": 1}
    )
    double_click = await ledger.claim(f"{kind}-1", kind=kind, actor_user_id="U1")
    assert first.won and not double_click.won and double_click.state == LedgerState.CLAIMED

    entry = AuditEntry(
        action=AuditAction.NOTE, detail={"internal": True}, psa_member_id=17, attribution="named"
    )
    assert await ledger.complete(f"{kind}-1", ticket_id=1642, result={"note_id": 5}, audit_entry=entry)

    done = await ledger.entry(f"{kind}-1")
    assert done is not None and (done.state, done.kind, done.result) == (
        LedgerState.DONE,
        kind,
        {"note_id": 5},
    )
    assert (done.actor_user_id, done.actor_member_id, done.payload) == ("U1", 17, {"a": 1})
    [line] = await db.workspace("T1").read(partial(audit_repo.list_events, ticket_id=1642))
    assert (line.slack_user_id, line.psa_member_id, line.attribution, line.ledger_key) == (
        "U1",
        17,
        "named",
        f"{kind}-1",
    )
    late_retry = await ledger.claim(f"{kind}-1", kind=kind, actor_user_id="U1")
    assert not late_retry.won and late_retry.entry.result == {"note_id": 5}


async def test_finishing_a_write_someone_else_finished_leaves_no_second_audit_line(db: Storage) -> None:
    ledger = db.ledger("T1")
    await ledger.claim("k", kind=WriteKind.STATUS, actor_user_id="U1", ticket_id=7)
    entry = AuditEntry(action=AuditAction.STATUS_CHANGE)
    assert await ledger.complete("k", ticket_id=7, audit_entry=entry)
    assert not await ledger.complete("k", ticket_id=7, audit_entry=entry)
    assert len(await db.workspace("T1").read(partial(audit_repo.list_events, ticket_id=7))) == 1


async def test_a_write_whose_audit_line_cannot_be_written_is_not_marked_done(db: Storage) -> None:
    ledger = db.ledger("T1")
    await ledger.claim("k", kind=WriteKind.NOTE, actor_user_id="U1", ticket_id=7)
    broken = AuditEntry.model_construct(
        action="not-an-action", detail={}, psa_member_id=None, attribution=None
    )

    with pytest.raises(ValueError):
        await ledger.complete("k", ticket_id=7, audit_entry=broken)

    entry = await ledger.entry("k")
    assert entry is not None and entry.state == LedgerState.CLAIMED  # rolled back together
    assert await db.workspace("T1").read(partial(audit_repo.list_events, ticket_id=7)) == []


async def test_an_uncertain_write_is_claimed_again_by_one_caller_who_must_look_first(db: Storage) -> None:
    ledger = db.ledger("T1")
    await ledger.claim("k", kind=WriteKind.CREATE, actor_user_id="U1", payload={"marker": "slack:k"})
    assert await ledger.uncertain("k", "ConnectWise did not answer in time")

    retry = await ledger.claim("k", kind=WriteKind.CREATE, actor_user_id="U1")
    other = await ledger.claim("k", kind=WriteKind.CREATE, actor_user_id="U1")

    assert retry.won and retry.took_over == LedgerState.UNCERTAIN and retry.must_reconcile
    assert retry.entry.payload == {"marker": "slack:k"} and retry.entry.attempts == 2
    assert not other.won


async def test_a_refused_write_is_retried_without_looking_first(db: Storage) -> None:
    ledger = db.ledger("T1")
    await ledger.claim("k", kind=WriteKind.NOTE, actor_user_id="U1")
    await ledger.fail("k", "text is required")
    retry = await ledger.claim("k", kind=WriteKind.NOTE, actor_user_id="U1")
    assert retry.won and retry.took_over == LedgerState.FAILED and not retry.must_reconcile


async def test_recovery_finds_uncertain_and_abandoned_writes_in_every_workspace_oldest_first(
    db: Storage,
) -> None:
    a, b = db.ledger("TA"), db.ledger("TB")
    for ledger, key in [(a, "abandoned"), (b, "uncertain"), (a, "running"), (b, "done"), (a, "failed")]:
        await ledger.claim(key, kind=WriteKind.CREATE, actor_user_id="U1")
    await b.uncertain("uncertain", "timeout")
    await b.complete("done", ticket_id=1)
    await a.fail("failed", "refused")
    await _age(db, "abandoned", 30)

    found = await db.unfinished_writes(stale_after=timedelta(minutes=10))

    assert [(e.team_id, e.key) for e in found] == [("TA", "abandoned"), ("TB", "uncertain")]
    assert await db.unfinished_writes(kinds=(WriteKind.NOTE,)) == []
    taken = await a.claim("abandoned", kind=WriteKind.CREATE, actor_user_id="U1")
    assert taken.won and taken.took_over == LedgerState.CLAIMED and taken.must_reconcile


async def test_payload_grows_while_claimed_and_oversized_payloads_are_refused(db: Storage) -> None:
    ledger = db.ledger("T1")
    await ledger.claim("k", kind=WriteKind.CREATE, actor_user_id="U1", payload={"summary": "Printer"})
    assert await ledger.set_payload("k", {"view_id": "V1"})
    entry = await ledger.entry("k")
    assert entry is not None and entry.payload == {"summary": "Printer", "view_id": "V1"}
    await ledger.complete("k", ticket_id=1)
    assert not await ledger.set_payload("k", {"view_id": "V2"})
    with pytest.raises(ValueError):
        await ledger.claim("big", kind=WriteKind.NOTE, actor_user_id="U1", payload={"text": "x" * 40_000})


async def test_a_claim_is_renewed_only_by_its_holder_and_stops_being_abandoned(db: Storage) -> None:
    ledger = db.ledger("T1")
    first = await ledger.claim("k", kind=WriteKind.CREATE, actor_user_id="U1", payload={"summary": "Printer"})
    await _age(db, "k", 30)
    renewed = await ledger.renew("k", attempt=first.entry.attempts, payload={"sent": True})
    assert renewed is not None and renewed.payload == {"summary": "Printer", "sent": True}
    assert await db.unfinished_writes(stale_after=timedelta(minutes=10)) == []

    await _age(db, "k", 30)
    taken = await ledger.claim("k", kind=WriteKind.CREATE, actor_user_id="U1")
    assert taken.won and taken.entry.attempts == first.entry.attempts + 1
    assert await ledger.renew("k", attempt=first.entry.attempts) is None  # the old holder lost it
    assert await ledger.renew("k", attempt=taken.entry.attempts) is not None
    await ledger.complete("k", ticket_id=7)
    assert await ledger.renew("k", attempt=taken.entry.attempts) is None
