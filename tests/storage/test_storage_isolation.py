"""Workspace isolation: team B can never read or change team A's rows through any repository function."""

from __future__ import annotations

import inspect
import uuid
from functools import partial

import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from storage import (
    AuditAction,
    ConnectionCredentials,
    LedgerState,
    MappingConflictError,
    Storage,
    SuggestionState,
)
from storage.repositories import (
    access,
    audit,
    connections,
    engineer_keys,
    events,
    ledger,
    mappings,
    suggestions,
    thread_links,
)

A, B = "TAAAA", "TBBBB"
SUGGESTION = uuid.uuid4().hex
REPOSITORIES = (
    access,
    audit,
    connections,
    engineer_keys,
    events,
    ledger,
    mappings,
    suggestions,
    thread_links,
)


async def _seed_team_a(db: Storage) -> None:
    async with db.session() as s:
        creds = ConnectionCredentials(
            base_url="https://a.example",
            company_id="a",
            public_key="pa",
            client_id="ca",
            private_key=SecretStr("ka"),
        )
        await connections.save_connection(
            session=s, team_id=A, credentials=creds, connected_by="UA", box=db.box
        )
        await mappings.map_member(
            session=s,
            team_id=A,
            slack_user_id="U1",
            member_id=10,
            member_identifier="a10",
            member_name="A Ten",
            mapped_by="UA",
        )
        await thread_links.link_thread(
            session=s, team_id=A, channel_id="C1", thread_ts="1.0", ticket_id=100, linked_by="UA"
        )
        await ledger.claim("key-1", team_id=A, session=s)
        await suggestions.open_if_none(
            session=s, team_id=A, suggestion_id=SUGGESTION, channel_id="C1", thread_ts="1.0", description="a"
        )
        await events.first_time(session=s, team_id=A, event_id="Ev1")
        await audit.record(session=s, team_id=A, slack_user_id="UA", action=AuditAction.CREATE, ticket_id=100)


async def _team_b_tries_everything(s: AsyncSession, db: Storage) -> None:
    # Reads see nothing of A.
    assert await connections.get_connection_info(session=s, team_id=B) is None
    assert await connections.get_connection(session=s, team_id=B, box=db.box) is None
    assert await mappings.get_mapping(session=s, team_id=B, slack_user_id="U1") is None
    assert await mappings.get_mapping_by_member(session=s, team_id=B, member_id=10) is None
    assert await mappings.list_mappings(session=s, team_id=B) == []
    assert await thread_links.get_thread_link(session=s, team_id=B, channel_id="C1", thread_ts="1.0") is None
    assert await thread_links.links_for_ticket(session=s, team_id=B, ticket_id=100) == []
    assert await ledger.get_entry("key-1", team_id=B, session=s) is None
    assert await suggestions.get_suggestion(session=s, team_id=B, suggestion_id=SUGGESTION) is None
    assert await suggestions.open_suggestion(session=s, team_id=B, channel_id="C1", thread_ts="1.0") is None
    assert await audit.list_events(session=s, team_id=B) == []
    # Writes aimed at A's rows miss them.
    assert await connections.delete_connection(session=s, team_id=B) is False
    assert await mappings.unmap_member(session=s, team_id=B, slack_user_id="U1") is None
    assert await thread_links.unlink_thread(session=s, team_id=B, channel_id="C1", thread_ts="1.0") is False
    assert await ledger.complete("key-1", 999, team_id=B, session=s) is False
    assert await ledger.fail("key-1", "x", team_id=B, session=s) is False
    assert (
        await suggestions.set_message_ts(session=s, team_id=B, suggestion_id=SUGGESTION, message_ts="9")
        is False
    )
    assert await suggestions.dismiss(session=s, team_id=B, suggestion_id=SUGGESTION) is None
    assert await suggestions.mark_created(session=s, team_id=B, suggestion_id=SUGGESTION, ticket_id=9) is None
    # Same natural keys in B are B's own, independent rows.
    assert (await ledger.claim("key-1", team_id=B, session=s)).won
    assert await events.first_time(session=s, team_id=B, event_id="Ev1") is True
    assert await suggestions.open_if_none(
        session=s,
        team_id=B,
        suggestion_id=uuid.uuid4().hex,
        channel_id="C1",
        thread_ts="1.0",
        description="b",
    )
    await thread_links.link_thread(
        session=s, team_id=B, channel_id="C1", thread_ts="1.0", ticket_id=200, linked_by="UB"
    )
    await mappings.map_member(
        session=s,
        team_id=B,
        slack_user_id="U1",
        member_id=10,
        member_identifier="b",
        member_name="B",
        mapped_by="UB",
    )


async def test_team_b_can_neither_read_nor_change_team_a(db: Storage) -> None:
    await _seed_team_a(db)
    async with db.session() as s:
        await _team_b_tries_everything(s, db)

    ws = db.workspace(A)
    connection = await ws.connection()
    assert connection is not None and connection.private_key.get_secret_value() == "ka"
    mapping = await ws.read(partial(mappings.get_mapping, slack_user_id="U1"))
    assert mapping is not None and mapping.member_name == "A Ten"
    link = await ws.read(partial(thread_links.get_thread_link, channel_id="C1", thread_ts="1.0"))
    assert link is not None and link.ticket_id == 100
    entry = await ws.ledger.entry("key-1")
    assert entry is not None and entry.state == LedgerState.IN_PROGRESS and entry.ticket_id is None
    suggestion = await ws.read(partial(suggestions.get_suggestion, suggestion_id=SUGGESTION))
    assert (
        suggestion is not None and suggestion.state == SuggestionState.OPEN and suggestion.message_ts is None
    )
    assert await ws.write(partial(events.first_time, event_id="Ev1")) is False
    assert [e.slack_user_id for e in await ws.read(audit.list_events)] == ["UA"]
    assert await db.mapping_lookup(A).mapped_member_ids() == {10: "U1"}
    assert await db.mapping_lookup(B).mapped_member_ids() == {10: "U1"}  # B's own row, member_identifier "b"
    b_mapping = await db.workspace(B).read(partial(mappings.get_mapping, slack_user_id="U1"))
    assert b_mapping is not None and b_mapping.member_identifier == "b"


async def test_a_conflict_message_never_names_a_user_of_another_workspace(db: Storage) -> None:
    await _seed_team_a(db)
    await db.workspace(B).map_member(
        "U7", member_id=10, member_identifier="b", member_name="B", mapped_by="U7"
    )
    with pytest.raises(MappingConflictError) as caught:
        await db.workspace(B).map_member(
            "U8", member_id=10, member_identifier="b", member_name="B", mapped_by="U8"
        )
    assert caught.value.mapped_to == "U7"


@pytest.mark.parametrize("team_id", ["", "   "])
async def test_every_repository_function_requires_a_workspace(db: Storage, team_id: str) -> None:
    with pytest.raises(ValueError, match="team_id is required"):
        db.workspace(team_id)
    async with db.session() as s:
        with pytest.raises(ValueError, match="team_id is required"):
            await mappings.list_mappings(session=s, team_id=team_id)


def test_every_public_repository_function_takes_team_id_as_a_required_keyword() -> None:
    checked = 0
    for module in REPOSITORIES:
        for name, fn in inspect.getmembers(module, inspect.iscoroutinefunction):
            if name.startswith("_") or fn.__module__ != module.__name__:
                continue
            params = inspect.signature(fn).parameters
            assert "team_id" in params, f"{module.__name__}.{name}"
            team = params["team_id"]
            assert team.kind is inspect.Parameter.KEYWORD_ONLY and team.default is inspect.Parameter.empty, (
                name
            )
            assert params["session"].kind is inspect.Parameter.KEYWORD_ONLY, name
            checked += 1
    assert checked >= 25
