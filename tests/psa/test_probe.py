"""The probe tells an admin which of the app's queries and permissions their site supports."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from psa.base import ProviderFilters
from psa.connectwise import ConnectWiseCredentials, ConnectWiseProvider
from psa.connectwise.probe import main, run_probe, summary_text
from psa.connectwise.probe_report import backslash_reading
from psa.connectwise.sandbox import SandboxServer
from psa.connectwise.sandbox.conditions import parse
from psa.models import TicketCreatePayload

SEED_PATH = Path(__file__).resolve().parents[2] / "psa" / "connectwise" / "sandbox" / "seed.json"


async def test_against_the_sandbox_every_form_works(
    credentials: ConnectWiseCredentials, http: httpx.AsyncClient, sandbox: Any
) -> None:
    report = await run_probe(credentials, http=http)
    assert report.ok, summary_text(report)
    assert all(f.ok for f in report.forms)
    assert report.api_version == "v2025.1.12345"
    assert report.service_type is not None and report.service_type.identifier == "S"
    assert report.service_type.id != 4
    assert report.requests == len(sandbox.requests) <= 35
    assert all(r.method == "GET" for r in sandbox.requests)  # read-only


async def test_the_probe_reports_how_the_site_reads_a_backslash(
    credentials: ConnectWiseCredentials, http: httpx.AsyncClient, sandbox: Any
) -> None:
    report = await run_probe(credentials, http=http)

    # The sandbox refuses a backslash inside a string in any form (stricter than either reading).
    assert report.backslash == "refused" and report.ok
    assert "Backslash in condition strings: refused in any form" in summary_text(report)
    sent = [r.query.get("conditions", "") for r in sandbox.requests if r.path.endswith("/count")]
    assert 'id = 0 AND summary contains "\\"' in sent and 'id = 0 AND summary contains "\\\\"' in sent


@pytest.mark.parametrize(
    ("lone", "pair", "reading"),
    [(True, True, "literal"), (False, True, "escape"), (False, False, "refused"), (None, True, "unknown")],
)
def test_two_reads_decide_the_backslash_reading(lone: bool | None, pair: bool | None, reading: str) -> None:
    assert backslash_reading(lone, pair) == reading


async def test_a_site_that_does_not_know_resources_is_named(
    credentials: ConnectWiseCredentials, http: httpx.AsyncClient, sandbox: Any
) -> None:
    async with httpx.AsyncClient(base_url=sandbox.root_url) as control:
        await control.post("/__sandbox/quirks", json={"forget": {"tickets": ["resources"]}})
    report = await run_probe(credentials, http=http)
    assert not report.ok
    assert {f.key for f in report.refused} == {"tickets.assigned", "tickets.unassigned"}
    assert {f.message for f in report.refused} == {"resources is not a recognized name."}
    text = summary_text(report)
    assert "Assigned to a member (owner or resources): refused — resources is not a recognized name." in text


async def test_a_site_that_cannot_order_by_priority_sort_is_named(
    credentials: ConnectWiseCredentials, http: httpx.AsyncClient, sandbox: Any
) -> None:
    sandbox.forget_fields("tickets", "priority/sort")
    report = await run_probe(credentials, http=http)
    refused = {f.key for f in report.refused}
    assert "tickets.open" in refused and "tickets.count" not in refused
    assert all("priority/sort" in (f.message or "") for f in report.refused)
    # With no open ticket to try them on, the per-ticket forms say so instead of failing.
    notes = next(f for f in report.forms if f.key == "notes")
    assert notes.ok is None and "no open ticket" in (notes.message or "")


async def test_missing_permissions_are_listed_with_what_is_needed(http: httpx.AsyncClient) -> None:
    seed = json.loads(SEED_PATH.read_text(encoding="utf-8"))
    for row in seed["my_security"]:
        if row["moduleFunctionName"] == "Resource Scheduling":
            row.update(addLevel="None", deleteLevel="My")
    seed["my_security"] = [r for r in seed["my_security"] if r["moduleFunctionName"] != "Time Entry"]
    with SandboxServer(seed) as site:
        creds = ConnectWiseCredentials(
            base_url=site.base_url,
            company_id=site.company_id,
            public_key=site.public_key,
            private_key=SecretStr(site.private_key),
            client_id="probe-test",
        )
        report = await run_probe(creds, http=http)
    missing = {p.function: p.missing for p in report.missing_permissions}
    assert missing == {
        "Service Desk › Resource Scheduling": ["add", "delete"],
        "Time & Expense › Time Entry": ["inquire", "add", "delete"],
    }
    text = summary_text(report)
    assert "Permissions: 2 missing" in text and "not in the security role" in text


def _shapes(node: Any) -> set[tuple[str, str, bool]]:
    if node is None:
        return set()
    items = getattr(node, "items", None)
    if items is None:
        return {(node.field.lower(), node.op, node.negated)}
    return set().union(*(_shapes(i) for i in items))


def _forms(requests: list[Any]) -> tuple[dict[str, set[Any]], set[tuple[str, str]]]:
    """Per endpoint, every (field, operator) compared; and every (endpoint, orderBy) sent."""
    shapes: dict[str, set[Any]] = {}
    orders: set[tuple[str, str]] = set()
    for r in requests:
        if r.method != "GET" or r.status == 400:  # the backslash reads are refused by design
            continue
        # /count takes the list's conditions: trying them on the list tries them on the count.
        path = re.sub(r"/\d+", "/{id}", r.path).removesuffix("/count")
        shapes.setdefault(path, set()).update(_shapes(parse(r.query.get("conditions", ""))))
        orders.add((path, r.query.get("orderBy", "")))
    return shapes, orders


async def test_the_probe_tries_every_read_form_the_provider_sends(
    provider: ConnectWiseProvider, credentials: ConnectWiseCredentials, http: httpx.AsyncClient, sandbox: Any
) -> None:
    for filters in (
        ProviderFilters(search="printer 95%", board_id=1, status_id=101, priority_id=2, company_id=52),
        ProviderFilters(search="1042", assigned=17, include_closed=True),
        ProviderFilters(assigned="unassigned", status_name="New"),
    ):
        await provider.search_tickets(filters)
    await provider.get_ticket_context(1649)  # has a parent/children, a contact and a device
    await provider.list_resources(1005)
    await provider.add_resource(1005, 19)
    await provider.remove_resource(1005, 19)
    await provider.list_boards()
    await provider.list_statuses(1)
    await provider.list_priorities()
    await provider.list_members()
    await provider.search_companies("acme_%")
    created = await provider.create_ticket(
        TicketCreatePayload(summary="probe coverage", company_id=52, board_id=1, status_id=101, priority_id=2)
    )
    await provider.list_time_entries(created.id)
    await provider.list_work_types()
    await provider.list_work_roles()
    await provider.recent_open_tickets(company_id=52)
    await provider.find_by_marker("probe-coverage")
    newest = await provider.newest_ticket_change()
    assert newest is not None and newest.last_updated is not None
    await provider.tickets_changed_since(newest.last_updated, after_id=newest.id)
    await provider.list_change_subscriptions()
    app_shapes, app_orders = _forms(sandbox.requests)
    sandbox.clear_requests()
    await run_probe(credentials, http=http)
    probe_shapes, probe_orders = _forms(sandbox.requests)
    by_id = ("/service/tickets/{id}", "/company/contacts/{id}", "/system/members/{id}")  # no query form
    assert {o for o in app_orders if o[0] not in by_id} <= probe_orders
    for path, shapes in app_shapes.items():
        assert shapes <= probe_shapes.get(path, set()), (path, shapes - probe_shapes.get(path, set()))


def test_the_command_line_reports_and_exits_zero_on_a_good_site(
    sandbox: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "--base-url",
            sandbox.base_url,
            "--company-id",
            sandbox.company_id,
            "--public-key",
            sandbox.public_key,
            "--private-key",
            sandbox.private_key,
            "--client-id",
            "cli",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert (
        "Query forms:" in out
        and "Permissions: all present" in out
        and 'Service schedule type: "Service"' in out
    )
