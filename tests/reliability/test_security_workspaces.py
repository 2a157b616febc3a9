"""A single-token install serves its own installation only: a signed request from another team is dropped
even when it carries an Enterprise Grid id, and a Grid org-wide install serves that org and no other."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from scenario_harness import CHANNEL, DEMO, TEAM, Slack, row_ids

from bot.ids import ListAction
from bot.local import payloads as p

MakeSlack = Callable[..., AbstractAsyncContextManager[Slack]]
RIVAL_TEAM = "T0RIVAL"
GRID = "E0GRID"
RIVAL_GRID = "E0RIVAL"


def _command(slack: Slack, *, team: str, enterprise: str | None, org_wide: bool = False) -> tuple[str, str]:
    body, content_type = p.slash_command(
        "/tickets",
        "mine",
        user=DEMO,
        channel=CHANNEL,
        team=team,
        trigger_id=slack.fake.new_trigger_id(DEMO),
        response_url=slack.fake.new_response_url(CHANNEL, DEMO),
    )
    fields = dict(parse_qsl(body, keep_blank_values=True))
    if enterprise is not None:
        fields.update(enterprise_id=enterprise, enterprise_name="Grid Org")
        fields["is_enterprise_install"] = "true" if org_wide else "false"
    return urlencode(fields), content_type


def _click(slack: Slack, *, team: str, enterprise: str | None) -> tuple[str, str]:
    button = {
        "type": "button",
        "action_id": ListAction.NEXT,
        "value": "{}",
        "text": {"type": "plain_text", "text": "Next"},
    }
    message = {
        "ts": "1700000000.000100",
        "blocks": [{"type": "actions", "block_id": "list.pager", "elements": [button]}],
    }
    body, content_type = p.block_actions(
        ListAction.NEXT,
        None,
        user=DEMO,
        team=team,
        message=message,
        channel=CHANNEL,
        response_url=slack.fake.new_response_url(CHANNEL, DEMO),
        trigger_id=slack.fake.new_trigger_id(DEMO),
    )
    payload: dict[str, Any] = json.loads(dict(parse_qsl(body))["payload"])
    if enterprise is not None:
        payload["enterprise"] = {"id": enterprise, "name": "Grid Org"}
        payload["team"]["enterprise_id"] = enterprise
    return urlencode({"payload": json.dumps(payload)}), content_type


def _psa_calls(slack: Slack) -> int:
    return len(slack.sandbox.requests)


async def test_a_request_from_another_team_with_an_enterprise_id_gets_nothing(slack: Slack) -> None:
    sent = await slack.send(_command(slack, team=RIVAL_TEAM, enterprise=RIVAL_GRID))

    assert sent.status == 200 and sent.body == ""
    assert slack.ephemerals() == []
    assert _psa_calls(slack) == 0
    assert {c.method for c in slack.fake.calls} <= {"auth.test"}


async def test_a_click_from_another_team_with_an_enterprise_id_gets_nothing(slack: Slack) -> None:
    sent = await slack.send(_click(slack, team=RIVAL_TEAM, enterprise=RIVAL_GRID))

    assert sent.status == 200 and sent.body == ""
    assert _psa_calls(slack) == 0
    assert {c.method for c in slack.fake.calls} <= {"auth.test"}


async def test_our_team_id_under_a_foreign_enterprise_gets_nothing(slack: Slack) -> None:
    sent = await slack.send(_command(slack, team=TEAM, enterprise=RIVAL_GRID))

    assert sent.status == 200 and slack.ephemerals() == []
    assert _psa_calls(slack) == 0


async def test_our_own_team_is_still_served(slack: Slack) -> None:
    await slack.send(_command(slack, team=TEAM, enterprise=None))

    assert row_ids(slack.last_ephemeral())


@pytest.mark.parametrize(
    ("team", "enterprise", "served"),
    [
        (TEAM, GRID, True),
        (RIVAL_TEAM, GRID, False),  # another workspace of the same org: this install is one workspace's
        (TEAM, RIVAL_GRID, False),
        (TEAM, None, False),  # the installed workspace belongs to the org: a request without it is forged
    ],
)
async def test_a_workspace_install_inside_a_grid_org_serves_that_workspace_only(
    make_slack: MakeSlack, team: str, enterprise: str | None, served: bool
) -> None:
    async with make_slack(fake={"enterprise_id": GRID}) as slack:
        await slack.send(_command(slack, team=team, enterprise=enterprise))

        assert bool(slack.ephemerals()) is served


@pytest.mark.parametrize(
    ("team", "enterprise", "served"),
    [
        (TEAM, GRID, True),
        (RIVAL_TEAM, GRID, True),  # any workspace of the org the app is installed for
        (RIVAL_TEAM, RIVAL_GRID, False),
        (TEAM, None, False),
    ],
)
async def test_an_org_wide_grid_install_serves_every_workspace_of_its_org_and_no_other(
    make_slack: MakeSlack, team: str, enterprise: str | None, served: bool
) -> None:
    async with make_slack(fake={"enterprise_id": GRID, "org_wide": True}) as slack:
        await slack.send(_command(slack, team=team, enterprise=enterprise, org_wide=True))

        assert bool(slack.ephemerals()) is served
