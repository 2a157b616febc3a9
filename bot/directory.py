"""Slack users as the app needs them (admin flags, names, e-mail), cached briefly per workspace."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


class SlackUser(BaseModel):
    """The parts of `users.info` the app uses."""

    id: str
    name: str
    real_name: str = ""
    display_name: str = ""
    email: str | None = None
    is_admin: bool = False
    is_owner: bool = False
    tz: str | None = None  # IANA name, e.g. "America/New_York" (users.info `tz`)

    @property
    def can_manage(self) -> bool:
        """Workspace admins and owners may connect the PSA and map other users."""
        return self.is_admin or self.is_owner

    @property
    def label(self) -> str:
        """The name Slack shows for the user."""
        return self.display_name or self.real_name or self.name


def _from_slack(user: dict[str, Any]) -> SlackUser:
    profile = user.get("profile") or {}
    return SlackUser(
        id=user["id"],
        name=user.get("name") or user["id"],
        real_name=user.get("real_name") or profile.get("real_name") or "",
        display_name=profile.get("display_name") or "",
        email=profile.get("email"),
        is_admin=bool(user.get("is_admin")),
        is_owner=bool(user.get("is_owner") or user.get("is_primary_owner")),
        tz=user.get("tz") or None,
    )


class SlackDirectory:
    """`users.info` with a short TTL cache keyed by (team, user)."""

    def __init__(self, *, ttl: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[float, SlackUser]] = {}

    async def user(self, client: AsyncWebClient, team_id: str, user_id: str) -> SlackUser | None:
        """The user, or None when Slack cannot tell (logged; callers treat it as 'not an admin')."""
        key = (team_id, user_id)
        hit = self._cache.get(key)
        if hit is not None and hit[0] > self._clock():
            return hit[1]
        try:
            resp = await client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
            return None
        user = _from_slack(resp["user"])
        self._cache[key] = (self._clock() + self._ttl, user)
        return user

    async def can_manage(self, client: AsyncWebClient, team_id: str, user_id: str) -> bool:
        """True for workspace admins and owners."""
        user = await self.user(client, team_id, user_id)
        return user is not None and user.can_manage

    def forget(self, team_id: str, user_id: str) -> None:
        """Drop a cached user."""
        self._cache.pop((team_id, user_id), None)
