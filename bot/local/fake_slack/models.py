"""The fake workspace's people, conversations and recorded traffic, shaped like Slack's objects."""

from __future__ import annotations

import re
import secrets
import string
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field

_ID_ALPHABET = string.ascii_uppercase + string.digits


def random_id(prefix: str, length: int = 10) -> str:
    """Return a Slack-looking id such as `V0123ABCDEF`."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def team_domain(team_name: str) -> str:
    """Return the subdomain Slack would derive from a workspace name."""
    return re.sub(r"[^a-z0-9]+", "-", team_name.lower()).strip("-") or "workspace"


def _tz_offset(tz: str) -> int:
    try:
        offset = datetime.now(ZoneInfo(tz)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return 0
    return int(offset.total_seconds()) if offset else 0


class FakeUser(BaseModel):
    """A member of the fake workspace."""

    id: str
    name: str
    real_name: str = ""
    display_name: str = ""
    email: str | None = None
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False
    bot_id: str | None = None
    deleted: bool = False
    tz: str = "America/New_York"

    def to_slack(self, team_id: str) -> dict[str, Any]:
        """Render as a `users.info` user object."""
        real_name = self.real_name or self.name
        profile: dict[str, Any] = {
            "real_name": real_name,
            "real_name_normalized": real_name,
            "display_name": self.display_name,
            "display_name_normalized": self.display_name,
            "first_name": real_name.split(" ")[0],
            "last_name": " ".join(real_name.split(" ")[1:]),
            "image_48": "https://a.slack-edge.com/80588/img/avatars/ava_0001-48.png",
            "team": team_id,
        }
        if self.email is not None:
            profile["email"] = self.email
        if self.bot_id is not None:
            profile["bot_id"] = self.bot_id
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": real_name,
            "tz": self.tz,
            "tz_label": self.tz,
            "tz_offset": _tz_offset(self.tz),
            "profile": profile,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": self.is_owner,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": int(time.time()),
        }


class FakeChannel(BaseModel):
    """A conversation of the fake workspace: a channel, or a DM with `user` when `is_im`."""

    id: str
    name: str = ""
    is_member: bool = True
    is_private: bool = False
    is_im: bool = False
    user: str | None = None
    topic: str = ""
    purpose: str = ""

    def to_slack(self, creator: str) -> dict[str, Any]:
        """Render as a `conversations.info` channel object."""
        if self.is_im:
            return {
                "id": self.id,
                "created": 1700000000,
                "is_im": True,
                "is_org_shared": False,
                "user": self.user,
                "is_user_deleted": False,
                "priority": 0,
            }
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not self.is_private,
            "is_group": self.is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "is_archived": False,
            "is_general": self.name == "general",
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "is_member": self.is_member,
            "created": 1700000000,
            "creator": creator,
            "topic": {"value": self.topic, "creator": "", "last_set": 0},
            "purpose": {"value": self.purpose, "creator": "", "last_set": 0},
        }


class FakeUsergroup(BaseModel):
    """A user group (`@handle`) of the fake workspace."""

    id: str
    handle: str
    name: str = ""
    description: str = ""
    users: list[str] = Field(default_factory=list)
    disabled: bool = False

    def to_slack(self, team_id: str, *, include_users: bool = False) -> dict[str, Any]:
        """Render as a `usergroups.list` entry (Slack's reference shape; `users` only when asked)."""
        group: dict[str, Any] = {
            "id": self.id,
            "team_id": team_id,
            "is_usergroup": True,
            "is_subteam": True,
            "name": self.name or self.handle,
            "description": self.description,
            "handle": self.handle,
            "is_external": False,
            "date_create": 1700000000,
            "date_update": 1700000000,
            "date_delete": 1700000100 if self.disabled else 0,
            "auto_type": None,
            "created_by": "USLACKBOT",
            "updated_by": "USLACKBOT",
            "deleted_by": "USLACKBOT" if self.disabled else None,
            "prefs": {"channels": [], "groups": []},
            "user_count": len(self.users),
        }
        if include_users:
            group["users"] = list(self.users)
        return group


class RecordedCall(BaseModel):
    """One Web API call (or response_url post, method `response_url`) the app made to the fake."""

    model_config = ConfigDict(frozen=True)

    seq: int
    method: str
    args: dict[str, Any]
    at: float = Field(description="time.time() when the call arrived")
    status: int
    response: dict[str, Any] | str


class ResponsePost(BaseModel):
    """One post to a minted response_url and what it did to the workspace."""

    model_config = ConfigDict(frozen=True)

    token: str
    channel: str
    user: str
    body: dict[str, Any]
    outcome: str = Field(description="ephemeral, in_channel, replaced, deleted or rejected")
    ts: str | None = None
    error: str | None = None
    at: float


DEFAULT_USERS: tuple[FakeUser, ...] = (
    FakeUser(
        id="U0ADMIN",
        name="alex",
        real_name="Alex Admin",
        display_name="Alex",
        email="alex@example.com",
        is_admin=True,
        is_owner=True,
    ),
    FakeUser(
        id="U0ENGINEER",
        name="sam",
        real_name="Sam Engineer",
        display_name="Sam",
        email="sam@example.com",
    ),
)
DEFAULT_CHANNELS: tuple[FakeChannel, ...] = (
    FakeChannel(id="C0GENERAL", name="general"),
    FakeChannel(id="C0SUPPORT", name="support"),
)
