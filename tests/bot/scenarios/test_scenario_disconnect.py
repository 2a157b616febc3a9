"""Admins disconnect ConnectWise with `/tickets disconnect` or the connect modal's button, each behind a
confirmation dialog; the stored keys are deleted, the cached service dropped, and Home says "not
connected". Nobody else can, and a connection from the environment is explained instead."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from scenario_harness import ADMIN, DEMO, TEAM, Slack, blocks_text, row_ids

from bot.ids import ConnectAction, MessageAction
from bot.local import payloads as p
from storage import AuditAction
from storage.repositories import audit as audit_repo
from storage.repositories import connections as connection_repo

MakeSlack = Callable[..., AbstractAsyncContextManager[Slack]]


def disconnect_button(surface: dict[str, Any]) -> dict[str, Any]:
    for block in surface.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == ConnectAction.DISCONNECT:
                return dict(element)
    raise AssertionError("no Disconnect button")


async def test_tickets_disconnect_asks_for_confirmation_then_forgets_the_connection(slack: Slack) -> None:
    await slack.command("mine")  # the service is built and cached
    await slack.command("disconnect", user=ADMIN)
    prompt = slack.last_ephemeral(ADMIN)
    button = disconnect_button(prompt)
    assert button["style"] == "danger" and button["confirm"]["confirm"]["text"] == "Disconnect"
    assert await slack.store.read(connection_repo.get_connection_info) is not None  # nothing yet

    await slack.click(ConnectAction.DISCONNECT, user=ADMIN, message=prompt)
    slack.sandbox.clear_requests()
    await slack.command("mine", user=DEMO)

    assert await slack.store.read(connection_repo.get_connection_info) is None
    assert "Disconnected ConnectWise" in blocks_text(slack.last_ephemeral(ADMIN))
    assert "not connected" in blocks_text(slack.last_ephemeral(DEMO))
    assert slack.sandbox.requests == []  # the cached service went with it
    home = slack.fake.home_view(ADMIN)
    assert home is not None and "not connected" in blocks_text(home)
    [audited] = [e for e in await slack.store.read(audit_repo.list_events) if e.action == "disconnect"]
    assert audited.slack_user_id == ADMIN and audited.action == AuditAction.DISCONNECT


async def test_the_connect_modal_offers_disconnect_and_then_says_it_is_done(slack: Slack) -> None:
    await slack.command("connect", user=ADMIN)
    modal = slack.modal(ADMIN)
    assert disconnect_button(modal)["confirm"]

    await slack.click(ConnectAction.DISCONNECT, user=ADMIN, view=modal)

    assert "Disconnected ConnectWise" in blocks_text(slack.modal(ADMIN))
    assert await slack.deps.workspaces.service(TEAM) is None
    await slack.event(p.app_home_opened_event(DEMO, channel=slack.fake.dm_channel(DEMO)))
    home = slack.fake.home_view(DEMO)
    assert home is not None and "Ask a workspace admin" in blocks_text(home)


async def test_a_workspace_not_connected_has_no_disconnect_button(make_slack: MakeSlack) -> None:
    async with make_slack(connected=False, mapped={}) as slack:
        await slack.command("connect", user=ADMIN)
        await slack.command("disconnect", user=ADMIN)

        assert ConnectAction.DISCONNECT not in str(slack.modal(ADMIN)["blocks"])
        assert "nothing to disconnect" in blocks_text(slack.last_ephemeral(ADMIN))


async def test_only_admins_can_disconnect(slack: Slack) -> None:
    await slack.command("disconnect", user=DEMO)
    refusal = slack.last_ephemeral(DEMO)
    await slack.command("disconnect", user=ADMIN)
    forged = slack.last_ephemeral(ADMIN)

    await slack.click(ConnectAction.DISCONNECT, user=DEMO, message=forged)  # a click that is not theirs

    assert "Only workspace admins" in blocks_text(refusal)
    assert ConnectAction.DISCONNECT not in str(refusal["blocks"])
    assert await slack.store.read(connection_repo.get_connection_info) is not None
    await slack.command("mine")
    assert row_ids(slack.last_ephemeral())


async def test_a_connection_from_the_environment_is_explained_not_disconnected(make_slack: MakeSlack) -> None:
    async with make_slack(connected=False, env_connection=True) as slack:
        await slack.command("disconnect", user=ADMIN)

        assert "CW_*" in blocks_text(slack.last_ephemeral(ADMIN))
        assert await slack.deps.workspaces.service(TEAM) is not None


async def test_after_disconnecting_the_connect_prompt_offers_to_connect_again(slack: Slack) -> None:
    await slack.command("disconnect", user=ADMIN)
    await slack.click(ConnectAction.DISCONNECT, user=ADMIN, message=slack.last_ephemeral(ADMIN))

    await slack.command("mine", user=ADMIN)

    assert MessageAction.CONNECT in str(slack.last_ephemeral(ADMIN)["blocks"])
