"""slack-sdk's async SQLAlchemy OAuth stores on our engine.

Their tables (slack_installations, slack_bots, slack_oauth_states) are created by our Alembic migration
0001 from slack-sdk's own table definitions, so `create_tables()` is never needed (and the
models-vs-migration test fails if a slack-sdk upgrade changes them).
"""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import SLACK_BOTS_TABLE, SLACK_INSTALLATIONS_TABLE, SLACK_OAUTH_STATES_TABLE

DEFAULT_STATE_EXPIRATION_S = 600


def build_slack_oauth_stores(
    engine: AsyncEngine, client_id: str, *, state_expiration_seconds: int = DEFAULT_STATE_EXPIRATION_S
) -> tuple[AsyncSQLAlchemyInstallationStore, AsyncSQLAlchemyOAuthStateStore]:
    """Installation store and OAuth state store for Bolt's AsyncOAuthSettings, sharing `engine`."""
    installation_store = AsyncSQLAlchemyInstallationStore(
        client_id=client_id,
        engine=engine,
        bots_table_name=SLACK_BOTS_TABLE,
        installations_table_name=SLACK_INSTALLATIONS_TABLE,
    )
    state_store = AsyncSQLAlchemyOAuthStateStore(
        expiration_seconds=state_expiration_seconds, engine=engine, table_name=SLACK_OAUTH_STATES_TABLE
    )
    return installation_store, state_store
