"""SLA warnings: a DM to a ticket's assignees N minutes before its running SLA stage is due, once per
ticket, stage, due time and threshold (the outbox key), from the due times kept with each ticket's
state — so the periodic check reads no ConnectWise at all; every change to a ticket refreshes them.
The due times are also kept in an indexed column, so the check reads only the tickets due soon."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.flows.live.deliver import deliver
from bot.flows.live.model import TicketState
from bot.flows.live.prefs import load as load_prefs
from bot.views.live import Line, Notice
from bot.views.sla import STAGES
from storage.live import NewMessage
from storage.repositories import mappings as mapping_repo

if TYPE_CHECKING:
    from bot.deps import AppDeps


async def warn_due(deps: AppDeps, team_id: str) -> int:
    """Queue (and send) the warnings now due in one workspace; how many were new."""
    minutes = deps.settings.sla_warn_minutes
    if minutes <= 0:
        return 0
    now = deps.now()
    horizon = now + timedelta(minutes=minutes)
    live = deps.storage.live()
    due: list[tuple[int, TicketState]] = []
    for ticket_id, data in await live.sla_due(team_id, after=now, until=horizon):
        state = TicketState.model_validate(data)
        if state.sla_due_at is not None and state.sla_stage in STAGES:
            due.append((ticket_id, state))
    if not due:
        return 0
    users = {
        m.member_identifier.casefold(): m.slack_user_id
        for m in await deps.storage.workspace(team_id).read(mapping_repo.list_mappings)
    }
    readers = {t: [u for m in s.resources if (u := users.get(m.casefold()))] for t, s in due}
    prefs = await load_prefs(deps.storage, team_id, {u for us in readers.values() for u in us})
    service = await deps.workspaces.service(team_id)
    messages: list[NewMessage] = []
    for ticket_id, state in due:
        assert state.sla_due_at is not None and state.sla_stage is not None
        stage = STAGES[state.sla_stage].lower()
        line = Line(kind="sla", stage=stage, due_at=state.sla_due_at)
        url = service.ticket_url(ticket_id) if service is not None else None
        notice = Notice(ticket_id=ticket_id, summary=state.summary, url=url, why="sla", lines=[line])
        for user in dict.fromkeys(readers[ticket_id]):
            if not prefs[user].wants("sla"):
                continue
            stamp = state.sla_due_at.isoformat()
            messages.append(
                NewMessage(
                    dedupe_key=f"sla:{user}:{ticket_id}:{state.sla_stage}:{stamp}:{minutes}",
                    target=user,
                    ticket_id=ticket_id,
                    kind="dm",
                    payload={"notice": notice.model_dump(mode="json"), "digest": False},
                    due_at=prefs[user].quiet_until(now) or now,  # quiet hours hold it; no digest
                )
            )
    added = await live.put_messages(team_id, messages, now=now)
    if added:
        await deliver(deps, team_id)
    return added


async def warn_all(deps: AppDeps) -> int:
    """The periodic job: every workspace's warnings."""
    return sum([await warn_due(deps, team) for team in await deps.storage.live().teams()])
