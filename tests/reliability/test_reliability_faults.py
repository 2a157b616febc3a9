"""ConnectWise failing hard (throttling, 500s, slowness past timeouts, dropped connections, every request):
every user action is still acknowledged without waiting for ConnectWise and ends in a clear outcome, no
exception reaches Bolt, nothing typed is lost, and no ticket is created without the user being told.

An ack is sent while the sandbox holds every ConnectWise answer (`sandbox.holding()`): if the app waited
for one before acking, the ack would not come. That is how "in time" is checked, never with a clock."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import pytest
from create_driver import post_count, shown, values_for
from psa_timeouts import PsaTimeouts
from reliability_kit import ack, apply_ack, explains_failure, unhandled
from scenario_harness import CHANNEL, DEMO, Sent, Slack, blocks_text, find_block, row_block, row_ids

from bot.ids import CreateAction, DetailAction, DetailBlock, ListAction, MappingAction, note_block_id
from bot.local import payloads as p
from bot.local.block_state import find_element

MakeSlack = Callable[..., AbstractAsyncContextManager[Slack]]
TICKET = 1649
SUMMARY = "Badge reader at the loading dock is dead"
NOTE = "Swapped the PSU, waiting on the vendor — do not lose this"

FAULTS: dict[str, dict[str, Any]] = {
    "throttled (429, Retry-After 1 s)": {"status": 429, "retry_after": 1},
    "server errors (500)": {"status": 500},
    "outage (503)": {"status": 503},
    "slower than the client's timeout": {"status": None, "delay_ms": 1500},
    "dropped connections": {"drop_connection": True},
}


@dataclass
class Journey:
    """What one user saw along the way: the steps acked while ConnectWise held every answer."""

    acked: list[str] = field(default_factory=list)

    async def ack(self, slack: Slack, step: str, body: tuple[str, str]) -> Sent:
        with slack.sandbox.holding():
            sent = await ack(slack, body)
        assert sent.status == 200, f"{step}: HTTP {sent.status}"
        self.acked.append(step)
        return sent


async def _prepare(slack: Slack) -> dict[str, Any]:
    """With ConnectWise healthy: a list on screen, a detail modal open, a filled-in create form."""
    await slack.command("search")  # every open ticket: several pages
    listed = slack.last_ephemeral(DEMO)
    await slack.command(str(TICKET))
    detail = slack.modal(DEMO)
    await slack.command("new")
    await slack.click(CreateAction.BOARD, "1", view=slack.modal(DEMO))
    form = slack.modal(DEMO)
    slack.type_into(
        form,
        values_for(form, summary=SUMMARY, company=("Acme Corp", "42"), priority="3", description="Dead."),
    )
    home_event = p.app_home_opened_event(DEMO, channel=slack.fake.dm_channel(DEMO))
    await slack.event(home_event)
    return {"list": listed, "detail": slack.fake.view(detail["id"]), "form": slack.fake.view(form["id"])}


async def _journey(slack: Slack, seen: dict[str, Any]) -> Journey:
    journey = Journey()
    fake = slack.fake

    async def step(name: str, body: tuple[str, str]) -> Any:
        sent = await journey.ack(slack, name, body)
        await slack.settle()
        return sent

    for text in ("mine", 'search board:"Help Desk"', str(TICKET)):
        before = len(slack.ephemerals(DEMO))
        await step(
            f"/tickets {text}",
            p.slash_command(
                "/tickets",
                text,
                user=DEMO,
                channel=CHANNEL,
                trigger_id=fake.new_trigger_id(DEMO),
                response_url=fake.new_response_url(CHANNEL, DEMO),
            ),
        )
        if text == str(TICKET):  # opens a modal when the ticket can be read, else says why not
            answer = slack.ephemerals(DEMO)[before:] or [fake.last_view(DEMO) or {}]
        else:
            answer = slack.ephemerals(DEMO)[before:]
        assert answer and explains_failure(answer[-1]), f"/tickets {text}: {blocks_text(answer[-1])}"

    listed = seen["list"]
    before = len(slack.ephemerals(DEMO))
    await step(
        "Next page",
        p.block_actions(
            ListAction.NEXT,
            user=DEMO,
            message=listed,
            channel=CHANNEL,
            response_url=fake.new_response_url(CHANNEL, DEMO, listed["ts"]),
        ),
    )
    assert explains_failure(slack.ephemerals(DEMO)[-1]) and len(slack.ephemerals(DEMO)) > before

    detail = seen["detail"]
    await step("status change", _view_click(slack, DetailAction.STATUS, "129", detail))
    assert _modal_error(slack, detail["id"]), blocks_text(fake.view(detail["id"]) or {})

    slack.type_into(detail, {note_block_id(0): {DetailAction.NOTE_TEXT: NOTE}})
    await step("add note", _view_click(slack, DetailAction.ADD_NOTE, None, detail))
    current = fake.view(detail["id"]) or {}
    assert _modal_error(slack, detail["id"])
    typed = current["state"]["values"].get(note_block_id(0), {}).get(DetailAction.NOTE_TEXT, {})
    assert typed.get("value") == NOTE, "the typed note was lost"

    await journey.ack(
        slack,
        "assignee options",
        p.block_suggestion(
            DetailAction.ADD_ASSIGNEE, DetailBlock.CONTROLS, "chen", user=DEMO, view=fake.view(detail["id"])
        ),
    )
    await slack.settle()

    await step("share", _view_click(slack, DetailAction.SHARE, None, detail))
    shared = [m for m in fake.messages(CHANNEL) if m.get("bot_id")]
    assert shared or _modal_error(slack, detail["id"]), "share: neither posted nor explained"

    await step("open a row", _row_click(slack, listed, row_ids(listed)[-1]))
    opened = fake.last_view(DEMO) or {}
    assert explains_failure(opened) or "Assignees" in blocks_text(opened), blocks_text(opened)

    home = fake.home_view(DEMO)
    await step(
        "Home tab", p.event_callback(p.app_home_opened_event(DEMO, channel=fake.dm_channel(DEMO), view=home))
    )
    home = fake.home_view(DEMO) or {}
    assert "Retry" in blocks_text(home) or "My queue" in blocks_text(home)

    form = seen["form"]
    sent = await journey.ack(
        slack,
        "create ticket",
        p.view_submission(fake.view(form["id"]) or form, user=DEMO, trigger_id=fake.new_trigger_id(DEMO)),
    )
    apply_ack(slack, form["id"], sent)
    await slack.settle()
    result = fake.view(form["id"]) or {}
    made = _tickets_named(slack, SUMMARY)
    told = blocks_text(result)
    if made:  # a ticket exists: the user must know it (or know the outcome is uncertain)
        assert "created in ConnectWise" in told or "didn't confirm" in told, told
    else:
        assert explains_failure(result), told
        assert shown(result, "summary") == SUMMARY and shown(result, "company") == "42", "form lost"
    return journey


def _view_click(slack: Slack, action_id: str, value: Any, view: dict[str, Any]) -> tuple[str, str]:
    current = slack.fake.view(view["id"]) or view
    return p.block_actions(
        action_id,
        value,
        user=DEMO,
        view=current,
        trigger_id=slack.fake.new_trigger_id(DEMO, view_id=view["id"]),
    )


def _row_click(slack: Slack, listed: dict[str, Any], ticket_id: int) -> tuple[str, str]:
    return p.block_actions(
        ListAction.OPEN,
        user=DEMO,
        message=listed,
        channel=CHANNEL,
        block_id=row_block(listed, ticket_id),
        response_url=slack.fake.new_response_url(CHANNEL, DEMO, listed["ts"]),
        trigger_id=slack.fake.new_trigger_id(DEMO),
    )


def _modal_error(slack: Slack, view_id: str) -> bool:
    view = slack.fake.view(view_id) or {}
    error = find_block(view, DetailBlock.ERROR)
    return error is not None and explains_failure({"blocks": [error]})


def _tickets_named(slack: Slack, summary: str) -> list[dict[str, Any]]:
    store = slack.sandbox.state.store
    with store.lock:
        return [dict(t) for t in store.tables["tickets"].values() if t["summary"] == summary]


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_every_action_is_acked_without_waiting_and_explained_when_connectwise_fails(
    make_slack: MakeSlack, psa_timeouts: PsaTimeouts, caplog: pytest.LogCaptureFixture, fault: str
) -> None:
    caplog.set_level(logging.INFO)
    async with make_slack(psa_timeouts=psa_timeouts) as slack:
        seen = await _prepare(slack)
        slack.sandbox.inject_fault(count=None, **FAULTS[fault])

        with psa_timeouts.short():
            journey = await _journey(slack, seen)

        assert len(journey.acked) == 11  # every step of the journey was acked
        assert not unhandled(caplog.records)
        assert post_count(slack) <= 1


async def test_answers_slack_waits_for_come_while_connectwise_hangs(slack: Slack) -> None:
    """Options lists and validated submissions are answered inside the ack; the production client
    would wait up to 15 s for ConnectWise, so each of them must bound its own wait: they all come
    while ConnectWise holds every answer."""
    fake = slack.fake
    seen = await _prepare(slack)
    await slack.command("map")
    mapping = slack.modal(DEMO)
    listed, detail, form = seen["list"], seen["detail"], seen["form"]
    service = await slack.deps.workspaces.service(slack.team)
    assert service is not None
    service.invalidate_reference_data()  # nothing cached: every answer needs ConnectWise

    requests = {
        "list company filter options": p.block_suggestion(
            ListAction.COMPANY,
            _block_of(listed, ListAction.COMPANY),
            "acme",
            user=DEMO,
            message=listed,
            channel=CHANNEL,
        ),
        "add assignee options": p.block_suggestion(
            DetailAction.ADD_ASSIGNEE, DetailBlock.CONTROLS, "chen", user=DEMO, view=fake.view(detail["id"])
        ),
        "create form company options": p.block_suggestion(
            CreateAction.COMPANY,
            _block_of(form, CreateAction.COMPANY),
            "acme",
            user=DEMO,
            view=fake.view(form["id"]),
        ),
        "mapping member options": p.block_suggestion(
            MappingAction.MEMBER, _block_of(mapping, MappingAction.MEMBER), "doe", user=DEMO, view=mapping
        ),
        "create form submission": p.view_submission(
            fake.view(form["id"]) or form, user=DEMO, trigger_id=fake.new_trigger_id(DEMO)
        ),
    }
    with slack.sandbox.holding():
        acks = await asyncio.gather(*(ack(slack, body) for body in requests.values()))

    assert all(sent.status == 200 for sent in acks)


def _block_of(surface: dict[str, Any], action_id: str) -> str:
    block_id, _ = find_element(surface.get("blocks") or [], action_id)
    return block_id
