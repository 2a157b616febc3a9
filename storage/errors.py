"""Storage error hierarchy. Messages are safe to show (they never contain secrets)."""

from __future__ import annotations


class StorageError(Exception):
    """Base of every storage failure."""


class MissingSecretKeyError(StorageError):
    """Production start-up without TICKETS_SECRET_KEY."""


class SecretKeyFileError(StorageError):
    """The generated key file exists but cannot be used."""


class StoredKeyUnusable(StorageError):
    """A workspace's stored PSA key cannot be used; an admin must reconnect. `team_id` names the workspace."""

    def __init__(self, message: str, *, team_id: str | None = None) -> None:
        super().__init__(message)
        self.team_id = team_id


class SecretDecryptionError(StoredKeyUnusable):
    """A stored secret cannot be decrypted with the configured key(s)."""


class KeyHostMismatchError(StoredKeyUnusable):
    """The stored key was validated with another host than the connection now names."""


class KeyRequiredError(StorageError):
    """Keeping the stored private key was asked for, but the site or company changed: enter it again."""


class MappingConflictError(StorageError):
    """The PSA member is already mapped to another Slack user in this workspace."""

    def __init__(self, *, member_id: int, mapped_to: str | None) -> None:
        who = f"<@{mapped_to}>" if mapped_to else "another Slack user"
        super().__init__(f"PSA member {member_id} is already mapped to {who} in this workspace.")
        self.member_id = member_id
        self.mapped_to = mapped_to


class ConnectionNotFoundError(StorageError):
    """Keeping the stored private key was asked for, but the workspace has no connection yet."""
