"""Exactly once: double clicks, resubmits after timeouts and two app processes make ONE ticket."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

from create_driver import apply, fire, post_count, sandbox_ticket, shown, submit, success_posts, values_for
from cryptography.fernet import Fernet
from psa_timeouts import PsaTimeouts
from scenario_harness import CHANNEL, Sent, Slack, _parsed, blocks_text, serve_app
from scenario_harness import test_factories as provider_factories
from waiting import wait_until

from bot.deps import build_deps
from bot.ids import CreateAction
from bot.local import payloads as p
from storage import LedgerState, Storage

HELP_DESK = 1
SUMMARY = "Scanner offline at front desk"


async def ready_form(slack: Slack, summary: str = SUMMARY) -> dict[str, Any]:
    """A Full Form the user has filled in completely (typed into the modal, not yet submitted)."""
    await slack.command("new")
    await slack.click(CreateAction.BOARD, str(HELP_DESK), view=slack.modal())
    form = slack.modal()
    values = values_for(
        form, summary=summary, company=("Acme Corp", "42"), priority="3", description="Since 9am."
    )
    slack.type_into(form, values)
    return slack.fake.view(form["id"]) or form


def tickets_named(slack: Slack, summary: str) -> list[dict[str, Any]]:
    store = slack.sandbox.state.store
    with store.lock:
        return [dict(t) for t in store.tables["tickets"].values() if t["summary"] == summary]


async def fire_and_apply(slack: Slack, form: dict[str, Any], *, as_is: bool = False) -> Sent:
    sent = await fire(slack, form, as_is=as_is)
    apply(slack, form["id"], sent)
    return sent


async def test_five_concurrent_identical_submissions_create_one_ticket(slack: Slack) -> None:
    form = await ready_form(slack)
    slack.sandbox.set_latency(40)  # creation takes a moment, like a real PSA
    acks = await asyncio.gather(*(fire_and_apply(slack, form, as_is=True) for _ in range(5)))
    await slack.settle()

    assert post_count(slack) == 1
    assert len(tickets_named(slack, SUMMARY)) == 1
    assert len(success_posts(slack)) == 1
    texts = [blocks_text(a.body["view"]) for a in acks]
    assert sum("Creating ticket" in t for t in texts) == 1
    assert all("Already creating" in t or "created in ConnectWise" in t for t in texts if "Creating" not in t)
    assert "created in ConnectWise" in blocks_text(slack.modal())  # every copy ends on the result


async def test_resubmitting_while_a_slow_create_runs_makes_no_second_ticket(slack: Slack) -> None:
    form = await ready_form(slack)
    with slack.sandbox.holding():  # a slow create: ConnectWise has not answered it yet
        # Slack gave up on the first delivery (its ack never reached the user), so the form is still there.
        first = asyncio.ensure_future(fire(slack, form))

        async def key_claimed() -> bool:
            return LedgerState.IN_PROGRESS in await _ledger_states(slack)

        await wait_until(key_claimed, what="the first delivery to claim the create")
        again = await fire_and_apply(slack, form, as_is=True)
        assert "Already creating this ticket" in blocks_text(again.body["view"])
        await first
    await slack.settle()
    assert "created in ConnectWise" in blocks_text(slack.modal())

    late = await fire_and_apply(slack, form, as_is=True)  # the same form once more, after it finished
    await slack.settle()
    assert "created in ConnectWise" in blocks_text(late.body["view"])
    assert post_count(slack) == 1 and len(tickets_named(slack, SUMMARY)) == 1
    assert len(success_posts(slack)) == 1


async def _ledger_states(slack: Slack) -> list[LedgerState]:
    from sqlalchemy import text

    async with slack.deps.storage.read_session() as session:
        rows = (await session.execute(text("SELECT state FROM idempotency_ledger"))).all()
    return [LedgerState(r[0]) for r in rows]


async def test_a_psa_failure_returns_the_form_with_everything_typed(slack: Slack) -> None:
    form = await ready_form(slack)
    slack.sandbox.inject_fault(
        method="POST",
        path_pattern=r"service/tickets$",
        status=400,
        body={
            "code": "InvalidObject",
            "message": "Summary is not allowed",
            "errors": [{"field": "summary", "message": "not allowed"}],
        },
    )
    await submit(slack, form)
    back = slack.modal()
    assert "Couldn't create the ticket" in blocks_text(back)
    assert shown(back, "summary") == SUMMARY and shown(back, "company") == "42"
    assert shown(back, "board") == str(HELP_DESK) and shown(back, "priority") == "3"
    assert shown(back, "description") == "Since 9am."
    assert not success_posts(slack)

    await submit(slack, back)  # fixed on the PSA side: the same modal may be retried
    assert "created in ConnectWise" in blocks_text(slack.modal())
    assert len(tickets_named(slack, SUMMARY)) == 1 and len(success_posts(slack)) == 1


async def test_a_create_the_psa_never_confirmed_is_found_instead_of_duplicated(
    make_slack: Callable[..., AbstractAsyncContextManager[Slack]], app_tls: ssl.SSLContext
) -> None:
    # The app's HTTP client gives up on ConnectWise after 0.4 s (within `short()`); the PSA goes on creating.
    timeouts = PsaTimeouts(app_tls, short_s=0.4)
    async with make_slack(configure=timeouts.install) as slack:
        form = await ready_form(slack)
        # ConnectWise answers only after the app has stopped waiting.
        with timeouts.short(), slack.sandbox.holding():
            await submit(slack, form)
        back = slack.modal()
        assert "didn't confirm" in blocks_text(back) and "no duplicate" in blocks_text(back)
        assert shown(back, "summary") == SUMMARY
        # Released, the sandbox finishes the create the app no longer waits for.
        (made,) = await wait_until(lambda: tickets_named(slack, SUMMARY), what="the held create to finish")

        await submit(slack, back)
        done = slack.modal()
        assert f"Ticket #{made['id']} created in ConnectWise" in blocks_text(done)
        assert post_count(slack) == 1 and len(tickets_named(slack, SUMMARY)) == 1
        assert len(success_posts(slack)) == 1
        assert sandbox_ticket(slack, made["id"])["board"]["id"] == HELP_DESK


async def test_one_submission_delivered_to_two_app_processes_creates_one_ticket(
    slack: Slack, app_tls: ssl.SSLContext, app_key: bytes
) -> None:
    form = await ready_form(slack)
    slack.sandbox.set_latency(30)
    settings = slack.deps.settings
    storage = Storage(settings.database_url, Fernet(app_key))
    other = build_deps(settings, storage=storage, factories=provider_factories(app_tls))
    try:
        async with serve_app(settings, other, slack.fake) as second:

            async def via_second() -> Sent:
                current = slack.fake.view(form["id"]) or form
                body = p.view_submission(
                    current, user="U0DEMO", trigger_id=slack.fake.new_trigger_id("U0DEMO")
                )
                sent = _parsed(await second.send(*body))
                apply(slack, form["id"], sent)
                return sent

            await asyncio.gather(
                fire_and_apply(slack, form),
                via_second(),
                fire_and_apply(slack, form),
                via_second(),
                via_second(),
            )
            await asyncio.gather(slack.settle(), other.work.drain(20))
    finally:
        await other.aclose()
    assert post_count(slack) == 1 and len(tickets_named(slack, SUMMARY)) == 1
    assert len(success_posts(slack)) == 1
    assert [m for m in slack.fake.messages(CHANNEL) if "created in ConnectWise" in m.get("text", "")]


async def test_a_create_left_by_a_crashed_process_is_found_when_the_form_is_resubmitted(slack: Slack) -> None:
    from sqlalchemy import text

    from bot.actor import Actor
    from bot.flows.context import FlowContext
    from bot.flows.create.attempt import SENT, marker_for
    from bot.flows.stored import load_draft
    from storage import WriteKind

    form = await ready_form(slack)
    actor = Actor(team_id=slack.team, user_id="U0DEMO")
    draft = await load_draft(FlowContext.for_actor(slack.deps, slack.deps.slack.base, actor), form)
    ledger = slack.deps.storage.ledger(slack.team)
    # Another process claimed it, sent the create (with its marker), then died before recording it.
    claim = await ledger.claim(draft.idempotency_key, kind=WriteKind.CREATE, actor_user_id="U0DEMO")
    assert claim.won and await ledger.renew(draft.idempotency_key, attempt=1, payload={SENT: True})
    service = await slack.deps.workspaces.service(slack.team)
    assert service is not None
    statuses = await service.statuses(HELP_DESK)
    payload = draft.model_copy(
        update={"summary": SUMMARY, "company_id": 42, "priority_id": 3, "status_id": statuses[0].id}
    ).to_payload()
    made = await service.create_ticket(
        payload.model_copy(update={"marker": marker_for(slack.team, draft.idempotency_key)})
    )
    async with slack.deps.storage.session() as session:  # ... eleven minutes ago: the claim is stale now
        await session.execute(
            text("UPDATE idempotency_ledger SET updated_at = :t, created_at = :t"),
            {"t": datetime.now(UTC) - timedelta(minutes=11)},
        )

    await submit(slack, form)
    assert f"Ticket #{made.id} created in ConnectWise" in blocks_text(slack.modal())
    assert post_count(slack) == 1 and len(tickets_named(slack, SUMMARY)) == 1
    assert len(success_posts(slack)) == 1
