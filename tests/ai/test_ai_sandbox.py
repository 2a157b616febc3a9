"""The parser on the real path: TicketService → ConnectWiseProvider → the sandbox over HTTP; and the CLI."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from round_trips import measure as measure_trips

from ai.extract import HeuristicExtractor
from ai.parse import NoMappings, main, run
from ai.parser import TicketParser
from bench.parse import HARD_CASES, load_cases, measure, score, to_markdown
from bot.settings import Settings
from psa.connectwise import ConnectWiseCredentials, ConnectWiseProvider
from psa.connectwise.sandbox import SandboxServer
from psa.service import TicketService


@pytest.fixture
async def service(sandbox: SandboxServer) -> AsyncIterator[TicketService]:
    credentials = ConnectWiseCredentials(
        base_url=sandbox.base_url,
        company_id=sandbox.company_id,
        public_key=sandbox.public_key,
        private_key=SecretStr(sandbox.private_key),
        client_id="tests",
    )
    async with httpx.AsyncClient() as http:
        yield TicketService(ConnectWiseProvider(credentials, http=http), NoMappings())


async def test_public_cases_pass_through_the_real_provider(sandbox: SandboxServer) -> None:
    figures = await measure(sandbox, load_cases(), round_latency_ms=0)
    assert figures["field_checks"]["accuracy"] >= 0.97, figures["failures"]
    assert figures["exact_case_accuracy"] >= 0.95, figures["failures"]
    assert figures["psa_calls_per_parse"]["warm"]["max"] == 0
    assert 0 < figures["psa_calls_per_parse"]["cold"]["max"] <= 5
    table = to_markdown(figures)
    assert "| company_id |" in table and "latency p95" in table


async def test_the_harder_cases_keep_their_accuracy_floor(sandbox: SandboxServer) -> None:
    # Typos, urgency words, status phrases, no company and two companies (tests/ai/data/ai-parse-hard.jsonl).
    cases = load_cases(HARD_CASES)
    assert len(cases) >= 60
    figures = await measure(sandbox, cases, round_latency_ms=0)
    assert figures["field_checks"]["accuracy"] >= 0.95, figures["failures"]
    assert figures["exact_case_accuracy"] >= 0.9, figures["failures"]
    for field, accuracy in figures["field_accuracy"].items():
        assert accuracy >= 0.85, (field, figures["failures"])


async def test_a_cold_parse_costs_two_round_trips_and_a_warm_one_none(
    sandbox: SandboxServer, service: TicketService
) -> None:
    parser = TicketParser(HeuristicExtractor(), service)
    prompt = "Stone Ridge Winery POS slow, urgent, help desk, assign to Jon Smith"
    result, cold = await measure_trips(sandbox, parser.parse(prompt, actor_member_id=17), together=(4, 1))
    assert (result.company_id, result.board_id, result.status_id) == (49, 1, 101)
    assert (result.priority_id, result.assigned_member_id) == (2, 3)
    # companies, boards, priorities and members at once; then the board's statuses.
    assert (cold.requests, cold.rounds) == (5, 2), cold
    again, warm = await measure_trips(sandbox, parser.parse(prompt, actor_member_id=17))
    assert again == result and warm.requests == 0


async def test_a_company_beyond_the_cached_list_is_looked_up_in_the_psa(
    sandbox: SandboxServer, service: TicketService
) -> None:
    class FirstPageOnly:
        """A reference whose company list is partial, as with a very large PSA."""

        def __init__(self, inner: TicketService) -> None:
            self.inner = inner

        async def companies(self) -> list[Any]:
            return [c for c in await self.inner.companies() if c.id < 20]

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

    parser = TicketParser(HeuristicExtractor(), FirstPageOnly(service))
    before = sandbox.request_count(path_contains="/company/companies")
    result = await parser.parse("Bluewater Logistics: backup failed", actor_member_id=17)
    assert result.company_id == 32 and result.warnings == []
    assert sandbox.request_count(path_contains="/company/companies") > before


def test_scoring_counts_each_expected_field_and_the_extra_checks() -> None:
    case = {"expect": {"company_id": 42, "priority_id": 2}, "summary_has": ["Outlook"], "warn": True}

    class Result:
        company_id, priority_id, summary = 42, 3, "outlook not syncing"
        warnings: list[str] = []

    assert score(case, Result()) == {
        "company_id": True,
        "priority_id": False,
        "summary": True,
        "warnings": False,
    }


async def test_cli_run_uses_the_configured_connectwise(sandbox: SandboxServer) -> None:
    settings = Settings(
        cw_base_url=sandbox.base_url,
        cw_company_id=sandbox.company_id,
        cw_public_key=sandbox.public_key,
        cw_private_key=SecretStr(sandbox.private_key),
        cw_client_id="tests",
        anthropic_api_key=None,
    )
    before = sandbox.request_count()
    result = await run(
        "Riverside Charter School: new hire onboarding Maria Gomez, onboarding board, assign to me",
        actor="arivera",
        settings=settings,
    )
    assert (result.company_id, result.board_id, result.assigned_member_id) == (47, 4, 5)
    assert sandbox.request_count() > before  # it really asked this sandbox


def test_cli_without_connectwise_settings_runs_on_the_seed_sandbox(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in [
        "CW_BASE_URL",
        "CW_COMPANY_ID",
        "CW_PUBLIC_KEY",
        "CW_PRIVATE_KEY",
        "CW_CLIENT_ID",
        "ANTHROPIC_API_KEY",
    ]:
        monkeypatch.delenv(name, raising=False)
    assert main(["--as", "jdoe", "Apex Auto Group phones ringing out, urgent, give it to John Smyth"]) == 0
    output = json.loads(capsys.readouterr().out)
    assert output["company_id"] == 108 and output["priority_id"] == 2 and output["assigned_member_id"] == 4
    assert set(output) == {
        "summary",
        "company_id",
        "board_id",
        "priority_id",
        "status_id",
        "assigned_member_id",
        "description",
        "missing_fields",
        "warnings",
    }
