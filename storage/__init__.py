"""The app's own state: PSA connections, member mappings, thread links, idempotency, suggestions, events,
audit, and Slack OAuth installations. SQLite by default, Postgres for several processes."""

from storage.crypto import (
    SecretBox,
    default_key_file,
    fernet_from_secret,
    load_or_create_key,
    load_or_create_keys,
)
from storage.db import create_engine, create_sessionmaker, normalize_database_url
from storage.errors import (
    ConnectionNotFoundError,
    KeyHostMismatchError,
    KeyRequiredError,
    MappingConflictError,
    MissingSecretKeyError,
    SecretDecryptionError,
    SecretKeyFileError,
    StorageError,
    StoredKeyUnusable,
)
from storage.facade import Storage
from storage.models import AuditAction, LedgerState, MappingRequestState, SuggestionState, WriteKind
from storage.repositories.access import AccessSettings, MappingRequest
from storage.repositories.audit import AuditEvent
from storage.repositories.connections import ConnectionCredentials, ConnectionInfo, PSAConnection
from storage.repositories.engineer_keys import EngineerKeys, EngineerKeysInfo
from storage.repositories.ledger import ClaimResult, LedgerEntry
from storage.repositories.mappings import MemberMapping
from storage.repositories.suggestions import Suggestion
from storage.repositories.thread_links import ThreadLink
from storage.slack_oauth import build_slack_oauth_stores
from storage.workspace import SlackMemberMappingLookup, WorkspaceStore
from storage.writes import AuditEntry, EngineerKeyStore, WriteLedger

__all__ = [
    "AccessSettings",
    "AuditAction",
    "AuditEntry",
    "AuditEvent",
    "ClaimResult",
    "ConnectionCredentials",
    "ConnectionInfo",
    "ConnectionNotFoundError",
    "EngineerKeyStore",
    "EngineerKeys",
    "EngineerKeysInfo",
    "KeyHostMismatchError",
    "KeyRequiredError",
    "LedgerEntry",
    "LedgerState",
    "MappingConflictError",
    "MappingRequest",
    "MappingRequestState",
    "MemberMapping",
    "MissingSecretKeyError",
    "PSAConnection",
    "SecretBox",
    "SecretDecryptionError",
    "SecretKeyFileError",
    "SlackMemberMappingLookup",
    "Storage",
    "StorageError",
    "StoredKeyUnusable",
    "Suggestion",
    "SuggestionState",
    "ThreadLink",
    "WorkspaceStore",
    "WriteKind",
    "WriteLedger",
    "build_slack_oauth_stores",
    "create_engine",
    "create_sessionmaker",
    "default_key_file",
    "fernet_from_secret",
    "load_or_create_key",
    "load_or_create_keys",
    "normalize_database_url",
]
