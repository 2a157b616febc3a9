"""Block actions (buttons, selects) of every surface: ack, parse what the flow needs, hand it off."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.flows import (
    access_settings,
    commands,
    connect,
    detail,
    detail_actions,
    home,
    list_actions,
    mapping,
    mapping_requests,
    spinoff,
)
from bot.flows.create import edit
from bot.ids import (
    OPEN_TICKET_ACTIONS,
    URL_BUTTON_ACTIONS,
    AccessAction,
    ConnectAction,
    CreateAction,
    DetailAction,
    HomeAction,
    ListAction,
    MappingAction,
    MessageAction,
    SuggestionAction,
)
from bot.listeners.handoff import Args, Body, Listener, ack_only, ack_then, register_routes
from bot.views.ticket_list import row_menu_choice

LIST_REPLACING = (
    ListAction.PREV,
    ListAction.NEXT,
    ListAction.REFRESH,
    ListAction.CLOSED,
    ListAction.BOARD,
    ListAction.STATUS,
    ListAction.PRIORITY,
    ListAction.COMPANY,
    ListAction.ASSIGNED,
    ListAction.PICK,
)


def _number(value: Any) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() else None


def ticket_of(body: Body, action: Body) -> Args | None:
    """{ticket_id, block_id} of a button whose value is a ticket number."""
    ticket_id = _number(action.get("value"))
    return None if ticket_id is None else {"ticket_id": ticket_id, "block_id": action.get("block_id")}


def row_menu_of(body: Body, action: Body) -> Args | None:
    """{verb, ticket_id, block_id} of a row menu choice ("open" / "share")."""
    try:
        verb, ticket_id = row_menu_choice(action)
    except ValueError:
        return None
    return {"verb": verb, "ticket_id": ticket_id, "block_id": action.get("block_id")}


def in_modal(body: Body, action: Body) -> Args | None:
    """Nothing more than the modal the click came from (skipped without one)."""
    return {} if body.get("view") else None


def picked(key: str, read: Any) -> Any:
    """A modal's select or per-row button: {key: the id it carries} (skipped without one)."""

    def parse(body: Body, action: Body) -> Args | None:
        value = read(action)
        return {key: value} if value is not None and body.get("view") else None

    return parse


def selected_id(action: Body) -> int | None:
    """The id of a static/external select's chosen option."""
    return _number((action.get("selected_option") or {}).get("value"))


def button_id(action: Body) -> int | None:
    """The id a button carries as its value."""
    return _number(action.get("value"))


def home_hash(body: Body, action: Body) -> Args | None:
    """The Home's current hash, so a refresh does not overwrite a newer publish."""
    return {"view_hash": (body.get("view") or {}).get("hash")}


def tab_of(body: Body, action: Body) -> Args | None:
    """Which create tab was clicked."""
    if not body.get("view"):
        return None
    return {"tab": "quick" if action.get("action_id") == CreateAction.TAB_QUICK else "full"}


def suggestion_value(body: Body, action: Body) -> Args | None:
    """A button's value as it is (a suggestion's id and description, a mapping request's reference)."""
    value = action.get("value")
    return {"value": str(value)} if value else None


def selected_user(body: Body, action: Body) -> Args | None:
    """The Slack user an admin picked in the mapping modal."""
    return {"selected_user": action.get("selected_user") or None} if body.get("view") else None


# The list message
change_list = ack_then(list_actions.change_list)
open_search = ack_then(list_actions.open_search)
open_row = ack_then(list_actions.open_row, ticket_of)
share_row = ack_then(list_actions.share_from_list, ticket_of)
row_menu = ack_then(list_actions.row_menu, row_menu_of)
# The detail modal, and every other "open this ticket" button
open_ticket = ack_then(detail.open_ticket, ticket_of)
change_status = ack_then(detail_actions.change_status, picked("status_id", selected_id))
add_assignee = ack_then(detail_actions.add_assignee, picked("member_id", selected_id))
remove_assignee = ack_then(detail_actions.remove_assignee, picked("member_id", button_id))
add_note = ack_then(detail_actions.add_note, in_modal)
share_ticket = ack_then(detail_actions.share, in_modal)
spin_off = ack_then(detail_actions.spin_off, in_modal)
retry_detail = ack_then(detail.retry, in_modal)
# The New Ticket modal
switch_tab = ack_then(edit.switch_tab, tab_of)
parse_prompt = ack_then(edit.parse_prompt, in_modal)
change_board = ack_then(edit.change_board, in_modal)
# The Home tab
refresh_home = ack_then(home.refresh_home, home_hash)
view_all = ack_then(home.view_all)
home_new_ticket = ack_then(home.new_ticket)
home_connect = ack_then(connect.open_connect)
disconnect = ack_then(connect.disconnect)
home_map = ack_then(mapping.open_mapping)
# Setup and new-ticket buttons of the app's messages
message_connect = ack_then(commands.connect_button)
message_map = ack_then(commands.map_button)
message_new_ticket = ack_then(commands.new_ticket)
# The spin-off suggestion
create_suggested = ack_then(spinoff.open_suggestion, suggestion_value)
dismiss_suggestion = ack_then(spinoff.dismiss_suggestion, suggestion_value)
# The mapping modal
unmap = ack_then(mapping.unmap, in_modal)
change_mapping_target = ack_then(mapping.change_target, selected_user)
remove_keys = ack_then(mapping.remove_keys, in_modal)
approve_mapping = ack_then(mapping_requests.approve, suggestion_value)
deny_mapping = ack_then(mapping_requests.deny, suggestion_value)
# Who may use the app (admins)
open_access = ack_then(access_settings.open_settings_button)
# Url buttons and inputs still send block_actions: acknowledge them.
acknowledge = ack_only()


ROUTES: dict[str, Listener] = {
    **dict.fromkeys(LIST_REPLACING, change_list),
    ListAction.SEARCH: open_search,
    ListAction.OPEN: open_row,  # the list's own row button remembers the list
    ListAction.SHARE: share_row,
    ListAction.ROW_MENU: row_menu,
    **{opener: open_ticket for opener in OPEN_TICKET_ACTIONS if opener != ListAction.OPEN},
    DetailAction.STATUS: change_status,
    DetailAction.ADD_ASSIGNEE: add_assignee,
    DetailAction.REMOVE_ASSIGNEE: remove_assignee,
    DetailAction.ADD_NOTE: add_note,
    DetailAction.SHARE: share_ticket,
    DetailAction.SPINOFF: spin_off,
    DetailAction.RETRY: retry_detail,
    CreateAction.TAB_QUICK: switch_tab,
    CreateAction.TAB_FULL: switch_tab,
    CreateAction.PARSE: parse_prompt,
    CreateAction.BOARD: change_board,
    HomeAction.REFRESH: refresh_home,
    HomeAction.RETRY: refresh_home,
    HomeAction.VIEW_ALL: view_all,
    HomeAction.NEW_TICKET: home_new_ticket,
    HomeAction.CONNECT: home_connect,
    ConnectAction.DISCONNECT: disconnect,
    HomeAction.MAP: home_map,
    MessageAction.CONNECT: message_connect,
    MessageAction.MAP: message_map,
    MessageAction.NEW_TICKET: message_new_ticket,
    SuggestionAction.CREATE: create_suggested,
    SuggestionAction.DISMISS: dismiss_suggestion,
    MappingAction.UNMAP: unmap,
    MappingAction.SLACK_USER: change_mapping_target,
    MappingAction.REMOVE_KEYS: remove_keys,
    MappingAction.APPROVE: approve_mapping,
    MappingAction.DENY: deny_mapping,
    AccessAction.OPEN: open_access,
    **dict.fromkeys(
        (
            *URL_BUTTON_ACTIONS,
            DetailAction.NOTE_INTERNAL,
            DetailAction.NOTE_TEXT,
            MappingAction.REASSIGN,
            MappingAction.ASK_ADMIN,
            AccessAction.UNMAPPED_READ,
            AccessAction.USERGROUP,
            AccessAction.CHANNELS,
            AccessAction.RESTRICT_READS,
        ),
        acknowledge,
    ),
}


def register(app: AsyncApp) -> None:
    """Register every block action listener."""
    register_routes(app.action, ROUTES)
