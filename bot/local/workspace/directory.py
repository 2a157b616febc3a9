"""Who is in the local workspace: its people, channels, the app's shortcuts and a little seed chatter."""

from __future__ import annotations

from pydantic import BaseModel

from bot.ids import COMMAND, Shortcut
from bot.local.fake_slack import FakeChannel, FakeUser

TEAM_ID = "T0LOCAL"
TEAM_NAME = "Northstar MSP"

DEMO_USER_ID = "U0DEMO"
UNMAPPED_USER_ID = "U0SAM"
ADMIN_USER_ID = "U0ADMIN"
# The ConnectWise member the demo user is mapped to when the local stack starts.
DEMO_MEMBER_IDENTIFIER = "jdoe"

LOCAL_USERS: tuple[FakeUser, ...] = (
    FakeUser(
        id=DEMO_USER_ID,
        name="jordan",
        real_name="Jordan Doe",
        display_name="Jordan",
        email="jdoe@northstar-msp.com",
    ),
    FakeUser(
        id=UNMAPPED_USER_ID,
        name="sam",
        real_name="Sam Lee",
        display_name="Sam",
        email="slee@northstar-msp.com",
    ),
    FakeUser(
        id=ADMIN_USER_ID,
        name="alex",
        real_name="Alex Rivera",
        display_name="Alex (admin)",
        email="arivera@northstar-msp.com",
        is_admin=True,
        is_owner=True,
    ),
)

SUPPORT_CHANNEL_ID = "C0SUPPORT"
GENERAL_CHANNEL_ID = "C0GENERAL"
LOCAL_CHANNELS: tuple[FakeChannel, ...] = (
    FakeChannel(id=SUPPORT_CHANNEL_ID, name="support", purpose="Customer issues, triage and hand-offs"),
    FakeChannel(id=GENERAL_CHANNEL_ID, name="general", purpose="Company-wide announcements"),
)

# Messages written into #support when the workspace starts, so message shortcuts have something to act on.
SEED_MESSAGES: tuple[tuple[str, str, str], ...] = (
    (
        SUPPORT_CHANNEL_ID,
        UNMAPPED_USER_ID,
        "Morning! Acme Corp called: Outlook stopped syncing on two laptops.",
    ),
    (
        SUPPORT_CHANNEL_ID,
        DEMO_USER_ID,
        "I'm on it. Also their front-desk printer keeps jamming, that one needs its own ticket.",
    ),
)


class ShortcutInfo(BaseModel):
    """A shortcut as the manifest declares it: what the user sees and the callback id Slack sends."""

    callback_id: str
    name: str
    description: str = ""


MESSAGE_SHORTCUTS: tuple[ShortcutInfo, ...] = (
    ShortcutInfo(
        callback_id=Shortcut.CREATE_SPINOFF,
        name="Create spin-off ticket",
        description="Open a new ticket from this message",
    ),
    ShortcutInfo(
        callback_id=Shortcut.LINK_THREAD,
        name="Link thread to ticket",
        description="Link this thread to a ConnectWise ticket",
    ),
)
GLOBAL_SHORTCUTS: tuple[ShortcutInfo, ...] = (
    ShortcutInfo(
        callback_id=Shortcut.NEW_TICKET, name="New ticket", description="Create a ConnectWise ticket"
    ),
)
COMMANDS: tuple[str, ...] = (COMMAND,)
APP_NAME = "Tickets"
