"""`/tickets search` names resolve the way an engineer means them; the text reaches ConnectWise as typed."""

from __future__ import annotations

from typing import Any

import pytest
from scenario_harness import ADMIN, CHANNEL, DEMO, Slack, blocks_text, row_ids

from bot.ids import ListAction, ListBlock


def _open_tickets(slack: Slack, test: Any) -> list[dict[str, Any]]:
    store = slack.sandbox.state.store
    with store.lock:
        tickets = [dict(t) for t in store.tables["tickets"].values()]
    return [t for t in tickets if not t["closedFlag"] and test(t)]


def _total(message: dict[str, Any]) -> int:
    summary = next(b for b in message["blocks"] if b.get("block_id") == ListBlock.SUMMARY)
    return int(summary["elements"][0]["text"].split(" of ")[1].split()[0])


def _shown(slack: Slack, user: str = DEMO) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    message = slack.last_ephemeral(user)
    store = slack.sandbox.state.store
    return message, [dict(store.tables["tickets"][i]) for i in row_ids(message)]


def _assigned_to(slack: Slack, identifier: str) -> set[int]:
    """Tickets the member owns or is a resource of (Service schedule entries), from the sandbox."""
    store = slack.sandbox.state.store
    with store.lock:
        tickets = [dict(t) for t in store.tables["tickets"].values()]
        entries = [dict(e) for e in store.tables["schedule_entries"].values()]
    ids = {
        e["objectId"]
        for e in entries
        if e["type"]["identifier"] == "S" and e["member"]["identifier"] == identifier
    }
    return ids | {t["id"] for t in tickets if (t.get("owner") or {}).get("identifier") == identifier}


def _search_conditions(slack: Slack) -> list[str]:
    return [
        r.query.get("conditions", "")
        for r in slack.sandbox.requests
        if r.path.endswith("/service/tickets") and r.method == "GET"
    ]


async def test_a_status_that_several_boards_have_filters_on_all_of_them(slack: Slack) -> None:
    await slack.command("search status:New")

    message, tickets = _shown(slack)
    expected = _open_tickets(slack, lambda t: t["status"]["name"] == "New")
    assert len({t["board"]["id"] for t in expected}) > 1  # the seed has New tickets on several boards
    assert tickets and {t["status"]["name"] for t in tickets} == {"New"}
    assert _total(message) == len(expected)


async def test_a_status_with_a_board_filters_on_that_boards_status_only(slack: Slack) -> None:
    await slack.command('search status:new board:"help desk"')

    message, tickets = _shown(slack)
    assert tickets and {(t["board"]["name"], t["status"]["name"]) for t in tickets} == {("Help Desk", "New")}
    expected = _open_tickets(slack, lambda t: t["status"]["id"] == 101)
    assert _total(message) == len(expected)


async def test_a_company_named_without_its_legal_form_is_that_company(slack: Slack) -> None:
    await slack.command("search company:acme")

    message, tickets = _shown(slack)
    assert tickets and {t["company"]["name"] for t in tickets} == {"Acme Corp"}
    assert _total(message) == len(_open_tickets(slack, lambda t: t["company"]["id"] == 42))


@pytest.mark.parametrize(("given", "company"), [("Bluewater", "Bluewater Logistics"), ("cascade cu", None)])
async def test_a_unique_prefix_or_typo_of_a_company_resolves(
    slack: Slack, given: str, company: str | None
) -> None:
    await slack.command(f'search company:"{given}"')

    _, tickets = _shown(slack)
    assert tickets, blocks_text(slack.last_ephemeral(DEMO))
    names = {t["company"]["name"] for t in tickets}
    assert len(names) == 1 and (company is None or names == {company})


async def test_real_ambiguity_lists_only_the_candidates_each_typeable_and_clickable(slack: Slack) -> None:
    await slack.command("search printer company:northwind")

    problem = slack.last_ephemeral(DEMO)
    shown = blocks_text(problem)
    assert "matches more than one company" in shown
    assert 'company:"Northwind Traders"' in shown and 'company:"Northwind Health"' in shown
    assert "Acme" not in shown  # only the candidates, not every company
    buttons = [
        b["accessory"]
        for b in problem["blocks"]
        if b.get("accessory", {}).get("action_id") == ListAction.PICK
    ]
    assert len(buttons) == 2

    health = next(b for b in problem["blocks"] if "Northwind Health" in b["text"]["text"])
    await slack.click(
        ListAction.PICK, health["accessory"]["value"], message=problem, block_id=health["block_id"]
    )

    message, tickets = _shown(slack)
    assert "Search: printer" in blocks_text(message)
    assert {t["company"]["name"] for t in tickets} == {"Northwind Health"}
    assert all("printer" in (t["summary"] + t["company"]["name"]).lower() for t in tickets)


@pytest.mark.parametrize("given", ["sleigh", "Samantha", "SLEIGH", '"Samantha Leigh"', "Samanta"])
async def test_assigned_takes_a_member_by_identifier_name_or_typo(slack: Slack, given: str) -> None:
    await slack.command(f"search assigned:{given}")

    message, tickets = _shown(slack)
    assert "Samantha Leigh" in str(message["blocks"][1])  # the filter bar names who was chosen
    assert tickets and {t["id"] for t in tickets} <= _assigned_to(slack, "sleigh")


async def test_assigned_at_name_is_the_mapped_slack_user_first(slack: Slack) -> None:
    # "Jane" is the demo user's Slack display name; she is mapped to jdoe (no PSA member is called Jane).
    await slack.command("search assigned:@Jane", user=ADMIN)

    message, tickets = _shown(slack, ADMIN)
    assert tickets and "Jordan Doe" in str(message["blocks"][1])


async def test_assigned_at_sam_is_sam_lee_not_every_member(slack: Slack) -> None:
    await slack.command("search assigned:@Sam")

    message, _ = _shown(slack)
    assert "Sam Lee" in str(message["blocks"][1])


async def test_an_ambiguous_member_lists_only_the_matching_members_best_first(slack: Slack) -> None:
    await slack.command("search assigned:sam")  # also the first letters of Samantha
    # "sam" is Sam Lee's first name: that is who is meant.
    assert "Sam Lee" in str(slack.last_ephemeral(DEMO)["blocks"][1])

    await slack.command("search assigned:jsm")  # jsmith and jsmyth
    shown = blocks_text(slack.last_ephemeral(DEMO))
    assert "matches more than one member" in shown
    assert "assigned:jsmith" in shown and "assigned:jsmyth" in shown
    assert shown.count("assigned:") == 2


async def test_an_unknown_member_lists_near_names_not_everyone(slack: Slack) -> None:
    await slack.command("search assigned:zzyzx")

    shown = blocks_text(slack.last_ephemeral(DEMO))
    assert "No member called “zzyzx”" in shown


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("“smart quotes”", "“smart quotes”"),
        # A backslash is never sent (psa/connectwise/conditions.py, rule 3): the text around it is.
        ("C:\\temp", 'summary contains "temp"'),
        ("printer  offline", "printer  offline"),
        ("error:0x80070005", "error:0x80070005"),
        ("it's ‘mixed’", "it's ‘mixed’"),
    ],
)
async def test_search_text_reaches_connectwise_as_typed(slack: Slack, typed: str, sent: str) -> None:
    slack.sandbox.clear_requests()

    await slack.command(f"search {typed}")

    message = slack.last_ephemeral(DEMO)
    assert "Unknown" not in blocks_text(message)
    assert any(sent in conditions for conditions in _search_conditions(slack)), _search_conditions(slack)


async def test_a_backslash_search_says_it_was_searched_in_parts(slack: Slack) -> None:
    await slack.command("search C:\\temp")

    shown = blocks_text(slack.last_ephemeral(DEMO))
    assert "Searched in parts: “C:”, “temp” (each must appear)" in shown, shown

    await slack.command("search printer  offline")
    assert "Searched" not in blocks_text(slack.last_ephemeral(DEMO))


async def test_a_drive_letter_search_finds_the_tickets_about_it(slack: Slack) -> None:
    await slack.command("search C: drive closed")

    _, tickets = _shown(slack)
    assert tickets and all("c: drive" in t["summary"].lower() for t in tickets)


async def test_the_filter_bar_assigned_select_offers_any_member(slack: Slack) -> None:
    await slack.command("search printer")
    message = slack.last_ephemeral(DEMO)

    offered = await slack.options(ListAction.ASSIGNED, "", message=message, channel=CHANNEL)
    labels = [o["text"]["text"] for o in offered]
    assert labels[:3] == ["Assigned to me", "Unassigned", "Anyone"]
    assert labels[3].startswith("★ Jordan Doe")  # Slack-mapped members first
    assert any(label == "Samantha Leigh" for label in labels)

    typed = await slack.options(ListAction.ASSIGNED, "sama", message=message, channel=CHANNEL)
    assert [o["text"]["text"] for o in typed] == ["Samantha Leigh"]

    await slack.click(ListAction.ASSIGNED, typed[0], message=message)
    message, tickets = _shown(slack)
    assert "Samantha Leigh" in str(message["blocks"][1])
    assert tickets and {t["id"] for t in tickets} <= _assigned_to(slack, "sleigh")
