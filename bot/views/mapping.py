"""The member-mapping modal: which ConnectWise member a Slack user is (admins may map others)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, SecretStr

from bot.ids import Callback, MappingAction, MappingBlock
from bot.state.codec import METADATA_MAX, StateError, decode, encode
from bot.text import clip, escape, escape_sentence, escape_truncate, strong
from bot.views import kit, limits
from psa.models import Member

TITLE = "Map PSA member"
REASSIGN_VALUE = "reassign"


ASK_ADMIN_VALUE = "ask_admin"


class MappingForm(BaseModel):
    """A submitted mapping: member, and for admins the Slack user it is for (None = the submitter);
    for the submitter, whether to ask an admin when the e-mails differ, and their own API keys."""

    member_id: int | None = None
    member_name: str | None = None
    slack_user_id: str | None = None
    reassign: bool = False
    ask_admin: bool = False
    public_key: str = ""
    private_key: SecretStr = SecretStr("")
    member_block_id: str = MappingBlock.MEMBER

    @property
    def has_keys(self) -> bool:
        """Whether either key field was filled in."""
        return bool(self.public_key.strip() or self.private_key.get_secret_value().strip())


class OwnKeys(BaseModel):
    """What the modal says about the viewer's own API keys (never the keys themselves)."""

    saved_at: datetime | None = None  # None: none stored
    usable: bool = True  # False: checked with another site or member, so not sent


def member_block_id(target_user_id: str | None) -> str:
    """The member input's block id: a new one per target user, so Slack resets what was picked."""
    return f"{MappingBlock.MEMBER}.{target_user_id}" if target_user_id else str(MappingBlock.MEMBER)


def mapping_modal(
    *,
    current: Member | None = None,
    suggested: Member | None = None,
    is_admin: bool = False,
    target_user_id: str | None = None,
    error: str | None = None,
    notice: str | None = None,
    keys: OwnKeys | None = None,
) -> dict[str, Any]:
    """The mapping modal. `suggested` is the member whose e-mail matches the user's Slack e-mail.

    Mapping yourself needs that e-mail match, an admin's approval (the "ask an admin" box), or your own
    ConnectWise API keys (which prove whose they are). `keys` (the viewer's own, None for an admin's
    pick) shows the keys section: "saved on <date>" + Remove, or the two key inputs.

    `target_user_id` is the Slack user an admin picked (None: the viewer maps themselves); it is
    kept in private_metadata so Unmap acts on the user whose mapping is shown.
    """
    blocks: list[dict[str, Any]] = []
    if error:
        blocks.append(kit.section(f"⚠️ {clip(escape_sentence(error), 1000)}"))
    if notice:
        blocks.append(kit.section(f"✅ {escape_truncate(notice, 1000)}"))
    whose = f"<@{escape(target_user_id)}>'s" if target_user_id else "your"
    blocks.append(
        kit.section(
            f"Pick {whose} ConnectWise member. Tickets assigned to that member make up the queue "
            "in the Home tab, and the member is highlighted as an assignee."
        )
    )
    if current is not None:
        blocks.append(
            kit.section(
                f"Currently mapped to {strong(escape_truncate(current.name, 100))} "
                f"({escape_truncate(current.identifier, 60)})",
                block_id=MappingBlock.CURRENT,
                accessory=kit.button(
                    "Unmap",
                    MappingAction.UNMAP,
                    value=str(current.id),
                    style="danger",
                    confirm=kit.confirm_dialog(
                        "Unmap member?", "The queue stays empty until a member is mapped again.", "Unmap"
                    ),
                ),
            )
        )
    elif suggested is not None:
        source = "their" if target_user_id else "your"
        blocks.append(
            kit.context(f"Suggested from {source} e-mail: {strong(escape_truncate(suggested.name, 100))}")
        )
    initial = current or suggested
    blocks.append(
        kit.input_block(
            member_block_id(target_user_id),
            "ConnectWise member",
            kit.external_select(
                MappingAction.MEMBER,
                "Search members by name",
                initial_option=member_choice(initial) if initial is not None else None,
                min_query_length=0,
            ),
        )
    )
    if is_admin:
        element: dict[str, Any] = {
            "type": "users_select",
            "action_id": MappingAction.SLACK_USER,
            "placeholder": {"type": "plain_text", "text": "Yourself"},
        }
        if target_user_id:
            element["initial_user"] = target_user_id
        blocks.append(
            kit.input_block(
                MappingBlock.SLACK_USER,
                "Slack user",
                element,
                optional=True,
                hint="Workspace admins can map someone else. Leave empty to map yourself.",
                dispatch_action=True,
            )
        )
        blocks.append(
            kit.input_block(
                MappingBlock.REASSIGN,
                "If the member is taken",
                {
                    "type": "checkboxes",
                    "action_id": MappingAction.REASSIGN,
                    "options": [kit.option("Move the member from whoever holds it (admins)", REASSIGN_VALUE)],
                },
                optional=True,
            )
        )
    if not is_admin and target_user_id is None:
        blocks.append(
            kit.input_block(
                MappingBlock.ASK_ADMIN,
                "If your e-mail doesn't match",
                {
                    "type": "checkboxes",
                    "action_id": MappingAction.ASK_ADMIN,
                    "options": [
                        kit.option(
                            "Ask a workspace admin to approve",
                            ASK_ADMIN_VALUE,
                            description="Needed when your Slack e-mail differs from the member's.",
                        )
                    ],
                },
                optional=True,
            )
        )
    if keys is not None and target_user_id is None:
        blocks.extend(own_keys_blocks(keys))
    metadata = encode(MappingTarget(target=target_user_id), METADATA_MAX) if target_user_id else None
    return kit.modal(
        title=TITLE,
        blocks=blocks,
        callback_id=Callback.MAPPING,
        private_metadata=metadata,
        submit="Save",
        close="Cancel",
    )


KEYS_HELP = (
    "Optional: your own ConnectWise API keys (ConnectWise: My Account → API Keys). Checked with "
    "ConnectWise, stored encrypted and never shown again; your changes then go out with them, so "
    "ConnectWise records you and applies your security role."
)


def own_keys_blocks(keys: OwnKeys) -> list[dict[str, Any]]:
    """The keys section: what is stored (never the keys) with Remove, or the inputs to enter them."""
    if keys.saved_at is not None:
        stamp = int(keys.saved_at.timestamp())
        when = f"<!date^{stamp}^{{date_short}}|{keys.saved_at:%Y-%m-%d}>"
        text = (
            f"🔑 Your own API keys were saved on {when} and are used for your writes."
            if keys.usable
            else f"🔑 Your own API keys saved on {when} can't be used: they were checked with another "
            "ConnectWise site or member. Remove them and enter new ones."
        )
        return [
            kit.section(
                text,
                block_id=MappingBlock.KEYS,
                accessory=kit.button(
                    "Remove",
                    MappingAction.REMOVE_KEYS,
                    style="danger",
                    confirm=kit.confirm_dialog(
                        "Remove your keys?",
                        "Your changes will go out with the workspace's key, naming your member.",
                        "Remove",
                    ),
                ),
            )
        ]
    return [
        kit.divider(),
        kit.context(KEYS_HELP),
        kit.input_block(
            MappingBlock.PUBLIC_KEY,
            "Your public key",
            kit.text_input(MappingAction.PUBLIC_KEY, placeholder="Public key", max_length=200),
            optional=True,
        ),
        kit.input_block(
            MappingBlock.PRIVATE_KEY,
            "Your private key",
            kit.text_input(MappingAction.PRIVATE_KEY, placeholder="Private key", max_length=200),
            optional=True,
        ),
    ]


class MappingTarget(BaseModel):
    """private_metadata of the mapping modal: whose mapping it shows (None: the viewer's)."""

    target: str | None = None


def mapping_target(view: dict[str, Any]) -> str | None:
    """The Slack user whose mapping the modal shows (None: the viewer)."""
    try:
        return decode(MappingTarget, view.get("private_metadata")).target or None
    except StateError:
        return None


def _member_block(values: Mapping[str, Any]) -> str:
    prefix = f"{MappingBlock.MEMBER}."
    found = [b for b in values if b == MappingBlock.MEMBER or b.startswith(prefix)]
    return found[-1] if found else str(MappingBlock.MEMBER)


def read_mapping(view: dict[str, Any]) -> MappingForm:
    """The member (and Slack user, for admins) chosen in the mapping modal."""
    values = (view.get("state") or {}).get("values") or {}
    block_id = _member_block(values)
    for block in view.get("blocks") or []:
        bid = str(block.get("block_id") or "")
        if bid == MappingBlock.MEMBER or bid.startswith(f"{MappingBlock.MEMBER}."):
            block_id = bid  # the block on screen wins over stale state of an earlier target
    member_entry = (values.get(block_id) or {}).get(MappingAction.MEMBER) or {}
    option = member_entry.get("selected_option") or {}
    raw = option.get("value")
    member_id = int(raw) if isinstance(raw, str) and raw.isdigit() else None
    name = (option.get("text") or {}).get("text") if member_id is not None else None
    user_entry = (values.get(MappingBlock.SLACK_USER) or {}).get(MappingAction.SLACK_USER) or {}
    reassign_entry = (values.get(MappingBlock.REASSIGN) or {}).get(MappingAction.REASSIGN) or {}
    reassign = any(o.get("value") == REASSIGN_VALUE for o in reassign_entry.get("selected_options") or [])
    ask_entry = (values.get(MappingBlock.ASK_ADMIN) or {}).get(MappingAction.ASK_ADMIN) or {}
    ask_admin = any(o.get("value") == ASK_ADMIN_VALUE for o in ask_entry.get("selected_options") or [])
    public = (values.get(MappingBlock.PUBLIC_KEY) or {}).get(MappingAction.PUBLIC_KEY) or {}
    private = (values.get(MappingBlock.PRIVATE_KEY) or {}).get(MappingAction.PRIVATE_KEY) or {}
    return MappingForm(
        member_id=member_id,
        member_name=name.removeprefix("★ ") if name else None,
        slack_user_id=user_entry.get("selected_user") or None,
        reassign=reassign,
        ask_admin=ask_admin,
        public_key=str(public.get("value") or ""),
        private_key=SecretStr(str(private.get("value") or "")),
        member_block_id=block_id,
    )


def has_block(view: dict[str, Any], block_id: str) -> bool:
    """Whether the view shows a block with this id (field errors must name a block on screen)."""
    return any(b.get("block_id") == block_id for b in view.get("blocks") or [])


def member_choice(member: Member) -> dict[str, Any]:
    """One member as a mapping option: "Jordan Doe (jdoe)"."""
    return kit.option(f"{member.name} ({member.identifier})", str(member.id))


def mapping_member_options(
    members: list[Member], *, holders: Mapping[int, str], viewer_member_id: int | None = None
) -> list[dict[str, Any]]:
    """Members for the mapping select; members someone else holds read "… · taken by NAME", last."""
    free = [m for m in members if m.id not in holders or m.id == viewer_member_id]
    taken = [m for m in members if m.id in holders and m.id != viewer_member_id]
    options = [member_choice(m) for m in free]
    options += [kit.option(f"{m.name} ({m.identifier}) · taken by {holders[m.id]}", str(m.id)) for m in taken]
    return options[: limits.OPTIONS_MAX]


def mapping_done_modal(text: str) -> dict[str, Any]:
    """What the modal turns into once a mapping is saved."""
    return kit.modal(
        title=TITLE,
        callback_id=Callback.MAPPING,
        blocks=[
            kit.section(f"✅ {escape_truncate(text, 2000)}"),
            kit.context("Your queue is in the app's Home tab. `/tickets mine` lists it here too."),
        ],
        close="Done",
    )


def mapping_unavailable_modal(text: str) -> dict[str, Any]:
    """The modal when mapping is not possible yet (e.g. ConnectWise is not connected)."""
    return kit.modal(
        title=TITLE,
        callback_id=Callback.MAPPING,
        blocks=[kit.section(f"⚠️ {clip(escape_sentence(text), 2000)}")],
        close="OK",
    )
