"""Which key URLs a connection may fetch, and the signature ConnectWise computes (no network)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import httpx
import pytest

from psa.connectwise.signing import CallbackVerifier, signature

API = "https://api-na.myconnectwise.net/v4_6_release/apis/3.0"
KEY_PATH = "/v2025_1//system/callbackkey/index.rails?companyName=northstar&id=e17e6674"


def test_the_signature_is_base64_hmac_sha256_keyed_by_the_keys_sha256() -> None:
    body, key = b'{"ID":1042,"Action":"updated"}', "c2lnbmluZy1rZXk"
    expected = hmac.new(hashlib.sha256(key.encode()).digest(), body, hashlib.sha256).digest()
    assert signature(body, key) == base64.b64encode(expected).decode()


@pytest.mark.parametrize(
    ("key_url", "trusted"),
    [
        ("https://api-na.myconnectwise.net" + KEY_PATH, True),
        ("https://na.myconnectwise.net" + KEY_PATH, True),  # the site itself, without api-
        ("https://sandbox-na.myconnectwise.net" + KEY_PATH, False),  # unless listed in extra_hosts
        ("http://na.myconnectwise.net" + KEY_PATH, False),
        ("https://eu.myconnectwise.net" + KEY_PATH, False),
        ("https://na.myconnectwise.net.evil.test" + KEY_PATH, False),
        ("https://na.myconnectwise.net:8443" + KEY_PATH, False),
        ("https://user:pw@na.myconnectwise.net" + KEY_PATH, False),
        ("https://169.254.169.254/latest/meta-data", False),
        ("not a url", False),
        ("https://na.myconnectwise.net:99999" + KEY_PATH, False),
    ],
)
async def test_only_the_connections_own_site_is_asked_for_keys(key_url: str, trusted: bool) -> None:
    async with httpx.AsyncClient() as http:
        assert CallbackVerifier(API, http, client_id="c").trusted(key_url) is trusted


async def test_other_hosts_of_a_site_can_be_allowed_explicitly() -> None:
    async with httpx.AsyncClient() as http:
        verifier = CallbackVerifier(API, http, client_id="c", extra_hosts=["sandbox-na.myconnectwise.net"])
        assert verifier.trusted("https://sandbox-na.myconnectwise.net" + KEY_PATH)


async def test_a_local_http_connection_trusts_its_own_http_origin_only() -> None:
    async with httpx.AsyncClient() as http:
        verifier = CallbackVerifier("http://127.0.0.1:8123/v4_6_release/apis/3.0", http, client_id="c")
        assert verifier.trusted("http://127.0.0.1:8123" + KEY_PATH)
        assert not verifier.trusted("http://127.0.0.1:8124" + KEY_PATH)
        assert not verifier.trusted("http://localhost:8123" + KEY_PATH)
