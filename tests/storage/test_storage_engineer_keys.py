"""Engineers' own PSA keys: encrypted at rest, never shown, bound to their member and their site."""

from __future__ import annotations

from pydantic import SecretStr
from sqlalchemy import select

from storage import AuditAction, Storage
from storage.models import EngineerKeysRow
from storage.repositories import audit as audit_repo
from storage.repositories._common import table_of

SITE = "https://api-na.myconnectwise.net/v4_6_release/apis/3.0"
PRIVATE = "jdoe-private-9f8e7d"


async def _save(db: Storage, user: str = "U1", member: int = 17) -> None:
    await db.engineer_keys("T1").save(
        user,
        psa_member_id=member,
        public_key=" jdoe-public ",
        private_key=SecretStr(PRIVATE),
        base_url=SITE,
        company_id="acme",
        saved_by=user,
    )


async def test_own_keys_are_stored_encrypted_and_come_back_only_as_a_secret(db: Storage) -> None:
    await _save(db)

    keys = await db.engineer_keys("T1").keys("U1")
    info = await db.engineer_keys("T1").info("U1")

    assert keys is not None and keys.private_key.get_secret_value() == PRIVATE
    assert PRIVATE not in repr(keys) and PRIVATE not in str(keys) and PRIVATE not in info.model_dump_json()  # type: ignore[union-attr]
    assert keys.public_key == "jdoe-public" and keys.psa_member_id == 17
    async with db.read_session() as s:
        raw = (await s.execute(select(table_of(EngineerKeysRow)))).one()
    assert PRIVATE not in raw.private_key_encrypted
    [line] = await db.workspace("T1").read(audit_repo.list_events)
    assert line.action == AuditAction.MEMBER_KEYS_SAVED and PRIVATE not in str(line.detail)


async def test_keys_are_usable_only_for_their_member_on_the_site_they_were_checked_with(db: Storage) -> None:
    await _save(db)
    info = await db.engineer_keys("T1").info("U1")
    assert info is not None
    assert info.usable_for(member_id=17, base_url=SITE + "/", company_id="ACME")
    assert not info.usable_for(member_id=18, base_url=SITE, company_id="acme")
    assert not info.usable_for(member_id=17, base_url="https://api-eu.myconnectwise.net/x", company_id="acme")
    assert not info.usable_for(member_id=17, base_url=SITE, company_id="other")


async def test_keys_go_when_the_user_is_unmapped_or_mapped_to_another_member(db: Storage) -> None:
    ws = db.workspace("T1")
    await ws.map_member("U1", member_id=17, member_identifier="jdoe", member_name="Jordan", mapped_by="U1")
    await _save(db)
    await ws.map_member("U1", member_id=17, member_identifier="jdoe", member_name="Jordan", mapped_by="U1")
    assert await db.engineer_keys("T1").info("U1") is not None  # same member: kept

    await ws.map_member("U1", member_id=18, member_identifier="cm", member_name="C", mapped_by="UADMIN")
    assert await db.engineer_keys("T1").info("U1") is None

    await ws.map_member("U1", member_id=17, member_identifier="jdoe", member_name="Jordan", mapped_by="U1")
    await _save(db)
    await ws.unmap_member("U1", unmapped_by="UADMIN")
    assert await db.engineer_keys("T1").keys("U1") is None


async def test_removing_keys_is_audited_and_other_workspaces_never_see_them(db: Storage) -> None:
    await _save(db)
    assert await db.engineer_keys("T2").keys("U1") is None
    assert await db.engineer_keys("T1").delete("U1", removed_by="U1")
    assert not await db.engineer_keys("T1").delete("U1", removed_by="U1")
    actions = [e.action for e in await db.workspace("T1").read(audit_repo.list_events)]
    assert actions == [AuditAction.MEMBER_KEYS_REMOVED, AuditAction.MEMBER_KEYS_SAVED]
