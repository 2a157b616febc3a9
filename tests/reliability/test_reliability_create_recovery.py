"""Creates end in one ticket and one outcome the user sees: as the engineer, found again by their marker,
recovered after a crash, and told as uncertain (never as a failure) when ConnectWise did not answer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from create_driver import apply, fire, post_count, shown, success_posts, values_for
from psa_timeouts import PsaTimeouts
from scenario_harness import CHANNEL, DEMO, NEWBIE, Slack, blocks_text
from sqlalchemy import text
from waiting import wait_until

from bot.actor import Actor
from bot.flows.context import FlowContext
from bot.flows.create.attempt import CONFIRMED, RETRIED, SENT, marker_for
from bot.flows.create.recover import recover_creates
from bot.flows.stored import keep_draft, load_draft
from bot.ids import CreateAction
from bot.local import payloads as p
from bot.state import TicketDraft
from storage import AuditAction, LedgerState, WriteKind
from storage.repositories import audit as audit_repo

HELP_DESK, ACME = 1, 42
SUMMARY = "Outlook not syncing on the front desk PC"


async def ready_form(slack: Slack, user: str = DEMO, summary: str = SUMMARY) -> dict[str, Any]:
    """A Full Form filled in completely (typed into the modal, not yet submitted)."""
    await slack.command("new", user=user)
    await slack.click(CreateAction.BOARD, str(HELP_DESK), user=user, view=slack.modal(user))
    form = slack.modal(user)
    values = values_for(
        form, summary=summary, company=("Acme Corp", str(ACME)), priority="3", description="x"
    )
    return slack.type_into(form, values, user=user)


def tickets_named(slack: Slack, summary: str = SUMMARY) -> list[dict[str, Any]]:
    store = slack.sandbox.state.store
    with store.lock:
        return [dict(t) for t in store.tables["tickets"].values() if t["summary"] == summary]


async def entry_state(slack: Slack, key: str) -> LedgerState | None:
    entry = await slack.deps.storage.ledger(slack.team).entry(key)
    return None if entry is None else entry.state


async def draft_of(slack: Slack, form: dict[str, Any]) -> TicketDraft:
    ctx = FlowContext.for_actor(slack.deps, slack.deps.slack.base, Actor(team_id=slack.team, user_id=DEMO))
    return await load_draft(ctx, form)


async def age_ledger(slack: Slack, minutes: int) -> None:
    """As if every ledger entry was last touched `minutes` ago (its process died then)."""
    async with slack.deps.storage.session() as session:
        await session.execute(
            text("UPDATE idempotency_ledger SET updated_at = :t"),
            {"t": datetime.now(UTC) - timedelta(minutes=minutes)},
        )


async def test_a_ticket_is_created_as_the_engineer_and_carries_its_marker(slack: Slack) -> None:
    form = await ready_form(slack)
    key = (await draft_of(slack, form)).idempotency_key
    await slack.submit(form)

    (ticket,) = tickets_named(slack)
    assert ticket["externalXRef"] == marker_for(slack.team, key)
    assert f"Ticket #{ticket['id']} created in ConnectWise" in blocks_text(slack.modal())
    (row,) = await slack.store.read(partial(audit_repo.list_events, ticket_id=ticket["id"]))
    assert row.action == AuditAction.CREATE and row.slack_user_id == DEMO
    assert row.psa_member_id is not None and row.attribution == "named"
    store = slack.sandbox.state.store
    with store.lock:  # the description is the engineer's own note (the workspace key names the member)
        notes = [dict(n) for n in store.tables["notes"].values() if n.get("ticketId") == ticket["id"]]
    assert [n["member"]["id"] for n in notes] == [row.psa_member_id]


async def test_an_unmapped_user_is_refused_before_anything_is_claimed(slack: Slack) -> None:
    await slack.command("new", user=NEWBIE)  # refused before anything is typed: the mapping prompt
    assert "not mapped to a ConnectWise member" in blocks_text(slack.modal(NEWBIE))
    form = await ready_form(slack, user=DEMO)
    await slack.store.unmap_member(DEMO, unmapped_by=DEMO)  # while typing

    sent = await slack.submit(form, user=DEMO)

    assert sent.body["response_action"] == "push"  # the prompt over the form: the typing is kept
    assert "not mapped to a ConnectWise member" in blocks_text(sent.body["view"])
    assert tickets_named(slack) == [] and post_count(slack) == 0
    key = (await draft_of(slack, form)).idempotency_key
    assert await entry_state(slack, key) is None


async def test_a_replayed_or_resent_submission_creates_one_ticket(slack: Slack) -> None:
    form = await ready_form(slack)
    body, content_type = p.view_submission(form, user=DEMO, trigger_id=slack.fake.new_trigger_id(DEMO))
    at = int(time.time())
    first = await slack.sender.send(body, content_type, timestamp=at)
    replay = await slack.sender.send(body, content_type, timestamp=at)  # the very same signed request
    resent = await slack.sender.send(body, content_type, retry_num=1)  # a Slack retry, signed anew
    await slack.settle()
    assert first.status_code == replay.status_code == resent.status_code == 200
    assert len(tickets_named(slack)) == 1 and post_count(slack) == 1
    assert len(success_posts(slack)) == 1


async def test_the_second_copy_of_an_unconfirmed_create_never_says_it_failed(
    make_slack: Callable[..., AbstractAsyncContextManager[Slack]], psa_timeouts: PsaTimeouts
) -> None:
    async with make_slack(psa_timeouts=psa_timeouts) as slack:
        form = await ready_form(slack)
        key = (await draft_of(slack, form)).idempotency_key
        # ConnectWise performs the create but answers after the app gave up.
        with psa_timeouts.short(), slack.sandbox.holding():
            first = asyncio.ensure_future(fire(slack, form))
            await wait_until(lambda: entry_state(slack, key), what="the first copy to claim the create")
            second = await fire(slack, form, as_is=True)  # the same submission delivered again
            assert "Already creating" in blocks_text(second.body["view"])
            apply(slack, form["id"], await first)
            await wait_until(
                lambda: _is(entry_state(slack, key), LedgerState.UNCERTAIN), what="the create to time out"
            )
            await slack.settle()  # the second copy has shown the first one's outcome too
        shown = blocks_text(slack.modal())
        assert "may have been created" in shown and "checking ConnectWise" in shown
        assert "Couldn't create" not in shown and "Timeout" not in shown and "Error" not in shown
        (made,) = await wait_until(lambda: tickets_named(slack), what="the held create to land")

        assert await recover_creates(slack.deps, settle=timedelta(0)) == 1
        await slack.settle()
        assert f"Ticket #{made['id']} created in ConnectWise" in blocks_text(slack.modal())
        assert len(tickets_named(slack)) == 1 and post_count(slack) == 1
        assert len(success_posts(slack)) == 1
        assert await entry_state(slack, key) == LedgerState.DONE


async def _is(state: Any, wanted: LedgerState) -> bool:
    return bool(await state == wanted)


async def _stranded(
    slack: Slack, form: dict[str, Any], *, sent: bool, retried: bool = False, **more: Any
) -> str:
    """A create claimed by a process that died (as `decide_submission` claims it); its key."""
    ctx = FlowContext.for_actor(slack.deps, slack.deps.slack.base, Actor(team_id=slack.team, user_id=DEMO))
    typed = await load_draft(ctx, form)  # what the submission carries: the preselected status too
    typed = typed.model_copy(update={"status_id": typed.status_id or int(shown(form, "status"))})
    draft = await keep_draft(ctx, typed)
    payload = {
        "snapshot": draft.snapshot,
        "view_id": form["id"],
        "marker": marker_for(slack.team, draft.idempotency_key),
        "summary": SUMMARY,
        SENT: sent,
        RETRIED: retried,
        **more,
    }
    key = draft.idempotency_key
    ledger = slack.deps.storage.ledger(slack.team)
    claim = await ledger.claim(key, kind=WriteKind.CREATE, actor_user_id=DEMO, payload=payload)
    assert claim.won
    return key


async def test_a_create_a_dead_process_sent_is_found_and_confirmed_where_the_user_waits(slack: Slack) -> None:
    form = await ready_form(slack)
    key = await _stranded(slack, form, sent=True)
    draft = await draft_of(slack, form)
    service = await slack.deps.workspaces.service(slack.team)
    assert service is not None
    payload = draft.model_copy(update={"status_id": int(shown(form, "status"))}).to_payload()
    made = await service.create_ticket(payload.model_copy(update={"marker": marker_for(slack.team, key)}))
    assert await recover_creates(slack.deps) == 0  # its lease has not lapsed: maybe still running
    await age_ledger(slack, 5)

    assert await recover_creates(slack.deps) == 1
    await slack.settle()
    assert f"Ticket #{made.id} created in ConnectWise" in blocks_text(slack.modal())  # the open modal
    assert post_count(slack) == 1 and len(success_posts(slack)) == 1
    assert await entry_state(slack, key) == LedgerState.DONE
    assert await recover_creates(slack.deps) == 0


async def test_a_create_that_never_reached_connectwise_is_made_once_by_recovery(slack: Slack) -> None:
    form = await ready_form(slack)
    key = await _stranded(slack, form, sent=True)
    slack.fake.close_view(form["id"])  # the user closed the modal: the confirmation goes to their DM
    await age_ledger(slack, 5)

    assert await recover_creates(slack.deps) == 1
    await slack.settle()
    (made,) = tickets_named(slack)
    assert made["externalXRef"] == marker_for(slack.team, key)
    (posted,) = success_posts(slack)
    assert posted["channel"] in (DEMO, CHANNEL) and f"#{made['id']}" in posted["text"]
    assert not slack.fake.is_view_open(form["id"])
    assert await entry_state(slack, key) == LedgerState.DONE


async def test_after_its_one_retry_recovery_says_plainly_that_no_ticket_was_made(slack: Slack) -> None:
    form = await ready_form(slack)
    key = await _stranded(slack, form, sent=True, retried=True)
    await age_ledger(slack, 5)

    assert await recover_creates(slack.deps) == 1
    await slack.settle()
    assert tickets_named(slack) == [] and post_count(slack) == 0
    shown = blocks_text(slack.modal())
    assert "wasn't created" in shown and "Press Create ticket" in shown
    assert await entry_state(slack, key) == LedgerState.FAILED


async def test_a_likely_duplicate_is_shown_before_it_is_made_with_open_and_create_anyway(
    slack: Slack,
) -> None:
    first = await ready_form(slack, summary="Shared mailbox not syncing in Outlook")
    await slack.submit(first)
    (made,) = tickets_named(slack, "Shared mailbox not syncing in Outlook")

    again = await ready_form(slack, summary="Shared mailbox not syncing in Outlook for Sam")
    await slack.submit(again)
    warned = slack.modal()
    shown = blocks_text(warned)
    assert (
        f"#{made['id']} 'Shared mailbox not syncing in Outlook' was created just now by you for Acme Corp"
        in shown
    )
    assert warned["submit"]["text"] == "Create anyway"
    assert (
        tickets_named(slack, "Shared mailbox not syncing in Outlook for Sam") == [] and post_count(slack) == 1
    )
    opens = [
        b["accessory"] for b in warned["blocks"] if (b.get("accessory") or {}).get("value") == str(made["id"])
    ]
    assert [o["text"]["text"] for o in opens] == ["Open"]
    await slack.click(CreateAction.OPEN_DUPLICATE, str(made["id"]), view=warned)
    assert f"#{made['id']}" in blocks_text(slack.modal())  # its detail, on top of the form

    await slack.submit(warned)  # Create anyway
    assert "created in ConnectWise" in blocks_text(slack.modal())
    assert (
        len(tickets_named(slack, "Shared mailbox not syncing in Outlook for Sam")) == 1
        and post_count(slack) == 2
    )


async def test_a_quick_create_warns_of_a_ticket_just_created_by_the_same_engineer(slack: Slack) -> None:
    await slack.submit(await ready_form(slack, summary="Label printer offline in the warehouse"))
    (made,) = tickets_named(slack, "Label printer offline in the warehouse")

    await slack.command("new label printer offline in the warehouse")
    await slack.click(CreateAction.PARSE, view=slack.modal())
    await slack.click(CreateAction.BOARD, str(HELP_DESK), view=slack.modal())  # its statuses load
    review = slack.modal()
    missing = {"company": ("Acme Corp", str(ACME)), "priority": "3"}
    review = slack.type_into(review, values_for(review, **missing))
    await slack.submit(review)  # found through the ledger's done creates: the app made it for this engineer
    warned = slack.modal()
    line = f"#{made['id']} 'Label printer offline in the warehouse' was created just now by you"
    assert line in blocks_text(warned) and warned["submit"]["text"] == "Create anyway"
    assert post_count(slack) == 1


async def _made_by_marker(slack: Slack, form: dict[str, Any], key: str) -> int:
    """The ticket a dead process's create made (ConnectWise has it, with the create's marker); its id."""
    service = await slack.deps.workspaces.service(slack.team)
    assert service is not None
    draft = await draft_of(slack, form)
    payload = draft.model_copy(update={"status_id": int(shown(form, "status"))}).to_payload()
    made = await service.create_ticket(payload.model_copy(update={"marker": marker_for(slack.team, key)}))
    return made.id


async def _expire_drafts(slack: Slack) -> None:
    """As if the drafts kept for the form had expired (they are kept 3 days)."""
    async with slack.deps.storage.session() as session:
        await session.execute(text("DELETE FROM view_states"))


def _dms(slack: Slack) -> list[str]:
    return [
        str(c.args.get("text") or "")
        for c in slack.fake.calls
        if c.method == "chat.postMessage" and c.args.get("channel") == DEMO
    ]


def _marker_lookups(slack: Slack, key: str) -> list[int]:
    """Sequence numbers of the requests that looked for the create's ticket by its marker."""
    marker = marker_for(slack.team, key)
    return [
        r.received_seq
        for r in slack.sandbox.requests
        if r.method == "GET" and marker in str(r.query.get("conditions") or "")
    ]


async def test_an_expired_create_is_looked_up_by_its_marker_and_confirmed_as_created(slack: Slack) -> None:
    form = await ready_form(slack)
    key = await _stranded(slack, form, sent=True)
    made = await _made_by_marker(slack, form, key)
    slack.fake.close_view(form["id"])
    await _expire_drafts(slack)
    await age_ledger(slack, 5)

    assert await recover_creates(slack.deps) == 1
    await slack.settle()
    (told,) = _dms(slack)
    assert f"Ticket #{made} created in ConnectWise" in told and "nothing was created" not in told
    assert _marker_lookups(slack, key) and post_count(slack) == 1  # only the dead process's POST
    assert await entry_state(slack, key) == LedgerState.DONE
    (row,) = await slack.store.read(partial(audit_repo.list_events, ticket_id=made))
    assert row.action == AuditAction.CREATE and row.slack_user_id == DEMO


async def test_an_expired_create_is_said_not_created_only_after_connectwise_has_no_ticket_with_its_marker(
    slack: Slack,
) -> None:
    form = await ready_form(slack)
    key = await _stranded(slack, form, sent=True)
    await _expire_drafts(slack)
    await age_ledger(slack, 5)

    assert await recover_creates(slack.deps) == 1
    await slack.settle()
    (told,) = _dms(slack)
    assert "nothing was created" in told and SUMMARY in told
    assert _marker_lookups(slack, key) and post_count(slack) == 0
    assert await entry_state(slack, key) == LedgerState.FAILED


async def test_an_expired_create_connectwise_cannot_be_asked_about_is_told_as_uncertain_once(
    slack: Slack,
) -> None:
    form = await ready_form(slack)
    key = await _stranded(slack, form, sent=True)
    await _expire_drafts(slack)
    await age_ledger(slack, 5)
    slack.sandbox.inject_fault(method="GET", path_pattern="/service/tickets$", status=503, count=None)

    assert await recover_creates(slack.deps, settle=timedelta(0)) == 1
    await slack.settle()
    (told,) = _dms(slack)
    marker = marker_for(slack.team, key)
    assert "may have been created" in told and marker in told
    # Not the status code (the marker is random hex, which now and then contains "503").
    assert "nothing was created" not in told and "503" not in told.replace(marker, "")
    assert await entry_state(slack, key) == LedgerState.UNCERTAIN
    assert await recover_creates(slack.deps, settle=timedelta(0)) == 1  # it keeps looking, quietly
    await slack.settle()
    assert len(_dms(slack)) == 1 and await entry_state(slack, key) == LedgerState.UNCERTAIN

    slack.sandbox.clear_faults()  # ConnectWise answers again: the marker finds no ticket
    assert await recover_creates(slack.deps, settle=timedelta(0)) == 1
    await slack.settle()
    assert "nothing was created" in _dms(slack)[-1] and len(_dms(slack)) == 2
    assert await entry_state(slack, key) == LedgerState.FAILED and post_count(slack) == 0


async def test_a_create_records_its_posted_confirmation_before_it_is_completed(slack: Slack) -> None:
    form = await ready_form(slack)
    key = (await draft_of(slack, form)).idempotency_key
    await slack.submit(form)
    (ticket,) = tickets_named(slack)
    entry = await slack.deps.storage.ledger(slack.team).entry(key)
    assert entry is not None and entry.state == LedgerState.DONE
    assert (entry.payload or {})[CONFIRMED] == ticket["id"] and len(success_posts(slack)) == 1


async def test_recovery_never_posts_a_confirmation_the_dead_process_posted(slack: Slack) -> None:
    form = await ready_form(slack)
    key = (await draft_of(slack, form)).idempotency_key
    made = await _made_by_marker(slack, form, key)
    # The process posted "Ticket #N created" (and recorded it) and died before marking the create done.
    await _stranded(slack, form, sent=True, **{CONFIRMED: made})
    slack.fake.close_view(form["id"])
    await age_ledger(slack, 5)

    assert await recover_creates(slack.deps) == 1
    await slack.settle()
    assert await entry_state(slack, key) == LedgerState.DONE
    assert success_posts(slack) == [] and _dms(slack) == [] and post_count(slack) == 1
    assert await recover_creates(slack.deps) == 0
