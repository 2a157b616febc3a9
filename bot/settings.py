"""The one reader of the environment. Everything else receives a `Settings`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/tickets.db"
DEFAULT_ANTHROPIC_MODEL = "claude-haiku-4-5"


class Settings(BaseSettings):
    """Application configuration, validated at start-up. Secrets are `SecretStr` and never printed."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    app_env: Literal["local", "development", "test", "production"] = "local"
    port: int = 3000
    log_level: str = "INFO"

    # ConnectWise (single-workspace installs; `/tickets connect` stores per-workspace ones)
    cw_base_url: str | None = None
    cw_company_id: str | None = None
    cw_public_key: str | None = None
    cw_private_key: SecretStr | None = None
    cw_client_id: str | None = None
    # Hosts (names or addresses, comma-separated) of a self-hosted ConnectWise on a private network:
    # in production the connect modal refuses private, loopback and metadata addresses except these.
    cw_allowed_private_hosts: Annotated[tuple[str, ...], NoDecode] = ()

    database_url: str = DEFAULT_DATABASE_URL
    # ConnectWise throttles a company's API near 1,000 requests a minute; all processes share this.
    cw_requests_per_minute: int = 1000
    # Post-ack work: run by `serve` itself (embedded, the default) or by `python -m bot worker`
    # processes (external; needs Postgres). Jobs run at once per process (bot/jobs/config.py).
    workers: Literal["embedded", "external"] = "embedded"
    worker_concurrency: int = 16
    # Embedded on a SQLite file: the worker runs its own event loop in a thread of `serve`, so acks never
    # queue behind a job's steps ("thread"); "loop" shares the web loop (what tests injecting deps get).
    embedded_worker: Literal["thread", "loop"] = "thread"
    # With the worker in a thread, an ack waits for the interpreter to switch threads: at most this long
    # (Python's own default is 5 ms; set once when the embedded worker's thread starts).
    embedded_switch_interval_ms: float = 1.0
    # `/tickets` from a workspace authorized within the last minute is acked without Bolt's dispatch
    # (bot/fast_ack.py); off: every request goes through Bolt.
    fast_ack: bool = True
    # A worker silent this long (SIGKILL, lost host) is dead: its jobs go to another worker.
    jobs_stalled_after: float = 30.0

    # Live updates from the PSA: with PUBLIC_URL (https://…, where the PSA can reach this app) it pushes
    # changes to /psa/callbacks/…; without it the app polls for changed tickets every LIVE_POLL_SECONDS
    # (0: never; a period that divides a minute or an hour).
    public_url: str | None = None
    live_poll_seconds: int = 60
    # Minutes before an SLA stage is due that its assignees get a DM (0: no warnings).
    sla_warn_minutes: int = 30

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_api_url: str | None = None

    anthropic_api_key: SecretStr | None = None
    anthropic_model: str = DEFAULT_ANTHROPIC_MODEL

    # The encryption key of stored PSA keys; during a rotation the new key first, then the previous
    # ones, comma-separated ("new,old"): reads try each, writes use the first.
    tickets_secret_key: SecretStr | None = None

    @field_validator("cw_allowed_private_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @model_validator(mode="after")
    def _production_needs_key(self) -> Settings:
        if self.app_env == "production" and not self.secret_keys:
            raise ValueError("TICKETS_SECRET_KEY is required when APP_ENV=production")
        return self

    @property
    def secret_keys(self) -> list[SecretStr]:
        """TICKETS_SECRET_KEY split into its keys, newest first (empty when unset)."""
        if self.tickets_secret_key is None:
            return []
        parts = self.tickets_secret_key.get_secret_value().split(",")
        return [SecretStr(part.strip()) for part in parts if part.strip()]

    @property
    def production(self) -> bool:
        return self.app_env == "production"

    @property
    def has_connectwise_env(self) -> bool:
        return all(
            [self.cw_base_url, self.cw_company_id, self.cw_public_key, self.cw_private_key, self.cw_client_id]
        )

    @property
    def oauth_mode(self) -> bool:
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def has_slack(self) -> bool:
        return bool(self.slack_signing_secret and (self.slack_bot_token or self.oauth_mode))
