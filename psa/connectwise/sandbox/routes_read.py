"""Read-only endpoints: system, service reference data, companies, tickets, notes, schedule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from .app import json_response, state_of
from .attribution import acting_member
from .children import ticket_config_view
from .errors import bad_request, not_found
from .index import RecordIndex
from .query import Fields, filter_records, forward_link, link_header, list_params, project, run_list
from .schema import schema
from .store import Rec, SandboxStore

Source = Callable[[SandboxStore, web.Request], list[Rec]]
Indexer = Callable[[SandboxStore], RecordIndex]


def int_id(request: web.Request, name: str = "id") -> int:
    """An integer path segment, or a 400."""
    raw = request.match_info[name]
    try:
        return int(raw)
    except ValueError:
        raise bad_request(f"The value '{raw}' is not a valid id.") from None


async def _body_conditions(request: web.Request) -> str | None:
    if request.method != "POST":
        return None
    try:
        body = await request.json()
    except ValueError:
        raise bad_request("The request body is not valid JSON.") from None
    if body is None:
        return None
    if not isinstance(body, dict):
        raise bad_request('The search body must be an object like {"conditions": "..."}.')
    conditions = next((v for k, v in body.items() if k.lower() == "conditions"), None)
    if conditions is not None and not isinstance(conditions, str):
        raise bad_request("conditions must be a string.")
    return conditions


def fields_for(request: web.Request, resource: str) -> Fields:
    """The fields a list of `resource` may be filtered and ordered on, minus any the site forgot."""
    return Fields(schema(resource), state_of(request).store.quirks.forgotten_for(resource))


def list_handler(source: Source, resource: str, index: Indexer | None = None) -> Callable[[web.Request], Any]:
    """GET (or POST /search) returning one page as a bare array plus a Link header."""

    async def handler(request: web.Request) -> web.Response:
        forward = request.headers.get("pagination-type", "").strip().lower() == "forward-only"
        params = list_params(request.query, await _body_conditions(request), forward_only=forward)
        fields = fields_for(request, resource)
        store = state_of(request).store
        with store.lock:
            result = run_list(source(store, request), params, fields, index(store) if index else None)
        base = str(request.url.with_query(None))
        headers: dict[str, str] = {}
        if not forward:
            headers["Link"] = link_header(base, request.query, result.page, result.page_size, result.total)
        elif result.next_page_id is not None:
            headers["Link"] = forward_link(base, request.query, result.page_size, result.next_page_id)
        return json_response(result.items, headers=headers)

    return handler


def count_handler(
    source: Source, resource: str, index: Indexer | None = None
) -> Callable[[web.Request], Any]:
    """`{"count": N}` for the same conditions as the list."""

    async def handler(request: web.Request) -> web.Response:
        params = list_params(request.query, await _body_conditions(request))
        fields = fields_for(request, resource)
        store = state_of(request).store
        with store.lock:
            total = len(
                filter_records(source(store, request), params, fields, index(store) if index else None)
            )
        return json_response({"count": total})

    return handler


def item_handler(resource: str, lookup: Callable[[SandboxStore, web.Request], Rec | None]) -> Any:
    """GET one record (honours `fields`)."""

    async def handler(request: web.Request) -> web.Response:
        store = state_of(request).store
        with store.lock:
            rec = lookup(store, request)
        if rec is None:
            raise not_found(resource, request.match_info.get("id") or request.match_info.get("sub"))
        fields = next((v for k, v in request.query.items() if k.lower() == "fields"), "")
        return json_response(project(rec, fields) if fields.strip() else rec)

    return handler


def table(name: str) -> Source:
    """Source listing a whole collection."""
    return lambda store, request: list(store.table(name).values())


def by_id(name: str) -> Callable[[SandboxStore, web.Request], Rec | None]:
    """Lookup of a record by the `{id}` path segment."""
    return lambda store, request: store.get(name, int_id(request))


def ticket_or_404(store: SandboxStore, request: web.Request) -> Rec:
    """The ticket named by `{id}`, or a 404."""
    tid = int_id(request)
    ticket = store.get("tickets", tid)
    if ticket is None:
        raise not_found("Ticket", tid)
    return ticket


def _tickets(store: SandboxStore, request: web.Request) -> list[Rec]:
    return store.ticket_views()


def _ticket_index(store: SandboxStore) -> RecordIndex:
    return store.ticket_index()


def _ticket(store: SandboxStore, request: web.Request) -> Rec | None:
    t = store.get("tickets", int_id(request))
    return store.ticket_view(t) if t is not None else None


def _member(store: SandboxStore, request: web.Request) -> Rec | None:
    return store.find_member(request.match_info["id"])


def _statuses(store: SandboxStore, request: web.Request) -> list[Rec]:
    board_id = int_id(request)
    if store.get("boards", board_id) is None:
        raise not_found("Board", board_id)
    return store.board_statuses(board_id)


def _status(store: SandboxStore, request: web.Request) -> Rec | None:
    status = store.get("board_statuses", int_id(request, "sub"))
    return status if status is not None and status["board"]["id"] == int_id(request) else None


def _notes(store: SandboxStore, request: web.Request) -> list[Rec]:
    tid = ticket_or_404(store, request)["id"]
    return [n for n in store.table("notes").values() if n.get("ticketId") == tid]


def _note(store: SandboxStore, request: web.Request) -> Rec | None:
    tid = ticket_or_404(store, request)["id"]
    note = store.get("notes", int_id(request, "sub"))
    return note if note is not None and note.get("ticketId") == tid else None


def _ticket_configs(store: SandboxStore, request: web.Request) -> list[Rec]:
    tid = ticket_or_404(store, request)["id"]
    base = str(request.url.origin()) + request.path.split("/service/")[0]
    configs = (store.get("configurations", cid) for cid in store.ticket_configuration_ids(tid))
    return [ticket_config_view(c, base) for c in configs if c is not None]


async def system_info(request: web.Request) -> web.Response:
    """GET /system/info."""
    return json_response(state_of(request).store.system_info)


async def my_member(request: web.Request) -> web.Response:
    """GET /system/myMembers: the member owning the API keys of this request."""
    return json_response(acting_member(request))


def _collection(app: web.Application, path: str, name: str, resource: str) -> None:
    app.router.add_get(path, list_handler(table(name), name))
    app.router.add_get(path + "/count", count_handler(table(name), name))
    app.router.add_get(path + r"/{id:\d+}", item_handler(resource, by_id(name)))


def register(app: web.Application, root: str) -> None:
    """Add the read routes under the API root."""
    r = app.router
    r.add_get(root + "/system/info", system_info)
    r.add_get(root + "/system/myMembers", my_member)
    r.add_get(root + "/system/mySecurity", list_handler(table("my_security"), "my_security"))
    r.add_get(root + "/system/members", list_handler(table("members"), "members"))
    r.add_get(root + "/system/members/count", count_handler(table("members"), "members"))
    r.add_get(root + "/system/members/{id}", item_handler("Member", _member))
    _collection(app, root + "/service/boards", "boards", "Board")
    r.add_get(root + r"/service/boards/{id:\d+}/statuses", list_handler(_statuses, "board_statuses"))
    r.add_get(root + r"/service/boards/{id:\d+}/statuses/count", count_handler(_statuses, "board_statuses"))
    r.add_get(root + r"/service/boards/{id:\d+}/statuses/{sub:\d+}", item_handler("Status", _status))
    _collection(app, root + "/service/priorities", "priorities", "Priority")
    _collection(app, root + "/company/companies", "companies", "Company")
    _collection(app, root + "/company/contacts", "contacts", "Contact")
    _collection(app, root + "/company/configurations", "configurations", "Configuration")
    _collection(app, root + "/schedule/entries", "schedule_entries", "ScheduleEntry")
    _collection(app, root + "/schedule/types", "schedule_types", "ScheduleType")
    r.add_get(root + "/service/tickets", list_handler(_tickets, "tickets", _ticket_index))
    r.add_get(root + "/service/tickets/count", count_handler(_tickets, "tickets", _ticket_index))
    r.add_post(root + "/service/tickets/search", list_handler(_tickets, "tickets", _ticket_index))
    r.add_get(root + r"/service/tickets/{id:\d+}", item_handler("Ticket", _ticket))
    r.add_get(root + r"/service/tickets/{id:\d+}/notes", list_handler(_notes, "notes"))
    r.add_get(root + r"/service/tickets/{id:\d+}/notes/count", count_handler(_notes, "notes"))
    r.add_get(root + r"/service/tickets/{id:\d+}/notes/{sub:\d+}", item_handler("Note", _note))
    configs = "ticket_configurations"
    r.add_get(root + r"/service/tickets/{id:\d+}/configurations", list_handler(_ticket_configs, configs))
    r.add_get(
        root + r"/service/tickets/{id:\d+}/configurations/count", count_handler(_ticket_configs, configs)
    )
