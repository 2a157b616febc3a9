"""What a change did to a ticket: the app's last known state of it, and the facts a new reading shows.

Pure: no I/O. A change notice says only *that* a ticket changed (pushed deliveries may be late,
repeated or out of order), so the handler re-reads the ticket and compares it with the state kept
from the previous reading. Without a previous state (a ticket the app meets for the first time) only
what can be told from the ticket itself counts: a ticket just added, notes written at its last update.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from psa.models import Note, PSATicketSearchResult

# Without a previous state, a note counts as new when written this close to the ticket's last update
# (writing a note is what moved it).
FIRST_SIGHT_NOTE_WINDOW = timedelta(seconds=5)

FactKind = Literal["assigned", "status", "note"]


class TicketState(BaseModel):
    """What the app last knew of a ticket (stored as JSON in live_ticket_states)."""

    summary: str = ""
    status_id: int | None = None
    status_name: str | None = None
    owner: str | None = None  # member identifier
    resources: list[str] = Field(default_factory=list)  # member identifiers, owner included
    last_note_id: int | None = None  # None: notes not read yet
    as_of: datetime | None = None  # the ticket's last-updated time at that reading
    # Assignees first seen without a previous state: an assignment notice may still announce them.
    unconfirmed: list[str] = Field(default_factory=list)
    closed: bool = False
    sla_stage: str | None = None  # the SLA stage whose clock runs ("respond", "plan", "resolve")
    sla_due_at: datetime | None = None  # when that stage is due (the SLA watch warns before it)

    @property
    def watched_due_at(self) -> datetime | None:
        """The due time the SLA watch looks for (stored in an indexed column): open tickets only."""
        return None if self.closed else self.sla_due_at


class Fact(BaseModel):
    """One thing a change did, as people are told about it."""

    kind: FactKind
    by: str | None = None  # member identifier of who did it, when the PSA says
    member: str | None = None  # assigned: who was assigned
    owner: bool = False  # assigned as the owner
    old: str | None = None  # status: from
    new: str | None = None  # status: to
    note_id: int | None = None
    text: str = ""  # note text
    author: str | None = None  # note author's display name
    internal: bool = False
    customer: bool = False  # note written by the customer


class Reading(BaseModel):
    """A fresh reading of a ticket: the row, and its latest notes when they were read."""

    ticket: PSATicketSearchResult
    notes: list[Note] | None = None


def _folded(values: Sequence[str]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        if value and value.casefold() not in seen:
            seen[value.casefold()] = value
    return list(seen.values())


def state_of(
    reading: Reading, previous: TicketState | None = None, *, unconfirmed: Sequence[str] = ()
) -> TicketState:
    """The state to keep after `reading`."""
    ticket = reading.ticket
    owner = ticket.owner.identifier if ticket.owner else None
    resources = _folded([*([owner] if owner else []), *ticket.resources])
    # Notes not read: the newest is unknown from now on (later ones count by time, see _new_notes).
    last_note = max((n.id for n in reading.notes), default=0) if reading.notes is not None else None
    keep = {m.casefold() for m in resources}
    return TicketState(
        summary=ticket.summary,
        status_id=ticket.status.id if ticket.status else None,
        status_name=ticket.status.name if ticket.status else None,
        owner=owner,
        resources=resources,
        last_note_id=last_note,
        as_of=ticket.last_updated,
        closed=ticket.closed,
        sla_stage=ticket.sla.status if ticket.sla else None,
        sla_due_at=ticket.sla.due_at if ticket.sla else None,
        unconfirmed=[m for m in _folded(list(unconfirmed)) if m.casefold() in keep],
    )


def _new_notes(previous: TicketState | None, reading: Reading) -> list[Note]:
    notes = reading.notes or []
    if previous is not None and previous.last_note_id is not None:
        return [n for n in notes if n.id > previous.last_note_id]
    if previous is not None and previous.as_of is not None:
        since = previous.as_of
        return [n for n in notes if n.created_at is not None and n.created_at > since]
    updated = reading.ticket.last_updated
    if updated is None:
        return []
    return [
        n for n in notes if n.created_at is not None and n.created_at >= updated - FIRST_SIGHT_NOTE_WINDOW
    ]


def changes(
    previous: TicketState | None,
    reading: Reading,
    *,
    added: bool = False,
    assigned: Sequence[str] = (),
) -> tuple[list[Fact], TicketState]:
    """The facts a reading shows since `previous`, and the state to keep.

    `added`: the PSA says the ticket was just created (its assignees are all new). `assigned`: members
    an assignment notice (a schedule entry) named — new unless already known as assigned, or first
    seen without a previous state and not yet announced.
    """
    ticket = reading.ticket
    by = ticket.updated_by
    facts: list[Fact] = []
    now_owner = ticket.owner.identifier if ticket.owner else None
    state = state_of(reading)
    known = {m.casefold() for m in (previous.resources if previous else [])}
    pending = {m.casefold() for m in (previous.unconfirmed if previous else [])}
    new_members: list[str] = []
    if previous is not None or added:
        new_members = [m for m in state.resources if m.casefold() not in known]
    unannounced: list[str] = [] if previous is not None or added else list(state.resources)
    for member in _folded(list(assigned)):
        if member.casefold() in pending or member.casefold() not in known:
            new_members.append(member)
    for member in _folded(new_members):
        is_owner = bool(now_owner) and member.casefold() == (now_owner or "").casefold()
        facts.append(Fact(kind="assigned", by=by, member=member, owner=is_owner))
    announced = {f.member.casefold() for f in facts if f.member}
    leftover = [
        m
        for m in [*unannounced, *(previous.unconfirmed if previous else [])]
        if m.casefold() not in announced
    ]
    state = state_of(reading, unconfirmed=leftover)
    if previous is not None and previous.status_id != state.status_id and state.status_name:
        facts.append(Fact(kind="status", by=by, old=previous.status_name, new=state.status_name))
    for note in _new_notes(previous, reading):
        facts.append(
            Fact(
                kind="note",
                by=note.author_identifier,
                note_id=note.id,
                text=note.text,
                author=note.author_name,
                internal=note.internal,
                customer=note.customer,
            )
        )
    return facts, state
