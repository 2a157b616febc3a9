"""The provider registry: one entry per PSA kind; credentials tests and engineers' keys checks, worded
for the modal that asked."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from psa.connectwise import RetryPolicy
from psa.connectwise.factory import ConnectWiseKind
from psa.connectwise.sandbox import SandboxServer
from psa.models import Member
from psa.registry import ConnectFailed, ProviderRegistry, PSACredentials, default_registry

JDOE = Member(id=17, identifier="jdoe", name="Jordan Doe")


@pytest.fixture
def registry() -> ProviderRegistry:
    return ProviderRegistry([ConnectWiseKind(retry=RetryPolicy(max_retries=0))])


@pytest.fixture
def site(sandbox: SandboxServer) -> PSACredentials:
    """The workspace's connection to the sandbox."""
    return PSACredentials(
        provider_kind="connectwise",
        base_url=sandbox.base_url,
        company_id=sandbox.company_id,
        public_key=sandbox.public_key,
        private_key=SecretStr(sandbox.private_key),
        client_id="00000000-registry-test",
    )


def test_the_vendor_is_named_by_its_registry_entry() -> None:
    registry = default_registry()
    assert registry.display_name("connectwise") == "ConnectWise PSA"
    assert registry.display_name("autotask") == "PSA"
    assert registry.get("autotask") is None


async def test_working_credentials_pass_with_one_call(
    registry: ProviderRegistry, site: PSACredentials, sandbox: SandboxServer
) -> None:
    info = await registry.test(site)
    assert info.kind == "connectwise" and info.version
    assert sandbox.request_count() == 1


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"private_key": SecretStr("wrong")}, {"public_key", "private_key"}),
        ({"base_url": "http://127.0.0.1:9/v4_6_release/apis/3.0"}, {"base_url"}),
        ({"base_url": "ftp://nowhere"}, {"base_url"}),
    ],
    ids=["refused", "unreachable", "not-a-url"],
)
async def test_failed_credentials_name_the_fields_to_fix(
    registry: ProviderRegistry, site: PSACredentials, change: dict[str, object], fields: set[str]
) -> None:
    with pytest.raises(ConnectFailed) as failed:
        await registry.test(site.model_copy(update=change))
    assert set(failed.value.fields) == fields and failed.value.message


async def test_an_unsupported_kind_is_refused_before_any_call(
    registry: ProviderRegistry, site: PSACredentials, sandbox: SandboxServer
) -> None:
    with pytest.raises(ConnectFailed, match="autotask"):
        await registry.test(site.model_copy(update={"provider_kind": "autotask"}))
    assert sandbox.request_count() == 0


async def test_an_engineers_own_keys_are_proven_to_be_theirs(
    registry: ProviderRegistry, site: PSACredentials, sandbox: SandboxServer
) -> None:
    keys = sandbox.mint_member_keys("jdoe")
    owner = await registry.verify_member_keys(
        site.with_keys(keys.public_key, SecretStr(keys.private_key)), JDOE
    )
    assert owner.id == 17
    assert [r.path for r in sandbox.requests] == ["/system/myMembers"]


async def test_someone_elses_keys_are_refused_naming_both(
    registry: ProviderRegistry, site: PSACredentials, sandbox: SandboxServer
) -> None:
    sams = sandbox.mint_member_keys("slee")
    with pytest.raises(ConnectFailed) as failed:
        await registry.verify_member_keys(site.with_keys(sams.public_key, SecretStr(sams.private_key)), JDOE)
    assert "Sam Lee" in failed.value.message and "Jordan Doe" in failed.value.message
    assert "public_key" in failed.value.fields


async def test_keys_the_site_refuses_point_at_both_key_fields(
    registry: ProviderRegistry, site: PSACredentials, sandbox: SandboxServer
) -> None:
    keys = sandbox.mint_member_keys("jdoe")
    sandbox.revoke_member_keys(keys.public_key)
    with pytest.raises(ConnectFailed) as failed:
        await registry.verify_member_keys(site.with_keys(keys.public_key, SecretStr(keys.private_key)), JDOE)
    assert set(failed.value.fields) == {"public_key", "private_key"}
    assert keys.private_key not in failed.value.message
