"""The member-mapping modal: which ConnectWise member a Slack user is (admins may map others)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from bot.ids import Callback, MappingAction, MappingBlock
from bot.text import escape_truncate
from bot.views import kit
from bot.views.options import member_option
from psa.models import Member


class MappingForm(BaseModel):
    """A submitted mapping: member, and for admins the Slack user it is for (None = the submitter)."""

    member_id: int | None = None
    member_name: str | None = None
    slack_user_id: str | None = None


def mapping_modal(
    *,
    current: Member | None = None,
    suggested: Member | None = None,
    is_admin: bool = False,
    target_user_id: str | None = None,
    error: str | None = None,
    notice: str | None = None,
) -> dict[str, Any]:
    """The mapping modal. `suggested` is the member whose e-mail matches the user's Slack e-mail."""
    blocks: list[dict[str, Any]] = []
    if error:
        blocks.append(kit.section(f"⚠️ {escape_truncate(error, 1000)}"))
    if notice:
        blocks.append(kit.section(f"✅ {escape_truncate(notice, 1000)}"))
    blocks.append(
        kit.section(
            "Pick your ConnectWise member. Tickets assigned to that member make up your queue, "
            "and you are highlighted as an assignee."
        )
    )
    if current is not None:
        blocks.append(
            kit.section(
                f"Currently mapped to *{escape_truncate(current.name, 100)}* "
                f"({escape_truncate(current.identifier, 60)})",
                block_id=MappingBlock.CURRENT,
                accessory=kit.button(
                    "Unmap",
                    MappingAction.UNMAP,
                    value=str(current.id),
                    style="danger",
                    confirm=kit.confirm_dialog(
                        "Unmap member?", "Your queue will be empty until you map a member again.", "Unmap"
                    ),
                ),
            )
        )
    elif suggested is not None:
        blocks.append(kit.context(f"Suggested from your e-mail: *{escape_truncate(suggested.name, 100)}*"))
    initial = current or suggested
    blocks.append(
        kit.input_block(
            MappingBlock.MEMBER,
            "ConnectWise member",
            kit.external_select(
                MappingAction.MEMBER,
                "Search members by name",
                initial_option=member_option(initial) if initial is not None else None,
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
            )
        )
    return kit.modal(
        title="Map PSA member",
        blocks=blocks,
        callback_id=Callback.MAPPING,
        submit="Save",
        close="Cancel",
    )


def read_mapping(view: dict[str, Any]) -> MappingForm:
    """The member (and Slack user, for admins) chosen in the mapping modal."""
    values = (view.get("state") or {}).get("values") or {}
    member_entry = (values.get(MappingBlock.MEMBER) or {}).get(MappingAction.MEMBER) or {}
    option = member_entry.get("selected_option") or {}
    raw = option.get("value")
    member_id = int(raw) if isinstance(raw, str) and raw.isdigit() else None
    name = (option.get("text") or {}).get("text") if member_id is not None else None
    user_entry = (values.get(MappingBlock.SLACK_USER) or {}).get(MappingAction.SLACK_USER) or {}
    return MappingForm(
        member_id=member_id,
        member_name=name.removeprefix("★ ") if name else None,
        slack_user_id=user_entry.get("selected_user") or None,
    )
