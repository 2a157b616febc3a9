"""Who can do what: unmapped users read but never write, self-mapping needs the e-mail match (or an
admin's approval), and the admins' optional user group / channel rules — over HTTP, against the real
app, the fake Slack and the ConnectWise sandbox."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
from create_driver import submit, success_posts, values_for
from scenario_harness import (
    ADMIN,
    CHANNEL,
    DEMO,
    NEWBIE,
    OTHER_CHANNEL,
    TEAM,
    Slack,
    action_ids,
    blocks_text,
    find_block,
)
from scenario_spinoff_kit import OUTLOOK_TICKET, linked_outlook_thread, say, shortcut

from bot.ids import (
    AccessAction,
    AccessBlock,
    Callback,
    CreateAction,
    DetailAction,
    ListAction,
    MappingAction,
    MappingBlock,
    MessageAction,
    Shortcut,
    TimeAction,
    note_block_id,
)
from bot.local import FakeUsergroup
from bot.local import payloads as p
from bot.views import kit
from storage import AccessSettings, MemberMapping
from storage.repositories import mappings as mapping_repo
from storage.repositories import thread_links as thread_link_repo

MakeSlack = Callable[..., AbstractAsyncContextManager[Slack]]
TICKET = 1642  # 'Printer "HP 4050" won't print' · assigned to jdoe and arivers
SAM_LEE = 7  # slee: no Slack user's e-mail matches theirs
MCHEN = 2  # NEWBIE's e-mail matches
SUPPORT_GROUP = FakeUsergroup(id="S0SUPPORT", handle="support-engineers", name="Support", users=[DEMO])
WRITES = ("POST", "PATCH", "PUT", "DELETE")
NOT_MAPPED_LINE = "You are not mapped to a ConnectWise member yet"


def psa_writes(slack: Slack, mark: int) -> list[str]:
    """ConnectWise requests that change something, received after `mark`."""
    return [
        f"{r.method} {r.path}" for r in slack.sandbox.requests if r.received_seq > mark and r.method in WRITES
    ]


def mark(slack: Slack) -> int:
    return slack.sandbox.state.log.next_seq() - 1


async def _mapping(slack: Slack, user: str) -> MemberMapping | None:
    return await slack.store.read(partial(mapping_repo.get_mapping, slack_user_id=user))


def messages_to(slack: Slack, user: str, since: int) -> list[dict[str, Any]]:
    """What the user was told as messages after the `since`-th fake call: replies and DMs."""
    out: list[dict[str, Any]] = []
    for call in slack.fake.calls[since:]:
        if call.method == "response_url" or (
            call.method in ("chat.postEphemeral", "chat.postMessage")
            and user in (call.args.get("user"), call.args.get("channel"))
        ):
            out.append(call.args)
    return out


def told(surface: dict[str, Any], line: str) -> bool:
    """The surface says `line` and offers the Map button."""
    return line in blocks_text(surface) and MessageAction.MAP in action_ids(surface)


# -- 1. an unmapped user is refused on every write surface, on the surface they look at ------------


async def _detail(slack: Slack, user: str = NEWBIE) -> dict[str, Any]:
    await slack.command(str(TICKET), user=user)
    view = slack.modal(user)
    assert view["callback_id"] == Callback.DETAIL, blocks_text(view)  # reading is allowed
    return view


async def status(slack: Slack) -> None:
    await slack.click(DetailAction.STATUS, "102", user=NEWBIE, view=await _detail(slack))


async def note(slack: Slack) -> None:
    view = await _detail(slack)
    slack.type_into(view, {note_block_id(0): {DetailAction.NOTE_TEXT: "On site now"}}, user=NEWBIE)
    await slack.click(DetailAction.ADD_NOTE, user=NEWBIE, view=view)


async def add_assignee(slack: Slack) -> None:
    await slack.click(DetailAction.ADD_ASSIGNEE, ("Ming Chen", "2"), user=NEWBIE, view=await _detail(slack))


async def remove_assignee(slack: Slack) -> None:
    view = await _detail(slack)
    block = next(
        b["block_id"] for b in view["blocks"] if str(b.get("block_id", "")).startswith("detail.assignee.")
    )
    await slack.click(DetailAction.REMOVE_ASSIGNEE, user=NEWBIE, view=view, block_id=block)


async def share_detail(slack: Slack) -> None:
    await slack.click(DetailAction.SHARE, user=NEWBIE, view=await _detail(slack))


async def share_row(slack: Slack) -> None:
    await slack.command("search printer", user=NEWBIE)
    listing = slack.last_ephemeral(NEWBIE)
    # The rows render Open buttons; the row menu (Share) is the alternative layout on the same listener.
    menu = {
        "type": "overflow",
        "action_id": ListAction.ROW_MENU,
        "options": [kit.option("Share", f"share:{TICKET}")],
    }
    listing["blocks"].append({"type": "actions", "block_id": "menu", "elements": [menu]})
    await slack.click(ListAction.ROW_MENU, f"share:{TICKET}", user=NEWBIE, message=listing)


async def link_thread(slack: Slack) -> None:
    await shortcut(slack, Shortcut.LINK_THREAD, say(slack, "VPN is down again", user=NEWBIE), user=NEWBIE)
    modal = slack.modal(NEWBIE)
    if modal["callback_id"] == Callback.LINK_THREAD:  # refused at the submit, if not at the opening
        await slack.submit(modal, user=NEWBIE, values={"link_thread.ticket": {"link_thread.ticket": "#1594"}})


async def create_command(slack: Slack) -> None:
    await slack.command("new printer jam on floor 2", user=NEWBIE)


async def create_global_shortcut(slack: Slack) -> None:
    await slack.send(
        p.global_shortcut("new_ticket", user=NEWBIE, trigger_id=slack.fake.new_trigger_id(NEWBIE))
    )


async def create_from_help(slack: Slack) -> None:
    await slack.command("help", user=NEWBIE)
    await slack.click(MessageAction.NEW_TICKET, user=NEWBIE, message=slack.last_ephemeral(NEWBIE))


async def create_spinoff_shortcut(slack: Slack) -> None:
    await shortcut(slack, Shortcut.CREATE_SPINOFF, say(slack, "Label printer prints blanks"), user=NEWBIE)


async def create_spinoff_from_detail(slack: Slack) -> None:
    await slack.click(DetailAction.SPINOFF, user=NEWBIE, view=await _detail(slack))


async def quick_time(slack: Slack) -> None:
    await slack.command(f"time {TICKET} 45m replaced toner", user=NEWBIE)


async def work_from_detail(slack: Slack) -> None:
    await slack.click(TimeAction.WORK, str(TICKET), user=NEWBIE, view=await _detail(slack))


async def _linked_reply(slack: Slack) -> dict[str, Any]:
    parent = await linked_outlook_thread(slack, "Marcus says Outlook stopped syncing")
    return say(slack, "Customer confirmed it's only the shared mailbox", user=NEWBIE, thread_ts=parent["ts"])


async def log_time_shortcut(slack: Slack) -> None:
    await shortcut(slack, Shortcut.LOG_TIME, await _linked_reply(slack), user=NEWBIE)


async def add_to_ticket_shortcut(slack: Slack) -> None:
    await shortcut(slack, Shortcut.ADD_TO_TICKET, await _linked_reply(slack), user=NEWBIE)


@dataclass(frozen=True)
class WriteSurface:
    act: Callable[[Slack], Awaitable[None]]
    where: str  # "modal": the modal the user looks at; "message": a reply or DM


SURFACES = {
    "detail status": WriteSurface(status, "modal"),
    "detail note": WriteSurface(note, "modal"),
    "detail add assignee": WriteSurface(add_assignee, "modal"),
    "detail remove assignee": WriteSurface(remove_assignee, "modal"),
    "detail share": WriteSurface(share_detail, "modal"),
    "list share": WriteSurface(share_row, "message"),
    "link thread shortcut": WriteSurface(link_thread, "modal"),
    "create: /tickets new": WriteSurface(create_command, "modal"),
    "create: global shortcut": WriteSurface(create_global_shortcut, "modal"),
    "create: the help's New ticket button": WriteSurface(create_from_help, "modal"),
    "create: spin-off shortcut": WriteSurface(create_spinoff_shortcut, "modal"),
    "create: detail spin-off": WriteSurface(create_spinoff_from_detail, "modal"),
    "time: /tickets time": WriteSurface(quick_time, "message"),
    "time: Work it in the detail": WriteSurface(work_from_detail, "modal"),
    "time: Log time shortcut": WriteSurface(log_time_shortcut, "message"),
    "Add to ticket as note shortcut": WriteSurface(add_to_ticket_shortcut, "message"),
}


@pytest.mark.parametrize("name", list(SURFACES))
async def test_an_unmapped_user_is_refused_on_every_write_surface_with_the_mapping_prompt(
    slack: Slack, name: str
) -> None:
    surface = SURFACES[name]
    calls, psa = len(slack.fake.calls), mark(slack)

    await surface.act(slack)

    assert psa_writes(slack, psa) == []
    if surface.where == "modal":
        modal = slack.modal(NEWBIE)
        assert told(modal, NOT_MAPPED_LINE), blocks_text(modal)
    else:
        said = messages_to(slack, NEWBIE, calls)
        assert any(told(m, NOT_MAPPED_LINE) for m in said), said
    assert await _mapping(slack, NEWBIE) is None
    slack.assert_all_valid()


async def test_the_prompts_map_button_opens_the_mapping_modal_over_the_refusal(slack: Slack) -> None:
    await create_command(slack)
    refusal = slack.modal(NEWBIE)

    await slack.click(MessageAction.MAP, user=NEWBIE, view=refusal)

    mapping = slack.modal(NEWBIE)
    assert mapping["callback_id"] == Callback.MAPPING
    assert "views.push" in slack.methods()  # stacked on the refusal, not replacing it
    assert "Suggested from your e-mail: *Michael Chen*" in blocks_text(mapping)


# -- 2. self-mapping: the e-mail match, or an admin's approval -------------------------------------


async def _pick(slack: Slack, user: str, member_id: int, **more: Any) -> Any:
    await slack.command("map", user=user)
    modal = slack.modal(user)
    options = await slack.options(MappingAction.MEMBER, "", user=user, view=modal)
    chosen = next(o for o in options if o["value"] == str(member_id))
    values = {MappingBlock.MEMBER: {MappingAction.MEMBER: chosen}, **more}
    return await slack.submit(modal, user=user, values=values)


async def test_self_mapping_by_e_mail_match_is_accepted(slack: Slack) -> None:
    sent = await _pick(slack, NEWBIE, MCHEN)

    assert sent.body["response_action"] == "update"
    mapping = await _mapping(slack, NEWBIE)
    assert mapping is not None and mapping.psa_member_id == MCHEN and mapping.mapped_by == NEWBIE


async def test_self_mapping_to_a_member_without_the_e_mail_match_is_refused(slack: Slack) -> None:
    sent = await _pick(slack, NEWBIE, SAM_LEE)

    assert sent.body["response_action"] == "errors"
    assert "doesn't match Sam Lee's e-mail" in sent.body["errors"][MappingBlock.MEMBER]
    assert await _mapping(slack, NEWBIE) is None


async def test_self_mapping_to_a_member_someone_else_holds_is_refused_even_with_a_request(
    slack: Slack,
) -> None:
    sent = await _pick(
        slack, NEWBIE, 17, **{MappingBlock.ASK_ADMIN: {MappingAction.ASK_ADMIN: ["ask_admin"]}}
    )

    assert sent.body["response_action"] == "errors"
    assert "already mapped to Jane" in sent.body["errors"][MappingBlock.MEMBER]
    assert await slack.deps.storage.access(TEAM).request(NEWBIE) is None
    mapping = await _mapping(slack, DEMO)
    assert mapping is not None and mapping.psa_member_id == 17  # the owner is not locked out


def _admin_dm(slack: Slack) -> dict[str, Any]:
    dms = [
        c.response["message"]
        for c in slack.fake.calls
        if c.method == "chat.postMessage" and c.args.get("channel") == ADMIN and c.status == 200
    ]
    assert dms, slack.methods()
    return dms[-1]


def _dms(slack: Slack, user: str) -> str:
    return "\n".join(
        blocks_text(c.args)
        for c in slack.fake.calls
        if c.method == "chat.postMessage" and c.args.get("channel") == user
    )


async def _request_sam(slack: Slack) -> dict[str, Any]:
    sent = await _pick(
        slack, NEWBIE, SAM_LEE, **{MappingBlock.ASK_ADMIN: {MappingAction.ASK_ADMIN: ["ask_admin"]}}
    )
    assert sent.body["response_action"] == "update"
    assert "Asked the workspace admins" in blocks_text(slack.modal(NEWBIE))
    # Nothing until approved.
    assert await _mapping(slack, NEWBIE) is None
    dm = _admin_dm(slack)
    assert f"<@{NEWBIE}> asks to be mapped" in blocks_text(dm) and "Sam Lee" in blocks_text(dm)
    return dm


async def test_an_admin_approves_a_request_and_the_requester_is_told(slack: Slack) -> None:
    dm = await _request_sam(slack)

    await _decide(slack, dm, MappingAction.APPROVE)

    mapping = await _mapping(slack, NEWBIE)
    assert mapping is not None and (mapping.psa_member_id, mapping.mapped_by) == (SAM_LEE, ADMIN)
    assert f"<@{ADMIN}> approved your request: you're mapped to Sam Lee (slee)" in _dms(slack, NEWBIE)
    decided = [r.body for r in slack.fake.responses]
    assert f"approved: <@{NEWBIE}> is mapped to Sam Lee" in str(decided[-1])

    await _decide(slack, dm, MappingAction.DENY)
    assert "already approved" in str(slack.fake.responses[-1].body)
    mapping = await _mapping(slack, NEWBIE)
    assert mapping is not None and mapping.psa_member_id == SAM_LEE


async def test_an_admin_denies_a_request_and_the_requester_is_told(slack: Slack) -> None:
    dm = await _request_sam(slack)

    await _decide(slack, dm, MappingAction.DENY)

    assert await _mapping(slack, NEWBIE) is None
    assert f"<@{ADMIN}> denied your request to be mapped to Sam Lee (slee)" in _dms(slack, NEWBIE)


async def test_the_requester_cannot_approve_their_own_request(slack: Slack) -> None:
    dm = await _request_sam(slack)

    await _decide(slack, dm, MappingAction.APPROVE, user=NEWBIE)

    assert await _mapping(slack, NEWBIE) is None
    assert "Only workspace admins" in str(slack.fake.responses[-1].body)


async def _decide(slack: Slack, dm: dict[str, Any], action: MappingAction, *, user: str = ADMIN) -> None:
    """Press Approve or Deny on the admins' request message (in the admin's DM)."""
    await slack.click(action, _value(dm, action), user=user, message=dm, channel=slack.fake.dm_channel(ADMIN))


def _value(message: dict[str, Any], action_id: str) -> str:
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} in {message}")


# -- 3. the admins' rules: a user group, channels, and reading -------------------------------------


async def _save_settings(slack: Slack, values: dict[str, Any]) -> None:
    await slack.command("settings", user=ADMIN)
    modal = slack.modal(ADMIN)
    assert modal["callback_id"] == Callback.ACCESS
    sent = await slack.submit(modal, user=ADMIN, values=values)
    assert sent.body["response_action"] == "update", sent.body


UNMAPPED_READS = {AccessBlock.UNMAPPED_READ: {AccessAction.UNMAPPED_READ: ["yes"]}}


async def test_writes_are_limited_to_the_user_group_and_the_refusal_names_it(make_slack: MakeSlack) -> None:
    both = {DEMO: "jdoe", NEWBIE: "mchen"}
    async with make_slack(mapped=both, fake={"usergroups": [SUPPORT_GROUP]}) as slack:
        await _save_settings(
            slack, {**UNMAPPED_READS, AccessBlock.USERGROUP: {AccessAction.USERGROUP: SUPPORT_GROUP.id}}
        )
        settings = await slack.deps.storage.access(TEAM).settings()
        assert (settings.usergroup_id, settings.usergroup_handle) == ("S0SUPPORT", "support-engineers")

        await slack.command("new printer jam", user=NEWBIE)  # mapped, but not in the group
        refused = blocks_text(slack.modal(NEWBIE))
        assert "only members of @support-engineers can change tickets" in refused
        assert f"<@{ADMIN}>" in refused  # who set it, and whom to ask

        await slack.command("new printer jam", user=DEMO)  # in the group
        assert slack.modal(DEMO)["callback_id"] == Callback.CREATE

        psa = mark(slack)
        await slack.command(f"time {TICKET} 45m replaced toner", user=NEWBIE)  # a time entry too
        assert "only members of @support-engineers" in blocks_text(slack.last_ephemeral(NEWBIE))
        assert psa_writes(slack, psa) == []

        await slack.command("search printer", user=NEWBIE)  # reading is not restricted
        assert "⚠️" not in blocks_text(slack.last_ephemeral(NEWBIE))


async def test_a_group_slack_cannot_check_refuses_and_says_why(make_slack: MakeSlack) -> None:
    scopes = "commands,chat:write,users:read,users:read.email"  # installed before usergroups:read
    async with make_slack(fake={"usergroups": [SUPPORT_GROUP], "scopes": scopes}) as slack:
        await slack.deps.storage.access(TEAM).save_settings(
            AccessSettings(usergroup_id=SUPPORT_GROUP.id, usergroup_handle="support-engineers"),
            updated_by=ADMIN,
        )

        await slack.command("new printer jam", user=DEMO)

        refused = blocks_text(slack.modal(DEMO))
        assert "Slack couldn't tell whether you are one" in refused and "missing_scope" in refused
        assert "usergroups:read" in refused


async def test_writes_are_limited_to_the_listed_channels(slack: Slack) -> None:
    await _save_settings(slack, {**UNMAPPED_READS, AccessBlock.CHANNELS: {AccessAction.CHANNELS: [CHANNEL]}})

    await slack.command("new printer jam", user=DEMO, channel=OTHER_CHANNEL)
    refused = blocks_text(slack.modal(DEMO))
    assert f"only in <#{CHANNEL}>" in refused and "/tickets settings" in refused

    await slack.command("new printer jam", user=DEMO, channel=CHANNEL)
    assert slack.modal(DEMO)["callback_id"] == Callback.CREATE


async def test_the_channel_rule_follows_a_modal_to_the_channel_it_was_opened_from(slack: Slack) -> None:
    await _save_settings(slack, {**UNMAPPED_READS, AccessBlock.CHANNELS: {AccessAction.CHANNELS: [CHANNEL]}})

    psa = mark(slack)
    await slack.command(str(TICKET), user=DEMO, channel=OTHER_CHANNEL)
    await slack.click(DetailAction.STATUS, "102", user=DEMO, view=slack.modal(DEMO))
    banner = find_block(slack.modal(DEMO), "detail.error")
    assert banner is not None and f"only in <#{CHANNEL}>" in blocks_text({"blocks": [banner]})
    assert psa_writes(slack, psa) == []

    await slack.command(str(TICKET), user=DEMO, channel=CHANNEL)  # the same change, from #support
    await slack.click(DetailAction.STATUS, "102", user=DEMO, view=slack.modal(DEMO))
    assert [w for w in psa_writes(slack, psa) if w.startswith("PATCH /service/tickets")]

    message = say(slack, "VPN down")
    await shortcut(slack, Shortcut.LINK_THREAD, message, user=DEMO)  # in #support: allowed
    link = slack.modal(DEMO)
    assert link["callback_id"] == Callback.LINK_THREAD
    sent = await slack.submit(link, user=DEMO, values={"link_thread.ticket": {"link_thread.ticket": "#1594"}})
    assert sent.status == 200 and "errors" not in str(sent.body)
    assert (
        await slack.store.read(
            partial(thread_link_repo.get_thread_link, channel_id=CHANNEL, thread_ts=message["ts"])
        )
        is not None
    )


async def test_a_new_ticket_opened_in_a_listed_channel_is_created(slack: Slack) -> None:
    await _save_settings(slack, {**UNMAPPED_READS, AccessBlock.CHANNELS: {AccessAction.CHANNELS: [CHANNEL]}})
    await slack.command("new", user=DEMO, channel=CHANNEL)
    await slack.click(CreateAction.BOARD, "1", user=DEMO, view=slack.modal(DEMO))
    form = slack.modal(DEMO)
    values = values_for(form, summary="Scanner jams on tray 2", company=("Acme Corp", "42"), priority="3")

    await submit(slack, form, user=DEMO, values=values)

    assert len(success_posts(slack)) == 1  # created, and confirmed in #support


async def test_unmapped_users_read_by_default_and_not_once_the_workspace_says_so(slack: Slack) -> None:
    await slack.command("search printer", user=NEWBIE)
    assert "⚠️" not in blocks_text(slack.last_ephemeral(NEWBIE))

    await _save_settings(slack, {AccessBlock.UNMAPPED_READ: {AccessAction.UNMAPPED_READ: []}})  # unticked

    calls = len(slack.fake.calls)
    await slack.command("search printer", user=NEWBIE)
    said = messages_to(slack, NEWBIE, calls)
    assert any(told(m, "only engineers mapped to a ConnectWise member can see tickets") for m in said), said
    await slack.command(str(TICKET), user=NEWBIE)
    assert slack.fake.last_view(NEWBIE) is None  # no detail either
    await slack.command("search printer", user=DEMO)
    assert "⚠️" not in blocks_text(slack.last_ephemeral(DEMO))


async def test_reads_follow_the_channel_rule_when_the_admin_chooses_so(slack: Slack) -> None:
    await _save_settings(
        slack,
        {
            **UNMAPPED_READS,
            AccessBlock.CHANNELS: {AccessAction.CHANNELS: [CHANNEL]},
            AccessBlock.RESTRICT_READS: {AccessAction.RESTRICT_READS: ["yes"]},
        },
    )

    await slack.command("search printer", user=DEMO, channel=OTHER_CHANNEL)
    assert f"tickets can be seen from Slack only in <#{CHANNEL}>" in blocks_text(
        slack.last_ephemeral(DEMO, OTHER_CHANNEL)
    )
    await slack.command("search printer", user=DEMO, channel=CHANNEL)
    assert "⚠️" not in blocks_text(slack.last_ephemeral(DEMO, CHANNEL))
    await slack.event(p.app_home_opened_event(DEMO, channel=slack.fake.dm_channel(DEMO)))
    home = slack.fake.home_view(DEMO)
    assert home is not None and "can be seen from Slack only in" in blocks_text(home)


async def test_a_link_pasted_outside_the_channels_allowed_to_read_shows_only_the_number(slack: Slack) -> None:
    await _save_settings(
        slack,
        {
            **UNMAPPED_READS,
            AccessBlock.CHANNELS: {AccessAction.CHANNELS: [CHANNEL]},
            AccessBlock.RESTRICT_READS: {AccessAction.RESTRICT_READS: ["yes"]},
        },
    )
    service = await slack.deps.workspaces.service(TEAM)
    assert service is not None
    url = str(service.ticket_url(OUTLOOK_TICKET))
    message = slack.fake.add_message(OTHER_CHANNEL, user=DEMO, text=f"see <{url}>")

    await slack.event(p.link_shared_event(OTHER_CHANNEL, user=DEMO, message_ts=message["ts"], links=[url]))

    [call] = slack.fake.calls_to("chat.unfurl")
    card = blocks_text(call.args["unfurls"][url])
    assert f"#{OUTLOOK_TICKET}" in card and "Outlook not syncing" not in card


async def test_only_admins_open_or_save_the_settings(slack: Slack) -> None:
    await slack.command("settings", user=DEMO)
    assert slack.fake.last_view(DEMO) is None
    assert "Only workspace admins" in blocks_text(slack.last_ephemeral(DEMO))
    await slack.event(p.app_home_opened_event(ADMIN, channel=slack.fake.dm_channel(ADMIN)))
    home = slack.fake.home_view(ADMIN)
    assert home is not None and AccessAction.OPEN in action_ids(home)
    await slack.command("connect", user=ADMIN)
    await slack.click(AccessAction.OPEN, user=ADMIN, view=slack.modal(ADMIN))
    assert slack.modal(ADMIN)["callback_id"] == Callback.ACCESS  # pushed over the connect modal


# -- 4. engineers' own API keys, from the mapping modal --------------------------------------------


async def test_own_keys_are_checked_saved_never_shown_and_removed_from_the_modal(slack: Slack) -> None:
    keys = slack.sandbox.mint_member_keys("jdoe")
    await slack.command("map", user=DEMO)
    modal = slack.modal(DEMO)
    assert find_block(modal, MappingBlock.PUBLIC_KEY) is not None

    sent = await slack.submit(
        modal,
        user=DEMO,
        values={
            MappingBlock.PUBLIC_KEY: {MappingAction.PUBLIC_KEY: keys.public_key},
            MappingBlock.PRIVATE_KEY: {MappingAction.PRIVATE_KEY: keys.private_key},
        },
    )

    assert sent.body["response_action"] == "update"
    assert "Your own API keys are saved" in blocks_text(slack.modal(DEMO))
    info = await slack.deps.storage.engineer_keys(TEAM).info(DEMO)
    assert info is not None and info.psa_member_id == 17
    await slack.command("map", user=DEMO)
    again = slack.modal(DEMO)
    assert "Your own API keys were saved on" in blocks_text(again) and "used for your writes" in blocks_text(
        again
    )
    assert find_block(again, MappingBlock.PUBLIC_KEY) is None
    assert keys.private_key not in str([c.args for c in slack.fake.calls if c.method.startswith("views.")])

    await slack.click(MappingAction.REMOVE_KEYS, user=DEMO, view=again)

    assert await slack.deps.storage.engineer_keys(TEAM).info(DEMO) is None
    assert "Your own API keys are removed" in blocks_text(slack.modal(DEMO))


async def test_own_keys_of_the_member_prove_who_you_are_without_the_e_mail_match(slack: Slack) -> None:
    sams = slack.sandbox.mint_member_keys("slee")
    keys = {
        MappingBlock.PUBLIC_KEY: {MappingAction.PUBLIC_KEY: sams.public_key},
        MappingBlock.PRIVATE_KEY: {MappingAction.PRIVATE_KEY: sams.private_key},
    }

    sent = await _pick(slack, NEWBIE, SAM_LEE, **keys)

    assert sent.body["response_action"] == "update", sent.body
    mapping = await _mapping(slack, NEWBIE)
    assert mapping is not None and mapping.psa_member_id == SAM_LEE
    info = await slack.deps.storage.engineer_keys(TEAM).info(NEWBIE)
    assert info is not None and info.psa_member_id == SAM_LEE


async def test_keys_of_someone_else_are_refused_and_nothing_is_saved(slack: Slack) -> None:
    sams = slack.sandbox.mint_member_keys("slee")
    await slack.command("map", user=DEMO)

    sent = await slack.submit(
        slack.modal(DEMO),
        user=DEMO,
        values={
            MappingBlock.PUBLIC_KEY: {MappingAction.PUBLIC_KEY: sams.public_key},
            MappingBlock.PRIVATE_KEY: {MappingAction.PRIVATE_KEY: sams.private_key},
        },
    )

    assert sent.body["response_action"] == "errors"
    assert "belong to Sam Lee, not to Jordan Doe" in str(sent.body["errors"])
    assert await slack.deps.storage.engineer_keys(TEAM).info(DEMO) is None
