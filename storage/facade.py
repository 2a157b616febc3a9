"""`Storage`: built once at start-up, owns the engine, the session factories and the secret box."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, MultiFernet
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from storage import recovery
from storage.access import AccessStore
from storage.crypto import SecretBox
from storage.crypto_rotation import RotationReport, rotate_secrets
from storage.db import create_engine, create_read_sessionmaker, create_sessionmaker
from storage.live import LiveStore
from storage.models import WriteKind
from storage.repositories.ledger import DEFAULT_STALE_AFTER, LedgerEntry
from storage.workspace import SlackMemberMappingLookup, WorkspaceStore
from storage.writes import EngineerKeyStore, WriteLedger

if TYPE_CHECKING:
    from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore

# Alembic (with Mako and Pygments) and slack-sdk's OAuth stores are imported where they are used: a
# process that neither migrates nor runs the OAuth install flow never loads them (about 10 MB).


class Storage:
    """The app's database: `async with storage.session() as s:` for repository calls, or
    `storage.workspace(team_id)` for one-call-one-transaction convenience methods."""

    def __init__(
        self,
        database_url: str,
        fernet: Fernet | MultiFernet,
        *,
        previous_keys: Sequence[Fernet] = (),
        **engine_kwargs: Any,
    ) -> None:
        self.engine: AsyncEngine = create_engine(database_url, **engine_kwargs)
        self.box = SecretBox(fernet, *previous_keys)
        self._sessions = create_sessionmaker(self.engine)
        self._read_sessions = create_read_sessionmaker(self.engine)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A read-write unit of work: commits on exit, rolls back on error."""
        async with self._sessions.begin() as session:
            yield session

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        """A read-only unit of work (on SQLite it never waits for writers)."""
        async with self._read_sessions() as session:
            yield session

    async def rotate_secrets(self) -> RotationReport:
        """Re-encrypt every stored secret with the newest key, in one transaction (see crypto_rotation)."""
        async with self.session() as session:
            return await rotate_secrets(session=session, box=self.box)

    async def migrate(self, revision: str = "head") -> None:
        """Apply the Alembic migrations to this database."""
        from storage.migrate import upgrade_engine

        await upgrade_engine(self.engine, revision)

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()

    def workspace(self, team_id: str) -> WorkspaceStore:
        """Convenience methods bound to one Slack workspace."""
        return WorkspaceStore(team_id, write=self.session, read=self.read_session, box=self.box)

    def ledger(self, team_id: str) -> WriteLedger:
        """The idempotency ledger of one workspace (every write claims its key there first)."""
        return WriteLedger(team_id, write=self.session, read=self.read_session)

    def access(self, team_id: str) -> AccessStore:
        """Who may use the app in one workspace, and its users' mapping requests."""
        return AccessStore(team_id, write=self.session, read=self.read_session)

    def engineer_keys(self, team_id: str) -> EngineerKeyStore:
        """Engineers' own PSA keys in one workspace."""
        return EngineerKeyStore(team_id, write=self.session, read=self.read_session, box=self.box)

    async def unfinished_writes(
        self,
        *,
        stale_after: timedelta = DEFAULT_STALE_AFTER,
        kinds: tuple[WriteKind, ...] | None = None,
        limit: int = 100,
    ) -> list[LedgerEntry]:
        """Writes nobody is finishing, in every workspace (uncertain, or claimed by a process that died)."""
        async with self.read_session() as s:
            return await recovery.unfinished(session=s, stale_after=stale_after, kinds=kinds, limit=limit)

    def live(self) -> LiveStore:
        """Live updates from the PSA: callback settings, ticket states, follows, preferences, outbox."""
        return LiveStore(write=self.session, read=self.read_session)

    def mapping_lookup(self, team_id: str) -> SlackMemberMappingLookup:
        """psa.service.MemberMappingLookup for one workspace."""
        return SlackMemberMappingLookup(team_id, read=self.read_session)

    def slack_oauth_stores(
        self, client_id: str, *, state_expiration_seconds: int | None = None
    ) -> tuple[AsyncSQLAlchemyInstallationStore, AsyncSQLAlchemyOAuthStateStore]:
        """slack-sdk installation and OAuth state stores on this engine."""
        from storage.slack_oauth import DEFAULT_STATE_EXPIRATION_S, build_slack_oauth_stores

        return build_slack_oauth_stores(
            self.engine,
            client_id,
            state_expiration_seconds=state_expiration_seconds or DEFAULT_STATE_EXPIRATION_S,
        )

    def __repr__(self) -> str:
        return f"Storage({self.engine.url.render_as_string(hide_password=True)!r})"
