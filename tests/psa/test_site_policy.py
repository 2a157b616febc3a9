"""The production host rule for ConnectWise sites: public https hosts only, every private form refused,
host names checked by what they resolve to, an explicit allow-list, and nothing refused in local mode."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import pytest

from psa.connectwise.site import SitePolicy, SiteUrlError, address_problem, check_site, normalize_site_url

PRODUCTION = SitePolicy.build(production=True)


async def no_dns(host: str, port: int) -> Sequence[str]:
    raise AssertionError(f"{host} should not have been resolved")


def resolving(*addresses: str):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> Sequence[str]:
        return list(addresses)

    return resolve


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.31.255.1", "private"),
        ("192.168.0.1", "private"),
        ("169.254.1.1", "link-local"),
        ("169.254.169.254", "cloud metadata"),
        ("192.0.0.192", "cloud metadata"),
        ("100.100.100.200", "cloud metadata"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("::1", "loopback"),
        ("fd12:3456::1", "unique-local"),
        ("fe80::1", "link-local"),
        ("::ffff:10.0.0.1", "private (inside an IPv6 address)"),
        ("2002:7f00:1::1", "loopback (inside an IPv6 address)"),
        ("64:ff9b::a9fe:a9fe", "cloud metadata (inside an IPv6 address)"),
        ("fd00:ec2::254", "cloud metadata"),
        ("8.8.8.8", None),
        ("2606:4700::1111", None),
    ],
)
def test_each_address_is_classified(address: str, problem: str | None) -> None:
    assert address_problem(ipaddress.ip_address(address)) == problem


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "0x7f.1", "134744072"])
async def test_ipv4_written_in_other_forms_is_refused(host: str) -> None:
    with pytest.raises(SiteUrlError, match="written in another form"):
        await check_site(f"https://{host}/v4_6_release/apis/3.0", PRODUCTION, resolve=no_dns)


async def test_a_name_is_judged_by_every_address_it_resolves_to() -> None:
    root = "https://cw.example.invalid/v4_6_release/apis/3.0"
    await check_site(root, PRODUCTION, resolve=resolving("93.184.216.34"))

    with pytest.raises(SiteUrlError, match="private"):
        await check_site(root, PRODUCTION, resolve=resolving("93.184.216.34", "10.0.0.9"))
    with pytest.raises(SiteUrlError, match="Couldn't find"):
        await check_site(root, PRODUCTION, resolve=resolving())


async def test_the_allow_list_admits_a_private_host_but_not_plain_http() -> None:
    policy = SitePolicy.build(production=True, allowed_private_hosts=["cw.corp.lan", " 10.0.5.20 "])

    await check_site("https://cw.corp.lan/v4_6_release/apis/3.0", policy, resolve=no_dns)
    await check_site("https://10.0.5.20/v4_6_release/apis/3.0", policy, resolve=no_dns)
    with pytest.raises(SiteUrlError, match="https"):
        await check_site("http://10.0.5.20/v4_6_release/apis/3.0", policy, resolve=no_dns)


async def test_local_mode_refuses_nothing() -> None:
    await check_site("http://127.0.0.1:8080/v4_6_release/apis/3.0", SitePolicy(), resolve=no_dns)


def test_ipv6_sites_are_written_in_brackets() -> None:
    assert (
        normalize_site_url("https://[2606:4700::1111]") == "https://[2606:4700::1111]/v4_6_release/apis/3.0"
    )
    with pytest.raises(SiteUrlError):
        normalize_site_url("https://[not:an:address::x]")
