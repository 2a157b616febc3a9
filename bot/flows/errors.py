"""The errors every flow shares, raised by `FlowContext` and told to the user in one place (`run_work`)."""

from __future__ import annotations

from enum import StrEnum


class FlowError(Exception):
    """An expected reason a flow cannot go on; `bot.flows.tell` turns it into what the user sees."""


class NotConnected(FlowError):
    """The workspace has no PSA connection (admins are offered Connect, others told whom to ask)."""

    def __init__(self, team_id: str) -> None:
        super().__init__(f"team {team_id} has no PSA connection")
        self.team_id = team_id


class NotMapped(FlowError):
    """The Slack user is not mapped to a PSA member (they are offered the mapping modal). `reading`: the
    workspace lets only mapped users read too."""

    def __init__(self, team_id: str, user_id: str, *, reading: bool = False) -> None:
        super().__init__(f"user {user_id} of team {team_id} is not mapped to a PSA member")
        self.team_id = team_id
        self.user_id = user_id
        self.reading = reading


class RestrictedRule(StrEnum):
    GROUP = "group"  # the actor is not in the workspace's user group
    GROUP_UNCHECKED = "group_unchecked"  # Slack could not tell whether they are (refused: fail closed)
    CHANNEL = "channel"  # the work is not done from one of the workspace's channels


class Restricted(FlowError):
    """The workspace's admins limited the app to a Slack user group and/or channels, and this user or
    place is outside it. Carries what the refusal names: the rule, the group or channels, who set it."""

    def __init__(
        self,
        team_id: str,
        user_id: str,
        *,
        rule: RestrictedRule,
        reading: bool,
        group_handle: str | None = None,
        channel_ids: tuple[str, ...] = (),
        set_by: str | None = None,
        slack_error: str | None = None,
    ) -> None:
        super().__init__(f"user {user_id} of team {team_id} refused by the workspace's {rule} rule")
        self.team_id = team_id
        self.user_id = user_id
        self.rule = rule
        self.reading = reading
        self.group_handle = group_handle
        self.channel_ids = channel_ids
        self.set_by = set_by
        self.slack_error = slack_error


class NotInstalled(FlowError):
    """No Slack bot token is known for the workspace (uninstalled, or never installed)."""

    def __init__(self, team_id: str, enterprise_id: str | None) -> None:
        super().__init__(f"no installation for team {team_id} (enterprise {enterprise_id})")
        self.team_id = team_id
