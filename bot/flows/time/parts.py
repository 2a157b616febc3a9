"""The writes of "working a ticket" — a time entry (which carries the note when time is logged), a note,
a status change — each as the engineer's PSA member, exactly once, under a sub-key of one idempotency key.

A submit is a `WorkPlan`; `run_plan` writes each part once through `bot.flows.once.write_once` under
`{key}:{part}`, so a retry of the same submit skips what is done and redoes only what is missing. A part whose
answer was lost (timeout, 5xx) is `uncertain`; the next claim looks in ConnectWise before writing again:
the time entry by the GUID it was sent with, the note by its text, a status by setting it again (the
same status twice changes nothing).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, Literal

from pydantic import BaseModel

from bot.flows.context import FlowContext
from bot.flows.once import Ended, Made, Perform, Write, psa_reason, write_once
from bot.views.time_work import BILLING_LABELS, TARGET_LABELS, PartResult
from bot.worked_time import format_duration
from bot.workspaces import Writer
from psa.models import BillableOption, NoteTarget, TimeEntry, TimeEntryCreate
from psa.time import TimeSpan
from storage import AuditAction, WriteKind

log = logging.getLogger(__name__)

PartName = Literal["time", "note", "status"]
_GUIDS = uuid.UUID("0b7f2a3e-5c41-4f0e-9d7a-6a1c3e9b2f54")
IN_PROGRESS = "still being saved by an earlier Save; check the ticket in a moment"
OUR_FAULT = "something went wrong on our side"


class TimePart(BaseModel):
    """Time to log; `note` rides on the entry (ConnectWise shows it on the ticket, in `note_target`)."""

    span: TimeSpan
    note: str = ""
    note_target: NoteTarget | None = None
    work_type_id: int | None = None
    work_role_id: int | None = None
    billable: BillableOption | None = None
    email_contact: bool = False


class NotePart(BaseModel):
    """A note on its own (no time logged)."""

    text: str
    internal: bool


class StatusPart(BaseModel):
    """The next status of the ticket."""

    status_id: int
    name: str = ""
    closed: bool = False


class WorkPlan(BaseModel):
    """One submit: which parts to write, in the order that lets each go through."""

    ticket_id: int
    key: str
    time: TimePart | None = None
    note: NotePart | None = None
    status: StatusPart | None = None

    def order(self) -> list[PartName]:
        """A closed status refuses time, and a ticket may be in one now: the status goes last when it
        closes the ticket (time first, while it is still allowed) and first otherwise (so time is)."""
        writes: list[PartName] = []
        if self.time is not None:
            writes.append("time")
        elif self.note is not None:
            writes.append("note")
        if self.status is None:
            return writes
        return [*writes, "status"] if self.status.closed else ["status", *writes]

    def sub_key(self, part: PartName) -> str:
        """The ledger key of one part."""
        return f"{self.key}:{part}"


class Outcome(BaseModel):
    """How one part ended, with what the write returned (for Undo and the answer)."""

    part: PartName
    done: bool
    text: str
    uncertain: bool = False
    here: bool = False  # performed (or found) by this run, not an earlier one
    busy: bool = False  # another run holds the part right now
    reason: str = ""  # why it was not done
    result: dict[str, Any] = {}

    def as_result(self) -> PartResult:
        """What the views show."""
        return PartResult(part=self.part, done=self.done, text=self.text, uncertain=self.uncertain)


def entry_guid(team_id: str, key: str) -> uuid.UUID:
    """The GUID a time entry is sent with (ConnectWise `mobileGuid`): the same for every retry of it."""
    return uuid.uuid5(_GUIDS, f"{team_id}/{key}")


def time_text(entry: TimeEntry | None, span: TimeSpan) -> str:
    """'45m logged (Remote Support · Billable)'."""
    bits = []
    if entry is not None and entry.work_type is not None and entry.work_type.name:
        bits.append(entry.work_type.name)
    if entry is not None and entry.billable:
        bits.append(BILLING_LABELS[entry.billable])
    detail = f" ({' · '.join(bits)})" if bits else ""
    return f"Time: {format_duration(span.duration)} logged{detail}"


async def run_plan(ctx: FlowContext, writer: Writer, plan: WorkPlan) -> list[Outcome]:
    """Write every part of `plan` in order; each is done, already done, or not done with the reason."""
    outcomes = []
    for part in plan.order():
        outcomes.append(await _run_part(ctx, writer, plan, part))
    return outcomes


_KINDS: dict[PartName, tuple[WriteKind, AuditAction, str, str, str]] = {
    "time": (WriteKind.TIME_ENTRY, AuditAction.TIME_ENTRY, "Time", "the time entry", "the ticket's time"),
    "note": (WriteKind.NOTE, AuditAction.NOTE, "Note", "the note", "the ticket's notes"),
    "status": (
        WriteKind.STATUS,
        AuditAction.STATUS_CHANGE,
        "Status",
        "the status change",
        "the ticket's status",
    ),
}


async def _run_part(ctx: FlowContext, writer: Writer, plan: WorkPlan, part: PartName) -> Outcome:
    kind, action, label, what, check = _KINDS[part]
    write = Write(
        key=plan.sub_key(part),
        kind=kind,
        audit=action,
        ticket_id=plan.ticket_id,
        what=what,
        check=check,
        payload=_payload(plan, part),
    )
    try:
        made = await write_once(ctx, write, _performer(ctx, plan, part), writer=writer)
    except Exception:
        log.exception("claiming %s failed; nothing was written", write.key)
        return Outcome(part=part, done=False, text=f"{label}: not saved ({OUR_FAULT})", reason=OUR_FAULT)
    if made.ended is Ended.BUSY:
        return Outcome(part=part, done=False, busy=True, text=f"{label}: {IN_PROGRESS}", reason=IN_PROGRESS)
    if made.done:
        return Outcome(part=part, done=True, here=made.here, text=made.text, result=made.result)
    said = psa_reason(made.error) if made.error is not None else OUR_FAULT
    unsure = made.ended is Ended.UNCERTAIN
    why = f"ConnectWise didn't confirm it (“{said}”)" if unsure else f"“{said}”"
    return Outcome(
        part=part, done=False, uncertain=unsure, here=True, text=f"{label}: not saved — {why}", reason=why
    )


def _payload(plan: WorkPlan, part: PartName) -> dict[str, Any]:
    if part == "time" and plan.time is not None:
        return {"span": plan.time.span.model_dump(mode="json"), "note": plan.time.note}
    if part == "note" and plan.note is not None:
        return {"note": plan.note.text, "internal": plan.note.internal}
    if part == "status" and plan.status is not None:
        return {"status_id": plan.status.status_id}
    return {}


def _performer(ctx: FlowContext, plan: WorkPlan, part: PartName) -> Perform:
    ticket_id = plan.ticket_id

    async def time(writer: Writer, reconcile: bool) -> Made:
        assert plan.time is not None
        t = plan.time
        service, acting = writer.service, writer.acting
        guid = entry_guid(ctx.team_id, plan.sub_key("time"))
        entry = await service.find_time_entry(ticket_id, guid) if reconcile else None
        if entry is None:
            entry = await service.add_time_entry(
                TimeEntryCreate(
                    ticket_id=ticket_id,
                    span=t.span,
                    member_id=acting.member_id,
                    notes=t.note,
                    note_target=t.note_target if t.note else None,
                    work_type_id=t.work_type_id,
                    work_role_id=t.work_role_id,
                    billable=t.billable,
                    email_contact=t.email_contact,
                    client_ref=guid,
                )
            )
        text = time_text(entry, t.span)
        if t.note:
            text += f"; note on the time entry ({TARGET_LABELS[t.note_target or 'discussion']})"
        if t.email_contact:
            text += "; contact e-mailed"
        result = {
            "entry_id": entry.id,
            "minutes": round(t.span.duration.total_seconds() / 60),
            "start": t.span.start.isoformat(),
            "end": t.span.end.isoformat(),
            "work_type": entry.work_type.name if entry.work_type else None,
        }
        return Made(text, result=result, detail=result, value=entry)

    async def note(writer: Writer, reconcile: bool) -> Made:
        assert plan.note is not None
        n = plan.note
        if reconcile:
            notes = await writer.service.recent_notes(ticket_id)
            found = next((x for x in notes if x.text.strip() == n.text.strip()), None)
            if found is not None:
                return Made(_note_text(n.internal), result={"note_id": found.id}, detail={"found": True})
        made = await writer.service.add_note(ticket_id, n.text, internal=n.internal, acting=writer.acting)
        result = {"note_id": made.id, "internal": n.internal}
        return Made(_note_text(n.internal), result=result, detail=result, value=made)

    async def status(writer: Writer, reconcile: bool) -> Made:
        assert plan.status is not None
        update = await writer.service.update_status(ticket_id, plan.status.status_id, acting=writer.acting)
        moved = {"from": update.previous_status, "to": update.new_status}
        return Made(f"Status: {update.previous_status} → {update.new_status}", result=moved, detail=moved)

    return {"time": time, "note": note, "status": status}[part]


def _note_text(internal: bool) -> str:
    return f"Note: added ({'Internal' if internal else 'Discussion'})"
