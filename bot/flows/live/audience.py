"""Who is told what about a change: assignees, followers and linked threads, minus what a reader did
themselves, each message due when the reader's quiet hours and digest allow.

Self-changes, never told to the engineer who made them, from two records:
- the PSA's attribution: who saved the change (`_info.updatedBy`, a note's author). It names the
  engineer when they wrote with their own keys or in ConnectWise itself;
- the write ledger: a write of that kind on that ticket claimed by the engineer (before the PSA call,
  so it is there before the PSA can announce the change) since the ticket's previous reading. With the
  workspace's key the PSA names the integration, and the ledger is what says who it was. A ledger
  write does not count when the PSA names another mapped engineer as the one who saved the change.
  A create is found by the marker its ticket carries (the PSA may announce the ticket before the
  create learned its id).
Every write from Slack claims the ledger (bot.flows.once.write_once), so no audit line is consulted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.flows.live.model import Fact, FactKind
from bot.flows.live.prefs import Preferences, Topic
from bot.flows.live.prefs import load as load_prefs
from bot.views.live import Line, Notice, Person, Why
from psa.errors import PSAError
from psa.models import PSATicketSearchResult
from psa.service import TicketService
from storage import Storage, WriteKind
from storage.live import NewMessage
from storage.repositories import mappings as mapping_repo
from storage.repositories.thread_links import ThreadLink

# A Slack write claimed this long before the ticket's previous reading still counts (clock skew
# between processes, and a claim made just before a reading the change was not part of yet).
SELF_MARGIN = timedelta(minutes=2)
FIRST_SIGHT_LOOKBACK = timedelta(minutes=15)
_KINDS: dict[FactKind, tuple[str, ...]] = {
    "status": (WriteKind.STATUS.value,),
    "note": (WriteKind.NOTE.value,),
    "assigned": (WriteKind.ASSIGNEE_ADD.value, WriteKind.CREATE.value),
}


@dataclass
class Audience:
    """Everyone a change to one ticket may concern."""

    users_by_member: dict[str, str]  # member identifier (casefolded) -> Slack user
    members_by_user: dict[str, str]  # Slack user -> member identifier
    followers: list[str]
    threads: list[ThreadLink]
    internal_in_threads: bool
    prefs: dict[str, Preferences] = field(default_factory=dict)

    def user_of(self, member: str | None) -> str | None:
        """The Slack user mapped to a member identifier."""
        return self.users_by_member.get(member.casefold()) if member else None

    def assignees(self, ticket: PSATicketSearchResult) -> list[str]:
        """Slack users among the ticket's owner and assignees."""
        members = [*([ticket.owner.identifier] if ticket.owner else []), *ticket.resources]
        users = [self.user_of(m) for m in members]
        return list(dict.fromkeys(u for u in users if u))

    def cares(self, ticket: PSATicketSearchResult, assigned: Sequence[str] = ()) -> bool:
        """Whether anyone could be told about this ticket (else its notes need not be read)."""
        members = [*([ticket.owner.identifier] if ticket.owner else []), *ticket.resources]
        return self.cares_about(members, assigned)

    def cares_about(self, members: Sequence[str], assigned: Sequence[str] = ()) -> bool:
        """Whether anyone could be told about a ticket with these assignees."""
        mapped = [u for u in (self.user_of(m) for m in [*members, *assigned]) if u]
        return bool(mapped or self.followers or self.threads)


async def audience_for(storage: Storage, team_id: str, ticket_id: int) -> Audience:
    """The mapped engineers, the ticket's followers and linked threads, and the workspace's choice."""
    live = storage.live()
    mappings = await storage.workspace(team_id).read(mapping_repo.list_mappings)
    settings = await live.find_settings(team_id)
    return Audience(
        users_by_member={m.member_identifier.casefold(): m.slack_user_id for m in mappings},
        members_by_user={m.slack_user_id: m.member_identifier for m in mappings},
        followers=await live.followers(team_id, ticket_id),
        threads=await live.threads(team_id, ticket_id),
        internal_in_threads=bool(settings and settings.internal_notes_in_threads),
    )


@dataclass
class Plan:
    """The messages a change causes, waiting for the version number of the state that records it."""

    dms: dict[str, Notice]
    threads: list[tuple[ThreadLink, Notice]]
    due: dict[str, datetime]
    digest: dict[str, bool]

    def messages(self, ticket_id: int) -> Callable[[int], list[NewMessage]]:
        """The outbox rows for the state's version (their keys carry it: one copy per change)."""

        def build(version: int) -> list[NewMessage]:
            out = [
                NewMessage(
                    dedupe_key=f"dm:{user}:{ticket_id}:v{version}",
                    target=user,
                    ticket_id=ticket_id,
                    kind="dm",
                    payload={"notice": notice.model_dump(mode="json"), "digest": self.digest[user]},
                    due_at=self.due[user],
                )
                for user, notice in self.dms.items()
            ]
            out += [
                NewMessage(
                    dedupe_key=f"thread:{link.channel_id}:{link.thread_ts}:{ticket_id}:v{version}",
                    target=link.channel_id,
                    thread_ts=link.thread_ts,
                    ticket_id=ticket_id,
                    kind="thread",
                    payload={"notice": notice.model_dump(mode="json")},
                    due_at=self.due[""],
                )
                for link, notice in self.threads
            ]
            return out

        return build

    @property
    def targets(self) -> set[str]:
        """Who gets something."""
        return {*self.dms, *(link.channel_id for link, _ in self.threads)}


class Planner:
    """Turns a change's facts into DMs and thread replies."""

    def __init__(
        self,
        storage: Storage,
        service: TicketService,
        team_id: str,
        audience: Audience,
        *,
        since: datetime | None,
        now: datetime,
    ) -> None:
        self._storage = storage
        self._service = service
        self._team = team_id
        self._audience = audience
        self._since = (since - SELF_MARGIN) if since is not None else now - FIRST_SIGHT_LOOKBACK
        self._now = now
        self._writers: dict[FactKind, set[str]] = {}
        self._names: dict[str, str] | None = None

    async def plan(self, ticket: PSATicketSearchResult, facts: list[Fact]) -> Plan:
        """Who is told which facts."""
        aud = self._audience
        for kind in {f.kind for f in facts}:
            self._writers[kind] = await self._storage.live().slack_writers(
                self._team, ticket.id, kinds=_KINDS[kind], since=self._since, marker=ticket.marker
            )
        wanted: dict[str, tuple[Why, list[Fact]]] = {}

        def add(user: str | None, why: Why, topic: Topic, fact: Fact) -> None:
            if user is None or self._made_by(user, fact):
                return
            prefs = aud.prefs.get(user) or Preferences()
            if not prefs.wants(topic):
                return
            current_why, listed = wanted.setdefault(user, (why, []))
            if fact not in listed:
                listed.append(fact)
            if why == "assigned" and current_why != "assigned":
                wanted[user] = ("assigned", listed)

        users = {*aud.assignees(ticket), *aud.followers}
        users |= {u for f in facts if f.kind == "assigned" and (u := aud.user_of(f.member))}
        aud.prefs.update(
            await load_prefs(self._storage, self._team, [u for u in users if u not in aud.prefs])
        )
        for fact in facts:
            if fact.kind == "assigned":
                add(aud.user_of(fact.member), "assigned", "assigned", fact)
            elif fact.kind == "status":
                for user in aud.assignees(ticket):
                    add(user, "mine", "status", fact)
            elif fact.kind == "note" and not fact.internal:
                for user in aud.assignees(ticket):
                    add(user, "mine", "notes", fact)
            for user in aud.followers:
                add(user, "follow", "follows", fact)
        url = self._service.ticket_url(ticket.id)
        dms: dict[str, Notice] = {}
        due: dict[str, datetime] = {"": self._now}
        digest: dict[str, bool] = {}
        for user, (why, listed) in wanted.items():
            lines = [await self._line(f, reader=user) for f in listed]
            dms[user] = Notice(ticket_id=ticket.id, summary=ticket.summary, url=url, why=why, lines=lines)
            prefs = aud.prefs.get(user) or Preferences()
            due[user] = prefs.due_at(self._now)
            digest[user] = prefs.digest_minutes > 0
        thread_facts = [f for f in facts if self._for_threads(f)]
        threads: list[tuple[ThreadLink, Notice]] = []
        if thread_facts and aud.threads:
            lines = [await self._line(f, reader=None) for f in thread_facts]
            notice = Notice(ticket_id=ticket.id, summary=ticket.summary, url=url, why="thread", lines=lines)
            threads = [(link, notice) for link in aud.threads]
        return Plan(dms=dms, threads=threads, due=due, digest=digest)

    def _made_by(self, user: str, fact: Fact) -> bool:
        member = self._audience.members_by_user.get(user)
        if member and fact.by and fact.by.casefold() == member.casefold():
            return True
        saver = self._audience.user_of(fact.by)
        if saver is not None and saver != user:
            return False  # the PSA names another engineer: their change, whatever this user wrote
        return user in self._writers.get(fact.kind, set())

    def _for_threads(self, fact: Fact) -> bool:
        """Thread replies tell what was done in ConnectWise, never what Slack did."""
        if fact.kind == "status":
            return not self._writers.get("status")
        if fact.kind != "note" or (fact.internal and not self._audience.internal_in_threads):
            return False
        writers = self._writers.get("note", set())
        authors = {self._audience.members_by_user.get(u, "").casefold() for u in writers}
        return not (fact.by and fact.by.casefold() in authors)

    async def _person(
        self, member: str | None, kind: FactKind | None, *, name: str | None = None
    ) -> Person | None:
        """Who did it: for a status or an assignment written from Slack, the engineer who wrote it
        (the PSA names the integration); else the member as a mention or a name."""
        others = self._writers.get(kind, set()) if kind in ("status", "assigned") else set()
        user = self._audience.user_of(member)
        if user:
            return Person(user_id=user, from_slack=user in others)
        if others:
            return Person(user_id=sorted(others)[0], from_slack=True)
        if name:
            return Person(name=name)
        if not member:
            return None
        return Person(name=(await self._member_names()).get(member.casefold(), member))

    async def _member_names(self) -> dict[str, str]:
        if self._names is None:
            try:
                self._names = {m.identifier.casefold(): m.name for m in await self._service.members()}
            except PSAError:
                self._names = {}
        return self._names

    async def _line(self, fact: Fact, *, reader: str | None) -> Line:
        if fact.kind == "assigned":
            assignee = self._audience.user_of(fact.member)
            member = (
                None if assignee is not None and assignee == reader else await self._person(fact.member, None)
            )
            return Line(
                kind="assigned", by=await self._person(fact.by, "assigned"), member=member, owner=fact.owner
            )
        if fact.kind == "status":
            return Line(kind="status", by=await self._person(fact.by, "status"), old=fact.old, new=fact.new)
        by = await self._person(fact.by, None, name=fact.author)
        if fact.customer:
            by = Person(name=fact.author or "the customer")
        return Line(kind="note", by=by, text=fact.text, internal=fact.internal, customer=fact.customer)
