"""Provider-neutral DTOs. Names follow the product spec; no vendor field names here."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from psa.time import TimeSpan

SUMMARY_MAX = 100
MARKER_MAX = 100  # ConnectWise's externalXRef holds at most 100 characters (OpenAPI 2025.1 Ticket)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=False, extra="ignore")


class Ref(_Model):
    """A reference to another record: id plus its display name."""

    id: int
    name: str = ""


class Company(_Model):
    id: int
    identifier: str = ""
    name: str = ""


class Board(_Model):
    id: int
    name: str
    inactive: bool = False


class BoardStatus(_Model):
    id: int
    name: str
    board_id: int
    sort_order: int = 0
    closed: bool = False
    default: bool = False
    inactive: bool = False


class Priority(_Model):
    id: int
    name: str
    sort: int = 0  # 1 is the most urgent
    color: str | None = None
    default: bool = False


class Member(_Model):
    id: int
    identifier: str
    name: str
    email: str | None = None
    inactive: bool = False


class Contact(_Model):
    id: int
    name: str
    email: str | None = None
    phone: str | None = None
    title: str | None = None
    company_id: int | None = None


class Configuration(_Model):
    id: int
    name: str
    type_name: str | None = None
    serial_number: str | None = None
    ip_address: str | None = None
    os_type: str | None = None


class Note(_Model):
    id: int
    ticket_id: int
    text: str
    author_name: str | None = None
    author_identifier: str | None = None
    created_at: datetime | None = None
    internal: bool = False
    customer: bool = False  # written by the customer's contact (e.g. a reply by e-mail), not a member


SLAStage = Literal["respond", "plan", "resolve", "resolved", "waiting"]


class TicketSLA(_Model):
    """Where a ticket stands against its SLA, as the PSA computed it.

    PSAs expose the due time of the *current* stage only (`due_at`, copied into the matching
    `due_*_at`); past stages carry the time they were met.
    """

    name: str | None = None
    status: SLAStage | None = None  # the stage the clock runs for ("waiting": on hold)
    due_at: datetime | None = None
    due_response_at: datetime | None = None
    due_plan_at: datetime | None = None
    due_resolution_at: datetime | None = None
    responded_at: datetime | None = None
    planned_at: datetime | None = None
    resolved_at: datetime | None = None
    in_sla: bool | None = None  # False once a stage was missed
    text: str = ""  # the PSA's own wording, e.g. "Respond by Mon 01/27 4:00 PM UTC-08"

    def overdue(self, now: datetime) -> bool:
        """The running stage's due time has passed."""
        return self.due_at is not None and now > self.due_at


class PSATicketSearchResult(_Model):
    """One compact list row (also the header data of a ticket)."""

    id: int
    summary: str
    company: Ref | None = None
    board: Ref | None = None
    status: Ref | None = None
    priority: Priority | None = None
    owner: Member | None = None
    contact: Ref | None = None
    resources: list[str] = Field(default_factory=list)  # member identifiers
    date_entered: datetime | None = None
    entered_by: str | None = None  # identifier of the member whose keys created it
    last_updated: datetime | None = None
    closed: bool = False
    parent_ticket_id: int | None = None
    actual_hours: float | None = None  # total of the ticket's time entries, kept by the PSA
    updated_by: str | None = None  # identifier of whoever changed it last
    sla: TicketSLA | None = None
    marker: str | None = None  # the create marker it carries when the app made it (TicketCreatePayload)


class TicketListResponse(_Model):
    items: list[PSATicketSearchResult]
    total: int
    page: int
    page_size: int
    # None: the search text was searched as typed. Else it could not be: these parts were searched
    # instead, each must match (the rows are a superset of the exact matches); [] when none could be.
    search_parts: list[str] | None = None


Assigned = Literal["me", "unassigned", "all"] | int


class TicketFilters(_Model):
    """The seven list filters of the spec. `assigned` is 'me' | 'unassigned' | 'all' | member id."""

    search: str = ""
    board_id: int | None = None
    status_id: int | None = None
    status_name: str | None = None  # a status by name, on every board that has it (when no board is set)
    priority_id: int | None = None
    company_id: int | None = None
    assigned: Assigned = "all"
    include_closed: bool = False


class TicketCreatePayload(_Model):
    summary: str = Field(min_length=1, max_length=SUMMARY_MAX)
    company_id: int
    board_id: int
    status_id: int
    priority_id: int
    description: str | None = None
    assigned_member_id: int | None = None
    contact_id: int | None = None
    # A token unique to this create, stored on the ticket where the PSA can search for it: after a crash
    # or a timeout the app finds the ticket it may have made instead of making a second one.
    marker: str | None = Field(default=None, max_length=MARKER_MAX, pattern=r"^[A-Za-z0-9:_-]+$")


class PSAResource(_Model):
    member_id: int
    member_name: str
    member_identifier: str
    is_rf_user: bool = False  # mapped to a user of this app
    is_owner: bool = False


class PSATicketCreated(_Model):
    id: int
    summary: str
    board_name: str
    status_name: str
    priority_name: str
    company_name: str
    resources: list[PSAResource] = Field(default_factory=list)
    url: str | None = None
    # False when the ticket exists but its description, written as the engineer's own note, does not
    # (yet): the caller keeps the text and retries the note instead of creating the ticket again.
    description_saved: bool = True


class Attribution(StrEnum):
    """How a write made from the app is attributed in the PSA."""

    OWN_KEYS = "own_keys"  # the engineer's own API keys: the PSA records them as the author everywhere
    NAMED = "named"  # the workspace's key, naming the engineer wherever the PSA lets the caller


class ActingMember(_Model):
    """The PSA member on whose behalf the app writes, and how the PSA will record it."""

    member_id: int
    identifier: str
    name: str = ""
    attribution: Attribution = Attribution.NAMED


class LikelyDuplicate(_Model):
    """An open ticket created moments ago that looks like the one about to be created."""

    ticket: PSATicketSearchResult
    score: int  # 0-100 summary similarity
    minutes_ago: int
    same_member: bool  # created by the same engineer (else: for the same company)


class PSATicketStatusUpdate(_Model):
    ticket_id: int
    previous_status: str
    new_status: str


class TicketContext(_Model):
    """Everything the detail view shows beyond the row: fetched in one go by the provider."""

    ticket: PSATicketSearchResult
    company: Company | None = None
    contact: Contact | None = None
    notes: list[Note] = Field(default_factory=list)  # the latest few, oldest first
    notes_total: int | None = None  # how many notes the ticket has in all (None: unknown)
    configurations: list[Configuration] = Field(default_factory=list)
    related: list[PSATicketSearchResult] = Field(default_factory=list)
    url: str | None = None


# -- time entries ----------------------------------------------------------------------------------

BillableOption = Literal["billable", "do_not_bill", "no_charge"]
NoteTarget = Literal["discussion", "internal", "resolution"]


class WorkType(_Model):
    """What kind of work time was spent on; it decides the default billing of the entry."""

    id: int
    name: str
    billable: BillableOption | None = None
    default: bool = False
    inactive: bool = False


class WorkRole(_Model):
    """The role a member worked in; it decides the hourly rate."""

    id: int
    name: str
    inactive: bool = False


class MemberTimeDefaults(_Model):
    """The work type and role the PSA fills in for a member when none is chosen."""

    member_id: int
    work_type: Ref | None = None
    work_role: Ref | None = None


class TimeEntryCreate(_Model):
    """Time to log on a ticket. `member_id` None means the member whose credentials make the call."""

    ticket_id: int
    span: TimeSpan
    member_id: int | None = None
    notes: str = ""
    internal_notes: str = ""
    note_target: NoteTarget | None = None  # also show `notes` on the ticket, in this section
    work_type_id: int | None = None
    work_role_id: int | None = None
    billable: BillableOption | None = None  # None: the work type decides
    email_contact: bool = False
    email_resources: bool = False
    email_cc: bool = False
    client_ref: UUID | None = None  # our id for the entry, to find it again after a lost answer


class TimeEntry(_Model):
    id: int
    ticket_id: int | None = None
    member_id: int | None = None
    member_identifier: str = ""
    member_name: str = ""
    start: datetime | None = None
    end: datetime | None = None
    hours: float = 0.0
    notes: str = ""
    internal_notes: str = ""
    note_target: NoteTarget | None = None
    work_type: Ref | None = None
    work_role: Ref | None = None
    billable: BillableOption | None = None
    entered_by: str | None = None
    entered_at: datetime | None = None
    client_ref: UUID | None = None
