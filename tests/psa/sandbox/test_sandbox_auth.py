"""Authentication and headers behave like ConnectWise Manage."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from psa.connectwise.sandbox import SandboxServer

HeaderFactory = Callable[..., dict[str, str]]


async def _get(sandbox: SandboxServer, headers: dict[str, str], path: str = "/system/info") -> httpx.Response:
    async with httpx.AsyncClient(base_url=sandbox.base_url, timeout=10) as client:
        return await client.get(path, headers=headers)


async def test_good_credentials_get_system_info(sandbox: SandboxServer, make_headers: HeaderFactory) -> None:
    r = await _get(sandbox, make_headers())
    assert r.status_code == 200
    assert r.json()["version"].startswith("v20")


async def test_company_id_is_case_insensitive(sandbox: SandboxServer, make_headers: HeaderFactory) -> None:
    assert (await _get(sandbox, make_headers(company="SANDBOX"))).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"private": "wrong"},
        {"public": "wrong"},
        {"company": "othermsp"},
        {"Authorization": None},
        {"Authorization": "Bearer sandbox"},
        {"Authorization": "Basic !!!notbase64"},
    ],
    ids=["bad-private-key", "bad-public-key", "bad-company", "no-auth", "bearer", "garbage"],
)
async def test_bad_credentials_get_401_in_cw_shape(
    sandbox: SandboxServer, make_headers: HeaderFactory, headers: dict[str, str | None]
) -> None:
    creds = {k: v for k, v in headers.items() if k in ("company", "public", "private")}
    sent: dict[str, str] = make_headers(**creds)
    if "Authorization" in headers:
        sent.pop("Authorization")
        if headers["Authorization"] is not None:
            sent["Authorization"] = headers["Authorization"]
    r = await _get(sandbox, sent)
    assert r.status_code == 401
    body = r.json()
    assert body["code"] == "Unauthorized" and body["errors"] is None and body["message"]


async def test_missing_client_id_is_rejected_with_explanation(
    sandbox: SandboxServer, make_headers: HeaderFactory
) -> None:
    headers = make_headers()
    del headers["clientId"]
    r = await _get(sandbox, headers)
    assert r.status_code == 401
    assert "clientId" in r.json()["message"]


async def test_any_accept_version_is_accepted(sandbox: SandboxServer, make_headers: HeaderFactory) -> None:
    headers = {**make_headers(), "Accept": "application/vnd.connectwise.com+json; version=2019.1"}
    assert (await _get(sandbox, headers)).status_code == 200


async def test_unknown_path_is_a_cw_shaped_404(sandbox: SandboxServer, make_headers: HeaderFactory) -> None:
    r = await _get(sandbox, make_headers(), "/service/nothing-here")
    assert r.status_code == 404
    assert r.json() == {"code": "NotFound", "message": r.json()["message"], "errors": None}


async def test_custom_credentials_are_enforced(make_headers: HeaderFactory) -> None:
    with SandboxServer(company_id="acme", public_key="pub", private_key="priv", seed={}) as server:
        assert server.base_url.endswith("/v4_6_release/apis/3.0")
        assert (await _get(server, make_headers("acme", "pub", "priv"))).status_code == 200
        assert (await _get(server, make_headers())).status_code == 401
        r = await _get(server, make_headers("acme", "pub", "priv"), "/service/tickets")
        assert r.json() == []
