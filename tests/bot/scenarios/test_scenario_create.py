"""The New Ticket modal through the real app: Quick Create, Full Form, boards, tabs, validation, escaping."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from functools import partial

from create_driver import (
    created_id,
    field_block,
    label,
    options,
    post_count,
    sandbox_ticket,
    shown,
    submit,
    success_posts,
    values_for,
)
from scenario_harness import ADMIN, CHANNEL, DEMO, Slack, blocks_text, find_block, mrkdwn_texts

from bot.ids import CreateAction, CreateBlock, MessageAction
from storage import AuditAction
from storage.repositories import audit as audit_repo
from storage.repositories import thread_links as thread_link_repo

PROMPT = "New ticket for Acme Corp, Outlook not syncing since yesterday, high priority, assign to me"
ACME_CORP = 42
HELP_DESK = 1
NETWORK_OPS = 3
HIGH = 2


def board_statuses(slack: Slack, board_id: int) -> dict[int, str]:
    """Status id → name of a board, straight from the sandbox."""
    store = slack.sandbox.state.store
    with store.lock:
        rows = [dict(s) for s in store.tables["board_statuses"].values()]
    return {s["id"]: s["name"] for s in rows if s["board"]["id"] == board_id and not s.get("inactive")}


def default_status(slack: Slack, board_id: int) -> int:
    store = slack.sandbox.state.store
    with store.lock:
        rows = [dict(s) for s in store.tables["board_statuses"].values()]
    return next(s["id"] for s in rows if s["board"]["id"] == board_id and s.get("defaultFlag"))


async def test_quick_create_from_a_prompt_creates_the_reviewed_ticket(slack: Slack) -> None:
    await slack.command(f"new {PROMPT}")
    modal = slack.modal()
    assert shown(modal, "prompt") == PROMPT
    assert field_block(modal, "summary") is None  # nothing to review before parsing
    tabs = find_block(modal, CreateBlock.TABS)
    assert tabs is not None and tabs["elements"][0].get("style") == "primary"  # Quick Create is the tab

    await slack.click(CreateAction.PARSE, view=modal)
    review = slack.modal()
    assert shown(review, "prompt") == PROMPT  # still there for a second try
    assert shown(review, "company") == str(ACME_CORP)
    assert shown(review, "priority") == str(HIGH)
    assert shown(review, "assignee") == "17"
    assert "outlook" in shown(review, "summary").lower()
    assert shown(review, "board") is None and label(review, "board").endswith("required")
    assert "Still needed" in blocks_text(review) and "Board" in blocks_text(review)
    assert post_count(slack) == 0  # parsing never creates

    await slack.click(CreateAction.BOARD, str(HELP_DESK), view=review)
    review = slack.modal()
    assert shown(review, "status") == str(default_status(slack, HELP_DESK))
    assert shown(review, "summary") == shown(review, "summary")  # the parsed text is still in place

    await submit(slack, review, values=values_for(review, board=str(HELP_DESK)))
    done = slack.modal()
    assert "created in ConnectWise" in blocks_text(done)
    ticket = sandbox_ticket(slack, created_id(done))
    assert ticket["company"]["id"] == ACME_CORP and ticket["board"]["id"] == HELP_DESK
    assert ticket["priority"]["id"] == HIGH and ticket["owner"]["identifier"] == "jdoe"
    assert ticket["status"]["id"] == default_status(slack, HELP_DESK)
    assert "outlook" in ticket["summary"].lower()
    assert post_count(slack) == 1

    (posted,) = success_posts(slack)
    assert posted["channel"] == CHANNEL and f"Ticket #{ticket['id']} created in ConnectWise" in posted["text"]
    message = slack.fake.messages(CHANNEL)[-1]
    assert MessageAction.OPEN_TICKET in str(message["blocks"]) and "http" in str(message["blocks"])
    link = await slack.store.read(
        partial(thread_link_repo.get_thread_link, channel_id=CHANNEL, thread_ts=message["ts"])
    )
    assert link is not None and link.ticket_id == ticket["id"]
    (event,) = await slack.store.read(partial(audit_repo.list_events, ticket_id=ticket["id"]))
    assert event.action == AuditAction.CREATE and event.slack_user_id == DEMO
    home = slack.fake.home_view(DEMO)  # the creator's App Home was refreshed
    assert home is not None and [c for c in slack.fake.calls_to("views.publish") if c.args["user_id"] == DEMO]


async def test_parse_marks_missing_fields_and_names_ambiguous_candidates(slack: Slack) -> None:
    await slack.command("new Northwind printer offline on 2nd floor, whenever you get a chance")
    await slack.click(CreateAction.PARSE, view=slack.modal())
    review = slack.modal()
    text = blocks_text(review)
    assert "Northwind Traders" in text and "Northwind Health" in text  # the warning names both
    assert shown(review, "company") is None and label(review, "company").endswith("required")
    assert label(review, "summary") == "Summary"  # found, so not marked
    assert "printer" in shown(review, "summary").lower()


async def test_full_form_creates_a_ticket_with_every_field(slack: Slack) -> None:
    await slack.command("new")
    form = slack.modal()
    assert field_block(form, "prompt") is None and field_block(form, "summary") is not None
    assert shown(form, "assignee") is None  # Slack selects can't be cleared: no silent default
    assert options(form, "assignee")[0] == ("★ Jordan Doe (you)", "17")
    companies = await slack.options(CreateAction.COMPANY, "acme corp", view=form)
    assert ("Acme Corp", str(ACME_CORP)) in [(o["text"]["text"], o["value"]) for o in companies]

    await slack.click(CreateAction.BOARD, str(NETWORK_OPS), view=form)
    form = slack.modal()
    status = next(s for s, name in board_statuses(slack, NETWORK_OPS).items() if name != "New")
    values = values_for(
        form,
        summary="Core switch reboots nightly",
        company=("Acme Corp", str(ACME_CORP)),
        status=str(status),
        priority=str(HIGH),
        assignee="3",
        description="Logs attached in the thread.\nStarted Monday.",
    )
    await submit(slack, form, values=values)
    ticket = sandbox_ticket(slack, created_id(slack.modal()))
    assert ticket["summary"] == "Core switch reboots nightly"
    assert (ticket["company"]["id"], ticket["board"]["id"], ticket["status"]["id"]) == (
        ACME_CORP,
        NETWORK_OPS,
        status,
    )
    assert ticket["priority"]["id"] == HIGH and ticket["owner"]["id"] == 3
    assert post_count(slack) == 1


async def test_changing_the_board_reloads_its_statuses_and_drops_the_old_one(slack: Slack) -> None:
    await slack.command("new")
    await slack.click(CreateAction.BOARD, str(HELP_DESK), view=slack.modal())
    form = slack.modal()
    help_desk = board_statuses(slack, HELP_DESK)
    assert {int(v) for _, v in options(form, "status")} <= set(help_desk)
    picked = next(s for s in help_desk if s != default_status(slack, HELP_DESK))
    slack.type_into(form, values_for(form, summary="VPN drops", status=str(picked)))

    await slack.click(CreateAction.BOARD, str(NETWORK_OPS), view=form)
    form = slack.modal()
    offered = {int(v) for _, v in options(form, "status")}
    assert offered and offered <= set(board_statuses(slack, NETWORK_OPS))
    assert picked not in offered
    assert shown(form, "status") == str(default_status(slack, NETWORK_OPS))
    assert shown(form, "summary") == "VPN drops"  # typing survives the re-render


async def test_switching_tabs_keeps_what_was_typed_on_both(slack: Slack) -> None:
    await slack.command("new printer jam in accounting")
    quick = slack.modal()
    slack.type_into(quick, values_for(quick, prompt="Printer jam in accounting, Acme Corp"))
    await slack.click(CreateAction.TAB_FULL, view=quick)
    full = slack.modal()
    assert field_block(full, "prompt") is None
    slack.type_into(full, values_for(full, summary="Accounting printer jams", description="Tray 2"))

    await slack.click(CreateAction.TAB_QUICK, view=full)
    quick = slack.modal()
    assert shown(quick, "prompt") == "Printer jam in accounting, Acme Corp"
    assert shown(quick, "summary") == "Accounting printer jams"  # the form stays visible to review
    await slack.click(CreateAction.TAB_FULL, view=quick)
    full = slack.modal()
    assert (shown(full, "summary"), shown(full, "description")) == ("Accounting printer jams", "Tray 2")


async def test_a_prompt_as_long_as_the_input_allows_comes_back_whole_after_switching_tabs(
    slack: Slack,
) -> None:
    prompt = ('"ok"\n' * 400)[:2000]  # a pasted log: quotes and newlines take twice the room in JSON
    await slack.command("new")
    await slack.click(CreateAction.TAB_QUICK, view=slack.modal())
    quick = slack.modal()
    slack.type_into(quick, values_for(quick, prompt=prompt))
    await slack.click(CreateAction.TAB_FULL, view=quick)
    full = slack.modal()
    slack.type_into(full, values_for(full, description="d" * 3000))

    await slack.click(CreateAction.TAB_QUICK, view=full)

    assert shown(slack.modal(), "prompt") == prompt
    assert shown(slack.modal(), "description") == "d" * 3000


async def test_validation_errors_sit_next_to_the_fields_and_keep_the_input(slack: Slack) -> None:
    await slack.command("new")
    form = slack.modal()
    slack.type_into(form, values_for(form, description="Only a description so far"))
    sent = await submit(slack, form)
    assert sent.body["response_action"] == "errors"
    errors = sent.body["errors"]
    assert field_block(form, "summary")["block_id"] in errors  # type: ignore[index]
    assert field_block(form, "company")["block_id"] in errors  # type: ignore[index]
    assert field_block(form, "board")["block_id"] in errors  # type: ignore[index]
    after = slack.modal()
    assert after["id"] == form["id"] and shown(after, "description") == "Only a description so far"
    assert post_count(slack) == 0 and not success_posts(slack)


async def test_create_ticket_on_an_unparsed_prompt_parses_instead_of_creating(slack: Slack) -> None:
    await slack.command(f"new {PROMPT}")
    sent = await submit(slack, slack.modal())
    assert sent.body["response_action"] == "update"
    review = slack.modal()
    assert shown(review, "company") == str(ACME_CORP)
    assert post_count(slack) == 0


async def test_an_empty_prompt_asks_for_a_description(slack: Slack) -> None:
    await slack.command("new")
    await slack.click(CreateAction.TAB_QUICK, view=slack.modal())
    quick = slack.modal()
    await slack.click(CreateAction.PARSE, view=quick)
    assert "Describe the issue first" in blocks_text(slack.modal())
    assert post_count(slack) == 0


async def test_user_text_is_escaped_in_the_confirmation(slack: Slack) -> None:
    await slack.command("new")
    await slack.click(CreateAction.BOARD, str(HELP_DESK), view=slack.modal())
    form = slack.modal()
    values = values_for(
        form,
        summary="<!channel> <@U0ADMIN> & <https://evil.example|click>",
        company=("Acme Corp", str(ACME_CORP)),
        priority=str(HIGH),
    )
    await submit(slack, form, values=values)
    posted = slack.fake.messages(CHANNEL)[-1]
    for text in mrkdwn_texts(posted) + mrkdwn_texts(slack.modal()):
        assert "<!channel>" not in text and "<@U0ADMIN>" not in text and "<https://evil" not in text
    assert "&lt;!channel&gt;" in str(posted["blocks"])


async def test_global_shortcut_opens_the_full_form_and_confirms_in_the_users_dm(slack: Slack) -> None:
    from bot.local import payloads as p

    trigger = slack.fake.new_trigger_id(DEMO)
    await slack.send(p.global_shortcut("new_ticket", user=DEMO, trigger_id=trigger))
    form = slack.modal(DEMO)
    assert field_block(form, "summary") is not None  # Full Form
    assert options(form, "assignee")[0][0].startswith("★ Jordan Doe")  # mapped first
    await slack.click(CreateAction.BOARD, str(HELP_DESK), user=DEMO, view=form)
    form = slack.modal(DEMO)
    values = values_for(
        form, summary="Laptop won't boot", company=("Acme Corp", str(ACME_CORP)), priority="3"
    )
    await submit(slack, form, user=DEMO, values=values)
    (posted,) = success_posts(slack)
    assert posted["channel"] == DEMO  # no channel to answer in: the app's DM with the user


async def test_not_connected_workspace_explains_instead_of_a_form(
    make_slack: Callable[..., AbstractAsyncContextManager[Slack]],
) -> None:
    async with make_slack(connected=False) as slack:
        await slack.command("new printer jam", user=ADMIN)
        modal = slack.modal(ADMIN)
        assert "not connected" in blocks_text(modal) and "/tickets connect" in blocks_text(modal)
        assert field_block(modal, "prompt") is None


async def test_a_summary_over_100_characters_is_refused_next_to_it(slack: Slack) -> None:
    await slack.command("new")
    await slack.click(CreateAction.BOARD, str(HELP_DESK), view=slack.modal())
    form = slack.modal()
    values = values_for(form, summary="x" * 120, company=("Acme Corp", str(ACME_CORP)), priority="3")
    sent = await submit(slack, form, values=values)
    assert sent.body["response_action"] == "errors"
    assert "100 characters" in sent.body["errors"][field_block(form, "summary")["block_id"]]  # type: ignore[index]
    assert post_count(slack) == 0


async def test_a_submission_the_ledger_cannot_record_creates_nothing_and_keeps_the_form(slack: Slack) -> None:
    from create_driver import fire

    await slack.command("new")
    await slack.click(CreateAction.BOARD, str(HELP_DESK), view=slack.modal())
    form = slack.modal()
    slack.type_into(form, values_for(form, summary="Toner low", company=("Acme Corp", "42"), priority="3"))
    form = slack.fake.view(form["id"]) or form
    draft = await slack.draft(form)
    forged = await slack.keep_draft(
        draft.model_copy(update={"idempotency_key": "k" * 300})
    )  # longer than the ledger stores
    sent = await fire(slack, {**form, "private_metadata": forged.encode()}, as_is=True)
    await slack.settle()
    assert sent.body["response_action"] == "errors"
    assert "nothing was created" in next(iter(sent.body["errors"].values()))
    assert post_count(slack) == 0 and slack.fake.is_view_open(form["id"])
