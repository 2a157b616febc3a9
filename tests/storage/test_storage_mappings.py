"""Member mappings: one PSA member per Slack user and one Slack user per PSA member, per workspace."""

from __future__ import annotations

import asyncio
from functools import partial

import pytest

from storage import MappingConflictError, Storage
from storage.models import AuditAction
from storage.repositories import audit as audit_repo
from storage.repositories import mappings, thread_links


async def _map(db: Storage, user: str, member: int, *, team: str = "T1", reassign: bool = False) -> None:
    await db.workspace(team).map_member(
        user,
        member_id=member,
        member_identifier=f"m{member}",
        member_name=f"Member {member}",
        mapped_by="UADMIN",
        reassign=reassign,
    )


async def test_a_mapping_is_found_by_slack_user_and_by_member(db: Storage) -> None:
    await _map(db, "U1", 10)
    ws = db.workspace("T1")

    by_user = await ws.read(partial(mappings.get_mapping, slack_user_id="U1"))
    by_member = await ws.read(partial(mappings.get_mapping_by_member, member_id=10))

    assert by_user is not None and by_user == by_member
    assert (by_user.psa_member_id, by_user.member_identifier, by_user.member_name) == (10, "m10", "Member 10")
    assert by_user.mapped_by == "UADMIN" and by_user.mapped_at.tzinfo is not None
    assert await ws.read(partial(mappings.get_mapping, slack_user_id="U2")) is None
    assert await ws.read(partial(mappings.get_mapping_by_member, member_id=11)) is None


async def test_remapping_a_user_moves_them_to_the_new_member_and_frees_the_old(db: Storage) -> None:
    await _map(db, "U1", 10)
    await _map(db, "U1", 11)
    ws = db.workspace("T1")

    assert [(m.slack_user_id, m.psa_member_id) for m in await ws.read(mappings.list_mappings)] == [("U1", 11)]
    await _map(db, "U2", 10)  # the old member is free again
    assert (await ws.read(partial(mappings.get_mapping_by_member, member_id=10))) is not None


async def test_mapping_a_member_someone_else_holds_is_a_clear_conflict(db: Storage) -> None:
    await _map(db, "U1", 10)

    with pytest.raises(MappingConflictError) as caught:
        await _map(db, "U2", 10)

    assert caught.value.member_id == 10 and caught.value.mapped_to == "U1"
    assert "already mapped to <@U1>" in str(caught.value)
    assert await db.workspace("T1").read(partial(mappings.get_mapping, slack_user_id="U2")) is None


async def test_an_admin_can_reassign_a_taken_member(db: Storage) -> None:
    await _map(db, "U1", 10)
    await _map(db, "U2", 10, reassign=True)
    ws = db.workspace("T1")
    assert await ws.read(partial(mappings.get_mapping, slack_user_id="U1")) is None
    holder = await ws.read(partial(mappings.get_mapping_by_member, member_id=10))
    assert holder is not None and holder.slack_user_id == "U2"


async def test_the_same_member_may_be_mapped_in_another_workspace(db: Storage) -> None:
    await _map(db, "U1", 10, team="T1")
    await _map(db, "U9", 10, team="T2")
    assert (await db.workspace("T2").read(partial(mappings.get_mapping, slack_user_id="U9"))) is not None


async def test_unmapping_removes_the_mapping_and_audits_it(db: Storage) -> None:
    await _map(db, "U1", 10)
    ws = db.workspace("T1")

    removed = await ws.unmap_member("U1", unmapped_by="UADMIN")

    assert removed is not None and removed.psa_member_id == 10
    assert (
        await ws.read(partial(mappings.get_mapping, slack_user_id="U1")) is None
        and await ws.read(mappings.list_mappings) == []
    )
    assert await ws.unmap_member("U1", unmapped_by="UADMIN") is None
    actions = [e.action for e in await ws.read(audit_repo.list_events)]
    assert actions == [AuditAction.UNMAP, AuditAction.MAP]


async def test_list_of_mappings_is_sorted_by_member_name(db: Storage) -> None:
    for user, member in (("U3", 30), ("U1", 10), ("U2", 20)):
        await _map(db, user, member)
    names = [m.member_name for m in await db.workspace("T1").read(mappings.list_mappings)]
    assert names == ["Member 10", "Member 20", "Member 30"]


async def test_ten_users_racing_for_one_member_exactly_one_gets_it(db: Storage) -> None:
    results = await asyncio.gather(*(_map(db, f"U{i}", 10) for i in range(10)), return_exceptions=True)

    conflicts = [r for r in results if isinstance(r, MappingConflictError)]
    assert len(conflicts) == 9 and results.count(None) == 1
    holder = await db.workspace("T1").read(partial(mappings.get_mapping_by_member, member_id=10))
    assert holder is not None
    assert {c.mapped_to for c in conflicts} <= {holder.slack_user_id, None}


async def test_a_conflict_does_not_spoil_the_rest_of_the_callers_transaction(db: Storage) -> None:
    await _map(db, "U1", 10)
    async with db.session() as s:
        with pytest.raises(MappingConflictError):
            await mappings.map_member(
                session=s,
                team_id="T1",
                slack_user_id="U2",
                member_id=10,
                member_identifier="m10",
                member_name="Member 10",
                mapped_by="U2",
            )
        await thread_links.link_thread(
            session=s, team_id="T1", channel_id="C1", thread_ts="1.0", ticket_id=5, linked_by="U2"
        )
    assert (
        await db.workspace("T1").read(partial(thread_links.get_thread_link, channel_id="C1", thread_ts="1.0"))
        is not None
    )


async def test_mapping_lookup_implements_the_service_protocol_for_one_workspace(db: Storage) -> None:
    await _map(db, "U1", 10)
    await _map(db, "U2", 20)
    await _map(db, "U1", 99, team="T2")
    lookup = db.mapping_lookup("T1")

    assert await lookup.member_id_for("U1") == 10
    assert await lookup.member_id_for("U404") is None
    assert await lookup.mapped_member_ids() == {10: "U1", 20: "U2"}
    assert await db.mapping_lookup("T2").mapped_member_ids() == {99: "U1"}
