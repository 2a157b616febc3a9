"""Storage error hierarchy. Messages are safe to show (they never contain secrets)."""

from __future__ import annotations


class StorageError(Exception):
    """Base of every storage failure."""


class MissingSecretKeyError(StorageError):
    """Production start-up without TICKETS_SECRET_KEY."""


class SecretKeyFileError(StorageError):
    """The generated key file exists but cannot be used."""


class SecretDecryptionError(StorageError):
    """A stored secret cannot be decrypted with the configured key(s)."""


class MappingConflictError(StorageError):
    """The PSA member is already mapped to another Slack user in this workspace."""

    def __init__(self, *, member_id: int, mapped_to: str | None) -> None:
        who = f"<@{mapped_to}>" if mapped_to else "another Slack user"
        super().__init__(f"PSA member {member_id} is already mapped to {who} in this workspace.")
        self.member_id = member_id
        self.mapped_to = mapped_to


class ConnectionNotFoundError(StorageError):
    """Keeping the stored private key was asked for, but the workspace has no connection yet."""
