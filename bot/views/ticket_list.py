"""The `/tickets` list message: header, 7-filter bar, compact rows, pagination — and its payload parser."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from bot import inputs
from bot.ids import Callback as CallbackId
from bot.ids import ListAction, ListBlock, SearchModal, row_block_id
from bot.state import ListRef, ListState, SearchModalState, StateError
from bot.text import escape, escape_truncate, truncate
from bot.views import kit, limits
from bot.views.format import priority_marker, ticket_row, ticket_row_fallback, unique_tickets
from bot.views.options import assigned_filter_option
from psa.models import Board, BoardStatus, Priority, TicketFilters, TicketListResponse

ANY = "any"
STATUS_NAME_PREFIX = "n:"  # a status option by name: that status on every board
_NAME_VALUE_MAX = 140  # option values hold at most 150 characters
_FILTER_PREFIX = f"{ListBlock.FILTERS}:"
_FIXED_BLOCKS = 4  # header, filter bar, "Showing…", pager


class ListReference(BaseModel):
    """Reference data for the filter bar."""

    boards: list[Board] = Field(default_factory=list)
    statuses: list[BoardStatus] = Field(default_factory=list)  # of the selected board, or of all boards
    priorities: list[Priority] = Field(default_factory=list)


def list_title(state: ListState) -> str:
    """The list heading (plain text): Your open tickets, Search: printer, or Tickets."""
    if state.is_mine:
        return "Your open tickets"
    if state.filters.search:
        return f"Search: {truncate(state.filters.search, 100)}"
    return "Tickets"


def showing_line(response: TicketListResponse) -> str:
    """The range line, e.g. Showing 26–50 of 212 tickets."""
    first = (response.page - 1) * response.page_size + 1
    last = first + len(response.items) - 1
    noun = "ticket" if response.total == 1 else "tickets"
    return f"Showing {first}–{last} of {response.total} {noun}"


def search_parts_note(response: TicketListResponse) -> str | None:
    """Said whenever the search text was not searched as typed (mrkdwn, escaped): the parts that were."""
    if response.search_parts is None:
        return None
    if not response.search_parts:
        return "The search text was left out: the PSA can't search any of it as typed."
    parts = ", ".join(f"“{escape_truncate(p, 60)}”" for p in response.search_parts[:8])
    if len(response.search_parts) == 1:
        return f"Searched for {parts}: the PSA can't search some of the characters you typed as typed."
    return (
        f"Searched in parts: {parts} (each must appear): the PSA can't search some of the characters "
        "you typed as typed."
    )


def ticket_list_message(
    response: TicketListResponse,
    state: ListState,
    reference: ListReference,
    *,
    list_id: str = "",
    row_menu: bool = False,
) -> dict[str, Any]:
    """The list message (`text` + ≤ 50 blocks). `row_menu` swaps each row's Open button for a menu.

    `list_id` names the stored state (`bot.flows.stored`): the buttons carry it, never the state.
    """
    blocks: list[dict[str, Any]] = [kit.header(list_title(state), block_id=ListBlock.HEADER)]
    blocks.append(filter_bar(state, reference, list_id))
    rows = unique_tickets(response.items)[: limits.MESSAGE_BLOCKS_MAX - _FIXED_BLOCKS]
    note = search_parts_note(response)
    if rows:
        summary = showing_line(response) + (f" · {note}" if note else "")
        blocks.append(kit.context(summary, block_id=ListBlock.SUMMARY))
        for ticket in rows:
            blocks.append(
                kit.section(
                    ticket_row(ticket),
                    block_id=list_row_block_id(ticket.id, list_id),
                    accessory=_row_accessory(ticket.id, row_menu),
                )
            )
    else:
        empty = _empty_text(state, response) + (f"\n{note}" if note else "")
        blocks.append(kit.section(empty, block_id=ListBlock.EMPTY))
    pager = _pager(response, list_id)
    if pager is not None:
        blocks.append(pager)
    return {"text": _fallback(response, state), "blocks": blocks}


def _row_accessory(ticket_id: int, row_menu: bool) -> dict[str, Any]:
    if not row_menu:
        return kit.button("Open", ListAction.OPEN, value=str(ticket_id))
    return {
        "type": "overflow",
        "action_id": ListAction.ROW_MENU,
        "options": [
            kit.option("Open", f"open:{ticket_id}"),
            kit.option("Share to channel", f"share:{ticket_id}"),
        ],
    }


def _empty_text(state: ListState, response: TicketListResponse) -> str:
    if response.total > 0:
        return f"Nothing on page {response.page}. There are {response.total} matching tickets."
    if state.is_mine:
        return "No open tickets assigned to you."
    return "No tickets match these filters."


def _fallback(response: TicketListResponse, state: ListState) -> str:
    title = escape(list_title(state))
    if not response.items:
        return f"{title}: none"
    first = "; ".join(ticket_row_fallback(t, summary_max=50) for t in response.items[:3])
    return f"{title} — {showing_line(response)}: {first}"


def list_row_block_id(ticket_id: int, list_id: str) -> str:
    """Block id of a row: it names the list, so the detail it opens can refresh this list.

    (Clicks on an ephemeral message arrive without the message, so the row itself must say it.)
    """
    return f"{row_block_id(ticket_id)}:{list_id}" if list_id else row_block_id(ticket_id)


def list_id_of_row(block_id: str | None) -> str | None:
    """The list a row's block id names, if it is a list row."""
    prefix = f"{ListBlock.ROW}."
    if not block_id or not block_id.startswith(prefix) or ":" not in block_id:
        return None
    return block_id.split(":", 1)[1] or None


def filter_block_id(list_id: str) -> str:
    """Block id of the filter bar: it names the list, so a select change knows the rest."""
    return _FILTER_PREFIX + list_id


def filter_bar(state: ListState, reference: ListReference, list_id: str = "") -> dict[str, Any]:
    """The 7 filters: board, status, priority, company, assigned, closed toggle, search."""
    f = state.filters
    elements: list[dict[str, Any]] = []
    boards = [b for b in reference.boards if not b.inactive or b.id == f.board_id]
    elements.append(
        kit.static_select(
            ListAction.BOARD,
            "Board",
            [kit.option("Any board", ANY), *[kit.option(b.name, str(b.id)) for b in boards][:99]],
            initial_value=str(f.board_id) if f.board_id is not None else ANY,
        )
    )
    status_options = _status_options(reference, f)[:99]
    elements.append(
        kit.static_select(
            ListAction.STATUS,
            "Status",
            [kit.option("Any status", ANY), *status_options],
            initial_value=_status_value(f, status_options),
        )
    )
    elements.append(
        kit.static_select(
            ListAction.PRIORITY,
            "Priority",
            [kit.option("Any priority", ANY), *_priority_options(reference.priorities)[:99]],
            initial_value=str(f.priority_id) if f.priority_id is not None else ANY,
        )
    )
    company_option = None
    if f.company_id is not None:
        company_option = kit.option(state.company_name or f"Company {f.company_id}", str(f.company_id))
    elements.append(kit.external_select(ListAction.COMPANY, "Company", initial_option=company_option))
    elements.append(
        kit.external_select(
            ListAction.ASSIGNED,
            "Assigned",
            initial_option=assigned_filter_option(str(f.assigned), state.assigned_name),
        )
    )
    elements.append(
        kit.button(
            "Closed: on" if f.include_closed else "Closed: off",
            ListAction.CLOSED,
            value=ListRef(list_id=list_id, closed=not f.include_closed).encode(),
        )
    )
    search_label = f"Search: {truncate(f.search, 40)}" if f.search else "Search…"
    elements.append(kit.button(search_label, ListAction.SEARCH, value=ListRef(list_id=list_id).encode()))
    return kit.actions(*elements, block_id=filter_block_id(list_id))


def _priority_options(priorities: list[Priority]) -> list[dict[str, Any]]:
    ordered = sorted(priorities, key=lambda p: (p.sort or 99, p.name))
    return [kit.option(f"{priority_marker(p)} {p.name}", str(p.id)) for p in ordered]


def _status_options(reference: ListReference, f: TicketFilters) -> list[dict[str, Any]]:
    """A board's statuses by id; with no board, one option per status name (it filters every board)."""
    statuses = [s for s in reference.statuses if not s.inactive or s.id == f.status_id]
    statuses.sort(key=lambda s: (s.board_id, s.sort_order, s.name))
    if f.board_id is None:
        names = dict.fromkeys(s.name for s in statuses if len(s.name) <= _NAME_VALUE_MAX)
        if f.status_name and len(f.status_name) <= _NAME_VALUE_MAX:
            names.setdefault(f.status_name)
        options = [kit.option(name, STATUS_NAME_PREFIX + name) for name in names]
        boards = {b.id: b.name for b in reference.boards}
        chosen = next((s for s in statuses if s.id == f.status_id), None)
        if chosen is not None:  # a status picked on a board that is no longer chosen
            where = boards.get(chosen.board_id)
            options.insert(
                0, kit.option(f"{chosen.name} ({where})" if where else chosen.name, str(chosen.id))
            )
        return options
    return [
        kit.option(s.name, str(s.id)) for s in statuses if s.board_id == f.board_id or s.id == f.status_id
    ]


def _status_value(f: TicketFilters, options: list[dict[str, Any]]) -> str:
    values = {option["value"] for option in options}
    for value in (str(f.status_id) if f.status_id is not None else None, _status_name_value(f.status_name)):
        if value is not None and value in values:
            return value
    return ANY


def _status_name_value(name: str | None) -> str | None:
    return STATUS_NAME_PREFIX + name if name else None


def _pager(response: TicketListResponse, list_id: str) -> dict[str, Any] | None:
    elements = []
    if response.page > 1:
        target = min(response.page - 1, max(1, -(-response.total // response.page_size)))
        elements.append(
            kit.button("◀ Prev", ListAction.PREV, value=ListRef(list_id=list_id, page=target).encode())
        )
    if response.page * response.page_size < response.total:
        ref = ListRef(list_id=list_id, page=response.page + 1)
        elements.append(kit.button("Next ▶", ListAction.NEXT, value=ref.encode()))
    elements.append(kit.button("Refresh", ListAction.REFRESH, value=ListRef(list_id=list_id).encode()))
    return kit.actions(*elements, block_id=ListBlock.PAGER)


_REF_ACTIONS = (ListAction.PREV, ListAction.NEXT, ListAction.CLOSED, ListAction.REFRESH, ListAction.SEARCH)


class ListClick(BaseModel):
    """A click on a list message, read from the payload alone: which list, and the change it asks for."""

    action_id: str
    list_id: str | None = None  # the message's stored state, which the change applies to
    chosen: ListState | None = None  # a search candidate carries its whole state
    page: int | None = None
    closed: bool | None = None
    value: str = ANY  # a filter select's option value
    name: str | None = None  # and its label

    def apply(self, state: ListState) -> ListState:
        """The list state the click asks for, from the message's `state`. Raises StateError."""
        if self.chosen is not None:
            return self.chosen
        if self.action_id in _REF_ACTIONS:
            if self.page is not None:
                return state.with_page(self.page)
            if self.closed is not None:
                return state.with_filter(include_closed=self.closed)
            return state
        raw, name = self.value, self.name
        number = int(raw) if raw.isdigit() else None
        if self.action_id == ListAction.BOARD:
            if number == state.filters.board_id:
                return state
            return state.with_filter(board_id=number, status_id=None, status_name=None)
        if self.action_id == ListAction.STATUS:
            if raw.startswith(STATUS_NAME_PREFIX):
                return state.with_filter(status_id=None, status_name=raw[len(STATUS_NAME_PREFIX) :] or None)
            return state.with_filter(status_id=number, status_name=None)
        if self.action_id == ListAction.PRIORITY:
            return state.with_filter(priority_id=number)
        if self.action_id == ListAction.COMPANY:
            return state.with_filter(company_id=number, company_name=name if number is not None else None)
        if self.action_id == ListAction.ASSIGNED:
            if raw in ("me", "unassigned", "all"):
                return state.with_filter(assigned=raw)
            if number is not None:
                label = name.removeprefix("★ ").split(" (@", 1)[0] if name else None
                return state.with_filter(assigned=number, assigned_name=label)
            raise StateError("bad assigned value")
        raise StateError(f"unknown list action {self.action_id!r}")


def read_list_click(body: dict[str, Any]) -> ListClick:
    """The click on a list message in a block_actions payload. Raises StateError."""
    actions = body.get("actions") or []
    if not actions:
        raise StateError("no action in payload")
    action = actions[0]
    action_id = str(action.get("action_id") or "")
    if action_id == ListAction.PICK:
        return ListClick(action_id=action_id, chosen=ListState.decode(action.get("value")))
    if action_id in _REF_ACTIONS:
        ref = ListRef.decode(action.get("value"))
        return ListClick(action_id=action_id, list_id=ref.list_id, page=ref.page, closed=ref.closed)
    block_id = action.get("block_id") or ""
    if not block_id.startswith(_FILTER_PREFIX) or len(block_id) == len(_FILTER_PREFIX):
        raise StateError("not a list filter")
    option = action.get("selected_option") or {}
    raw = option.get("value", ANY)
    return ListClick(
        action_id=action_id,
        list_id=block_id[len(_FILTER_PREFIX) :],
        value=raw if isinstance(raw, str) else ANY,
        name=(option.get("text") or {}).get("text"),
    )


def row_menu_choice(action: dict[str, Any]) -> tuple[str, int]:
    """("open" | "share", ticket id) from a row menu click. Raises StateError."""
    value = (action.get("selected_option") or {}).get("value", "")
    verb, _, ticket = value.partition(":")
    if verb not in ("open", "share") or not ticket.isdigit():
        raise StateError("bad row menu value")
    return verb, int(ticket)


def search_modal(state: ListState, *, list_id: str, response_url: str | None = None) -> dict[str, Any]:
    """A small modal to type the list's search text; its submission is read by `read_search_modal`."""
    blocks = [
        kit.input_block(
            SearchModal.BLOCK,
            "Search tickets",
            kit.text_input(
                SearchModal.ACTION,
                initial_value=state.filters.search or None,
                max_length=inputs.SEARCH_TEXT.max_chars,
                placeholder="Words in the summary, e.g. printer offline",
            ),
            optional=True,
            hint="Leave empty to clear the search. The other filters stay as they are.",
        )
    ]
    if state.filters.search:
        blocks.insert(0, kit.context(f"Current search: {escape_truncate(state.filters.search, 200)}"))
    metadata = SearchModalState(list_id=list_id, response_url=response_url).encode()
    return kit.modal(
        title="Search tickets",
        blocks=blocks,
        callback_id=CallbackId.LIST_SEARCH,
        private_metadata=metadata,
        submit="Search",
        close="Cancel",
    )


def read_search_modal(view: dict[str, Any]) -> tuple[SearchModalState, str]:
    """(the list it came from and where to answer, the typed search text)."""
    meta = SearchModalState.decode(view.get("private_metadata"))
    values = (view.get("state") or {}).get("values") or {}
    entry = (values.get(SearchModal.BLOCK) or {}).get(SearchModal.ACTION) or {}
    return meta, " ".join((entry.get("value") or "").split())
