"""The errors every flow shares, raised by `FlowContext` and told to the user in one place (`run_work`)."""

from __future__ import annotations


class FlowError(Exception):
    """An expected reason a flow cannot go on; `bot.flows.tell` turns it into what the user sees."""


class NotConnected(FlowError):
    """The workspace has no PSA connection (admins are offered Connect, others told whom to ask)."""

    def __init__(self, team_id: str) -> None:
        super().__init__(f"team {team_id} has no PSA connection")
        self.team_id = team_id


class NotMapped(FlowError):
    """The Slack user is not mapped to a PSA member (they are offered the mapping modal)."""

    def __init__(self, team_id: str, user_id: str) -> None:
        super().__init__(f"user {user_id} of team {team_id} is not mapped to a PSA member")
        self.team_id = team_id
        self.user_id = user_id


class NotInstalled(FlowError):
    """No Slack bot token is known for the workspace (uninstalled, or never installed)."""

    def __init__(self, team_id: str, enterprise_id: str | None) -> None:
        super().__init__(f"no installation for team {team_id} (enterprise {enterprise_id})")
        self.team_id = team_id
