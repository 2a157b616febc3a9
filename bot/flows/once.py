"""Every write a user makes from Slack, exactly once and as them: `write_once`.

authorize (`ctx.require_writer`) → the actor's `Writer` → claim the idempotency key in the ledger → the
write → `complete` with its audit row in the same transaction. The PSA refusing it → `fail` (a later try
may win); an answer lost on the way (timeout, 5xx, dropped connection) → `uncertain`, told as such with
what to check, and the next claim reconciles (`Perform` gets `reconcile=True`) before writing again. A
caller that loses the claim gets the winner's stored result, or learns that it is still being made.

Keys come from what the action came from (a view id and the revision kept in its state, a message ts), so
a double click, a Slack retry, a replayed request or a second process find the same key.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.flows.context import FlowContext
from bot.flows.errors import NotConnected
from bot.workspaces import Writer
from psa.errors import PSAError, PSAUnavailableError
from psa.models import Member
from storage import AuditAction, AuditEntry, LedgerState, WriteKind

log = logging.getLogger(__name__)

OUR_SIDE = "something went wrong on our side"


class Ended(StrEnum):
    """How a write ended, as the user is told."""

    DONE = "done"  # made (by this run, or an earlier one whose result is shown)
    FAILED = "failed"  # refused: nothing was written; trying again may work
    UNCERTAIN = "uncertain"  # may have been made: check before trying again (a retry checks first)
    BUSY = "busy"  # another click of the same action is making it right now


@dataclass(frozen=True)
class Write:
    """One write: its key, what it is, and how it is described to the user."""

    key: str
    kind: WriteKind
    audit: AuditAction
    ticket_id: int | None
    what: str  # "the note": Couldn't save {what} / ConnectWise didn't confirm {what}
    check: str  # where to look when the outcome is uncertain ("the ticket's notes")
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Made:
    """What a write made: the line shown, the result kept in the ledger (JSON), the audit detail."""

    text: str
    result: dict[str, Any] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)
    value: Any = None  # the PSA's own answer, to render from without another round trip (this run only)


class WriteRefused(Exception):
    """A write refused before or outside the PSA (e.g. Slack refused a post); `message` is shown."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Outcome:
    """The one outcome of a write the user sees."""

    ended: Ended
    text: str
    here: bool = False  # this run performed it (else: an earlier or concurrent run's outcome)
    result: dict[str, Any] = field(default_factory=dict)
    value: Any = None
    error: PSAError | None = None

    @property
    def done(self) -> bool:
        return self.ended is Ended.DONE


Perform = Callable[[Writer, bool], Awaitable[Made]]  # (writer, reconcile) → what was made


def maybe_applied(exc: PSAError) -> bool:
    """Whether a failed write may have been made anyway: its answer was lost, or the PSA failed (5xx)."""
    flagged = exc.maybe_applied
    return flagged if flagged is not None else isinstance(exc, PSAUnavailableError)


def psa_reason(exc: PSAError) -> str:
    """What the PSA said, with the reasons it gave per field."""
    fields = getattr(exc, "fields", None) or {}
    reasons = list(dict.fromkeys(str(v).strip() for v in fields.values() if str(v).strip()))
    return " ".join(r if r.endswith(".") else f"{r}." for r in reasons).rstrip(".") or exc.message


def uncertain_text(write: Write) -> str:
    """An unconfirmed write, with what to check (never told as a failure)."""
    return (
        f"ConnectWise didn't confirm {write.what}: it may have been saved. Check {write.check} before "
        "doing it again — trying the same action again checks first, so it is never made twice."
    )


def busy_text(write: Write) -> str:
    """Another run is making the same write right now."""
    return f"Still saving {write.what} from your earlier click; it shows here in a moment."


async def writer_for(ctx: FlowContext) -> Writer:
    """How the actor writes, once authorized: their own keys when stored, else the workspace's naming
    their member. Raises NotMapped (or the policy's refusal) or NotConnected."""
    mapping = await ctx.require_writer()
    member = Member(id=mapping.psa_member_id, identifier=mapping.member_identifier, name=mapping.member_name)
    writer = await ctx.deps.workspaces.writer(ctx.team_id, ctx.user_id, member)
    if writer is None:
        raise NotConnected(ctx.team_id)
    return writer


async def write_once(
    ctx: FlowContext, write: Write, perform: Perform, *, writer: Writer | None = None
) -> Outcome:
    """Authorize, claim `write.key`, perform, and record the outcome with its audit row (see module doc)."""
    writer = writer or await writer_for(ctx)
    ledger = ctx.deps.storage.ledger(ctx.team_id)
    claim = await ledger.claim(
        write.key,
        kind=write.kind,
        actor_user_id=ctx.user_id,
        actor_member_id=writer.acting.member_id,
        ticket_id=write.ticket_id,
        payload=write.payload,
    )
    if not claim.won:
        entry = claim.entry
        if entry.state == LedgerState.DONE:
            result = dict(entry.result or {})
            return Outcome(Ended.DONE, str(result.get("text") or "Done."), result=result)
        return Outcome(Ended.BUSY, busy_text(write))
    try:
        made = await perform(writer, claim.must_reconcile)
    except PSAError as exc:
        said = psa_reason(exc)
        if maybe_applied(exc):
            await ledger.uncertain(write.key, said)
            return Outcome(Ended.UNCERTAIN, uncertain_text(write), here=True, error=exc)
        await ledger.fail(write.key, said)
        told = f"Couldn't save {write.what}: {said.rstrip('.')}. {exc.user_hint}"
        return Outcome(Ended.FAILED, told, here=True, error=exc)
    except WriteRefused as refused:
        await ledger.fail(write.key, refused.message)
        return Outcome(Ended.FAILED, refused.message, here=True)
    except BaseException as exc:
        # Not known whether it reached the PSA: the next claim reconciles. Told as uncertain, never lost.
        log.error("write %s (%s) stopped: %s", write.key, write.kind, type(exc).__name__, exc_info=exc)
        await _quietly(ledger.uncertain(write.key, OUR_SIDE))
        if not isinstance(exc, Exception):
            raise  # cancelled or exiting: the ledger row says uncertain
        return Outcome(Ended.UNCERTAIN, uncertain_text(write), here=True)
    result = {**made.result, "text": made.text}
    audit = AuditEntry(
        action=write.audit,
        detail=made.detail,
        psa_member_id=writer.acting.member_id,
        attribution=writer.acting.attribution.value,
    )
    try:
        await ledger.complete(write.key, ticket_id=write.ticket_id, result=result, audit_entry=audit)
    except Exception:
        # Made in the PSA; the row stays claimed and a retry after `stale_after` reconciles instead of
        # writing twice. The user is told it was made — it was.
        log.exception("write %s was made but its ledger entry was not completed", write.key)
    return Outcome(Ended.DONE, made.text, here=True, result=result, value=made.value)


async def _quietly(work: Awaitable[Any]) -> None:
    try:
        await work
    except Exception:
        log.exception("recording a write's outcome failed")
