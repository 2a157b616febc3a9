"""The ConnectWise private key only ever goes to the host it was validated with: changing the site or the
company needs the key again, redirects are not followed, and in production the site must be a public
https host (each private address form refused) unless the operator allow-listed it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from pydantic import SecretStr
from scenario_harness import ADMIN, CLIENT_ID, TEAM, Slack
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from waiting import wait_until

from bot.ids import ConnectField
from psa.connectwise.sandbox import SandboxServer
from storage.repositories import connections as connection_repo

MakeSlack = Callable[..., AbstractAsyncContextManager[Slack]]
PRODUCTION = {"app_env": "production", "tickets_secret_key": SecretStr("security-tests-key")}


@dataclass
class Recorder:
    """A stranger's web server: it writes down every request and refuses it (or redirects elsewhere)."""

    url: str = ""
    requests: list[dict[str, str]] = field(default_factory=list)

    def authorizations(self) -> list[str]:
        return [r["authorization"] for r in self.requests if r.get("authorization")]


@asynccontextmanager
async def recorder(redirect_to: str | None = None) -> AsyncIterator[Recorder]:
    seen = Recorder()

    async def anything(request: Request) -> Response:
        seen.requests.append({"path": request.url.path, **dict(request.headers)})
        if redirect_to is not None:
            return RedirectResponse(redirect_to + request.url.path, status_code=307)
        return JSONResponse({"code": "Unauthorized", "message": "not a ConnectWise site"}, status_code=401)

    app = Starlette(routes=[Route("/{path:path}", anything, methods=["GET", "POST", "PATCH"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    task = asyncio.create_task(server.serve())

    def started() -> bool:
        if task.done():
            task.result()  # a server that failed to start raises here
        return server.started

    await wait_until(started, what="the stranger's server to start")
    seen.url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    try:
        yield seen
    finally:
        server.should_exit = True
        await task


def connect_form(sandbox: SandboxServer, **changes: str) -> dict[str, dict[str, str]]:
    typed = {
        ConnectField.SITE_URL: sandbox.root_url,
        ConnectField.COMPANY_ID: sandbox.company_id,
        ConnectField.PUBLIC_KEY: sandbox.public_key,
        ConnectField.PRIVATE_KEY: "",
        ConnectField.CLIENT_ID: CLIENT_ID,
        **changes,
    }
    return {name: {name: value} for name, value in typed.items()}


async def submit_connect(slack: Slack, values: dict[str, dict[str, str]]) -> dict[str, Any]:
    await slack.command("connect", user=ADMIN)
    sent = await slack.submit(slack.modal(ADMIN), user=ADMIN, values=values)
    assert sent.status == 200
    body: dict[str, Any] = sent.body
    return body


def errors_of(answer: dict[str, Any]) -> dict[str, str]:
    assert answer["response_action"] == "errors", answer
    errors: dict[str, str] = answer["errors"]
    return errors


# -- a stored key never follows the connection elsewhere -----------------------------------------


async def test_changing_the_site_without_the_key_asks_for_it_and_sends_nothing_there(slack: Slack) -> None:
    before = await slack.store.connection()
    async with recorder() as stranger:
        answer = await submit_connect(
            slack, connect_form(slack.sandbox, **{ConnectField.SITE_URL: stranger.url})
        )

    assert "enter the private key again" in errors_of(answer)[ConnectField.PRIVATE_KEY]
    assert stranger.requests == []
    assert await slack.store.connection() == before


async def test_changing_the_company_without_the_key_asks_for_it(slack: Slack) -> None:
    answer = await submit_connect(
        slack, connect_form(slack.sandbox, **{ConnectField.COMPANY_ID: "othercorp"})
    )

    assert "enter the private key again" in errors_of(answer)[ConnectField.PRIVATE_KEY]
    assert slack.sandbox.requests == []


async def test_the_same_site_and_company_keep_the_stored_key(slack: Slack) -> None:
    answer = await submit_connect(slack, connect_form(slack.sandbox))

    assert answer["response_action"] == "update"
    assert slack.sandbox.request_count() >= 1


async def test_a_new_site_with_its_key_gets_that_key_only(slack: Slack) -> None:
    async with recorder() as new_site:
        values = connect_form(
            slack.sandbox, **{ConnectField.SITE_URL: new_site.url, ConnectField.PRIVATE_KEY: "the-new-key"}
        )
        await submit_connect(slack, values)

    [authorization] = new_site.authorizations()
    assert authorization.startswith("Basic ")
    import base64

    assert base64.b64decode(authorization[6:]).decode().endswith(":the-new-key")


async def test_a_site_that_redirects_never_passes_the_key_on(slack: Slack) -> None:
    async with recorder() as elsewhere, recorder(redirect_to=elsewhere.url) as redirector:
        values = connect_form(
            slack.sandbox, **{ConnectField.SITE_URL: redirector.url, ConnectField.PRIVATE_KEY: "k-123"}
        )
        answer = await submit_connect(slack, values)

    assert "redirect" in errors_of(answer)[ConnectField.SITE_URL]
    assert len(redirector.requests) == 1
    assert elsewhere.requests == []


async def test_a_stored_connection_whose_site_was_changed_behind_the_apps_back_is_not_used(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    from sqlalchemy import text

    async with recorder() as stranger:
        async with slack.deps.storage.session() as session:
            await session.execute(
                text("UPDATE psa_connections SET base_url = :url WHERE team_id = :team"),
                {"url": stranger.url + "/v4_6_release/apis/3.0", "team": TEAM},
            )
        await slack.deps.workspaces.invalidate(TEAM)
        await slack.command("mine", user=ADMIN)

    assert stranger.requests == []
    assert "can't be read" in str(slack.last_ephemeral(ADMIN))
    assert any(TEAM in r.getMessage() for r in caplog.records if r.name == "bot.workspaces")


# -- production: public https hosts only -----------------------------------------------------------

REFUSED_SITES = {
    "http://": "http://na.myconnectwise.net",
    "loopback": "https://127.0.0.1:8443",
    "loopback, decimal": "https://2130706433",
    "loopback, hex": "https://0x7f000001",
    "loopback, octal": "https://0177.0.0.1",
    "loopback, short": "https://127.1",
    "loopback, hex dotted": "https://0x7f.0.0.1",
    "private 10/8": "https://10.0.0.5",
    "private 172.16/12": "https://172.16.4.2",
    "private 192.168/16": "https://192.168.1.10",
    "link-local": "https://169.254.10.20",
    "cloud metadata": "https://169.254.169.254",
    "Oracle metadata": "https://192.0.0.192",
    "carrier-grade NAT": "https://100.64.3.4",
    "unspecified": "https://0.0.0.0",
    "IPv6 loopback": "https://[::1]",
    "IPv6 unique-local": "https://[fd00::1]",
    "IPv6 link-local": "https://[fe80::1]",
    "IPv4-mapped IPv6 loopback": "https://[::ffff:127.0.0.1]",
    "IPv4-mapped IPv6, hex": "https://[::ffff:7f00:1]",
    "6to4 of a private address": "https://[2002:a00:5::1]",
    "NAT64 of the metadata address": "https://[64:ff9b::a9fe:a9fe]",
    "AWS metadata over IPv6": "https://[fd00:ec2::254]",
    "localhost": "https://localhost:8443",
    "GCP metadata name": "https://metadata.google.internal",
    "a name resolving to a private address": "https://cw.private-example.com",
    "a name resolving to a mapped loopback": "https://cw.mapped-example.com",
    "a name with one private address among public ones": "https://cw.mixed-example.com",
}
RESOLVES = {
    "cw.private-example.com": ["10.1.2.3"],
    "cw.mapped-example.com": ["::ffff:127.0.0.1"],
    "cw.mixed-example.com": ["93.184.216.34", "192.168.0.7"],
    "cw.public-example.invalid": ["93.184.216.34", "2606:2800:220:1::1"],
}


async def fake_resolver(host: str, port: int) -> Sequence[str]:
    if host not in RESOLVES:
        raise OSError(f"no such host {host}")
    return RESOLVES[host]


def production(**more: Any) -> dict[str, Any]:
    def configure(deps: Any) -> None:
        deps.workspaces.resolve = fake_resolver

    return {"settings": {**PRODUCTION, **more}, "configure": configure}


@pytest.mark.parametrize("case", list(REFUSED_SITES))
async def test_production_refuses_sites_that_are_not_public_https_hosts(
    make_slack: MakeSlack, case: str
) -> None:
    async with make_slack(connected=False, mapped={}, **production()) as slack:
        values = connect_form(
            slack.sandbox, **{ConnectField.SITE_URL: REFUSED_SITES[case], ConnectField.PRIVATE_KEY: "k-1"}
        )
        answer = await submit_connect(slack, values)

        assert set(errors_of(answer)) == {ConnectField.SITE_URL}
        assert await slack.store.read(connection_repo.get_connection_info) is None


async def test_production_lets_a_public_host_through_to_the_test_call(make_slack: MakeSlack) -> None:
    async with make_slack(connected=False, mapped={}, **production()) as slack:
        values = connect_form(
            slack.sandbox,
            **{ConnectField.SITE_URL: "https://cw.public-example.invalid", ConnectField.PRIVATE_KEY: "k-1"},
        )
        answer = await submit_connect(slack, values)

    # No network here: the policy passed, and the real call then failed to reach the host.
    assert "Couldn't reach" in errors_of(answer)[ConnectField.SITE_URL]


async def test_an_allow_listed_private_host_passes_the_policy(make_slack: MakeSlack) -> None:
    async with make_slack(
        connected=False, mapped={}, **production(cw_allowed_private_hosts="127.0.0.1")
    ) as slack:
        values = connect_form(
            slack.sandbox, **{ConnectField.SITE_URL: "https://127.0.0.1:9", ConnectField.PRIVATE_KEY: "k-1"}
        )
        answer = await submit_connect(slack, values)

    assert "Couldn't reach" in errors_of(answer)[ConnectField.SITE_URL]  # tried, not refused


async def test_an_allow_listed_host_still_needs_https_in_production(make_slack: MakeSlack) -> None:
    async with make_slack(
        connected=False, mapped={}, **production(cw_allowed_private_hosts="127.0.0.1")
    ) as slack:
        values = connect_form(slack.sandbox, **{ConnectField.PRIVATE_KEY: "k-1"})  # the sandbox: http://
        answer = await submit_connect(slack, values)

        assert "https://" in errors_of(answer)[ConnectField.SITE_URL]
        assert slack.sandbox.requests == []


async def test_local_mode_connects_to_the_sandbox_on_loopback(make_slack: MakeSlack) -> None:
    async with make_slack(connected=False, mapped={}) as slack:
        values = connect_form(slack.sandbox, **{ConnectField.PRIVATE_KEY: slack.sandbox.private_key})
        answer = await submit_connect(slack, values)

    assert answer["response_action"] == "update"
