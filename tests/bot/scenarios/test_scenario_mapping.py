"""Member mapping: self-service with the e-mail suggestion, admins mapping others, conflicts, unmap, CLI."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from scenario_harness import ADMIN, DEMO, DEMO_MEMBER_ID, NEWBIE, TEAM, Slack, blocks_text, find_block

from bot.__main__ import main
from bot.deps import build_storage
from bot.ids import Callback, MappingAction, MappingBlock
from bot.local import payloads as p
from bot.settings import Settings
from psa.connectwise.sandbox import SandboxServer
from storage import Storage
from storage.repositories import mappings as mapping_repo

MakeSlack = Callable[..., AbstractAsyncContextManager[Slack]]
MCHEN = 2


def option(options: list[dict[str, Any]], member_id: int) -> dict[str, Any]:
    return next(o for o in options if o["value"] == str(member_id))


async def mapped_member(slack: Slack, user: str) -> int | None:
    mapping = await slack.store.read(partial(mapping_repo.get_mapping, slack_user_id=user))
    return mapping.psa_member_id if mapping else None


def errors_of(sent: Any) -> dict[str, str]:
    assert sent.status == 200 and sent.body.get("response_action") == "errors", sent.body
    return dict(sent.body["errors"])


async def test_self_service_mapping_suggests_the_email_match_and_confirms(slack: Slack) -> None:
    await slack.command("map", user=NEWBIE)
    modal = slack.modal(NEWBIE)
    assert "Suggested from your e-mail: *Michael Chen*" in blocks_text(modal)
    assert find_block(modal, MappingBlock.SLACK_USER) is None  # only admins pick other users

    sent = await slack.submit(modal, user=NEWBIE)  # the suggestion is the initial option

    assert sent.body["response_action"] == "update"
    assert "You're mapped to Michael Chen (mchen)." in blocks_text(slack.modal(NEWBIE))
    assert await mapped_member(slack, NEWBIE) == MCHEN
    home = slack.fake.home_view(NEWBIE)
    assert home is not None and "You are Michael Chen (mchen)" in blocks_text(home)
    assert any(b.get("block_id", "").startswith("home.row.") for b in home["blocks"])


async def test_member_options_search_active_members_and_mark_taken_ones(slack: Slack) -> None:
    await slack.command("map", user=NEWBIE)
    modal = slack.modal(NEWBIE)

    everyone = await slack.options(MappingAction.MEMBER, "", user=NEWBIE, view=modal)
    chen = await slack.options(MappingAction.MEMBER, "chen", user=NEWBIE, view=modal)

    texts = [o["text"]["text"] for o in everyone]
    assert "Jordan Doe (jdoe) · taken by Jane" in texts
    assert texts[-1] == "Jordan Doe (jdoe) · taken by Jane"  # free members come first
    assert not any("Greg White" in t for t in texts)  # inactive
    assert [o["text"]["text"] for o in chen] == ["Michael Chen (mchen)"]


async def test_admin_maps_another_user(slack: Slack) -> None:
    await slack.command("map", user=ADMIN)
    modal = slack.modal(ADMIN)
    assert find_block(modal, MappingBlock.SLACK_USER) is not None

    await slack.click(MappingAction.SLACK_USER, NEWBIE, user=ADMIN, view=modal)
    modal = slack.modal(ADMIN)
    assert f"<@{NEWBIE}>'s ConnectWise member" in blocks_text(modal)
    assert "Suggested from their e-mail: *Michael Chen*" in blocks_text(modal)

    sent = await slack.submit(modal, user=ADMIN)

    assert sent.body["response_action"] == "update"
    assert "Ming Chen is mapped to Michael Chen (mchen)." in blocks_text(slack.modal(ADMIN))
    assert await mapped_member(slack, NEWBIE) == MCHEN
    assert await mapped_member(slack, ADMIN) is None
    mapping = await slack.store.read(partial(mapping_repo.get_mapping, slack_user_id=NEWBIE))
    assert mapping is not None and mapping.mapped_by == ADMIN


async def test_non_admin_cannot_map_someone_else_even_with_a_forged_submission(slack: Slack) -> None:
    await slack.command("map", user=NEWBIE)
    modal = slack.modal(NEWBIE)
    forged = copy.deepcopy(modal)
    forged["blocks"].append(
        {
            "type": "input",
            "block_id": MappingBlock.SLACK_USER,
            "optional": True,
            "label": {"type": "plain_text", "text": "Slack user"},
            "element": {"type": "users_select", "action_id": MappingAction.SLACK_USER},
        }
    )

    sent = await slack.send(
        p.view_submission(
            forged,
            user=NEWBIE,
            values={MappingBlock.SLACK_USER: {MappingAction.SLACK_USER: DEMO}},
            trigger_id=slack.fake.new_trigger_id(NEWBIE, view_id=modal["id"]),
        )
    )

    assert errors_of(sent) == {
        MappingBlock.SLACK_USER: "Only workspace admins and owners can map other people."
    }
    assert await mapped_member(slack, DEMO) == DEMO_MEMBER_ID  # untouched


async def test_a_member_held_by_someone_else_is_a_field_error_naming_the_holder(slack: Slack) -> None:
    await slack.command("map", user=NEWBIE)
    modal = slack.modal(NEWBIE)
    jdoe = option(
        await slack.options(MappingAction.MEMBER, "jordan", user=NEWBIE, view=modal), DEMO_MEMBER_ID
    )

    sent = await slack.submit(modal, user=NEWBIE, values={MappingBlock.MEMBER: {MappingAction.MEMBER: jdoe}})

    assert errors_of(sent) == {
        MappingBlock.MEMBER: "Jordan Doe (jdoe) is already mapped to Jane. "
        "Ask a workspace admin if it should be yours."
    }
    assert await mapped_member(slack, NEWBIE) is None
    assert await mapped_member(slack, DEMO) == DEMO_MEMBER_ID


async def test_admin_reassigns_a_taken_member_only_when_asked_to(slack: Slack) -> None:
    await slack.command("map", user=ADMIN)
    await slack.click(MappingAction.SLACK_USER, NEWBIE, user=ADMIN, view=slack.modal(ADMIN))
    modal = slack.modal(ADMIN)
    block = f"{MappingBlock.MEMBER}.{NEWBIE}"
    jdoe = option(await slack.options(MappingAction.MEMBER, "jdoe", user=ADMIN, view=modal), DEMO_MEMBER_ID)

    refused = await slack.submit(modal, user=ADMIN, values={block: {MappingAction.MEMBER: jdoe}})
    assert "is already mapped to Jane. Tick “Move the member" in errors_of(refused)[block]

    sent = await slack.submit(
        modal,
        user=ADMIN,
        values={
            block: {MappingAction.MEMBER: jdoe},
            MappingBlock.REASSIGN: {MappingAction.REASSIGN: "reassign"},
        },
    )

    assert sent.body["response_action"] == "update"
    assert await mapped_member(slack, NEWBIE) == DEMO_MEMBER_ID
    assert await mapped_member(slack, DEMO) is None
    demo_home = slack.fake.home_view(DEMO)  # the previous holder's Home says so at once
    assert demo_home is not None and "Map your PSA member to see your queue" in blocks_text(demo_home)


async def test_unmap_from_the_modal(slack: Slack) -> None:
    await slack.command("map", user=DEMO)
    modal = slack.modal(DEMO)
    assert "Currently mapped to *Jordan Doe* (jdoe)" in blocks_text(modal)

    await slack.click(MappingAction.UNMAP, view=modal, user=DEMO)

    updated = slack.modal(DEMO)
    assert updated["id"] == modal["id"]
    assert "Unmapped Jordan Doe (jdoe)." in blocks_text(updated)
    assert "Suggested from your e-mail: *Jordan Doe*" in blocks_text(updated)
    assert await mapped_member(slack, DEMO) is None
    home = slack.fake.home_view(DEMO)
    assert home is not None and "Map your PSA member to see your queue" in blocks_text(home)


async def test_mapping_before_connecting_explains_what_to_do(make_slack: MakeSlack) -> None:
    async with make_slack(connected=False, mapped={}) as slack:
        await slack.command("map", user=NEWBIE)
        modal = slack.modal(NEWBIE)
        assert modal["callback_id"] == Callback.MAPPING and not modal.get("submit")
        assert "Ask a workspace admin to run `/tickets connect`" in blocks_text(modal)


# ---------------------------------------------------------------- python -m bot map


@pytest.fixture
def cli_env(sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Environment of a single-workspace install whose CW_* settings point at the sandbox."""
    for name in ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    db = tmp_path / "cli.db"
    values = {
        "APP_ENV": "test",
        "DATABASE_URL": f"sqlite+aiosqlite:///{db}",
        "CW_BASE_URL": sandbox.base_url,
        "CW_COMPANY_ID": sandbox.company_id,
        "CW_PUBLIC_KEY": sandbox.public_key,
        "CW_PRIVATE_KEY": sandbox.private_key,
        "CW_CLIENT_ID": "cli-client",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return db


def test_cli_maps_a_member_checked_against_the_psa(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["map", "--slack-user", NEWBIE, "--member", "MCHEN", "--team", TEAM]) == 0
    assert "Mapped U0NEWBIE to Michael Chen (mchen, id 2)" in capsys.readouterr().out

    assert main(["map", "--slack-user", NEWBIE, "--member", "nobody", "--team", TEAM]) == 2
    assert "No active ConnectWise member with identifier 'nobody'" in capsys.readouterr().err


async def test_cli_mapping_is_what_the_app_reads(cli_env: Path) -> None:
    # The CLI runs its own event loop, so drive it from a worker thread of this async test.
    code = await asyncio.to_thread(main, ["map", "--slack-user", DEMO, "--member", "jdoe", "--team", TEAM])

    assert code == 0
    storage: Storage = build_storage(Settings())
    try:
        mapping = await storage.workspace(TEAM).read(partial(mapping_repo.get_mapping, slack_user_id=DEMO))
    finally:
        await storage.close()
    assert mapping is not None and (mapping.psa_member_id, mapping.mapped_by) == (DEMO_MEMBER_ID, "cli")
