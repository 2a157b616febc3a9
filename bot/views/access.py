"""Who may use the app: the refusals' wording, the admins' settings modal, and mapping-request DMs.

Refusal texts are mrkdwn built from Slack ids the app checked (mentions render as names) and escaped
handles; they say which rule refused, who set it, and what to do.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.directory import SlackUsergroup
from bot.flows.errors import Restricted, RestrictedRule
from bot.ids import AccessAction, AccessBlock, Callback, MappingAction, MessageAction
from bot.state.codec import BUTTON_VALUE_MAX, StateError, decode, encode
from bot.text import escape_truncate, strong
from bot.views import kit

Payload = dict[str, Any]
TITLE = "Who can use Tickets"
NO_GROUP = "none"
YES = "yes"
CHANNELS_MAX = 100

_SLACK_ID = re.compile(r"[A-Z0-9]{2,31}")


def is_slack_id(value: object) -> bool:
    """A Slack user, channel or user group id (safe inside a mention)."""
    return isinstance(value, str) and _SLACK_ID.fullmatch(value) is not None


def _user(user_id: str | None) -> str | None:
    return f"<@{user_id}>" if user_id and is_slack_id(user_id) else None


def _channels(channel_ids: Sequence[str]) -> str:
    return ", ".join(f"<#{c}>" for c in channel_ids if is_slack_id(c)) or "no channel"


def _group(handle: str | None) -> str:
    return f"@{escape_truncate(handle.lstrip('@'), 80)}" if handle else "the app's user group"


# -- refusals ------------------------------------------------------------------------------------


class Refusal(BaseModel):
    """Why the user was refused and what to do, as mrkdwn; `map_button` when mapping is the way on."""

    model_config = ConfigDict(frozen=True)

    line: str
    hint: str
    map_button: bool = False


MAP_HINT = "Map your ConnectWise member (the button, or `/tickets map`): it takes a few seconds."


def not_mapped_refusal(*, reading: bool) -> Refusal:
    """An unmapped user tried to write (or, where the workspace says so, to read)."""
    if reading:
        line = (
            "In this workspace only engineers mapped to a ConnectWise member can see tickets from Slack, "
            "and you are not mapped yet."
        )
    else:
        line = (
            "You are not mapped to a ConnectWise member yet, so the app can't make this change in your "
            "name (ConnectWise records who did what)."
        )
    return Refusal(line=line, hint=MAP_HINT, map_button=True)


def restricted_refusal(exc: Restricted) -> Refusal:
    """The workspace's user group or channel rule refused the user or the place."""
    doing = "see tickets" if exc.reading else "change tickets"
    setter = _user(exc.set_by)
    by = f" (a rule set by {setter})" if setter else ""
    ask = f"{setter} or another workspace admin" if setter else "a workspace admin"
    group = _group(exc.group_handle)
    if exc.rule == RestrictedRule.GROUP:
        line = f"In this workspace only members of {group} can {doing} from Slack{by}."
        hint = f"Ask {ask} to add you to {group}."
    elif exc.rule == RestrictedRule.GROUP_UNCHECKED:
        code = exc.slack_error or ""
        error = f" (Slack said: `{code}`)" if re.fullmatch(r"[a-z_]{1,60}", code) else ""
        line = (
            f"Only members of {group} can {doing} from Slack here, and Slack couldn't tell whether you "
            f"are one{error}."
        )
        hint = (
            f"Try again in a moment; if it keeps happening, ask {ask} to reinstall the app (it needs the "
            "`usergroups:read` permission) or to change the rule in `/tickets settings`."
        )
    else:
        verb = "seen" if exc.reading else "changed"
        line = f"In this workspace tickets can be {verb} from Slack only in {_channels(exc.channel_ids)}{by}."
        hint = (
            f"Do it from one of those channels (open the ticket there), or ask {ask} to add this channel "
            "in `/tickets settings`."
        )
    return Refusal(line=line, hint=hint)


def refusal_message(refusal: Refusal) -> Payload:
    """The refusal as a message (ephemeral or DM), with the Map button when mapping helps."""
    blocks = [kit.section(f"⚠️ {refusal.line}\n{refusal.hint}")]
    if refusal.map_button:
        blocks.append(kit.actions(map_button()))
    return {"text": refusal.line, "blocks": blocks}


def map_button() -> Payload:
    """Opens the mapping modal (from a message, a modal or Home)."""
    return kit.button("Map my ConnectWise member", MessageAction.MAP, style="primary")


# -- the settings modal ----------------------------------------------------------------------------


def access_modal(
    *,
    unmapped_can_read: bool,
    usergroup_id: str | None,
    channel_ids: Sequence[str],
    restrict_reads: bool,
    groups: Sequence[SlackUsergroup],
    updated: str | None = None,
    notice: str | None = None,
) -> Payload:
    """The admins' modal: unmapped reads, and the optional user group / channel restriction."""
    blocks: list[Payload] = []
    if notice:
        blocks.append(kit.section(f"✅ {escape_truncate(notice, 1000)}"))
    blocks.append(
        kit.section(
            "Writes from Slack (status, notes, assignees, new tickets, time, sharing, linking threads) "
            "always need a mapped ConnectWise member. Here you can also limit the app to a user group "
            "and/or channels."
        )
    )
    read_option = kit.option("People who are not mapped can see tickets", YES)
    blocks.append(
        kit.input_block(
            AccessBlock.UNMAPPED_READ,
            "Reading",
            {
                "type": "checkboxes",
                "action_id": AccessAction.UNMAPPED_READ,
                "options": [read_option],
                **({"initial_options": [read_option]} if unmapped_can_read else {}),
            },
            optional=True,
        )
    )
    options = [kit.option("Anyone in the workspace", NO_GROUP)]
    options += [kit.option(f"@{g.handle}" + (f" ({g.name})" if g.name else ""), g.id) for g in groups[:99]]
    blocks.append(
        kit.input_block(
            AccessBlock.USERGROUP,
            "Only members of this user group can write",
            kit.static_select(
                AccessAction.USERGROUP, "Pick a user group", options, initial_value=usergroup_id or NO_GROUP
            ),
            optional=True,
        )
    )
    channels: Payload = {
        "type": "multi_conversations_select",
        "action_id": AccessAction.CHANNELS,
        "placeholder": {"type": "plain_text", "text": "Any channel"},
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
        "max_selected_items": CHANNELS_MAX,
    }
    if channel_ids:
        channels["initial_conversations"] = list(channel_ids)
    blocks.append(
        kit.input_block(
            AccessBlock.CHANNELS,
            "Only from these channels",
            channels,
            optional=True,
            hint="Empty: anywhere. Set: the Home tab and DMs can't write; open tickets in a listed channel.",
        )
    )
    reads_option = kit.option("Apply the group and channel rules to reading too", YES)
    blocks.append(
        kit.input_block(
            AccessBlock.RESTRICT_READS,
            "Reading outside the rules",
            {
                "type": "checkboxes",
                "action_id": AccessAction.RESTRICT_READS,
                "options": [reads_option],
                **({"initial_options": [reads_option]} if restrict_reads else {}),
            },
            optional=True,
        )
    )
    if updated:
        blocks.append(kit.context(updated))
    return kit.modal(title=TITLE, blocks=blocks, callback_id=Callback.ACCESS, submit="Save", close="Cancel")


class AccessForm(BaseModel):
    """What the admin chose in the settings modal."""

    unmapped_can_read: bool = True
    usergroup_id: str | None = None
    channel_ids: tuple[str, ...] = ()
    restrict_reads: bool = False


def read_access_form(view: Payload) -> AccessForm:
    """The settings modal's submitted values (ids that don't look like Slack's are dropped)."""
    values = (view.get("state") or {}).get("values") or {}

    def entry(block: str, action: str) -> Payload:
        return (values.get(block) or {}).get(action) or {}

    def ticked(block: str, action: str) -> bool:
        return any(o.get("value") == YES for o in entry(block, action).get("selected_options") or [])

    group = (entry(AccessBlock.USERGROUP, AccessAction.USERGROUP).get("selected_option") or {}).get("value")
    channels = entry(AccessBlock.CHANNELS, AccessAction.CHANNELS).get("selected_conversations") or []
    return AccessForm(
        unmapped_can_read=ticked(AccessBlock.UNMAPPED_READ, AccessAction.UNMAPPED_READ),
        usergroup_id=group if is_slack_id(group) else None,
        channel_ids=tuple(c for c in channels if is_slack_id(c))[:CHANNELS_MAX],
        restrict_reads=ticked(AccessBlock.RESTRICT_READS, AccessAction.RESTRICT_READS),
    )


def access_saved_modal(summary: str) -> Payload:
    """What the settings modal turns into once saved."""
    return kit.modal(
        title=TITLE, callback_id=Callback.ACCESS, blocks=[kit.section(f"✅ Saved. {summary}")], close="Done"
    )


def access_summary(
    *, unmapped_can_read: bool, group_handle: str | None, channel_ids: Sequence[str], restrict_reads: bool
) -> str:
    """The rules in one paragraph (mrkdwn), as the README's "Who can do what" puts them."""
    parts = ["Writes need a mapped ConnectWise member."]
    if group_handle:
        parts.append(f"Only members of {_group(group_handle)} can write.")
    if channel_ids:
        parts.append(f"Writes only from {_channels(channel_ids)}.")
    if restrict_reads and (group_handle or channel_ids):
        parts.append("Reading follows the same rules.")
    parts.append(
        "Unmapped people can see tickets." if unmapped_can_read else "Only mapped people can see tickets."
    )
    return " ".join(parts)


def updated_line(updated_by: str | None, updated_at: datetime | None) -> str | None:
    """ "Last changed by @alex on <date>" (Slack renders the date in each reader's zone)."""
    who = _user(updated_by)
    if who is None or updated_at is None:
        return None
    stamp = int(updated_at.timestamp())
    return (
        f"Last changed by {who} on <!date^{stamp}^{{date_short}} {{time}}|{updated_at:%Y-%m-%d %H:%M} UTC>."
    )


# -- mapping requests --------------------------------------------------------------------------------


class RequestRef(BaseModel):
    """The value of an admin's Approve/Deny button: whose request, for which member."""

    model_config = ConfigDict(populate_by_name=True)

    user_id: str = Field(alias="u")
    member_id: int = Field(alias="m")

    def encode(self) -> str:
        return encode(self, BUTTON_VALUE_MAX)

    @classmethod
    def decode(cls, raw: str | None) -> RequestRef:
        ref = decode(cls, raw)
        if not is_slack_id(ref.user_id):
            raise StateError("not a Slack user id")
        return ref


def request_dm(
    *,
    requester_id: str,
    email: str | None,
    member_name: str,
    member_identifier: str,
    member_email: str | None,
    member_id: int,
) -> Payload:
    """The admins' DM: who asks for which member, why it needs them (the e-mails differ), Approve/Deny."""
    ref = RequestRef(user_id=requester_id, member_id=member_id).encode()
    member = f"{strong(escape_truncate(member_name, 100))} ({escape_truncate(member_identifier, 60)})"
    theirs = escape_truncate(email, 200) if email else "no e-mail in Slack"
    cw = escape_truncate(member_email, 200) if member_email else "no e-mail in ConnectWise"
    text = (
        f"<@{requester_id}> asks to be mapped to the ConnectWise member {member}. Their Slack e-mail "
        f"({theirs}) doesn't match the member's ({cw}), so a workspace admin has to approve it. Once "
        "mapped, their changes in ConnectWise are made in that member's name."
    )
    return {
        "text": f"Mapping request from <@{requester_id}>",
        "blocks": [
            kit.section(text),
            kit.actions(
                kit.button("Approve", MappingAction.APPROVE, value=ref, style="primary"),
                kit.button("Deny", MappingAction.DENY, value=ref, style="danger"),
            ),
        ],
    }


def decided_dm(text: str) -> Payload:
    """The admin's DM once decided (buttons gone), or the requester's outcome."""
    return {"text": text, "blocks": [kit.section(text)]}
