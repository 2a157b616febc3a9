"""DMs about changes made in ConnectWise: each kind, never one's own changes, the Home's choices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

from create_driver import created_id, submit, values_for
from live_kit import (
    OTHER_MEMBER,
    add_note,
    assign,
    change_status,
    delivered,
    demo_ticket,
    dms,
    go_public,
    member_name,
    not_demo_ticket,
    other_status,
)
from scenario_harness import (
    ADMIN,
    DEMO,
    DEMO_MEMBER,
    NEWBIE,
    Slack,
    blocks_text,
    expected_open_tickets,
    find_block,
)
from test_scenario_home import open_home

from bot.flows.live.deliver import deliver
from bot.ids import CreateAction, DetailAction, LiveAction, LiveBlock, MessageAction
from bot.text import BREAK
from storage import AuditAction, WriteKind
from storage.repositories import audit as audit_repo


async def test_a_ticket_assigned_to_me_in_connectwise_is_one_dm(slack: Slack) -> None:
    await go_public(slack)
    ticket = not_demo_ticket(slack.sandbox)

    await assign(slack.sandbox, ticket, DEMO_MEMBER)
    rows = await delivered(slack, 2)  # the schedule entry, and the ticket it touched

    assert sorted(r["type"] for r in rows) == ["schedule", "ticket"]
    [dm] = dms(slack)
    text = blocks_text(dm)
    assert f"#{ticket}" in text and "You are now an assignee" in text
    assert member_name(slack.sandbox, OTHER_MEMBER) in text


async def test_a_customer_reply_on_my_ticket_is_a_dm_with_its_text_shown_literally(slack: Slack) -> None:
    await go_public(slack)
    ticket = demo_ticket(slack.sandbox)
    contact = slack.sandbox.state.store.tables["contacts"][301]
    reply = "Still *broken* <!channel> & <@U0ADMIN> — " + "details " * 200

    await add_note(slack.sandbox, ticket, reply, contact=contact["id"])
    await delivered(slack, 1)

    [dm] = dms(slack)
    text = blocks_text(dm)
    assert "Customer reply" in text and contact["firstName"] in text
    assert "&lt;!channel&gt; &amp; &lt;@U0ADMIN&gt;" in text and "<!channel>" not in text
    assert f"{BREAK}*{BREAK}broken{BREAK}*{BREAK}" in text
    note = dm["blocks"][0]["text"]["text"]
    assert note.endswith("…") and len(note) < len(reply)  # trimmed, visibly


async def test_an_internal_note_on_my_ticket_is_not_a_dm(slack: Slack) -> None:
    await go_public(slack)
    await add_note(slack.sandbox, demo_ticket(slack.sandbox), "checked the logs", internal=True)
    await delivered(slack, 1)
    assert dms(slack) == []


async def test_a_change_i_made_myself_in_connectwise_is_not_told_to_me(slack: Slack) -> None:
    await go_public(slack)
    ticket = demo_ticket(slack.sandbox)

    await change_status(slack.sandbox, ticket, other_status(slack.sandbox, ticket)[1], by=DEMO_MEMBER)
    await add_note(slack.sandbox, ticket, "on my way", by=DEMO_MEMBER)
    await delivered(slack, 2)

    assert dms(slack) == []


async def test_a_ticket_i_follow_from_its_detail_tells_me_of_its_changes(slack: Slack) -> None:
    await go_public(slack)
    ticket = not_demo_ticket(slack.sandbox)
    await slack.command(str(ticket))
    await slack.click(LiveAction.FOLLOW, view=slack.modal())
    assert "Following" in blocks_text(slack.modal())
    assert LiveAction.UNFOLLOW in str(slack.modal()["blocks"])

    await change_status(slack.sandbox, ticket, other_status(slack.sandbox, ticket)[1])
    await delivered(slack, 1)

    [dm] = dms(slack)
    assert f"#{ticket}" in blocks_text(dm) and "You follow this ticket" in blocks_text(dm)
    await slack.click(LiveAction.UNFOLLOW, view=slack.modal())
    await change_status(slack.sandbox, ticket, other_status(slack.sandbox, ticket)[1])
    await delivered(slack, 2)
    assert len(dms(slack)) == 1


async def test_a_notification_turned_off_in_home_is_not_sent(slack: Slack) -> None:
    await go_public(slack)
    home = await open_home(slack)
    assert home is not None and find_block(home, LiveBlock.PREFS) is not None

    await slack.click(LiveAction.TOPICS, ["assigned", "notes", "follows", "sla"], view=home)
    ticket = demo_ticket(slack.sandbox)
    await change_status(slack.sandbox, ticket, other_status(slack.sandbox, ticket)[1])
    await delivered(slack, 1)

    assert dms(slack) == []
    prefs = await slack.deps.storage.live().preferences(slack.team, [DEMO])
    assert prefs[DEMO]["topics"] == ["assigned", "notes", "follows", "sla"]
    assert prefs[DEMO]["tz"] == "America/New_York"  # the user's own time zone, from Slack


async def test_quiet_hours_hold_a_dm_until_they_end(slack: Slack) -> None:
    await go_public(slack)
    home = await open_home(slack)
    assert home is not None
    await slack.click(LiveAction.QUIET, "22-07", view=home)
    night = datetime(2026, 12, 7, 4, 30, tzinfo=UTC)  # 23:30 in New York
    slack.deps.now = lambda: night
    ticket = demo_ticket(slack.sandbox)

    await change_status(slack.sandbox, ticket, other_status(slack.sandbox, ticket)[1])
    await delivered(slack, 1)
    assert dms(slack) == []
    assert await deliver(slack.deps) == 0  # still night

    slack.deps.now = lambda: datetime(2026, 12, 7, 12, 1, tzinfo=UTC)  # 07:01 in New York
    assert await deliver(slack.deps) == 1
    assert await deliver(slack.deps) == 0  # sent once
    [dm] = dms(slack)
    assert f"#{ticket}" in blocks_text(dm)


async def test_a_digest_bundles_the_changes_of_its_window_into_one_dm(slack: Slack) -> None:
    await go_public(slack)
    home = await open_home(slack)
    assert home is not None
    await slack.click(LiveAction.DIGEST, "15", view=home)
    start = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
    slack.deps.now = lambda: start
    first, second = demo_ticket(slack.sandbox), not_demo_ticket(slack.sandbox)
    await assign(slack.sandbox, second, DEMO_MEMBER)
    await delivered(slack, 2)
    await change_status(slack.sandbox, first, other_status(slack.sandbox, first)[1])
    await delivered(slack, 3)
    assert dms(slack) == []

    slack.deps.now = lambda: start + timedelta(minutes=16)
    assert await deliver(slack.deps) == 2

    [dm] = dms(slack)
    text = blocks_text(dm)
    assert "2 tickets changed" in text and f"#{first}" in text and f"#{second}" in text
    opens = [
        b["accessory"]["value"]
        for b in dm["blocks"]
        if b.get("accessory", {}).get("action_id") == MessageAction.OPEN_TICKET
    ]
    assert sorted(opens) == sorted([str(first), str(second)])


def status_id(slack: Slack, ticket_id: int, name: str) -> str:
    store = slack.sandbox.state.store
    with store.lock:
        board = store.tables["tickets"][ticket_id]["board"]["id"]
        statuses = [dict(s) for s in store.tables["board_statuses"].values()]
    return str(next(s["id"] for s in statuses if s["board"]["id"] == board and s["name"] == name))


async def _colleague_follows(slack: Slack, ticket: int) -> None:
    """NEWBIE is mapped to mchen and follows the ticket."""
    await slack.store.map_member(
        NEWBIE, member_id=2, member_identifier=OTHER_MEMBER, member_name="Michael Chen", mapped_by=ADMIN
    )
    await slack.deps.storage.live().follow(slack.team, NEWBIE, ticket, now=slack.deps.now())


async def _status_from_the_detail(slack: Slack, ticket: int) -> str:
    new = other_status(slack.sandbox, ticket)[1]
    await slack.command(str(ticket))
    await slack.click(DetailAction.STATUS, status_id(slack, ticket, new), view=slack.modal())
    return new


async def test_a_status_i_change_from_the_detail_is_told_to_colleagues_not_to_me(slack: Slack) -> None:
    await go_public(slack)
    ticket = demo_ticket(slack.sandbox)
    await _colleague_follows(slack, ticket)

    new = await _status_from_the_detail(slack, ticket)
    await delivered(slack, 1)

    assert dms(slack) == []  # the app wrote it with the workspace's key: the write ledger says it was me
    [told] = dms(slack, NEWBIE)
    assert new in blocks_text(told) and f"<@{DEMO}> (from Slack)" in blocks_text(told)
    entries = await slack.store.read(partial(audit_repo.list_events, ticket_id=ticket))
    assert [e.slack_user_id for e in entries if e.action == AuditAction.STATUS_CHANGE] == [DEMO]


async def test_a_write_claimed_in_the_ledger_is_mine_when_the_workspaces_key_saved_it(slack: Slack) -> None:
    await go_public(slack)
    ticket = demo_ticket(slack.sandbox)
    await _colleague_follows(slack, ticket)
    ledger = slack.deps.storage.ledger(slack.team)
    key = f"{WriteKind.STATUS.value}:test:{ticket}"
    claim = await ledger.claim(
        key, kind=WriteKind.STATUS, actor_user_id=DEMO, actor_member_id=17, ticket_id=ticket
    )
    assert claim.won  # as every write from Slack does before calling ConnectWise (no audit line here)

    new = other_status(slack.sandbox, ticket)[1]
    service = await slack.deps.workspaces.service(slack.team)
    assert service is not None  # the workspace's key: ConnectWise names the integration, not me
    await service.update_status(ticket, int(status_id(slack, ticket, new)))
    await delivered(slack, 1)

    assert dms(slack) == []
    [told] = dms(slack, NEWBIE)
    assert new in blocks_text(told) and f"<@{DEMO}> (from Slack)" in blocks_text(told)


async def test_a_colleagues_change_right_after_mine_is_still_told_to_me(slack: Slack) -> None:
    await go_public(slack)
    ticket = demo_ticket(slack.sandbox)
    await _colleague_follows(slack, ticket)
    await _status_from_the_detail(slack, ticket)
    await delivered(slack, 1)

    # Within the window my own write counts in, but ConnectWise says a colleague saved this one.
    theirs = other_status(slack.sandbox, ticket)[1]
    await change_status(slack.sandbox, ticket, theirs, by=OTHER_MEMBER)
    await delivered(slack, 2)

    [told] = dms(slack)
    assert theirs in blocks_text(told) and f"<@{NEWBIE}>" in blocks_text(told)
    assert len(dms(slack, NEWBIE)) == 1  # the colleague is not told of their own change either


async def test_a_ticket_i_create_from_slack_for_myself_is_not_told_to_me(slack: Slack) -> None:
    await go_public(slack)
    prompt = "New ticket for Acme Corp, Outlook not syncing since yesterday, high priority, assign to me"
    await slack.command(f"new {prompt}")
    await slack.click(CreateAction.PARSE, view=slack.modal())
    review = slack.modal()
    await slack.click(CreateAction.BOARD, "1", view=review)
    review = slack.modal()
    await submit(slack, review, values=values_for(review, board="1"))
    ticket = created_id(slack.modal())
    assert ticket in expected_open_tickets(slack.sandbox, DEMO_MEMBER)

    answered = await delivered(slack, 1)

    assert answered and dms(slack) == []  # assigned to me, by me: the create's ledger entry says so
