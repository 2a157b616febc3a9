"""A read-only check of a ConnectWise site against everything the app asks of it.

`run_probe` sends every read query form the provider uses (the same builders, one small page each),
reads the API version (`/system/info`), the Service schedule type (`/schedule/types`, identifier "S")
the API member's security (`/system/mySecurity`) and how the site reads a backslash inside a condition
string (two counts, see `_backslash`), and returns a `ProbeReport`; `summary_text`
renders it for people (both in `probe_report.py`). `python -m psa.connectwise.probe` runs it from the
command line with the CW_* settings or arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import SecretStr

from psa.base import ProviderFilters
from psa.connectwise import queries as q
from psa.connectwise.client import DEFAULT_TIMEOUT, ConnectWiseClient, ConnectWiseCredentials
from psa.connectwise.conditions import eq, render, ticket_filter
from psa.connectwise.mapping import SERVICE_SCHEDULE_TYPE_IDENTIFIER, system_version
from psa.connectwise.probe_report import (
    NEEDS,
    NOT_CHECKABLE,
    Backslash,
    FormResult,
    PermissionCheck,
    ProbeReport,
    ScheduleType,
    backslash_reading,
    permission_checks,
    summary_text,
)
from psa.connectwise.time_entries import TIME_ORDER, ticket_time
from psa.errors import PSAError

__all__ = [
    "NEEDS",
    "NOT_CHECKABLE",
    "FormResult",
    "PermissionCheck",
    "ProbeReport",
    "ScheduleType",
    "main",
    "permission_checks",
    "run_probe",
    "summary_text",
]

# Search text with every LIKE wildcard, so the site sees the bracket escapes the app sends.
_SEARCH = "probe 100%_[x]"


@dataclass(frozen=True)
class _Form:
    key: str
    name: str
    query: Callable[[int], q.Query]  # given the id named by `needs` (0 when it needs none)
    needs: str | None = None  # "ticket" or "board": tried on the first one the site returned


def _one(query: q.Query) -> q.Query:
    """The same form, one small page (the probe reads as little as it can)."""
    path, params = query
    return path, ({**params, "pageSize": 1} if "pageSize" in params else params)


def _tickets(filters: ProviderFilters, member: str | None = None) -> q.Query:
    return _one(q.ticket_page(ticket_filter(filters, member), 1, 1))


def _time(ticket_id: int, client_ref: bool = False) -> q.Query:
    extra = eq("mobileGuid", "00000000-0000-0000-0000-000000000000") if client_ref else None
    params: dict[str, Any] = {"conditions": render(ticket_time(ticket_id, extra)), "pageSize": 1}
    if not client_ref:
        params["orderBy"] = TIME_ORDER
    return "/time/entries", params


# How the site reads `\` inside a string (conditions.py rule 3, undocumented): a lone backslash before the
# closing quote, then a doubled one. Fixed texts, never user text (the quoting function refuses `\`).
_BACKSLASH_LONE = 'id = 0 AND summary contains "\\"'
_BACKSLASH_PAIR = 'id = 0 AND summary contains "\\\\"'


async def _reads(api: ConnectWiseClient, conditions: str) -> bool | None:
    """True when the site answers the count, False when it refuses the conditions, None otherwise."""
    try:
        await api.get("/service/tickets/count", {"conditions": conditions})
    except PSAError as exc:
        return False if exc.status == 400 else None
    return True


async def _backslash(api: ConnectWiseClient) -> Backslash:
    lone, pair = await asyncio.gather(_reads(api, _BACKSLASH_LONE), _reads(api, _BACKSLASH_PAIR))
    return backslash_reading(lone, pair)


# The change poll (psa/connectwise/changes.py): tickets updated since a moment, oldest change first.
_SINCE = datetime(2000, 1, 1, tzinfo=UTC)


def _changed_since() -> q.Query:
    return q.ticket_changes(_SINCE, 1, 1)


def _active_by_name(path: str) -> q.Query:
    return path, {"conditions": render(eq("inactiveFlag", False)), "orderBy": "name asc", "pageSize": 1}


FIRST_FORMS = [
    _Form("tickets.open", "Ticket list (open, most urgent first)", lambda _: _tickets(ProviderFilters())),
    _Form("tickets.count", "Ticket count", lambda _: q.ticket_count(ticket_filter(ProviderFilters()))),
    _Form(
        "tickets.search",
        "Search text (wildcards escaped)",
        lambda _: _tickets(ProviderFilters(search=_SEARCH)),
    ),
    _Form("tickets.number", "Search by ticket number", lambda _: _tickets(ProviderFilters(search="1"))),
    _Form(
        "tickets.filters",
        "Board, status, priority and company filters",
        lambda _: _tickets(ProviderFilters(board_id=1, status_id=1, priority_id=1, company_id=1)),
    ),
    _Form("tickets.status_name", "Status by name", lambda _: _tickets(ProviderFilters(status_name="New"))),
    _Form(
        "tickets.assigned",
        "Assigned to a member (owner or resources)",
        lambda _: _tickets(ProviderFilters(assigned=1), "probe_member"),
    ),
    _Form(
        "tickets.unassigned", "Unassigned tickets", lambda _: _tickets(ProviderFilters(assigned="unassigned"))
    ),
    _Form("tickets.family", "Related: parent and children", lambda _: _one(q.ticket_family(1, 2))),
    _Form("tickets.others", "Related: same company and contact", lambda _: _one(q.ticket_others(1, 1, 1))),
    _Form(
        "entries.service", "Assignees (Service schedule entries)", lambda _: _one(q.schedule_entries(1, 1))
    ),
    _Form("configurations", "Device names", lambda _: _one(q.configurations([1]))),
    _Form("companies", "Company picker", lambda _: _one(q.companies(_SEARCH, 1, 1))),
    _Form("members", "Members", lambda _: _one(q.members(1, 1))),
    _Form("boards", "Boards", lambda _: _one(q.boards())),
    _Form("priorities", "Priorities", lambda _: _one(q.priorities())),
    _Form("time.ticket", "Time entries of a ticket", lambda _: _time(1)),
    _Form("time.client_ref", "A time entry by its client reference", lambda _: _time(1, client_ref=True)),
    _Form("time.work_types", "Work types", lambda _: _active_by_name("/time/workTypes")),
    _Form("time.work_roles", "Work roles", lambda _: _active_by_name("/time/workRoles")),
    _Form("tickets.recent", "Recent open tickets of a company", lambda _: _one(q.recent_open(1, 1))),
    _Form("tickets.marker", "A ticket by the app's create marker", lambda _: _one(q.by_marker("probe"))),
    _Form("tickets.changed", "Tickets changed since (the change poll)", lambda _: _changed_since()),
    _Form(
        "tickets.newest_change",
        "The most recently changed ticket",
        lambda _: ("/service/tickets", {"orderBy": "_info/lastUpdated desc,id desc", "pageSize": 1}),
    ),
    _Form(
        "callbacks",
        "Change subscriptions (callbacks)",
        lambda _: ("/system/callbacks", {"orderBy": "id asc", "page": 1, "pageSize": 1}),
    ),
]
# Forms on one ticket or board: tried on the first ones the site returned above.
SECOND_FORMS = [
    _Form("statuses", "Board statuses", lambda b: _one(q.statuses(b)), "board"),
    _Form("notes", "Ticket notes", lambda t: _one(q.ticket_notes(t)), "ticket"),
    _Form("notes.count", "Ticket note count", q.ticket_notes_count, "ticket"),
    _Form("ticket.devices", "Devices of a ticket", lambda t: _one(q.ticket_configuration_links(t)), "ticket"),
]
_NEEDS_FROM = {"tickets.open": "ticket", "boards": "board"}
_SKIPPED = {"ticket": "not tried: the site returned no open ticket", "board": "not tried: no active board"}


def _describe(query: q.Query) -> str:
    path, params = query
    shown = " ".join(f"{k}={v}" for k, v in params.items() if k in ("conditions", "orderBy"))
    return f"GET {path}" + (f" {shown}" if shown else "")


async def _try(api: ConnectWiseClient, form: _Form, found: dict[str, int]) -> tuple[FormResult, Any]:
    if form.needs is not None and form.needs not in found:
        return FormResult(
            key=form.key, name=form.name, request="", ok=None, message=_SKIPPED[form.needs]
        ), None
    query = form.query(found.get(form.needs, 0) if form.needs else 0)
    base = FormResult(key=form.key, name=form.name, request=_describe(query), ok=True)
    try:
        body = await api.get(*query)
    except PSAError as exc:
        failed = base.model_copy(
            update={"ok": False, "status": exc.status, "code": exc.code, "message": exc.message}
        )
        return failed, None
    return base, body


def _first_id(body: Any) -> int | None:
    if isinstance(body, list) and body and isinstance(body[0], dict):
        value = body[0].get("id")
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    return None


async def _service_type(api: ConnectWiseClient) -> tuple[ScheduleType | None, str | None]:
    cond = render(eq("identifier", SERVICE_SCHEDULE_TYPE_IDENTIFIER))
    try:
        rows = await api.get("/schedule/types", {"conditions": cond, "pageSize": 5})
    except PSAError as exc:
        return None, exc.message
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and isinstance(row.get("id"), int):
            return ScheduleType(
                id=row["id"], identifier=str(row.get("identifier")), name=str(row.get("name") or "")
            ), None
    return None, 'the site has no schedule type with identifier "S"'


async def run_probe(
    credentials: ConnectWiseCredentials, *, http: httpx.AsyncClient | None = None, concurrency: int = 4
) -> ProbeReport:
    """Probe a site with these credentials: read-only, one small request per form."""
    own = http is None
    client = http or httpx.AsyncClient(timeout=DEFAULT_TIMEOUT)
    sent = 0

    async def count(_request: httpx.Request) -> None:
        nonlocal sent
        sent += 1

    client.event_hooks["request"] = [*client.event_hooks.get("request", []), count]
    gate = asyncio.Semaphore(max(1, concurrency))

    async def bounded(aw: Awaitable[Any]) -> Any:
        async with gate:
            return await aw

    api = ConnectWiseClient(credentials, client)
    try:
        info, (service, service_error), security, backslash = await asyncio.gather(
            bounded(_safe(api.get("/system/info"))),
            bounded(_service_type(api)),
            bounded(_safe(api.get("/system/mySecurity", {"pageSize": 1000}))),
            bounded(_backslash(api)),
        )
        found: dict[str, int] = {}
        first = await asyncio.gather(*(bounded(_try(api, f, found)) for f in FIRST_FORMS))
        for form, (_, body) in zip(FIRST_FORMS, first, strict=True):
            if form.key in _NEEDS_FROM and (first_id := _first_id(body)) is not None:
                found[_NEEDS_FROM[form.key]] = first_id
        second = await asyncio.gather(*(bounded(_try(api, f, found)) for f in SECOND_FORMS))
    finally:
        client.event_hooks["request"] = [h for h in client.event_hooks["request"] if h is not count]
        if own:
            await client.aclose()
    permissions_error = security if isinstance(security, str) else None
    return ProbeReport(
        site=credentials.base_url,
        api_version=None if isinstance(info, str) else system_version(info),
        service_type=service,
        service_type_error=service_error,
        forms=[r for r, _ in [*first, *second]],
        permissions=[] if permissions_error else permission_checks(security or []),
        permissions_error=permissions_error,
        not_checkable=NOT_CHECKABLE,
        requests=sent,
        backslash=backslash,
    )


async def _safe(aw: Awaitable[Any]) -> Any:
    """The body, or the error's message as a str."""
    try:
        return await aw
    except PSAError as exc:
        return exc.message or type(exc).__name__


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m psa.connectwise.probe",
        description="Check a ConnectWise site against every query the app sends (read-only).",
    )
    p.add_argument("--base-url", help="API root, e.g. https://api-na.myconnectwise.net/v4_6_release/apis/3.0")
    p.add_argument("--company-id")
    p.add_argument("--public-key")
    p.add_argument("--private-key")
    p.add_argument("--client-id")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    return p


def _credentials(args: argparse.Namespace) -> ConnectWiseCredentials:
    from bot.settings import Settings  # the one reader of CW_* (only when run as a program)

    settings = Settings()
    private = args.private_key or (
        settings.cw_private_key.get_secret_value() if settings.cw_private_key else None
    )
    values = {
        "base_url": args.base_url or settings.cw_base_url,
        "company_id": args.company_id or settings.cw_company_id,
        "public_key": args.public_key or settings.cw_public_key,
        "private_key": private,
        "client_id": args.client_id or settings.cw_client_id,
    }
    missing = [k for k, v in values.items() if not v]
    if missing:
        flags = ", ".join("--" + k.replace("_", "-") for k in missing)
        raise SystemExit(f"missing {flags} (or the CW_* settings)")
    return ConnectWiseCredentials(**{**values, "private_key": SecretStr(str(private))})


def main(argv: list[str] | None = None) -> int:
    """Run the probe from the command line; exit 0 when the site supports everything the app does."""
    args = _parser().parse_args(argv)
    report = asyncio.run(run_probe(_credentials(args)))
    print(report.model_dump_json(indent=2) if args.json else summary_text(report, max_chars=100_000))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
