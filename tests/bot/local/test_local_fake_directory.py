"""Users, conversations, team and bot lookups in the fake, through the real slack_sdk client."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.local import FakeChannel, FakeSlack, FakeUser, FakeUsergroup


async def slack_error(call: Awaitable[Any]) -> str:
    with pytest.raises(SlackApiError) as info:
        await call
    return str(info.value.response["error"])


async def test_users_info_carries_email_and_roles(client: AsyncWebClient) -> None:
    admin = (await client.users_info(user="U0ADMIN"))["user"]
    assert admin["profile"]["email"] == "alex@example.com"
    assert admin["real_name"] == "Alex Admin"
    assert admin["profile"]["display_name"] == "Alex"
    assert (admin["is_admin"], admin["is_owner"], admin["is_bot"]) == (True, True, False)
    assert admin["tz"] == "America/New_York"
    engineer = (await client.users_info(user="U0ENGINEER"))["user"]
    assert (engineer["is_admin"], engineer["is_owner"]) == (False, False)
    assert await slack_error(client.users_info(user="U0GHOST")) == "user_not_found"


async def test_seeded_workspace_replaces_the_defaults() -> None:
    people = [FakeUser(id="U1", name="kim", email="Kim@Example.com", tz="Europe/Amsterdam")]
    async with FakeSlack(users=people, channels=[FakeChannel(id="C1", name="noc")]) as fake:
        client = AsyncWebClient(token="xoxb-local", base_url=fake.api_url)
        members = (await client.users_list())["members"]
        assert [m["id"] for m in members] == ["U0LOCALBOT", "U1"]
        assert members[0]["is_bot"] is True and members[0]["profile"]["bot_id"] == "B0LOCAL"
        assert members[1]["tz_offset"] in (3600, 7200)
        found = (await client.users_lookupByEmail(email="kim@example.com"))["user"]
        assert found["id"] == "U1"
        assert await slack_error(client.conversations_info(channel="C0GENERAL")) == "channel_not_found"
        fake.add_user(id="U2", name="lee", email="lee@example.com", is_admin=True)
        assert (await client.users_info(user="U2"))["user"]["is_admin"] is True


async def test_users_list_pages_through_every_member(client: AsyncWebClient, fake: FakeSlack) -> None:
    for i in range(5):
        fake.add_user(id=f"U9{i}", name=f"user{i}")
    seen: list[str] = []
    cursor = ""
    while True:
        page = await client.users_list(limit=3, cursor=cursor or None)
        seen += [m["id"] for m in page["members"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 8 and len(set(seen)) == 8
    assert await slack_error(client.users_list(cursor="!!not-a-cursor")) == "invalid_cursor"


async def test_lookup_by_email_misses_cleanly(client: AsyncWebClient) -> None:
    assert (await client.users_lookupByEmail(email="SAM@example.com"))["user"]["id"] == "U0ENGINEER"
    assert await slack_error(client.users_lookupByEmail(email="nobody@example.com")) == "users_not_found"


async def test_conversations_info_for_channels_and_dms(client: AsyncWebClient, fake: FakeSlack) -> None:
    general = (await client.conversations_info(channel="C0GENERAL"))["channel"]
    assert (general["name"], general["is_member"], general["is_channel"]) == ("general", True, True)
    dm = (await client.conversations_info(channel=fake.dm_channel("U0ADMIN")))["channel"]
    assert (dm["is_im"], dm["user"]) == (True, "U0ADMIN")
    assert await slack_error(client.conversations_info(channel="C0NOPE")) == "channel_not_found"


async def test_team_and_bot_info(client: AsyncWebClient) -> None:
    team = (await client.team_info())["team"]
    assert (team["id"], team["name"], team["domain"]) == ("T0LOCAL", "Local Workspace", "local-workspace")
    bot = (await client.bots_info(bot="B0LOCAL"))["bot"]
    assert (bot["app_id"], bot["user_id"], bot["name"]) == ("A0LOCAL", "U0LOCALBOT", "tickets")
    assert await slack_error(client.bots_info(bot="B0OTHER")) == "bot_not_found"


async def test_user_groups_list_and_members_as_slack_answers_them() -> None:
    ops = FakeUsergroup(id="S1", handle="ops", name="Operations", users=["U1", "U2"])
    old = FakeUsergroup(id="S2", handle="old", users=["U1"], disabled=True)
    async with FakeSlack(usergroups=[ops, old]) as fake:
        client = AsyncWebClient(token="xoxb-local", base_url=fake.api_url)
        groups = (await client.usergroups_list())["usergroups"]
        assert [(g["id"], g["handle"], g["name"], g["date_delete"]) for g in groups] == [
            ("S1", "ops", "Operations", 0)
        ]
        assert groups[0]["is_usergroup"] is True and "users" not in groups[0]
        every = (await client.usergroups_list(include_disabled=True, include_users=True))["usergroups"]
        assert [g["id"] for g in every] == ["S1", "S2"] and every[0]["users"] == ["U1", "U2"]
        assert (await client.usergroups_users_list(usergroup="S1"))["users"] == ["U1", "U2"]
        assert await slack_error(client.usergroups_users_list(usergroup="S2")) == "no_such_subteam"
        assert await slack_error(client.usergroups_users_list(usergroup="S9")) == "no_such_subteam"


async def test_user_groups_need_the_usergroups_read_scope() -> None:
    async with FakeSlack(
        usergroups=[FakeUsergroup(id="S1", handle="ops")], scopes="commands,chat:write"
    ) as fake:
        client = AsyncWebClient(token="xoxb-local", base_url=fake.api_url)
        with pytest.raises(SlackApiError) as info:
            await client.usergroups_users_list(usergroup="S1")
        assert info.value.response["error"] == "missing_scope"
        assert info.value.response["needed"] == "usergroups:read"
