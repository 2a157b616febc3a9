"""The connect modal: an admin enters ConnectWise API credentials (the private key is never shown)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, SecretStr

from bot import inputs
from bot.ids import AccessAction, Callback, ConnectAction, ConnectField
from bot.text import escape_truncate, strong
from bot.views import kit

STORED_HINT = "•••• stored — leave empty to keep the stored key"


class ConnectionSummary(BaseModel):
    """What is already saved for the workspace (the private key only as a yes/no)."""

    site_url: str
    company_id: str
    public_key: str
    client_id: str
    has_private_key: bool = True


class ConnectForm(BaseModel):
    """What the admin submitted. `private_key` None means "keep the stored one"."""

    site_url: str = ""
    company_id: str = ""
    public_key: str = ""
    private_key: SecretStr | None = None
    client_id: str = ""

    def typed(self) -> dict[str, str | None]:
        """Every field as typed (the private key too: only its length is ever looked at)."""
        key = self.private_key.get_secret_value() if self.private_key else None
        return {**self.model_dump(exclude={"private_key"}), "private_key": key}


def connect_modal(
    *,
    current: ConnectionSummary | None = None,
    values: ConnectForm | None = None,
    error: str | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The connect modal, pre-filled from `values` or what is stored — never with the private key.

    `error` is a banner; `errors` ({ConnectForm field: message}) appear under their fields.
    """
    errors = errors or {}
    site = values.site_url if values else (current.site_url if current else "")
    company = values.company_id if values else (current.company_id if current else "")
    public = values.public_key if values else (current.public_key if current else "")
    client = values.client_id if values else (current.client_id if current else "")
    has_key = current is not None and current.has_private_key
    blocks: list[dict[str, Any]] = []
    if error:
        blocks.append(kit.section(f"⚠️ {escape_truncate(error, 1000)}"))
    blocks.append(
        kit.section(
            "Create an API member in ConnectWise (System → Members → API Members), generate a key pair, "
            "and paste it here. The keys are checked with a test call before they are saved, "
            "and stored encrypted."
        )
    )
    blocks.append(
        kit.input_block(
            ConnectField.SITE_URL,
            "Site URL",
            kit.text_input(
                ConnectField.SITE_URL,
                initial_value=site or None,
                max_length=inputs.SITE_URL.max_chars,
                placeholder="https://na.myconnectwise.net",
            ),
            hint=(
                "Your ConnectWise site as you log in to it (na.myconnectwise.net), its API host "
                "(api-na.myconnectwise.net) or the full API address ending in /apis/3.0."
            ),
        )
    )
    blocks.append(
        kit.input_block(
            ConnectField.COMPANY_ID,
            "Company ID",
            kit.text_input(
                ConnectField.COMPANY_ID, initial_value=company or None, max_length=inputs.COMPANY_ID.max_chars
            ),
            hint="The company you log in to ConnectWise with.",
        )
    )
    blocks.append(
        kit.input_block(
            ConnectField.PUBLIC_KEY,
            "Public key",
            kit.text_input(
                ConnectField.PUBLIC_KEY, initial_value=public or None, max_length=inputs.PUBLIC_KEY.max_chars
            ),
        )
    )
    blocks.append(
        kit.input_block(
            ConnectField.PRIVATE_KEY,
            "Private key",
            kit.text_input(
                ConnectField.PRIVATE_KEY,
                max_length=inputs.PRIVATE_KEY.max_chars,
                placeholder="•••• stored" if has_key else None,
            ),
            optional=has_key,
            hint=STORED_HINT if has_key else "Shown once when you create the key in ConnectWise.",
        )
    )
    blocks.append(
        kit.input_block(
            ConnectField.CLIENT_ID,
            "Client ID",
            kit.text_input(
                ConnectField.CLIENT_ID, initial_value=client or None, max_length=inputs.CLIENT_ID.max_chars
            ),
            hint="From developer.connectwise.com → Client IDs.",
        )
    )
    blocks = _with_field_errors(blocks, errors)
    if current is not None:
        blocks.append(kit.divider())
        blocks.append(
            kit.actions(
                kit.button("Who can use the app", AccessAction.OPEN),
                disconnect_button(site=current.site_url, company_id=current.company_id),
            )
        )
    return kit.modal(
        title="Connect ConnectWise",
        blocks=blocks,
        callback_id=Callback.CONNECT,
        submit="Test & save",
        close="Cancel",
    )


_FIELDS = {
    "site_url": ConnectField.SITE_URL,
    "company_id": ConnectField.COMPANY_ID,
    "public_key": ConnectField.PUBLIC_KEY,
    "private_key": ConnectField.PRIVATE_KEY,
    "client_id": ConnectField.CLIENT_ID,
}


def _with_field_errors(blocks: list[dict[str, Any]], errors: dict[str, str]) -> list[dict[str, Any]]:
    by_block = connect_errors(errors)
    out: list[dict[str, Any]] = []
    for block in blocks:
        out.append(block)
        message = by_block.get(block.get("block_id", ""))
        if message:
            out.append(kit.context(f"⚠️ {escape_truncate(message, 500)}"))
    return out


def read_connect_form(view: dict[str, Any]) -> ConnectForm:
    """The submitted connect form (trimmed; an empty private key becomes None)."""
    values = (view.get("state") or {}).get("values") or {}

    def text(field: ConnectField) -> str:
        entry = (values.get(field) or {}).get(field) or {}
        return (entry.get("value") or "").strip()

    private = text(ConnectField.PRIVATE_KEY)
    return ConnectForm(
        site_url=text(ConnectField.SITE_URL),
        company_id=text(ConnectField.COMPANY_ID),
        public_key=text(ConnectField.PUBLIC_KEY),
        private_key=SecretStr(private) if private else None,
        client_id=text(ConnectField.CLIENT_ID),
    )


def connect_errors(errors: dict[str, str]) -> dict[str, str]:
    """Field errors keyed by ConnectForm field name → by block id, for `response_action: errors`."""
    return {str(_FIELDS[k]): v for k, v in errors.items() if k in _FIELDS}


def connect_env_modal(*, site: str, company_id: str) -> dict[str, Any]:
    """Single-workspace env mode: the CW_* settings define the connection and win over this modal."""
    return kit.modal(
        title="Connect ConnectWise",
        callback_id=Callback.CONNECT,
        blocks=[
            kit.section(
                "This workspace's ConnectWise connection comes from the app's environment "
                "(the `CW_*` variables): "
                f"company {strong(escape_truncate(company_id, 100))} at `{escape_truncate(site, 300)}`."
            ),
            kit.context(
                "While those variables are set they win over anything entered here, so there is "
                "nothing to change in Slack. To use other credentials, change `CW_BASE_URL`, "
                "`CW_COMPANY_ID`, `CW_PUBLIC_KEY`, `CW_PRIVATE_KEY` and `CW_CLIENT_ID` and restart the app "
                "(or unset them to manage the connection here)."
            ),
        ],
        close="OK",
    )


def connect_testing_modal(site: str) -> dict[str, Any]:
    """Shown while the credentials are being tried against ConnectWise."""
    return kit.modal(
        title="Connect ConnectWise",
        callback_id=Callback.CONNECT,
        blocks=[
            kit.section(f"⏳ Testing the connection to `{escape_truncate(site, 300)}`…"),
            kit.context("Nothing is saved until ConnectWise accepts the keys."),
        ],
        close="Close",
    )


def connect_done_modal(
    *, site: str, company_id: str, probing: bool = False, probe: str | None = None
) -> dict[str, Any]:
    """The credentials worked and are saved; then what the site supports (the probe's summary)."""
    blocks = [
        kit.section(
            f"✅ Connected to ConnectWise: company {strong(escape_truncate(company_id, 100))} "
            f"at `{escape_truncate(site, 300)}`. The keys are stored encrypted."
        ),
        kit.context(
            "Everyone in this workspace can now map their ConnectWise member (`/tickets map`) "
            "and see their queue in the app's Home tab."
        ),
    ]
    if probing:
        blocks.append(kit.context("Checking which of the app's queries and permissions your site supports…"))
    if probe:
        blocks.append(kit.section(strong("What your site supports") + "\n" + escape_truncate(probe, 2800)))
    return kit.modal(title="Connect ConnectWise", callback_id=Callback.CONNECT, blocks=blocks, close="Done")


def connect_refused_modal(text: str) -> dict[str, Any]:
    """A refusal (e.g. not a workspace admin) in place of the form."""
    return kit.modal(
        title="Connect ConnectWise",
        callback_id=Callback.CONNECT,
        blocks=[kit.section(f"⚠️ {escape_truncate(text, 2000)}")],
        close="OK",
    )


def disconnect_button(*, site: str, company_id: str) -> dict[str, Any]:
    """The red Disconnect button, behind a confirmation dialog."""
    return kit.button(
        "Disconnect ConnectWise",
        ConnectAction.DISCONNECT,
        style="danger",
        confirm=kit.confirm_dialog(
            "Disconnect ConnectWise?",
            f"The stored keys for company {escape_truncate(company_id, 100)} at "
            f"{escape_truncate(site, 300)} are deleted. Nobody in this workspace "
            "can see or change tickets from Slack until an admin connects ConnectWise again.",
            "Disconnect",
        ),
    )


def disconnect_prompt(*, site: str, company_id: str) -> dict[str, Any]:
    """`/tickets disconnect`: what would be disconnected, and the button that does it (with a confirm)."""
    return {
        "text": "Disconnect ConnectWise from this workspace?",
        "blocks": [
            kit.section(
                f"This workspace is connected to ConnectWise company *{escape_truncate(company_id, 100)}* "
                f"at `{escape_truncate(site, 300)}`. Disconnecting deletes the stored keys."
            ),
            kit.actions(disconnect_button(site=site, company_id=company_id)),
        ],
    }


def disconnected_text(*, site: str | None, company_id: str | None) -> str:
    """What an admin is told once the connection is gone (plain text: the caller escapes it)."""
    if site is None:
        return "ConnectWise was not connected to this workspace (nothing to disconnect)."
    return (
        f"🔌 Disconnected ConnectWise (company {company_id or ''} at {site}). The stored keys are "
        "deleted; run /tickets connect to connect again."
    )


def disconnected_modal(text: str) -> dict[str, Any]:
    """The connect modal after Disconnect."""
    return kit.modal(
        title="Connect ConnectWise",
        callback_id=Callback.CONNECT,
        blocks=[kit.section(escape_truncate(text, 2000))],
        close="Done",
    )
