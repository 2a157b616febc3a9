"""Access settings and mapping requests: defaults, replacement, one decision per request, one team each."""

from __future__ import annotations

from functools import partial

import pytest

from storage import AccessSettings, AuditAction, MappingConflictError, MappingRequestState, Storage
from storage.repositories import audit as audit_repo
from storage.repositories import mappings as mapping_repo


async def test_settings_default_to_open_reads_and_no_restriction_until_saved(db: Storage) -> None:
    assert await db.access("T1").settings() == AccessSettings()

    saved = await db.access("T1").save_settings(
        AccessSettings(
            unmapped_can_read=False, usergroup_id="S1", usergroup_handle="ops", channel_ids=("C1", "C1")
        ),
        updated_by="UADMIN",
    )

    assert (saved.unmapped_can_read, saved.usergroup_id, saved.channel_ids) == (False, "S1", ("C1",))
    assert saved.updated_by == "UADMIN" and saved.restricted
    assert await db.access("T2").settings() == AccessSettings()  # another workspace: untouched
    [event] = await db.workspace("T1").read(audit_repo.list_events)
    assert (event.action, event.slack_user_id) == (AuditAction.ACCESS_CHANGE, "UADMIN")
    assert event.detail["before"]["unmapped_can_read"] is True
    assert event.detail["after"] == {
        "unmapped_can_read": False,
        "usergroup_id": "S1",
        "usergroup_handle": "ops",
        "channel_ids": ["C1"],
        "restrict_reads": False,
    }


async def test_a_denied_request_is_audited_with_who_denied_it(db: Storage) -> None:
    store = db.access("T1")
    await store.request_mapping("U1", member_id=7, member_identifier="slee", member_name="Sam Lee")

    assert await store.deny("U1", member_id=7, denied_by="UADMIN") is not None
    assert await store.deny("U1", member_id=7, denied_by="UADMIN") is None  # decided already: no 2nd row

    [event] = await db.workspace("T1").read(audit_repo.list_events)
    assert (event.action, event.slack_user_id) == (AuditAction.MAPPING_DENIED, "UADMIN")
    assert event.detail == {"slack_user_id": "U1", "member_id": 7, "member": "slee"}


async def test_a_request_is_decided_once_and_an_approval_maps_in_the_same_transaction(db: Storage) -> None:
    store = db.access("T1")
    await store.request_mapping("U1", member_id=7, member_identifier="slee", member_name="Sam Lee")

    approved = await store.approve("U1", member_id=7, approved_by="UADMIN")

    assert approved is not None and approved[0].state == MappingRequestState.APPROVED
    mapping = await db.workspace("T1").read(partial(mapping_repo.get_mapping, slack_user_id="U1"))
    assert mapping is not None and (mapping.psa_member_id, mapping.mapped_by) == (7, "UADMIN")
    assert await store.approve("U1", member_id=7, approved_by="UADMIN") is None  # decided already
    assert await store.deny("U1", member_id=7, denied_by="UADMIN") is None
    [event, *_] = await db.workspace("T1").read(audit_repo.list_events)
    assert event.action == AuditAction.MAP and event.slack_user_id == "UADMIN"


async def test_approving_a_member_someone_took_meanwhile_changes_nothing(db: Storage) -> None:
    store = db.access("T1")
    await store.request_mapping("U1", member_id=7, member_identifier="slee", member_name="Sam Lee")
    await db.workspace("T1").map_member(
        "U2", member_id=7, member_identifier="slee", member_name="Sam Lee", mapped_by="U2"
    )

    with pytest.raises(MappingConflictError):
        await store.approve("U1", member_id=7, approved_by="UADMIN")

    request = await store.request("U1")
    assert request is not None and request.state == MappingRequestState.PENDING
    assert await db.workspace("T1").read(partial(mapping_repo.get_mapping, slack_user_id="U1")) is None
