"""The local Slack workspace in a browser: a page that acts as each member's Slack client."""

from bot.local.workspace.bridge import SlackBridge
from bot.local.workspace.delivery import Outcome
from bot.local.workspace.server import WorkspaceServer, build_app

__all__ = ["Outcome", "SlackBridge", "WorkspaceServer", "build_app"]
