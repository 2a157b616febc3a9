"""Time on tickets, every surface: the Log time buttons, Undo, the Work it modal's Save, the message
shortcut, the detail's time Retry and the Home's end-of-day reminder."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.flows.time.detail_time import retry_detail_time
from bot.flows.time.nudge import set_nudge
from bot.flows.time.quick import undo_time
from bot.flows.time.work_it import decide_work, open_work_button, open_work_from_thread
from bot.ids import Callback, Shortcut, TimeAction
from bot.listeners.handoff import Args, Body, Listener, ack_then, on_submit, register_routes


def ticket_button(body: Body, action: Body) -> Args | None:
    """{ticket_id} of a button whose value is a ticket number."""
    value = action.get("value")
    return {"ticket_id": int(value)} if isinstance(value, str) and value.isdigit() else None


def nudge_choice(body: Body, action: Body) -> Args | None:
    """The reminder time picked on the Home ("off" or minutes after midnight)."""
    value = str((action.get("selected_option") or {}).get("value") or "")
    return {"choice": value} if value == "off" or value.isdigit() else None


def undo_key(body: Body, action: Body) -> Args | None:
    """The write key an Undo button carries."""
    value = action.get("value")
    return {"key": value} if isinstance(value, str) and value.startswith("time:") else None


open_work = ack_then(open_work_button, ticket_button)
undo = ack_then(undo_time, undo_key)
save_work = on_submit("time.work_submit", decide_work)
log_time_shortcut = ack_then(open_work_from_thread)
nudge = ack_then(set_nudge, nudge_choice)
retry_time = ack_then(retry_detail_time, lambda body, action: {} if body.get("view") else None)


ACTIONS: dict[str, Listener] = {
    TimeAction.WORK: open_work,
    TimeAction.UNDO: undo,
    TimeAction.RETRY: retry_time,
    TimeAction.NUDGE: nudge,
}
VIEWS: dict[str, Listener] = {Callback.WORK: save_work}
SHORTCUTS: dict[str, Listener] = {Shortcut.LOG_TIME: log_time_shortcut}


def register(app: AsyncApp) -> None:
    """Register the time listeners, one table per surface."""
    register_routes(app.action, ACTIONS)
    register_routes(app.view, VIEWS)
    register_routes(app.message_shortcut, SHORTCUTS)
