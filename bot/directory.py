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


class SlackUsergroup(BaseModel):
    """The parts of a `usergroups.list` entry the app uses."""

    id: str
    handle: str
    name: str = ""


class UsergroupUnknown(Exception):
    """Slack could not tell who is in a user group (e.g. `missing_scope` on an older install)."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


# Admins DMed about a mapping request, at most (the first ones users.list returns).
ADMINS_MAX = 10


class SlackDirectory:
    """`users.info` with a short TTL cache keyed by (team, user); user groups' members likewise."""

    def __init__(
        self, *, ttl: float = 300.0, group_ttl: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._group_ttl = group_ttl
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[float, SlackUser]] = {}
        self._groups: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}

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

    async def in_usergroup(self, client: AsyncWebClient, team_id: str, group_id: str, user_id: str) -> bool:
        """Whether the user is in the user group (`usergroups.users.list`, cached for `group_ttl`).
        Raises UsergroupUnknown when Slack cannot tell."""
        key = (team_id, group_id)
        hit = self._groups.get(key)
        if hit is None or hit[0] <= self._clock():
            try:
                resp = await client.usergroups_users_list(usergroup=group_id)
            except SlackApiError as exc:
                error = str(exc.response.get("error") or "unknown_error")
                log.warning("usergroups.users.list failed for %s: %s", group_id, error)
                raise UsergroupUnknown(error) from exc
            hit = (self._clock() + self._group_ttl, frozenset(resp.get("users") or ()))
            self._groups[key] = hit
        return user_id in hit[1]

    def forget_usergroup(self, team_id: str, group_id: str) -> None:
        """Drop a cached user group (its members are read again on the next check)."""
        self._groups.pop((team_id, group_id), None)

    async def usergroups(self, client: AsyncWebClient) -> list[SlackUsergroup]:
        """The workspace's enabled user groups (empty when Slack refuses, logged)."""
        try:
            resp = await client.usergroups_list()
        except SlackApiError as exc:
            log.warning("usergroups.list failed: %s", exc.response.get("error"))
            return []
        groups = [g for g in resp.get("usergroups") or [] if not g.get("date_delete")]
        return [
            SlackUsergroup(id=g["id"], handle=g.get("handle") or g["id"], name=g.get("name") or "")
            for g in groups
        ]

    async def admins(self, client: AsyncWebClient) -> list[SlackUser]:
        """Workspace admins and owners who are people (not bots, not deactivated), at most ADMINS_MAX."""
        found: list[SlackUser] = []
        cursor: str | None = None
        for _page in range(20):
            try:
                resp = await client.users_list(limit=200, cursor=cursor)
            except SlackApiError as exc:
                log.warning("users.list failed: %s", exc.response.get("error"))
                break
            for raw in resp.get("members") or []:
                if raw.get("deleted") or raw.get("is_bot") or raw.get("id") == "USLACKBOT":
                    continue
                user = _from_slack(raw)
                if user.can_manage:
                    found.append(user)
            cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None or len(found) >= ADMINS_MAX:
                break
        return found[:ADMINS_MAX]
