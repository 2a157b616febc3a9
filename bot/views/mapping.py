"""The member-mapping modal: which ConnectWise member a Slack user is (admins may map others)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from bot.ids import Callback, MappingAction, MappingBlock
from bot.state.codec import METADATA_MAX, StateError, decode, encode
from bot.text import clip, escape, escape_sentence, escape_truncate, strong
from bot.views import kit, limits
from psa.models import Member

TITLE = "Map PSA member"
REASSIGN_VALUE = "reassign"


class MappingForm(BaseModel):
    """A submitted mapping: member, and for admins the Slack user it is for (None = the submitter)."""

    member_id: int | None = None
    member_name: str | None = None
    slack_user_id: str | None = None
    reassign: bool = False
    member_block_id: str = MappingBlock.MEMBER


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
) -> dict[str, Any]:
    """The mapping modal. `suggested` is the member whose e-mail matches the user's Slack e-mail.

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
    metadata = encode(MappingTarget(target=target_user_id), METADATA_MAX) if target_user_id else None
    return kit.modal(
        title=TITLE,
        blocks=blocks,
        callback_id=Callback.MAPPING,
        private_metadata=metadata,
        submit="Save",
        close="Cancel",
    )


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
    return MappingForm(
        member_id=member_id,
        member_name=name.removeprefix("★ ") if name else None,
        slack_user_id=user_entry.get("selected_user") or None,
        reassign=reassign,
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
