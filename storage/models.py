"""Every table the app owns, in one module. All rows carry the Slack workspace (`team_id`)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Explicit names keep constraints identical on SQLite and Postgres and let batch migrations drop them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SLACK_ID = 32  # team / user / channel ids and message timestamps ("1712345678.123456")
SLACK_INSTALLATIONS_TABLE = "slack_installations"
SLACK_BOTS_TABLE = "slack_bots"
SLACK_OAUTH_STATES_TABLE = "slack_oauth_states"


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in Python on every backend (SQLite has no tz type, so store naive UTC there)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use datetime.now(UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime()}


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class LedgerState(StrEnum):
    CLAIMED = "claimed"  # a process is performing the write
    IN_PROGRESS = "claimed"  # the older name of CLAIMED
    DONE = "done"  # performed; `result` says what it made
    FAILED = "failed"  # the PSA refused it: nothing was written, a later claim may retry
    UNCERTAIN = "uncertain"  # the PSA may have performed it: reconcile before retrying


class WriteKind(StrEnum):
    """Every state-changing action the app performs for a user, each under one idempotency key."""

    CREATE = "create"
    NOTE = "note"
    STATUS = "status"
    ASSIGNEE_ADD = "assignee_add"
    ASSIGNEE_REMOVE = "assignee_remove"
    SHARE = "share"
    LINK_THREAD = "link_thread"
    TIME_ENTRY = "time_entry"


class SuggestionState(StrEnum):
    OPEN = "open"
    DISMISSED = "dismissed"
    CREATED = "created"


class AuditAction(StrEnum):
    CREATE = "create"
    STATUS_CHANGE = "status_change"
    ASSIGNEE_ADD = "assignee_add"
    ASSIGNEE_REMOVE = "assignee_remove"
    NOTE = "note"
    CONNECT = "connect"
    DISCONNECT = "disconnect"
    MAP = "map"
    UNMAP = "unmap"
    SHARE = "share"
    LINK_THREAD = "link_thread"
    TIME_ENTRY = "time_entry"
    MEMBER_KEYS_SAVED = "member_keys_saved"
    MEMBER_KEYS_REMOVED = "member_keys_removed"
    ACCESS_CHANGE = "access_change"
    MAPPING_DENIED = "mapping_denied"


class PSAConnectionRow(Base):
    """One PSA connection per workspace; the private key is stored only as a Fernet token."""

    __tablename__ = "psa_connections"

    team_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    enterprise_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    provider_kind: Mapped[str] = mapped_column(String(32))
    base_url: Mapped[str] = mapped_column(String(500))
    company_id: Mapped[str] = mapped_column(String(100))
    public_key: Mapped[str] = mapped_column(String(200))
    client_id: Mapped[str] = mapped_column(String(100))
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    # The host (and port) the private key was validated with: the only one it is ever sent to.
    key_host: Mapped[str] = mapped_column(String(300))
    connected_by: Mapped[str] = mapped_column(String(SLACK_ID))
    connected_at: Mapped[datetime]


class MemberMappingRow(Base):
    """Slack user ↔ PSA member, one per Slack user and one per PSA member in a workspace."""

    __tablename__ = "member_mappings"
    __table_args__ = (UniqueConstraint("team_id", "psa_member_id"),)

    team_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    slack_user_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    psa_member_id: Mapped[int] = mapped_column(BigInteger)
    member_identifier: Mapped[str] = mapped_column(String(100))
    member_name: Mapped[str] = mapped_column(String(200))
    mapped_by: Mapped[str] = mapped_column(String(SLACK_ID))
    mapped_at: Mapped[datetime]


class ThreadLinkRow(Base):
    """A Slack thread linked to a PSA ticket."""

    __tablename__ = "thread_links"
    __table_args__ = (Index("ix_thread_links_team_ticket", "team_id", "ticket_id"),)

    team_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    thread_ts: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(BigInteger)
    company_id: Mapped[int | None] = mapped_column(BigInteger)
    board_id: Mapped[int | None] = mapped_column(BigInteger)
    linked_by: Mapped[str] = mapped_column(String(SLACK_ID))
    linked_at: Mapped[datetime]
    # When the thread's earlier messages were read from Slack (at most once: history calls are scarce).
    context_seeded_at: Mapped[datetime | None]
    # How many of the thread's messages the app has known of: kept, forgotten since, or never read (the
    # history read gets the first 15). What is not kept any more is told as left out, never dropped silently.
    context_messages: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class IdempotencyRow(Base):
    """One write a user asked for, under its idempotency key: claimed by one process at a time, and
    kept with enough of its payload to reconcile it with the PSA or re-announce it after a crash."""

    __tablename__ = "idempotency_ledger"
    __table_args__ = (
        CheckConstraint(_in("state", LedgerState), name="state"),
        CheckConstraint(_in("kind", WriteKind), name="kind"),
        # Recovery looks for unfinished work across every workspace, oldest first.
        Index("ix_idempotency_ledger_state_updated", "state", "updated_at"),
    )

    team_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), server_default=WriteKind.CREATE.value)
    state: Mapped[str] = mapped_column(String(16))
    actor_user_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    actor_member_id: Mapped[int | None] = mapped_column(BigInteger)
    ticket_id: Mapped[int | None] = mapped_column(BigInteger)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class EngineerKeysRow(Base):
    """A member's own PSA API key pair, entered by the Slack user mapped to that member. The private key
    is stored only as a Fernet token, and the keys are used only against the site they were validated on."""

    __tablename__ = "engineer_keys"

    team_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    slack_user_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    psa_member_id: Mapped[int] = mapped_column(BigInteger)
    public_key: Mapped[str] = mapped_column(String(200))
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    base_url: Mapped[str] = mapped_column(String(500))
    company_id: Mapped[str] = mapped_column(String(100))
    validated_at: Mapped[datetime]


class TimeNudgeRow(Base):
    """An engineer's end-of-day reminder to log time: when (minutes after their local midnight, in their
    Slack time zone) and the local day it was last sent (once a day)."""

    __tablename__ = "time_nudges"

    team_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    slack_user_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    at_minute: Mapped[int] = mapped_column(Integer)
    tz: Mapped[str] = mapped_column(String(64))
    last_sent_on: Mapped[str | None] = mapped_column(String(10))  # YYYY-MM-DD, the engineer's day
    updated_at: Mapped[datetime]


class SuggestionRow(Base):
    """An AI spin-off suggestion posted in a thread."""

    __tablename__ = "spinoff_suggestions"
    __table_args__ = (
        CheckConstraint(_in("state", SuggestionState), name="state"),
        # The database, not the app, guarantees at most one open suggestion per thread.
        Index(
            "uq_spinoff_suggestions_one_open_per_thread",
            "team_id",
            "channel_id",
            "thread_ts",
            unique=True,
            sqlite_where=text("state = 'open'"),
            postgresql_where=text("state = 'open'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    channel_id: Mapped[str] = mapped_column(String(SLACK_ID))
    thread_ts: Mapped[str] = mapped_column(String(SLACK_ID))
    message_ts: Mapped[str | None] = mapped_column(String(SLACK_ID))
    description: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    ticket_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ProcessedEventRow(Base):
    """A Slack Events API `event_id` already handled (dedupe of Slack's retries)."""

    __tablename__ = "processed_events"
    __table_args__ = (Index("ix_processed_events_received_at", "received_at"),)

    team_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime]


class AuditEventRow(Base):
    """Who did what to which ticket; `detail` is small JSON and never holds secrets."""

    __tablename__ = "audit_events"
    __table_args__ = (
        CheckConstraint(_in("action", AuditAction), name="action"),
        Index("ix_audit_events_team_created", "team_id", "created_at"),
        Index("ix_audit_events_team_ticket", "team_id", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    slack_user_id: Mapped[str] = mapped_column(String(SLACK_ID))
    action: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[int | None] = mapped_column(BigInteger)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    psa_member_id: Mapped[int | None] = mapped_column(BigInteger)  # on whose behalf the PSA was written
    attribution: Mapped[str | None] = mapped_column(
        String(16)
    )  # "own_keys" | "named" (psa.models.Attribution)
    ledger_key: Mapped[str | None] = mapped_column(String(128))  # the write this row records


class ViewStateRow(Base):
    """State of a Slack view or message kept on the server; Slack carries only its id.

    `kind` says what it is ("draft": a New Ticket modal's draft, `key` its idempotency key; "list":
    a ticket list message's filters and page). Rows are immutable snapshots, pruned by age.
    """

    __tablename__ = "view_states"
    __table_args__ = (Index("ix_view_states_kind_created", "kind", "created_at"),)

    team_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class LiveSettingsRow(Base):
    """Live updates of a workspace: the secret token in its callback URL, the URL registered with the
    PSA (to remove it later even if PUBLIC_URL changed), and what linked threads may show."""

    __tablename__ = "live_settings"

    team_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    callback_url: Mapped[str | None] = mapped_column(String(1000))
    subscribed_at: Mapped[datetime | None]
    internal_notes_in_threads: Mapped[bool] = mapped_column(Boolean, server_default=false())
    created_at: Mapped[datetime]


class LiveDeliveryRow(Base):
    """A PSA change already taken in (a callback delivery's id): its retries and duplicates are ignored."""

    __tablename__ = "live_deliveries"
    __table_args__ = (Index("ix_live_deliveries_received_at", "received_at"),)

    team_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[datetime]


class LivePollCursorRow(Base):
    """Where the change poller of a workspace got to (psa.changes.PollCursor as JSON)."""

    __tablename__ = "live_poll_cursors"

    team_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    cursor: Mapped[dict[str, Any]] = mapped_column(JSON)
    polled_at: Mapped[datetime]


class LiveTicketStateRow(Base):
    """What the app last knew of a ticket (status, assignees, newest note), to tell what a change did.

    `version` moves with every update; a writer that read an older one lost a race and reads again,
    so each change is turned into notifications exactly once.
    """

    __tablename__ = "live_ticket_states"
    __table_args__ = (Index("ix_live_ticket_states_sla_due", "team_id", "sla_due_at"),)

    team_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]
    # When the running SLA stage of an open ticket is due (a copy of data's, indexed for the SLA watch).
    sla_due_at: Mapped[datetime | None]


class LiveFollowRow(Base):
    """An engineer following a ticket (DMs when it changes)."""

    __tablename__ = "live_follows"
    __table_args__ = (Index("ix_live_follows_team_ticket", "team_id", "ticket_id"),)

    team_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    slack_user_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    followed_at: Mapped[datetime]


class LivePreferencesRow(Base):
    """An engineer's notification choices (`data`: bot.flows.live.prefs.Preferences as JSON)."""

    __tablename__ = "live_preferences"

    team_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    slack_user_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class LiveOutboxRow(Base):
    """A message to send (a DM or a reply in a linked thread), written in the same transaction as the
    ticket state that caused it; `dedupe_key` makes a second writer's copy a no-op. Held until `due_at`
    (quiet hours, digests), claimed by one sender, then marked sent."""

    __tablename__ = "live_outbox"
    __table_args__ = (
        UniqueConstraint("team_id", "dedupe_key"),
        Index("ix_live_outbox_pending", "sent_at", "due_at"),
        Index("ix_live_outbox_team_target", "team_id", "target", "sent_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    target: Mapped[str] = mapped_column(String(SLACK_ID))  # a user id (DM) or a channel id
    thread_ts: Mapped[str | None] = mapped_column(String(SLACK_ID))
    ticket_id: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    due_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(200))


class ThreadMessageRow(Base):
    """A member's message in a linked thread, kept briefly as context for spin-off detection.

    Only the plain text the detector reads; a bounded number per thread and pruned by age.
    """

    __tablename__ = "thread_messages"
    __table_args__ = (Index("ix_thread_messages_stored_at", "stored_at"),)

    team_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    thread_ts: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    ts: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    stored_at: Mapped[datetime]


class ResponseUrlUseRow(Base):
    """How often the app has posted to one Slack response_url (Slack allows a few, for a limited time).

    Keyed by the URL's SHA-256 (the URL itself is a bearer credential for that message)."""

    __tablename__ = "response_url_uses"
    __table_args__ = (Index("ix_response_url_uses_issued_at", "issued_at"),)

    team_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    url_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    uses: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime]


class AccessSettingsRow(Base):
    """Who may use the app in a workspace, as its admins set it: whether unmapped users may read, and an
    optional restriction of writes (and, if chosen, reads) to a Slack user group and/or channels."""

    __tablename__ = "access_settings"

    team_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    unmapped_can_read: Mapped[bool] = mapped_column(Boolean, server_default=true())
    usergroup_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    usergroup_handle: Mapped[str | None] = mapped_column(String(200))  # shown in refusals ("@support")
    channel_ids: Mapped[list[str]] = mapped_column(JSON)
    restrict_reads: Mapped[bool] = mapped_column(Boolean, server_default=false())
    updated_by: Mapped[str] = mapped_column(String(SLACK_ID))
    updated_at: Mapped[datetime]


class MappingRequestState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"


class MappingRequestRow(Base):
    """A user's request to be mapped to a member whose e-mail does not match theirs (one per user): an
    admin approves or denies it."""

    __tablename__ = "mapping_requests"
    __table_args__ = (CheckConstraint(_in("state", MappingRequestState), name="state"),)

    team_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    slack_user_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    psa_member_id: Mapped[int] = mapped_column(BigInteger)
    member_identifier: Mapped[str] = mapped_column(String(100))
    member_name: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(SLACK_ID))
    decided_at: Mapped[datetime | None]


# slack-sdk's own table definitions, registered on our metadata so that our Alembic migration creates
# them and the models-vs-migration check notices if a slack-sdk upgrade changes them.
slack_installations = SQLAlchemyInstallationStore.build_installations_table(
    Base.metadata, SLACK_INSTALLATIONS_TABLE
)
slack_bots = SQLAlchemyInstallationStore.build_bots_table(Base.metadata, SLACK_BOTS_TABLE)
slack_oauth_states = SQLAlchemyOAuthStateStore.build_oauth_states_table(
    Base.metadata, SLACK_OAUTH_STATES_TABLE
)
