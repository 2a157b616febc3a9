"""WorkspaceRegistry: per-team services, connection tests before saving, invalidation, isolation."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr

from bot.deps import build_deps
from bot.settings import Settings
from bot.workspaces import ConnectFailed, KeysState, WorkspaceRegistry
from psa.connectwise.sandbox import SandboxServer
from psa.models import Attribution, Member, TicketFilters
from storage import ConnectionCredentials, Storage
from storage.repositories import connections as connection_repo

TEAM_A = "T0AAAA"
TEAM_B = "T0BBBB"


async def test_wrong_private_key_is_a_field_error_and_nothing_is_saved(
    storage: Storage, good_credentials: ConnectionCredentials
) -> None:
    registry = WorkspaceRegistry(storage)
    wrong = good_credentials.model_copy(update={"private_key": SecretStr("not-the-key")})

    with pytest.raises(ConnectFailed) as failed:
        await registry.connect(TEAM_A, "U0ADMIN", wrong)

    assert "private_key" in failed.value.fields
    assert await storage.workspace(TEAM_A).read(connection_repo.get_connection_info) is None
    assert await registry.service(TEAM_A) is None
    await registry.aclose()


async def test_unreachable_site_is_a_site_url_error(
    storage: Storage, good_credentials: ConnectionCredentials
) -> None:
    registry = WorkspaceRegistry(storage)
    nowhere = good_credentials.model_copy(update={"base_url": "http://127.0.0.1:9/v4_6_release/apis/3.0"})

    with pytest.raises(ConnectFailed) as failed:
        await registry.connect(TEAM_A, "U0ADMIN", nowhere)

    assert "base_url" in failed.value.fields
    assert await storage.workspace(TEAM_A).read(connection_repo.get_connection_info) is None
    await registry.aclose()


async def test_good_credentials_are_tested_saved_and_served(
    storage: Storage, good_credentials: ConnectionCredentials, sandbox: SandboxServer
) -> None:
    registry = WorkspaceRegistry(storage)

    info = await registry.connect(TEAM_A, "U0ADMIN", good_credentials)

    assert sandbox.request_count() >= 1  # a real call before saving
    assert info.connected_by == "U0ADMIN"
    service = await registry.service(TEAM_A)
    assert service is not None
    page = await service.search(TicketFilters(), user_ref=None, page_size=5)
    assert page.total > 0
    summary = await registry.summary(TEAM_A)
    assert summary is not None and summary.source == "stored" and "private" not in summary.model_dump_json()
    await registry.aclose()


async def test_one_service_per_team_rebuilt_when_the_connection_changes(
    storage: Storage, good_credentials: ConnectionCredentials
) -> None:
    registry = WorkspaceRegistry(storage)
    await registry.connect(TEAM_A, "U0ADMIN", good_credentials)
    first = await registry.service(TEAM_A)
    assert await registry.service(TEAM_A) is first

    await registry.connect(TEAM_A, "U0ADMIN", good_credentials)

    assert await registry.service(TEAM_A) is not first
    await registry.disconnect(TEAM_A)
    assert await registry.service(TEAM_A) is None
    await registry.aclose()


async def test_one_workspace_never_sees_anothers_connection(
    storage: Storage, good_credentials: ConnectionCredentials
) -> None:
    registry = WorkspaceRegistry(storage)
    await registry.connect(TEAM_A, "U0ADMIN", good_credentials)

    assert await registry.service(TEAM_B) is None
    assert await registry.summary(TEAM_B) is None
    await registry.aclose()


async def test_environment_credentials_serve_a_single_workspace_and_win_over_a_stored_one(
    db_url: str, storage: Storage, good_credentials: ConnectionCredentials
) -> None:
    settings = Settings(
        _env_file=None,
        database_url=db_url,
        cw_base_url=good_credentials.base_url,
        cw_company_id=good_credentials.company_id,
        cw_public_key=good_credentials.public_key,
        cw_private_key=good_credentials.private_key,
        cw_client_id=good_credentials.client_id,
    )
    deps = build_deps(settings, storage=storage)

    summary = await deps.workspaces.summary(TEAM_A)
    assert summary is not None and summary.source == "environment"
    await deps.workspaces.connect(TEAM_A, "U0ADMIN", good_credentials)
    after = await deps.workspaces.summary(TEAM_A)
    assert after is not None and after.source == "environment"  # the operator's CW_* settings decide
    await deps.workspaces.aclose()


async def test_oauth_mode_never_applies_environment_credentials_to_every_workspace(
    db_url: str, storage: Storage, good_credentials: ConnectionCredentials
) -> None:
    settings = Settings(
        _env_file=None,
        database_url=db_url,
        slack_client_id="1.2",
        slack_client_secret=SecretStr("s"),
        cw_base_url=good_credentials.base_url,
        cw_company_id=good_credentials.company_id,
        cw_public_key=good_credentials.public_key,
        cw_private_key=good_credentials.private_key,
        cw_client_id=good_credentials.client_id,
    )
    deps = build_deps(settings, storage=storage)

    assert await deps.workspaces.service(TEAM_A) is None
    await deps.workspaces.aclose()


async def test_a_connection_of_an_unknown_provider_kind_is_not_served(
    storage: Storage, good_credentials: ConnectionCredentials, caplog: pytest.LogCaptureFixture
) -> None:
    odd = good_credentials.model_copy(update={"provider_kind": "autotask"})
    await storage.workspace(TEAM_A).save_connection(odd, connected_by="U0ADMIN")
    registry = WorkspaceRegistry(storage)

    with caplog.at_level(logging.ERROR):
        assert await registry.service(TEAM_A) is None
    assert "autotask" in caplog.text
    with pytest.raises(ConnectFailed):
        await registry.test(odd)
    await registry.aclose()


# -- writes as an engineer ----------------------------------------------------------------------

JDOE = Member(id=17, identifier="jdoe", name="Jordan Doe")


async def test_an_engineer_without_own_keys_writes_through_the_workspace_naming_them(
    storage: Storage, good_credentials: ConnectionCredentials
) -> None:
    registry = WorkspaceRegistry(storage)
    assert await registry.writer(TEAM_A, "U0JDOE", JDOE) is None  # not connected yet
    await registry.connect(TEAM_A, "U0ADMIN", good_credentials)

    writer = await registry.writer(TEAM_A, "U0JDOE", JDOE)

    assert writer is not None and writer.keys == KeysState.NONE
    assert writer.service is await registry.service(TEAM_A)
    assert writer.acting.attribution == Attribution.NAMED and writer.acting.member_id == 17
    await registry.aclose()


async def test_own_keys_are_checked_saved_and_then_used_for_every_write(
    storage: Storage, good_credentials: ConnectionCredentials, sandbox: SandboxServer
) -> None:
    registry = WorkspaceRegistry(storage)
    await registry.connect(TEAM_A, "U0ADMIN", good_credentials)
    keys = sandbox.mint_member_keys("jdoe")

    info = await registry.save_member_keys(
        TEAM_A,
        "U0JDOE",
        member=JDOE,
        public_key=keys.public_key,
        private_key=SecretStr(keys.private_key),
        saved_by="U0JDOE",
    )
    writer = await registry.writer(TEAM_A, "U0JDOE", JDOE)

    assert info.base_url == good_credentials.base_url and info.psa_member_id == 17
    assert writer is not None and writer.keys == KeysState.IN_USE
    assert writer.acting.attribution == Attribution.OWN_KEYS
    note = await writer.service.add_note(1642, "On site now", internal=False, acting=writer.acting)
    with sandbox.state.store.lock:
        stored = dict(sandbox.state.store.get("notes", note.id) or {})
    assert stored["createdBy"] == "jdoe"
    again = await registry.writer(TEAM_A, "U0JDOE", JDOE)
    assert again is not None and again.service is writer.service  # one provider per engineer, reused
    await registry.aclose()


async def test_keys_of_another_member_are_refused_and_nothing_is_saved(
    storage: Storage, good_credentials: ConnectionCredentials, sandbox: SandboxServer
) -> None:
    registry = WorkspaceRegistry(storage)
    await registry.connect(TEAM_A, "U0ADMIN", good_credentials)
    sams = sandbox.mint_member_keys("slee")

    with pytest.raises(ConnectFailed):
        await registry.save_member_keys(
            TEAM_A,
            "U0JDOE",
            member=JDOE,
            public_key=sams.public_key,
            private_key=SecretStr(sams.private_key),
            saved_by="U0JDOE",
        )

    assert await storage.engineer_keys(TEAM_A).info("U0JDOE") is None
    await registry.aclose()


async def test_keys_are_never_sent_to_a_site_they_were_not_checked_with(
    storage: Storage, good_credentials: ConnectionCredentials, sandbox: SandboxServer
) -> None:
    registry = WorkspaceRegistry(storage)
    await registry.connect(TEAM_A, "U0ADMIN", good_credentials)
    keys = sandbox.mint_member_keys("jdoe")
    await registry.save_member_keys(
        TEAM_A,
        "U0JDOE",
        member=JDOE,
        public_key=keys.public_key,
        private_key=SecretStr(keys.private_key),
        saved_by="U0JDOE",
    )
    moved = good_credentials.model_copy(
        update={"base_url": good_credentials.base_url.replace("127.0.0.1", "localhost")}
    )

    await registry.connect(TEAM_A, "U0ADMIN", moved)  # the admin points the workspace at another host
    writer = await registry.writer(TEAM_A, "U0JDOE", JDOE)

    assert writer is not None and writer.keys == KeysState.INVALID
    assert writer.acting.attribution == Attribution.NAMED
    await registry.aclose()


async def test_removed_keys_stop_being_used_at_once(
    storage: Storage, good_credentials: ConnectionCredentials, sandbox: SandboxServer
) -> None:
    registry = WorkspaceRegistry(storage)
    await registry.connect(TEAM_A, "U0ADMIN", good_credentials)
    keys = sandbox.mint_member_keys("jdoe")
    await registry.save_member_keys(
        TEAM_A,
        "U0JDOE",
        member=JDOE,
        public_key=keys.public_key,
        private_key=SecretStr(keys.private_key),
        saved_by="U0JDOE",
    )
    assert (await registry.writer(TEAM_A, "U0JDOE", JDOE)).keys == KeysState.IN_USE  # type: ignore[union-attr]

    assert await registry.remove_member_keys(TEAM_A, "U0JDOE", removed_by="U0JDOE")

    writer = await registry.writer(TEAM_A, "U0JDOE", JDOE)
    assert writer is not None and writer.keys == KeysState.NONE
    await registry.aclose()
