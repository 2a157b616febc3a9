"""Changes made in the PSA, as the app learns of them: pushed deliveries or a poll. Knows nothing of Slack.

Both paths produce `PSAChange`s that say *what* changed, never what it now looks like: a delivery
can arrive late, twice or out of order, so the handler re-reads the record (the poll hands over the
rows it just read). `PollCursor` is where the poller got to; see `PollCursor.advance` for why it
compares with `>=` and remembers ids rather than asking for `> last poll time`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from psa.errors import PSAError
from psa.models import PSATicketSearchResult

if TYPE_CHECKING:
    from psa.base import PSAProvider

POLL_PAGE = 1000
POLL_PAGES = 5  # at most 5000 changed tickets a poll; `complete=False` then says to come back soon

ChangeRecord = Literal["ticket", "schedule_entry", "time_entry", "other"]
ChangeAction = Literal["added", "updated", "deleted"]


class PSAChange(BaseModel):
    """One record added, updated or deleted in the PSA."""

    model_config = ConfigDict(frozen=True)

    record_type: ChangeRecord
    record_id: int
    action: ChangeAction
    source: Literal["callback", "poll"]
    delivery_id: str | None = None  # the PSA's id of the delivery; its retries and duplicates share it
    changed_by: str | None = None  # identifier of the member who made the change, when the PSA says
    changed_at: datetime | None = None  # the record's last-updated time (poll only)

    @property
    def dedupe_key(self) -> str:
        """Equal for deliveries of the same change (use it to do the work once)."""
        if self.delivery_id:
            return f"delivery:{self.delivery_id}"
        stamp = self.changed_at.isoformat() if self.changed_at else "-"
        return f"{self.source}:{self.record_type}:{self.record_id}:{self.action}:{stamp}"


class ChangeSubscription(BaseModel):
    """A registration that makes the PSA push changes to a URL (vendor names kept as the PSA gives them)."""

    id: int
    url: str
    record_type: str
    level: str
    object_id: int | None = None
    description: str = ""
    inactive: bool = False


class SubscriptionSync(BaseModel):
    """What making the subscriptions match the wanted set did."""

    kept: list[ChangeSubscription] = Field(default_factory=list)
    created: list[ChangeSubscription] = Field(default_factory=list)
    reactivated: list[ChangeSubscription] = Field(default_factory=list)
    removed: list[ChangeSubscription] = Field(default_factory=list)


class Assignment(BaseModel):
    """A member put on a ticket by a schedule entry (what an assignment notification is about)."""

    entry_id: int
    ticket_id: int
    member_id: int
    member_identifier: str = ""
    done: bool = False


class ForgedChangeError(PSAError):
    """A delivery that cannot be proven to come from the PSA: answer 403 and do nothing with it."""

    user_hint = "Ignored: the delivery was not signed by the PSA."


class ChangeKeyUnavailableError(PSAError):
    """The signing key could not be fetched, so the delivery can be neither trusted nor refused.

    ConnectWise retries a delivery answered 429 (after 2 s, then 4 s), so that is the answer to give.
    """


class MalformedChangeError(PSAError):
    """A signed delivery the app does not understand (unknown action, no record id)."""


class PollCursor(BaseModel):
    """Where the poller got to: the newest last-updated time seen, and the tickets reported at it.

    PSAs store last-updated to the second. Asking for `> newest` would miss a ticket changed later
    in that same second; asking for `>= newest` and skipping the ids already reported at it does not.
    """

    model_config = ConfigDict(frozen=True)

    since: datetime | None = None
    seen_at_since: frozenset[int] = frozenset()
    # Set when a poll stopped at its page budget: the next one continues right after this ticket.
    resume_after_id: int | None = None

    def unseen(self, rows: Iterable[PSATicketSearchResult]) -> list[PSATicketSearchResult]:
        """The rows not reported yet (those at `since` whose id is remembered were)."""
        return [
            r
            for r in rows
            if r.last_updated is not None
            and not (r.last_updated == self.since and r.id in self.seen_at_since)
            and (self.since is None or r.last_updated >= self.since)
        ]

    def advance(self, rows: Iterable[PSATicketSearchResult]) -> PollCursor:
        """The cursor after reporting `rows`."""
        since, seen = self.since, set(self.seen_at_since)
        for row in rows:
            stamp = row.last_updated
            if stamp is None:
                continue
            if since is None or stamp > since:
                since, seen = stamp, {row.id}
            elif stamp == since:
                seen.add(row.id)
        return PollCursor(since=since, seen_at_since=frozenset(seen))


class TicketChanges(BaseModel):
    """One poll: the changes found, the rows read (fresh, no re-fetch needed) and the next cursor."""

    changes: list[PSAChange]
    tickets: list[PSATicketSearchResult]
    cursor: PollCursor
    complete: bool = True  # False when the poll stopped at its page budget; poll again soon


async def poll_ticket_changes(
    provider: PSAProvider, cursor: PollCursor, *, max_pages: int = POLL_PAGES
) -> TicketChanges:
    """One poll: a request when nothing changed, a page more per 1000 changed tickets.

    Pages continue after the last row read (its time and id), so a ticket changed while paging
    moves behind the reader instead of shifting an unread one out of the window; a poll that hit
    its page budget leaves the cursor there, so the next one resumes instead of re-reading.
    A ticket that was deleted cannot be seen this way; callbacks report those.
    """
    if cursor.since is None:
        newest = await provider.newest_ticket_change()
        return TicketChanges(changes=[], tickets=[], cursor=cursor.advance([newest] if newest else []))
    since, after_id = cursor.since, cursor.resume_after_id
    read: list[PSATicketSearchResult] = []
    complete = False
    for _ in range(max(1, max_pages)):
        rows = await provider.tickets_changed_since(since, after_id=after_id, limit=POLL_PAGE)
        read.extend(rows)
        last = rows[-1].last_updated if rows else None
        if len(rows) < POLL_PAGE or last is None:
            complete = True
            break
        since, after_id = last, rows[-1].id
    fresh = cursor.unseen(read)
    changes = [
        PSAChange(
            record_type="ticket",
            record_id=r.id,
            action="added" if r.date_entered is not None and r.date_entered == r.last_updated else "updated",
            source="poll",
            changed_by=r.updated_by,
            changed_at=r.last_updated,
        )
        for r in fresh
    ]
    after = cursor.advance(read)
    if not complete and read:
        after = after.model_copy(update={"resume_after_id": read[-1].id})
    return TicketChanges(changes=changes, tickets=fresh, cursor=after, complete=complete)
