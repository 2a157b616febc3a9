"""Fixtures for the provider and service tests: a provider wired to the sandbox, and a seed oracle."""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from psa.connectwise import ConnectWiseCredentials, ConnectWiseProvider, RetryPolicy
from psa.connectwise.client import ConnectWiseClient

SEED_PATH = Path(__file__).resolve().parents[2] / "psa" / "connectwise" / "sandbox" / "seed.json"
DEMO_MEMBER_ID = 17  # jdoe


@dataclass
class SleepRecorder:
    """Stands in for asyncio.sleep in retry tests: records each requested delay, returns at once."""

    delays: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class SeedOracle:
    """Answers computed straight from seed.json, independently of the sandbox and the provider."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.members = {m["id"]: m for m in data["members"]}
        self.tickets = {t["id"]: t for t in data["tickets"]}
        self.priority_sort = {p["id"]: p["sortOrder"] for p in data["priorities"]}

    def resources(self, ticket: dict[str, Any]) -> list[str]:
        """Identifiers of the ticket's owner and open Service schedule entries."""
        out: list[str] = []
        owner = ticket.get("owner")
        if owner:
            out.append(owner["identifier"])
        for e in self.data["schedule_entries"]:
            if e["objectId"] == ticket["id"] and e["type"]["identifier"] == "S" and not e["doneFlag"]:
                ident = e["member"]["identifier"]
                if ident not in out:
                    out.append(ident)
        return out

    def matching(
        self,
        *,
        search: str = "",
        board_id: int | None = None,
        status_id: int | None = None,
        priority_id: int | None = None,
        company_id: int | None = None,
        assigned: str | int = "all",
        include_closed: bool = False,
    ) -> list[int]:
        """Ids of tickets that satisfy the filters, most urgent first, then newest."""
        text = search.strip()
        # Search text is cut at characters no condition literal may hold (see conditions.py).
        pieces = re.split(r"[\\*\x00-\x1f\x7f]+", text)
        if any('"' in p for p in pieces) and any("'" in p for p in pieces):
            pieces = [q for p in pieces for q in p.split('"')]
        parts = [p.strip().casefold() for p in pieces if p.strip()]
        out = []
        for t in self.tickets.values():
            haystacks = [t["summary"].casefold(), t["company"]["name"].casefold()]
            if parts and not all(any(p in h for h in haystacks) for p in parts):
                if not (text.isdigit() and int(text) == t["id"]):
                    continue
            if board_id is not None and t["board"]["id"] != board_id:
                continue
            if status_id is not None and t["status"]["id"] != status_id:
                continue
            if priority_id is not None and t["priority"]["id"] != priority_id:
                continue
            if company_id is not None and t["company"]["id"] != company_id:
                continue
            res = self.resources(t)
            if assigned == "unassigned" and res:
                continue
            if isinstance(assigned, int):
                ident = self.members[assigned]["identifier"]
                if ident not in res and (t.get("owner") or {}).get("id") != assigned:
                    continue
            if not include_closed and t["closedFlag"]:
                continue
            out.append(t)
        out.sort(key=self.order_key)
        return [t["id"] for t in out]

    def order_key(self, t: dict[str, Any]) -> tuple[int, float, int]:
        """Most urgent first, then newest, then highest id."""
        entered = datetime.fromisoformat(t["_info"]["dateEntered"].replace("Z", "+00:00")).timestamp()
        return (t["priority"]["sort"], -entered, -t["id"])


@pytest.fixture(scope="session")
def seed() -> SeedOracle:
    """The seed data and answers computed from it."""
    return SeedOracle(json.loads(SEED_PATH.read_text()))


@pytest.fixture
def credentials(sandbox: Any) -> ConnectWiseCredentials:
    """Valid credentials for the sandbox."""
    return ConnectWiseCredentials(
        base_url=sandbox.base_url,
        company_id=sandbox.company_id,
        public_key=sandbox.public_key,
        private_key=SecretStr(sandbox.private_key),
        client_id="00000000-test-client",
    )


@pytest.fixture
def sleeps() -> SleepRecorder:
    """The retry delays the provider asked for."""
    return SleepRecorder()


@pytest.fixture(scope="session")
def tls() -> ssl.SSLContext:
    """One TLS context for the session: building one per client costs tens of milliseconds."""
    return ssl.create_default_context()


@pytest.fixture
async def http(tls: ssl.SSLContext) -> AsyncIterator[httpx.AsyncClient]:
    """A real pooled HTTP client, as the app would pass one."""
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0), verify=tls) as client:
        yield client


@pytest.fixture
def provider(
    credentials: ConnectWiseCredentials, http: httpx.AsyncClient, sleeps: SleepRecorder
) -> ConnectWiseProvider:
    """A provider over real HTTP to the sandbox, with retry delays recorded instead of slept."""
    return ConnectWiseProvider(credentials, http=http, retry=RetryPolicy(), sleep=sleeps)


@pytest.fixture
def cw_get(credentials: ConnectWiseCredentials, http: httpx.AsyncClient) -> Any:
    """GET a ConnectWise API path from the sandbox with the test credentials (for checking stored state)."""
    client = ConnectWiseClient(credentials, http)

    async def get(path: str, params: dict[str, Any] | None = None) -> Any:
        return await client.get(path, params)

    return get


@pytest.fixture
def make_provider(credentials: ConnectWiseCredentials, http: httpx.AsyncClient, sleeps: SleepRecorder) -> Any:
    """Build a provider with other credentials, retry policy, sleep or HTTP client."""

    def build(
        *,
        retry: RetryPolicy | None = None,
        sleep: Any = None,
        client: httpx.AsyncClient | None = None,
        **changes: Any,
    ) -> ConnectWiseProvider:
        creds = credentials.model_copy(update=changes) if changes else credentials
        return ConnectWiseProvider(
            creds, http=client or http, retry=retry or RetryPolicy(), sleep=sleep or sleeps
        )

    return build
