"""`python -m bot serve|worker|migrate|map|callbacks|run|rotate-keys`."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

from bot.settings import Settings

log = logging.getLogger("bot")
T = TypeVar("T")

# The long-running processes run on uvloop, and uvicorn parses HTTP with httptools: measured side by
# side with asyncio + h11 by bench/cpu.py, the CPU per `/tickets mine` (ack and post-ack work share
# the loop with WORKERS=embedded) is about a tenth lower. orjson and httpx-aiohttp's transport were
# measured too and not adopted (see bench/cpu.py).


def _run_forever(main: Coroutine[Any, Any, T]) -> T:
    """Run a long-lived process's main coroutine on uvloop."""
    import uvloop

    return uvloop.run(main)


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if settings.log_level.upper() != "DEBUG":
        # A line per job start and end (bot.jobs logs the start); keep its warnings and errors.
        logging.getLogger("procrastinate").setLevel(logging.WARNING)


def serve(settings: Settings, port: int | None, fd: int | None = None) -> int:
    """Run the HTTP app under uvicorn, or Socket Mode when SLACK_APP_TOKEN is set."""
    if settings.slack_app_token is not None:
        from bot.server import run_socket_mode

        log.info("starting in Socket Mode")
        _run_forever(run_socket_mode(settings))
        return 0
    from bot.http_serving import run_uvicorn
    from bot.server import create_asgi

    api = create_asgi(settings)
    _freeze_startup_objects()
    run_uvicorn(api, port=port or settings.port, fd=fd, log_level=settings.log_level)
    return 0


def _freeze_startup_objects() -> None:
    # Everything imported and built so far lives as long as the process: keeping it out of the cyclic
    # GC's full collections cuts their pauses (40–90 ms that stalled acks, measured by bench/) to a
    # few ms. In a worker at 20 jobs/s: full collections 82 → 7 ms each, GC 0.86 → 0.44 ms a job.
    gc.collect()
    gc.freeze()


def migrate(settings: Settings) -> int:
    """Apply the database migrations (and, on Postgres, the job queue's schema)."""
    from bot.jobs.schema import migrate_jobs
    from storage.migrate import upgrade

    upgrade(settings.database_url)
    asyncio.run(migrate_jobs(settings.database_url))
    print("Database is up to date.")
    return 0


def worker(settings: Settings) -> int:
    """Run post-ack jobs from the Postgres queue until SIGTERM (WORKERS=external deployments)."""
    from bot.jobs.runtime import ExternalWorkersNeedPostgres, run_worker

    try:
        return _run_forever(run_worker(settings, on_ready=_freeze_startup_objects))
    except ExternalWorkersNeedPostgres as exc:
        print(exc, file=sys.stderr)
        return 2


async def _map(settings: Settings, slack_user: str, member: str, team: str | None) -> int:
    from bot.deps import build_deps
    from storage import StoredKeyUnusable

    deps = build_deps(settings)
    try:
        await deps.storage.migrate()
        team_id = team or await _installed_team(settings)
        if team_id is None:
            print("Pass --team T… (or set SLACK_BOT_TOKEN so the team can be looked up).", file=sys.stderr)
            return 2
        try:
            service = await deps.workspaces.service(team_id)
        except StoredKeyUnusable as exc:
            print(f"The stored ConnectWise key of team {team_id} can't be used: {exc}", file=sys.stderr)
            return 2
        if service is None:
            print(f"No PSA connection for team {team_id}: set CW_* or run /tickets connect.", file=sys.stderr)
            return 2
        found = await service.member_for_identifier(member)
        if found is None:
            print(f"No active ConnectWise member with identifier {member!r}.", file=sys.stderr)
            return 2
        await deps.storage.workspace(team_id).map_member(
            slack_user,
            member_id=found.id,
            member_identifier=found.identifier,
            member_name=found.name,
            mapped_by="cli",
            reassign=True,
        )
        print(f"Mapped {slack_user} to {found.name} ({found.identifier}, id {found.id}) in team {team_id}.")
        return 0
    finally:
        await deps.aclose()


async def _rotate_keys(settings: Settings) -> int:
    """Re-encrypt every stored secret with the newest TICKETS_SECRET_KEY (one transaction)."""
    from bot.deps import build_storage

    storage = build_storage(settings)
    try:
        await storage.migrate()
        report = await storage.rotate_secrets()
    finally:
        await storage.close()
    for column, count in report.rotated.items():
        print(f"{column}: {count} re-encrypted with the newest key.")
    if report.unreadable:
        print("No configured key opens these (reconnect those workspaces):", file=sys.stderr)
        for where in report.unreadable:
            print(f"  {where}", file=sys.stderr)
        return 1
    print("Every stored secret now opens with the newest key: previous keys can be removed.")
    return 0


async def _installed_team(settings: Settings) -> str | None:
    if settings.slack_bot_token is None:
        return None
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url or AsyncWebClient.BASE_URL,
    )
    resp = await client.auth_test()
    team = resp.get("team_id")
    return str(team) if team else None


async def _callbacks(settings: Settings, action: str, team: str | None) -> int:
    from bot.deps import build_deps
    from bot.flows.live.subscriptions import sync_all, unsubscribe

    deps = build_deps(settings)
    try:
        await deps.storage.migrate()
        if action == "remove":
            teams = [team] if team else await deps.storage.live().teams()
            for team_id in teams:
                removed = await unsubscribe(deps, team_id)
                print(f"{team_id}: {'callbacks removed' if removed else 'no callbacks registered'}")
            return 0
        if not settings.public_url:
            print("PUBLIC_URL is not set: ConnectWise cannot reach the app, so it polls for changes instead.")
        for team_id, mode in (await sync_all(deps, team)).items():
            print(f"{team_id}: {mode.replace('_', ' ')}")
        return 0
    finally:
        await deps.aclose()


def run(settings: Settings) -> int:
    """The local all-in-one mode: the real app when Slack is configured, else the offline local workspace."""
    if settings.has_slack or settings.slack_app_token is not None:
        return serve(settings, None)
    from bot.local.run import run_local

    print("Slack is not configured (no SLACK_* variables): starting the local workspace.")
    return run_local(settings)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run one command."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="PSA tickets for Slack")
    sub = parser.add_subparsers(dest="command", required=True)
    p_serve = sub.add_parser("serve", help="serve the Slack app (HTTP, or Socket Mode with SLACK_APP_TOKEN)")
    p_serve.add_argument("--port", type=int, default=None)
    p_serve.add_argument("--fd", type=int, default=None, help="serve on this inherited listening socket")
    sub.add_parser("worker", help="run post-ack jobs from the Postgres queue (WORKERS=external)")
    sub.add_parser("migrate", help="apply database migrations")
    p_map = sub.add_parser("map", help="map a Slack user to a PSA member")
    p_map.add_argument("--slack-user", required=True, help="Slack user id, e.g. U012ABC")
    p_map.add_argument("--member", required=True, help="PSA member identifier, e.g. jdoe")
    p_map.add_argument("--team", default=None, help="Slack team id (default: the bot token's team)")
    p_callbacks = sub.add_parser("callbacks", help="register (sync) or remove ConnectWise callbacks")
    p_callbacks.add_argument("action", choices=["sync", "remove"])
    p_callbacks.add_argument("--team", default=None, help="one Slack team id (default: every workspace)")
    sub.add_parser("run", help="local all-in-one mode")
    sub.add_parser("rotate-keys", help="re-encrypt stored secrets with the newest TICKETS_SECRET_KEY")
    args = parser.parse_args(argv)

    settings = Settings()
    _configure_logging(settings)
    if args.command == "serve":
        return serve(settings, args.port, args.fd)
    if args.command == "worker":
        return worker(settings)
    if args.command == "migrate":
        return migrate(settings)
    if args.command == "map":
        return asyncio.run(_map(settings, args.slack_user, args.member, args.team))
    if args.command == "callbacks":
        return asyncio.run(_callbacks(settings, args.action, args.team))
    if args.command == "rotate-keys":
        return asyncio.run(_rotate_keys(settings))
    return run(settings)


if __name__ == "__main__":
    sys.exit(main())
