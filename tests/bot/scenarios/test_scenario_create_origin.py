"""Where creation starts and ends: threads, suggestions, spin-offs, a modal closed mid-parse, Claude."""

from __future__ import annotations

import asyncio
import importlib
import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from functools import partial
from typing import Any

from create_driver import created_id, post_count, shown, submit, success_posts, values_for
from pydantic import SecretStr
from scenario_harness import BOT_TOKEN, CHANNEL, DEMO, Slack, blocks_text
from slack_sdk.web.async_client import AsyncWebClient
from waiting import wait_until

from ai.extract import FALLBACK_WARNING
from ai.extract.claude import TOOL_NAME
from bot.actor import Actor
from bot.deps import AppDeps, build_anthropic
from bot.flows.context import FlowContext
from bot.flows.create import open_create_modal
from bot.ids import CreateAction, DetailAction
from bot.parsers import build_parsers
from bot.state import Origin
from bot.views.suggestion import suggestion_blocks
from storage import SuggestionState
from storage.repositories import suggestions
from storage.repositories import thread_links as thread_link_repo

# anthropic >= 1.0 talks through `httpx2`; older releases used `httpx`.
_hx: Any = importlib.import_module("httpx2" if importlib.util.find_spec("httpx2") else "httpx")

HELP_DESK = 1
ACME_CORP = 42


def _client(slack: Slack) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=slack.fake.api_url)


async def _open(slack: Slack, **kwargs: Any) -> dict[str, Any]:
    """Open the modal the way other features do (spin-off shortcut, suggestion button)."""
    actor = Actor(team_id=slack.team, user_id=DEMO, trigger_id=slack.fake.new_trigger_id(DEMO))
    await open_create_modal(FlowContext.for_actor(slack.deps, _client(slack), actor), **kwargs)
    await slack.settle()
    return slack.modal()


async def test_a_ticket_from_a_thread_is_confirmed_in_it_and_links_it(slack: Slack) -> None:
    root = slack.fake.add_message(CHANNEL, user=DEMO, text="Acme's printers are all offline")
    thread_ts = root["ts"]
    modal = await _open(
        slack,
        prompt="Acme Corp printers offline, high priority",
        origin=Origin(channel_id=CHANNEL, thread_ts=thread_ts, message_ts=thread_ts),
        tab="quick",
    )
    assert "linked to the Slack thread" in blocks_text(modal)
    await slack.click(CreateAction.PARSE, view=modal)
    review = slack.modal()
    await slack.click(CreateAction.BOARD, str(HELP_DESK), view=review)
    review = slack.modal()
    await submit(slack, review)
    ticket_id = created_id(slack.modal())

    (posted,) = success_posts(slack)
    assert posted["channel"] == CHANNEL and posted["thread_ts"] == thread_ts
    link = await slack.store.read(
        partial(thread_link_repo.get_thread_link, channel_id=CHANNEL, thread_ts=thread_ts)
    )
    assert link is not None and (link.ticket_id, link.company_id, link.board_id) == (
        ticket_id,
        ACME_CORP,
        HELP_DESK,
    )


async def test_a_suggested_ticket_replaces_its_suggestion_and_leaves_the_thread_link(slack: Slack) -> None:
    root = slack.fake.add_message(CHANNEL, user=DEMO, text="Email is down for Acme")
    store = slack.store
    await store.write(
        partial(
            thread_link_repo.link_thread,
            channel_id=CHANNEL,
            thread_ts=root["ts"],
            ticket_id=1649,
            linked_by=DEMO,
            company_id=ACME_CORP,
            board_id=8,
        )
    )
    description = "Printer offline on 2nd floor"
    assert await store.write(
        partial(
            suggestions.open_if_none,
            suggestion_id="sug1",
            channel_id=CHANNEL,
            thread_ts=root["ts"],
            description=description,
        )
    )
    posted = await _client(slack).chat_postMessage(
        channel=CHANNEL, thread_ts=root["ts"], **suggestion_blocks(description, "sug1")
    )
    await store.write(partial(suggestions.set_message_ts, suggestion_id="sug1", message_ts=posted["ts"]))

    modal = await _open(
        slack,
        prompt=description,
        origin=Origin(channel_id=CHANNEL, thread_ts=root["ts"]),
        tab="quick",
        initial={"company_id": ACME_CORP, "board_id": HELP_DESK},
        suggestion_id="sug1",
    )
    assert shown(modal, "prompt") == description  # the description goes to the prompt, not the summary
    assert shown(modal, "company") == str(ACME_CORP) and shown(modal, "board") == str(HELP_DESK)
    assert not shown(modal, "summary")
    suggestion = await store.read(partial(suggestions.get_suggestion, suggestion_id="sug1"))
    assert suggestion is not None and suggestion.state == SuggestionState.OPEN  # opening leaves it

    await slack.click(CreateAction.PARSE, view=modal)
    review = slack.modal()
    await submit(slack, review, values=values_for(review, priority="3"))
    ticket_id = created_id(slack.modal())

    suggestion = await store.read(partial(suggestions.get_suggestion, suggestion_id="sug1"))
    assert suggestion is not None and (suggestion.state, suggestion.ticket_id) == (
        SuggestionState.CREATED,
        ticket_id,
    )
    replaced = next(m for m in slack.fake.messages(CHANNEL) if m["ts"] == posted["ts"])
    assert f"Ticket #{ticket_id} created in ConnectWise" in replaced["text"]
    assert len(success_posts(slack)) == 1  # the replaced suggestion is the thread's one success line
    link = await store.read(
        partial(thread_link_repo.get_thread_link, channel_id=CHANNEL, thread_ts=root["ts"])
    )
    assert link is not None and link.ticket_id == 1649  # the thread still follows its own ticket


async def test_a_spin_off_from_the_detail_starts_with_the_parent_company_and_board(slack: Slack) -> None:
    await slack.command("1649")
    detail = slack.modal()
    await slack.click(DetailAction.SPINOFF, view=detail)
    modal = slack.modal()
    assert modal["id"] != detail["id"]
    assert "Spin-off of ticket #1649" in blocks_text(modal)
    parent = slack.deps.rows.get(slack.team, 1649)
    assert parent is not None and parent.company is not None and parent.board is not None
    assert shown(modal, "company") == str(parent.company.id) and shown(modal, "board") == str(parent.board.id)


async def test_closing_the_modal_while_parsing_drops_the_result_quietly(slack: Slack) -> None:
    await slack.command("new Acme Corp: VPN keeps dropping, urgent, network operations board")
    modal = slack.modal()
    service = await slack.deps.workspaces.service(slack.team)
    assert service is not None
    service.invalidate_reference_data()
    seq = slack.fake.last_seq

    from bot.local import payloads as p

    with slack.sandbox.holding():  # the parse waits for ConnectWise's reference lists
        click = asyncio.ensure_future(
            slack.sender.send(
                *p.block_actions(
                    CreateAction.PARSE, user=DEMO, view=modal, trigger_id=slack.fake.new_trigger_id(DEMO)
                )
            )
        )
        await wait_until(
            lambda: "Parsing" in blocks_text(slack.fake.view(modal["id"]) or {}), what="Parsing… shown"
        )
        slack.fake.close_view(modal["id"])
    await click
    await slack.settle()

    later = slack.fake.calls_after(seq)
    assert [c.method for c in later] == ["views.update", "views.update"]  # Parsing…, then the dropped review
    assert later[-1].response.get("error") == "not_found"  # type: ignore[union-attr]
    assert not slack.fake.is_view_open(modal["id"]) and post_count(slack) == 0


def _tool_answer(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-haiku-4-5",
        "content": [{"type": "tool_use", "id": "toolu_01", "name": TOOL_NAME, "input": fields}],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": 600, "output_tokens": 90},
    }


async def test_claude_reads_the_prompt_when_an_api_key_is_configured(
    make_slack: Callable[..., AbstractAsyncContextManager[Slack]],
) -> None:
    requests: list[dict[str, Any]] = []
    answers = [
        _tool_answer(
            {
                "summary": "Outlook not syncing",
                "description": "Outlook calendar stopped syncing yesterday.",
                "company": "Acme Corp",
                "priority_words": ["urgent"],
                "assignee": "me",
                "board_hint": "help desk",
            }
        ),
        None,  # later calls fail (the SDK retries once): the offline parser takes over
    ]

    async def messages_api(request: Any) -> Any:
        requests.append(json.loads(request.content))
        answer = answers[min(len(requests), len(answers)) - 1]
        if answer is None:
            return _hx.Response(
                529, json={"type": "error", "error": {"type": "overloaded_error", "message": "x"}}
            )
        return _hx.Response(200, json=answer)

    def with_claude(deps: AppDeps) -> None:
        settings = deps.settings.model_copy(update={"anthropic_api_key": SecretStr("sk-test")})
        http = _hx.AsyncClient(transport=_hx.MockTransport(messages_api))
        deps.anthropic = build_anthropic(settings, http=http)
        deps.parsers = build_parsers(settings, deps.workspaces, deps.anthropic)

    prompt = (
        "hey can you log something for acme - outlook calendar broke yesterday, pretty urgent, I'll take it"
    )
    async with make_slack(configure=with_claude) as slack:
        assert slack.deps.parsers.source == "claude"
        await slack.command(f"new {prompt}")
        await slack.click(CreateAction.PARSE, view=slack.modal())
        review = slack.modal()
        assert shown(review, "summary") == "Outlook not syncing"
        assert (shown(review, "company"), shown(review, "board"), shown(review, "assignee")) == (
            str(ACME_CORP),
            str(HELP_DESK),
            "17",
        )
        assert prompt in requests[0]["messages"][0]["content"]

        await slack.click(CreateAction.PARSE, view=review)  # Claude overloaded now
        again = slack.modal()
        assert FALLBACK_WARNING in blocks_text(again)
        assert shown(again, "company") == str(ACME_CORP)  # the offline reading still fills the form
        assert len(requests) == 3  # one good answer, then a failed call and the SDK's one retry
