"""View submissions: each answer is decided inside Slack's 3 s; follow-up work is handed off after it."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.flows.access_settings import submit_settings
from bot.flows.connect import submit_connect
from bot.flows.create.submit import decide_submission
from bot.flows.detail_done import submit_detail
from bot.flows.link_thread import submit_link
from bot.flows.list_actions import submit_search
from bot.flows.mapping import submit_mapping
from bot.ids import Callback
from bot.listeners.handoff import Listener, on_submit, register_routes

create = on_submit("create.submit", decide_submission)
connect = on_submit("connect.submit", submit_connect)
mapping = on_submit("mapping.submit", submit_mapping)
link_thread = on_submit("link.submit", submit_link)
search = on_submit("list.search", submit_search)
access = on_submit("access.submit", submit_settings)
detail_done = on_submit("detail.done", submit_detail)  # a typed note is saved before it closes


ROUTES: dict[str, Listener] = {
    Callback.LIST_SEARCH: search,
    Callback.DETAIL: detail_done,
    Callback.LINK_THREAD: link_thread,
    Callback.MAPPING: mapping,
    Callback.CONNECT: connect,
    Callback.CREATE: create,
    Callback.ACCESS: access,
}


def register(app: AsyncApp) -> None:
    """Register every view submission listener."""
    register_routes(app.view, ROUTES)
