"""Listeners are module-level functions: called directly, they ack and hand off one serializable item."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext

from bot.flows.submission import Submission
from bot.flows.work import FLOWS, WorkItem, lookup
from bot.ids import DetailAction
from bot.listeners import actions, commands, events
from bot.listeners.handoff import DEPS


class RecordingQueue:
    """A WorkQueue that keeps what was handed to it."""

    def __init__(self) -> None:
        self.items: list[WorkItem] = []

    async def submit(self, item: WorkItem) -> None:
        self.items.append(item)

    async def drain(self, within: float) -> None:
        return None


class Deps:
    def __init__(self) -> None:
        self.work = RecordingQueue()


class Ack:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


def _context(deps: Deps) -> AsyncBoltContext:
    return AsyncBoltContext({DEPS: deps, "team_id": "T1", "user_id": "U1"})


def _modal_click(action: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U1"},
        "view": {"id": "V1", "type": "modal", "hash": "h1", "private_metadata": '{"t":1042}'},
        "actions": [action],
    }


async def test_a_status_pick_is_acked_and_handed_off_with_the_status_id() -> None:
    deps, ack = Deps(), Ack()
    action = {"action_id": DetailAction.STATUS, "selected_option": {"value": "5"}}
    await actions.change_status(ack=ack, body=_modal_click(action), action=action, context=_context(deps))

    assert ack.calls == [{}]
    (item,) = deps.work.items
    assert (item.flow, item.team_id, item.user_id, item.args) == (
        "detail.change_status",
        "T1",
        "U1",
        {"status_id": 5},
    )
    assert WorkItem.model_validate_json(item.model_dump_json()) == item


async def test_a_select_without_a_choice_is_acked_and_nothing_runs() -> None:
    deps, ack = Deps(), Ack()
    action = {"action_id": DetailAction.STATUS, "selected_option": None}
    await actions.change_status(ack=ack, body=_modal_click(action), action=action, context=_context(deps))

    assert ack.calls == [{}] and deps.work.items == []


async def test_a_slash_command_is_acked_empty_and_its_text_travels_in_the_body() -> None:
    deps, ack = Deps(), Ack()
    body = {
        "command": "/tickets",
        "text": "mine",
        "team_id": "T1",
        "user_id": "U1",
        "response_url": "https://x",
    }
    await commands.tickets(ack=ack, body=body, context=_context(deps))

    (item,) = deps.work.items
    assert ack.calls == [{}] and item.flow == "tickets.command" and item.body["text"] == "mine"


async def test_the_messages_tab_opening_starts_no_work() -> None:
    deps = Deps()
    body = {"type": "event_callback", "team_id": "T1"}
    await events.opened_home(
        body=body, event={"type": "app_home_opened", "tab": "messages", "user": "U1"}, context=_context(deps)
    )

    assert deps.work.items == []


def test_every_flow_a_listener_names_is_registered() -> None:
    for name in ("tickets.command", "detail.change_status", "create.ticket", "home.opened", "link.confirm"):
        assert lookup(name).name == name
    assert len(FLOWS) >= 30


def test_each_submission_answer_is_the_ack_slack_expects() -> None:
    view = {"type": "modal", "title": {"type": "plain_text", "text": "x"}, "blocks": []}
    assert Submission.close().ack() == {}
    assert Submission.clear().ack() == {"response_action": "clear"}
    assert Submission.field_errors({"b": "Wrong."}).ack() == {
        "response_action": "errors",
        "errors": {"b": "Wrong."},
    }
    assert Submission.update(view).ack() == {"response_action": "update", "view": view}
    assert Submission.push(view).ack() == {"response_action": "push", "view": view}
    then = Submission.close().and_then("create.ticket", key="k1", reconcile_since=None).then
    assert [(f.flow, f.key, f.args) for f in then] == [("create.ticket", "k1", {"reconcile_since": None})]
