"""The workspace registry's ConnectWise pool checks the site policy on every connection (DNS rebinding),
and the operator's own CW_BASE_URL host stays allowed in production."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

import pytest
from pydantic import SecretStr

from bot.deps import build_deps
from bot.settings import Settings
from bot.workspaces import WorkspaceRegistry
from psa.connectwise.sandbox import SandboxServer
from psa.connectwise.site import SitePolicy
from psa.errors import PSASiteRefusedError
from psa.models import TicketFilters
from storage import ConnectionCredentials, Storage

TEAM = "T0AAAA"


async def test_a_site_name_now_resolving_to_loopback_gets_no_request_from_the_registrys_pool(
    storage: Storage, good_credentials: ConnectionCredentials, sandbox: SandboxServer
) -> None:
    port = urlsplit(good_credentials.base_url).port
    named = good_credentials.model_copy(
        update={
            "base_url": good_credentials.base_url.replace(f"127.0.0.1:{port}", f"cw.rebind.example:{port}")
        }
    )

    async def rebound(host: str, port: int) -> Sequence[str]:
        return ["127.0.0.1"]

    registry = WorkspaceRegistry(
        storage, env_credentials=named, site_policy=SitePolicy.build(production=True), resolve=rebound
    )
    sent = sandbox.request_count()
    service = await registry.service(TEAM)
    assert service is not None
    with pytest.raises(PSASiteRefusedError, match="loopback"):
        await service.search(TicketFilters(), user_ref=None, page_size=5)
    assert sandbox.request_count() == sent
    await registry.aclose()


async def test_the_operators_own_cw_base_url_is_allowed_in_production(
    db_url: str, storage: Storage, good_credentials: ConnectionCredentials
) -> None:
    settings = Settings(
        _env_file=None,
        app_env="production",
        tickets_secret_key=SecretStr("k" * 43 + "="),
        database_url=db_url,
        cw_base_url=good_credentials.base_url,  # the local sandbox: 127.0.0.1
        cw_company_id=good_credentials.company_id,
        cw_public_key=good_credentials.public_key,
        cw_private_key=good_credentials.private_key,
        cw_client_id=good_credentials.client_id,
    )
    deps = build_deps(settings, storage=storage)
    try:
        service = await deps.workspaces.service(TEAM)
        assert service is not None
        page = await service.search(TicketFilters(), user_ref=None, page_size=5)
        assert page.items
    finally:
        await deps.workspaces.aclose()
