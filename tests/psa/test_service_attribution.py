"""Writes as the engineer, read back from the sandbox the way ConnectWise records them: with the
engineer's own keys (everything is theirs) and with the workspace's key (only a note's member is)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from psa.connectwise import ConnectWiseCredentials, ConnectWiseProvider, RetryPolicy
from psa.connectwise.sandbox import SandboxServer
from psa.errors import PSAMemberKeysRejectedError
from psa.models import Attribution, Member, TicketCreatePayload
from psa.service import TicketService, summary_similarity

OPEN_TICKET = 1642  # Help Desk, open
JDOE = Member(id=17, identifier="jdoe", name="Jordan Doe")
CASCADE = 52


class NoMappings:
    async def member_id_for(self, user_ref: str) -> int | None:
        return None

    async def mapped_member_ids(self) -> dict[int, str]:
        return {}


@pytest.fixture
def workspace(provider: ConnectWiseProvider) -> TicketService:
    """The workspace's service: its API member's keys."""
    return TicketService(provider, NoMappings())


@pytest.fixture
def own(
    workspace: TicketService,
    sandbox: SandboxServer,
    credentials: ConnectWiseCredentials,
    http: httpx.AsyncClient,
) -> TicketService:
    """The same service writing with Jordan's own keys."""
    keys = sandbox.mint_member_keys("jdoe")
    creds = credentials.model_copy(
        update={"public_key": keys.public_key, "private_key": SecretStr(keys.private_key)}
    )
    provider = ConnectWiseProvider(creds, http=http, retry=RetryPolicy(max_retries=0), member_keys=True)
    return workspace.with_member_keys(provider, JDOE.id)


def _record(sandbox: SandboxServer, table: str, ident: int) -> dict[str, Any]:
    with sandbox.state.store.lock:
        found = sandbox.state.store.get(table, ident)
        assert found is not None
        return dict(found)


def _notes_of(sandbox: SandboxServer, ticket_id: int) -> list[dict[str, Any]]:
    with sandbox.state.store.lock:
        return [dict(n) for n in sandbox.state.store.table("notes").values() if n["ticketId"] == ticket_id]


def _payload(description: str | None = "Since 9am, every user on floor 2") -> TicketCreatePayload:
    return TicketCreatePayload(
        summary="Outlook not syncing",
        company_id=CASCADE,
        board_id=1,
        status_id=101,
        priority_id=3,
        description=description,
    )


async def test_the_acting_member_says_how_connectwise_will_record_the_write(
    workspace: TicketService, own: TicketService
) -> None:
    assert workspace.acting(JDOE).attribution is Attribution.NAMED
    assert own.acting(JDOE).attribution is Attribution.OWN_KEYS
    assert own.acting(Member(id=7, identifier="slee", name="Sam Lee")).attribution is Attribution.NAMED


async def test_a_note_with_the_workspace_key_names_the_engineer_as_its_member(
    workspace: TicketService, sandbox: SandboxServer
) -> None:
    note = await workspace.add_note(
        OPEN_TICKET, "Rebooted the NAS", internal=True, acting=workspace.acting(JDOE)
    )
    stored = _record(sandbox, "notes", note.id)
    assert note.author_identifier == "jdoe" and note.internal
    assert stored["member"]["identifier"] == "jdoe"
    assert stored["createdBy"] == stored["_info"]["updatedBy"] == "apiuser"


async def test_a_note_with_own_keys_is_the_engineers_everywhere(
    own: TicketService, sandbox: SandboxServer
) -> None:
    note = await own.add_note(OPEN_TICKET, "Rebooted the NAS", internal=False, acting=own.acting(JDOE))
    stored = _record(sandbox, "notes", note.id)
    assert stored["member"]["identifier"] == stored["createdBy"] == stored["_info"]["updatedBy"] == "jdoe"


async def test_a_ticket_created_with_the_workspace_key_carries_the_engineers_description_note(
    workspace: TicketService, sandbox: SandboxServer
) -> None:
    created = await workspace.create_ticket(_payload(), acting=workspace.acting(JDOE))

    ticket = _record(sandbox, "tickets", created.id)
    [note] = _notes_of(sandbox, created.id)
    assert ticket["_info"]["enteredBy"] == "apiuser"  # nothing lets a caller name a ticket's author
    assert (note["member"]["identifier"], note["createdBy"], note["detailDescriptionFlag"]) == (
        "jdoe",
        "apiuser",
        True,
    )
    assert created.description_saved
    [posted] = [r.body for r in sandbox.requests if r.method == "POST" and r.path == "/service/tickets"]
    assert "initialDescription" not in posted


async def test_a_ticket_created_with_own_keys_is_entered_by_the_engineer_in_one_request(
    own: TicketService, sandbox: SandboxServer
) -> None:
    created = await own.create_ticket(_payload(), acting=own.acting(JDOE))

    ticket = _record(sandbox, "tickets", created.id)
    [note] = _notes_of(sandbox, created.id)
    assert ticket["_info"]["enteredBy"] == note["member"]["identifier"] == note["createdBy"] == "jdoe"
    assert sandbox.request_count("POST") == 1


async def test_a_description_note_that_fails_leaves_one_ticket_and_says_so(
    workspace: TicketService, sandbox: SandboxServer
) -> None:
    sandbox.inject_fault(method="POST", path_pattern=r"/notes$", status=503)

    created = await workspace.create_ticket(_payload(), acting=workspace.acting(JDOE))

    assert not created.description_saved
    assert sandbox.request_count("POST", "/service/tickets") == 2  # the ticket, then the note once
    assert _notes_of(sandbox, created.id) == []


async def test_status_and_assignee_changes_are_recorded_as_the_key_owners(
    workspace: TicketService, own: TicketService, sandbox: SandboxServer
) -> None:
    await workspace.update_status(OPEN_TICKET, 103, acting=workspace.acting(JDOE))
    assert _record(sandbox, "tickets", OPEN_TICKET)["_info"]["updatedBy"] == "apiuser"
    await own.update_status(OPEN_TICKET, 104, acting=own.acting(JDOE))
    assert _record(sandbox, "tickets", OPEN_TICKET)["_info"]["updatedBy"] == "jdoe"

    await own.add_resource(OPEN_TICKET, 7, acting=own.acting(JDOE))
    with sandbox.state.store.lock:
        [entry] = [
            e
            for e in sandbox.state.store.table("schedule_entries").values()
            if e["objectId"] == OPEN_TICKET and e["member"]["id"] == 7
        ]
    assert entry["_info"]["updatedBy"] == "jdoe"


async def test_claiming_own_keys_on_the_workspaces_connection_is_refused(workspace: TicketService) -> None:
    pretend = workspace.acting(JDOE).model_copy(update={"attribution": Attribution.OWN_KEYS})
    with pytest.raises(ValueError):
        await workspace.add_note(OPEN_TICKET, "x", internal=False, acting=pretend)


async def test_own_keys_know_whose_they_are_and_say_so_when_refused(
    own: TicketService, sandbox: SandboxServer
) -> None:
    assert (await own.provider.current_member()).identifier == "jdoe"
    sandbox.reset()  # forgets every minted key, as if Jordan deleted his keys in ConnectWise
    with pytest.raises(PSAMemberKeysRejectedError) as refused:
        await own.add_note(OPEN_TICKET, "x", internal=False, acting=own.acting(JDOE))
    assert "your own API keys" in refused.value.user_hint


# -- likely duplicates ------------------------------------------------------------------------


def _age_ticket(sandbox: SandboxServer, ticket_id: int, minutes: int) -> None:
    stamp = (datetime.now(UTC) - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with sandbox.state.store.lock:
        sandbox.state.store.get("tickets", ticket_id)["_info"]["dateEntered"] = stamp  # type: ignore[index]
        sandbox.state.store.touch("tickets")


async def test_a_very_similar_open_ticket_for_the_same_company_is_a_likely_duplicate(
    workspace: TicketService, sandbox: SandboxServer
) -> None:
    first = await workspace.create_ticket(_payload(None))
    _age_ticket(sandbox, first.id, 2)

    found = await workspace.likely_duplicates(
        "outlook is not syncing", company_id=CASCADE, member_identifier="jdoe", now=datetime.now(UTC)
    )

    assert [(d.ticket.id, d.same_member, d.minutes_ago) for d in found] == [(first.id, False, 2)]
    assert found[0].ticket.company is not None and found[0].ticket.company.id == CASCADE


async def test_the_same_engineers_ticket_for_another_company_is_a_likely_duplicate(
    workspace: TicketService, own: TicketService
) -> None:
    by_own_keys = await own.create_ticket(_payload(None), acting=own.acting(JDOE))
    by_workspace = await workspace.create_ticket(
        _payload(None).model_copy(update={"company_id": 2}), acting=workspace.acting(JDOE)
    )

    found = await workspace.likely_duplicates(
        "Outlook not syncing",
        company_id=99,
        member_identifier="jdoe",
        now=datetime.now(UTC),
        mine={by_workspace.id},
    )

    assert {d.ticket.id for d in found} == {by_own_keys.id, by_workspace.id}
    assert all(d.same_member for d in found)


async def test_old_closed_unrelated_or_other_peoples_tickets_are_not_duplicates(
    workspace: TicketService, sandbox: SandboxServer
) -> None:
    old = await workspace.create_ticket(_payload(None))
    _age_ticket(sandbox, old.id, 31)
    closed = await workspace.create_ticket(_payload(None).model_copy(update={"status_id": 107}))
    await workspace.create_ticket(_payload(None).model_copy(update={"summary": "Printer jammed"}))
    await workspace.create_ticket(_payload(None).model_copy(update={"company_id": 2}))

    found = await workspace.likely_duplicates(
        "Outlook not syncing", company_id=CASCADE, member_identifier="jdoe", now=datetime.now(UTC)
    )

    assert closed.id not in {d.ticket.id for d in found} and found == []


@pytest.mark.parametrize(
    ("a", "b", "alike"),
    [
        ("Outlook not syncing", "outlook NOT syncing", True),
        ("Outlook not syncing", "Not syncing: Outlook", True),
        ("Outlook not syncing for Dana", "Outlook not syncing", True),
        ("Outlook", "Outlook not syncing", False),
        ("Printer jammed", "Outlook not syncing", False),
    ],
)
def test_summary_similarity_reads_like_a_person_would(a: str, b: str, alike: bool) -> None:
    assert (summary_similarity(a, b) >= 85) is alike
