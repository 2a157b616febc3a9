"""One error hierarchy for every PSA provider. Providers translate vendor errors into these once."""

from __future__ import annotations


class PSAError(Exception):
    """Base of every PSA failure. `message` is safe to show a user (never contains secrets)."""

    user_hint = "Try again in a moment."
    # For a failed write: True when it may have been made anyway (its answer was lost), False when it
    # surely was not (never sent), None when only the kind of error tells (see bot.flows.once).
    maybe_applied: bool | None = None

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class PSAAuthenticationError(PSAError):
    user_hint = "Ask a workspace admin to check the PSA connection (`/tickets connect`)."


class PSAPermissionError(PSAError):
    user_hint = "The PSA API member lacks a security role for this action."


class PSANotFoundError(PSAError):
    user_hint = "Check the number; it may have been deleted or merged."


class PSAValidationError(PSAError):
    user_hint = "Correct the highlighted fields and submit again."

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, str] | None = None,
        status: int | None = 400,
        code: str | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.fields: dict[str, str] = fields or {}


class PSARateLimitedError(PSAError):
    user_hint = "The PSA is throttling requests; try again shortly."

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = 429) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class PSAUnavailableError(PSAError):
    """Outage, 5xx, timeout or connection failure."""

    user_hint = "The PSA is not answering right now; nothing was changed. Try again in a minute."


class PSASiteRefusedError(PSAError):
    """The site's host resolves to an address keys are never sent to (e.g. DNS rebinding): not sent."""

    user_hint = "Ask a workspace admin to check the ConnectWise site address (`/tickets connect`)."
    maybe_applied = False


class PSAMemberKeysRejectedError(PSAAuthenticationError):
    """The engineer's own API keys were refused (revoked, expired, or the member was deactivated)."""

    user_hint = (
        "ConnectWise refused your own API keys: enter new ones in `/tickets map` (or remove them there "
        "to write through the workspace's connection)."
    )
