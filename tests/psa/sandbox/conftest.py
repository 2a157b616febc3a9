"""Fixtures for the sandbox's own tests: an authenticated httpx client against it."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from psa.connectwise.sandbox import SandboxServer


def auth_headers(
    company: str = "sandbox", public: str = "sandbox", private: str = "sandbox"
) -> dict[str, str]:
    """Headers a ConnectWise client sends."""
    token = base64.b64encode(f"{company}+{public}:{private}".encode()).decode()
    return {
        "Authorization": f"Basic {token}",
        "clientId": "sandbox-tests",
        "Accept": "application/vnd.connectwise.com+json; version=2025.1",
    }


HeaderFactory = Callable[..., dict[str, str]]


@pytest.fixture
def make_headers() -> HeaderFactory:
    """Build ConnectWise request headers for any credentials."""
    return auth_headers


@pytest.fixture
async def cw(sandbox: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    """An authenticated async client rooted at the sandbox's API base URL."""
    async with httpx.AsyncClient(base_url=sandbox.base_url, headers=auth_headers(), timeout=10) as client:
        yield client
