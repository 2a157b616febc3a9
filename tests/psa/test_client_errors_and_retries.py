"""Typed errors, bounded retries of reads, and never-retried writes, over real HTTP."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from waiting import wait_until

from psa.base import ProviderFilters
from psa.connectwise import ConnectWiseCredentials, ConnectWiseProvider, RetryPolicy
from psa.connectwise.client import ConnectWiseClient
from psa.errors import (
    PSAAuthenticationError,
    PSANotFoundError,
    PSAPermissionError,
    PSARateLimitedError,
    PSAUnavailableError,
    PSAValidationError,
)
from psa.models import TicketCreatePayload

SECRET = "not-the-real-key-c0ffee"
NEW_TICKET = TicketCreatePayload(
    summary="Printer jammed", company_id=52, board_id=1, status_id=101, priority_id=3
)


def test_credentials_repr_hides_the_private_key(credentials: ConnectWiseCredentials) -> None:
    creds = credentials.model_copy(update={"private_key": SecretStr(SECRET)})
    assert SECRET not in repr(creds) and SECRET not in str(creds)
    assert SECRET not in creds.model_dump_json()


async def test_bad_key_is_an_authentication_error_without_the_secret(make_provider: Any) -> None:
    provider = make_provider(private_key=SecretStr(SECRET))
    with pytest.raises(PSAAuthenticationError) as info:
        await provider.test_connection()
    assert info.value.status == 401
    assert SECRET not in str(info.value) and SECRET not in info.value.message


async def test_good_credentials_pass_the_connection_test(provider: ConnectWiseProvider) -> None:
    info = await provider.test_connection()
    assert info.kind == "connectwise" and info.version


async def test_missing_ticket_is_not_found(provider: ConnectWiseProvider) -> None:
    with pytest.raises(PSANotFoundError) as info:
        await provider.get_ticket(99999)
    assert "99999" in info.value.message


async def test_forbidden_is_a_permission_error(provider: ConnectWiseProvider, sandbox: Any) -> None:
    sandbox.inject_fault(method="GET", path_pattern="/service/boards", status=403)
    with pytest.raises(PSAPermissionError):
        await provider.list_boards()


async def test_validation_error_names_the_fields(provider: ConnectWiseProvider) -> None:
    bad = NEW_TICKET.model_copy(update={"company_id": 999999, "status_id": 999})
    with pytest.raises(PSAValidationError) as info:
        await provider.create_ticket(bad)
    assert info.value.status == 400
    assert "company" in info.value.fields


async def test_a_429_is_retried_after_the_time_the_server_asked_for(
    provider: ConnectWiseProvider, sandbox: Any, sleeps: Any
) -> None:
    sandbox.inject_fault(method="GET", path_pattern="/service/boards$", status=429, retry_after=2)
    boards = await provider.list_boards()
    assert len(boards) == 5
    assert sleeps.delays == [2.0]
    assert sandbox.request_count("GET", "/service/boards") == 2


async def test_a_long_retry_after_fails_fast_with_the_wait(
    provider: ConnectWiseProvider, sandbox: Any, sleeps: Any
) -> None:
    sandbox.inject_fault(method="GET", path_pattern="/service/boards$", status=429, retry_after=60)
    with pytest.raises(PSARateLimitedError) as info:
        await provider.list_boards()
    assert info.value.retry_after == 60
    assert "Too many requests" in info.value.message
    assert sleeps.delays == [] and sandbox.request_count("GET", "/service/boards") == 1


async def test_503s_are_retried_with_growing_jittered_backoff(
    provider: ConnectWiseProvider, sandbox: Any, sleeps: Any
) -> None:
    sandbox.inject_fault(method="GET", path_pattern="/service/priorities", status=503, count=3)
    priorities = await provider.list_priorities()
    assert [p.sort for p in priorities] == [1, 2, 3, 4, 5]
    assert sandbox.request_count("GET", "/service/priorities") == 4
    policy = RetryPolicy()
    for attempt, delay in enumerate(sleeps.delays):
        ceiling = min(policy.max_delay, policy.base_delay * 2**attempt)
        assert ceiling / 2 <= delay <= ceiling


async def test_retries_stop_after_the_retry_count(
    provider: ConnectWiseProvider, sandbox: Any, sleeps: Any
) -> None:
    sandbox.inject_fault(method="GET", path_pattern="/service/priorities", status=503, count=10)
    with pytest.raises(PSAUnavailableError) as info:
        await provider.list_priorities()
    assert info.value.status == 503
    assert sandbox.request_count("GET", "/service/priorities") == 1 + RetryPolicy().max_retries
    assert len(sleeps.delays) == RetryPolicy().max_retries


async def test_retries_stop_when_the_time_budget_is_spent(
    credentials: ConnectWiseCredentials, http: httpx.AsyncClient, sandbox: Any
) -> None:
    policy = RetryPolicy(max_retries=50, base_delay=0.04, max_delay=0.08, max_total=0.3)
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:  # time passes only while the client waits to retry
        slept.append(seconds)
        now[0] += seconds

    client = ConnectWiseClient(credentials, http, retry=policy, sleep=sleep, clock=lambda: now[0])
    sandbox.inject_fault(method="GET", path_pattern="/service/priorities", status=502, count=None)
    with pytest.raises(PSAUnavailableError):
        await client.get("/service/priorities")
    assert sum(slept) <= policy.max_total and 3 <= len(slept) < policy.max_retries
    assert sandbox.request_count("GET", "/service/priorities") == len(slept) + 1


async def test_a_plain_500_on_a_read_is_retried_with_backoff(
    provider: ConnectWiseProvider, sandbox: Any, sleeps: Any
) -> None:
    sandbox.inject_fault(method="GET", path_pattern="/service/boards$", status=500, count=2)
    boards = await provider.list_boards()
    assert boards
    assert sandbox.request_count("GET", "/service/boards") == 3
    assert len(sleeps.delays) == 2


async def test_a_dropped_connection_on_a_read_is_retried(provider: ConnectWiseProvider, sandbox: Any) -> None:
    sandbox.inject_fault(method="GET", path_pattern="/service/tickets/1000$", drop_connection=True)
    ticket = await provider.get_ticket(1000)
    assert ticket.id == 1000


async def test_a_search_post_is_a_read_and_is_retried(
    credentials: ConnectWiseCredentials, http: httpx.AsyncClient, sandbox: Any, sleeps: Any
) -> None:
    client = ConnectWiseClient(credentials, http, sleep=sleeps)
    sandbox.inject_fault(method="POST", path_pattern="/service/tickets/search", status=503)
    rows = await client.search("/service/tickets", "id = 1000")
    assert [r["id"] for r in rows] == [1000]
    assert sandbox.request_count("POST", "/service/tickets/search") == 2


async def test_the_most_hostile_search_still_fits_in_a_get_url(
    provider: ConnectWiseProvider, sandbox: Any
) -> None:
    text = '"'.join("'" + "%" * 9 + str(i) for i in range(20))
    result = await provider.search_tickets(ProviderFilters(search=text), page=1, page_size=25)
    assert result.total == 0
    for record in sandbox.requests:
        url = str(httpx.URL(sandbox.base_url + record.path, params=record.query))
        assert len(url) < 2000


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_a_failed_create_is_sent_exactly_once(
    provider: ConnectWiseProvider, sandbox: Any, status: int
) -> None:
    sandbox.inject_fault(method="POST", path_pattern="/service/tickets$", status=status, retry_after=1)
    with pytest.raises((PSAUnavailableError, PSARateLimitedError)):
        await provider.create_ticket(NEW_TICKET)
    assert sandbox.request_count("POST", "/service/tickets") == 1


async def test_a_failed_note_is_sent_exactly_once(provider: ConnectWiseProvider, sandbox: Any) -> None:
    sandbox.inject_fault(method="POST", path_pattern="/notes$", status=500)
    with pytest.raises(PSAUnavailableError):
        await provider.add_note(1000, "Called the user back", internal=False)
    assert sandbox.request_count("POST", "/notes") == 1


async def test_a_dropped_create_is_not_resent_and_says_to_check(
    provider: ConnectWiseProvider, sandbox: Any
) -> None:
    sandbox.inject_fault(method="POST", path_pattern="/service/tickets$", drop_connection=True)
    with pytest.raises(PSAUnavailableError) as info:
        await provider.create_ticket(NEW_TICKET)
    assert sandbox.request_count("POST", "/service/tickets") == 1
    assert "check" in info.value.user_hint


async def test_a_write_that_times_out_is_not_resent(make_provider: Any, sandbox: Any) -> None:
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.2, connect=1.0)) as client:
        provider = make_provider(client=client)
        # Ten times longer than the client waits: it gives up first whatever the machine's load.
        sandbox.inject_fault(method="POST", path_pattern="/notes$", status=None, delay_ms=2000)
        with pytest.raises(PSAUnavailableError) as info:
            await provider.add_note(1000, "slow", internal=True)
        assert info.value.code == "ReadTimeout"
    await wait_until(lambda: sandbox.request_count("POST", "/notes"), what="the slow note logged")
    assert sandbox.request_count("POST", "/notes") == 1


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_write_that_never_connected_is_retried_then_unavailable(
    make_provider: Any, sleeps: Any
) -> None:
    provider = make_provider(base_url=f"http://127.0.0.1:{_closed_port()}/v4_6_release/apis/3.0")
    with pytest.raises(PSAUnavailableError) as info:
        await provider.create_ticket(NEW_TICKET)
    assert info.value.code == "ConnectError"
    # Nothing left this process, so resending was safe; the count is still bounded.
    assert len(sleeps.delays) == RetryPolicy().max_retries


async def test_provider_owns_and_closes_its_own_client(credentials: ConnectWiseCredentials) -> None:
    provider = ConnectWiseProvider(credentials)
    assert (await provider.get_ticket(1000)).id == 1000
    await provider.aclose()
    with pytest.raises(RuntimeError):
        await provider.get_ticket(1000)
