"""Who ConnectWise says did it, in both modes, as the sandbox records it (README "Who ConnectWise says
did it"): with the workspace's key the app names the engineer wherever ConnectWise lets a caller (a
note's and a time entry's `member`) and the server-set fields name the API member; with the engineer's
own keys every field names the engineer. The app's audit row names the Slack user, the member and the
mode either way."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from pydantic import SecretStr
from scenario_harness import DEMO, DEMO_MEMBER, DEMO_MEMBER_ID, Slack
from test_scenario_detail import TICKET, open_ticket

from bot.ids import DetailAction, note_block_id
from psa.models import Member
from storage import AuditAction
from storage.repositories import audit as audit_repo
from storage.repositories import mappings as mapping_repo

API_MEMBER = "apiuser"  # the sandbox's API member: the workspace key's owner
TIME_TICKET = 1604  # Help Desk, In Progress: ConnectWise takes time on it


@pytest.fixture(params=["named", "own_keys"])
async def mode(request: pytest.FixtureRequest, slack: Slack) -> str:
    """The attribution mode: the workspace's key (named), or the engineer's own keys stored."""
    if request.param == "own_keys":
        keys = slack.sandbox.mint_member_keys(DEMO_MEMBER)
        mapping = await slack.store.read(partial(mapping_repo.get_mapping, slack_user_id=DEMO))
        assert mapping is not None
        await slack.deps.workspaces.save_member_keys(
            slack.team,
            DEMO,
            member=Member(id=DEMO_MEMBER_ID, identifier=DEMO_MEMBER, name=mapping.member_name),
            public_key=keys.public_key,
            private_key=SecretStr(keys.private_key),
            saved_by=DEMO,
        )
    return str(request.param)


def author(mode: str) -> str:
    """Who the server-set fields (createdBy, enteredBy, _info.updatedBy) name in this mode."""
    return DEMO_MEMBER if mode == "own_keys" else API_MEMBER


async def audit_row(slack: Slack, action: AuditAction, ticket_id: int = TICKET) -> Any:
    events = await slack.store.read(partial(audit_repo.list_events, ticket_id=ticket_id))
    [event] = [e for e in events if e.action == action]
    return event


def table(slack: Slack, name: str) -> list[dict[str, Any]]:
    return [dict(r) for r in slack.sandbox.state.store.tables[name].values()]


async def test_a_note_names_the_engineer_as_its_member_in_both_modes(slack: Slack, mode: str) -> None:
    view = await open_ticket(slack)
    slack.type_into(view, {note_block_id(0): {DetailAction.NOTE_TEXT: "Reseated the NIC"}})

    await slack.click(DetailAction.ADD_NOTE, view=view)

    [note] = [n for n in table(slack, "notes") if n["text"] == "Reseated the NIC"]
    assert note["member"]["identifier"] == DEMO_MEMBER
    assert note["createdBy"] == author(mode) and note["_info"]["updatedBy"] == author(mode)
    event = await audit_row(slack, AuditAction.NOTE)
    assert (event.slack_user_id, event.psa_member_id, event.attribution) == (DEMO, DEMO_MEMBER_ID, mode)


async def test_a_status_change_is_updated_by_the_key_owner(slack: Slack, mode: str) -> None:
    view = await open_ticket(slack)

    await slack.click(DetailAction.STATUS, "129", view=view)

    ticket = slack.sandbox.state.store.tables["tickets"][TICKET]
    assert ticket["status"]["id"] == 129 and ticket["_info"]["updatedBy"] == author(mode)
    event = await audit_row(slack, AuditAction.STATUS_CHANGE)
    assert (event.slack_user_id, event.psa_member_id, event.attribution) == (DEMO, DEMO_MEMBER_ID, mode)


async def test_a_new_assignee_entry_is_updated_by_the_key_owner(slack: Slack, mode: str) -> None:
    view = await open_ticket(slack)

    await slack.click(DetailAction.ADD_ASSIGNEE, ("Michael Chen", "2"), view=view)

    [entry] = [
        e for e in table(slack, "schedule_entries") if e["objectId"] == TICKET and e["member"]["id"] == 2
    ]
    assert entry["_info"]["updatedBy"] == author(mode)
    event = await audit_row(slack, AuditAction.ASSIGNEE_ADD)
    assert (event.slack_user_id, event.psa_member_id, event.attribution) == (DEMO, DEMO_MEMBER_ID, mode)


async def test_time_names_the_engineer_as_its_member_and_is_entered_by_the_key_owner(
    slack: Slack, mode: str
) -> None:
    before = {e["id"] for e in table(slack, "time_entries")}

    await slack.command(f"time {TIME_TICKET} 25m swapped the toner")

    [entry] = [e for e in table(slack, "time_entries") if e["id"] not in before]
    assert entry["member"]["identifier"] == DEMO_MEMBER
    assert entry["enteredBy"] == author(mode) and entry["_info"]["updatedBy"] == author(mode)
    event = await audit_row(slack, AuditAction.TIME_ENTRY, TIME_TICKET)
    assert (event.slack_user_id, event.psa_member_id, event.attribution) == (DEMO, DEMO_MEMBER_ID, mode)
