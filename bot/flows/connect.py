"""The PSA connection modal: admins only, credentials tested with a real call before they are saved."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pydantic import BaseModel, SecretStr

from bot.flows import home
from bot.flows.context import FlowContext
from bot.flows.live import subscriptions
from bot.flows.submission import Submission
from bot.flows.work import WorkItem, flow
from bot.inputs import CONNECT_FIELDS, too_long
from bot.views.connect import (
    ConnectForm,
    ConnectionSummary,
    connect_done_modal,
    connect_env_modal,
    connect_errors,
    connect_modal,
    connect_refused_modal,
    connect_testing_modal,
    disconnect_prompt,
    disconnected_modal,
    disconnected_text,
    read_connect_form,
)
from bot.views.messages import notice_message
from bot.views.prompts import refused_message
from bot.workspaces import ConnectFailed
from psa.connectwise.site import SiteUrlError, normalize_site_url, site_label
from psa.errors import PSAError
from storage import ConnectionCredentials, StorageError, StoredKeyUnusable
from storage.repositories import connections as connection_repo
from storage.repositories.connections import host_of

log = logging.getLogger(__name__)

NOT_ADMIN = (
    "Only workspace admins and owners can connect ConnectWise. Ask one of them to run `/tickets connect`."
)
# The submission must be acknowledged within Slack's 3 s. A test call that answers sooner is
# reported straight in the ack (field errors keep what was typed); a slower one gets a
# "Testing…" view that is replaced when the answer comes.
ACK_BUDGET_SECONDS = 2.0
# Slack applies the ack's "Testing…" view when it reads our HTTP answer; an update sent a moment
# later must not overtake it, or the outcome would be replaced by "Testing…".
TESTING_VIEW_MIN_SECONDS = 0.5
# The registry names credential fields after ConnectionCredentials; the form after what admins type.
_FORM_FIELD = {"base_url": "site_url"}

Payload = dict[str, Any]


class Outcome(BaseModel):
    """How a connection attempt ended (never carries the private key)."""

    ok: bool
    message: str = ""
    fields: dict[str, str] = {}
    site: str = ""
    company_id: str = ""


class Stored(BaseModel):
    """What is saved for the workspace: the form's summary, and the key with the host it was validated for."""

    summary: ConnectionSummary
    private_key: SecretStr | None = None  # None when it can't be read any more
    key_host: str = ""


async def _stored(ctx: FlowContext) -> Stored | None:
    """The workspace's stored connection (None when there is none)."""
    team_id = ctx.team_id
    try:
        stored = await ctx.deps.storage.workspace(team_id).connection()
    except StorageError as exc:  # e.g. the key cannot be decrypted any more: ask for it again
        log.warning("team %s: stored connection unreadable: %s", team_id, exc)
        info = await ctx.deps.storage.workspace(team_id).read(connection_repo.get_connection_info)
        if info is None:
            return None
        summary = ConnectionSummary(
            site_url=info.base_url,
            company_id=info.company_id,
            public_key=info.public_key,
            client_id=info.client_id,
            has_private_key=False,
        )
        return Stored(summary=summary, key_host=info.key_host)
    if stored is None:
        return None
    summary = ConnectionSummary(
        site_url=stored.base_url,
        company_id=stored.company_id,
        public_key=stored.public_key,
        client_id=stored.client_id,
    )
    return Stored(summary=summary, private_key=stored.private_key, key_host=stored.key_host)


def _kept_key(stored: Stored | None, base_url: str, company_id: str) -> SecretStr | None:
    """The stored key, when the form leaves it empty — only for the site and company it was validated
    with: a key never follows a connection to another host."""
    if stored is None or stored.private_key is None:
        return None
    if host_of(base_url) != stored.key_host or company_id != stored.summary.company_id:
        return None
    return stored.private_key


def _env_modal(ctx: FlowContext) -> Payload | None:
    # Read from settings, not the registry: an unreadable stored connection must not lock admins out.
    settings = ctx.deps.settings
    if settings.has_connectwise_env and not settings.oauth_mode:
        return connect_env_modal(
            site=site_label(settings.cw_base_url or ""), company_id=settings.cw_company_id or ""
        )
    return None


async def connect_view(ctx: FlowContext) -> Payload:
    """The modal an admin sees: the form (never with the key), the env-mode note, or a refusal."""
    if not await ctx.is_admin():
        return connect_refused_modal(NOT_ADMIN)
    env = _env_modal(ctx)
    if env is not None:
        return env
    stored = await _stored(ctx)
    return connect_modal(current=stored.summary if stored else None)


async def open_connect_modal(ctx: FlowContext) -> None:
    """Open the ConnectWise connection modal (the admin check is repeated here and on submit)."""
    if ctx.actor.trigger_id is not None:
        await ctx.open(await connect_view(ctx))


@flow("connect.open")
async def open_connect(ctx: FlowContext, item: WorkItem) -> None:
    """The Home's Connect button: the connection modal (a refusal for non-admins)."""
    await open_connect_modal(ctx)


async def _attempt(ctx: FlowContext, credentials: ConnectionCredentials) -> Outcome:
    team_id, user_id = ctx.team_id, ctx.user_id
    try:
        info = await ctx.deps.workspaces.connect(team_id, user_id, credentials)
    except ConnectFailed as failed:
        log.info("team %s: connection test failed: %s", team_id, failed.message)
        fields = {_FORM_FIELD.get(k, k): f"{failed.message} {v}" for k, v in failed.fields.items()}
        return Outcome(ok=False, message=failed.message, fields=fields or {"site_url": failed.message})
    log.info("team %s: ConnectWise connected by %s (%s)", team_id, user_id, info.base_url)
    await ctx.submit("live.subscribe")  # callbacks at PUBLIC_URL (or the poller) and the baseline
    return Outcome(ok=True, site=site_label(info.base_url), company_id=info.company_id)


def _result_view(outcome: Outcome, form: ConnectForm, current: ConnectionSummary | None) -> Payload:
    if outcome.ok:
        return connect_done_modal(site=outcome.site, company_id=outcome.company_id, probing=True)
    return connect_modal(current=current, values=form, error=outcome.message, errors=outcome.fields)


async def submit_connect(ctx: FlowContext, view: Payload) -> Submission:
    """Check, test and save submitted credentials: field errors, or the view to show."""
    if not await ctx.is_admin():
        return Submission.update(connect_refused_modal(NOT_ADMIN))
    env = _env_modal(ctx)
    if env is not None:
        return Submission.update(env)
    form = read_connect_form(view)
    problems = too_long(CONNECT_FIELDS, form.typed())
    if problems:
        return Submission.field_errors(connect_errors(problems))
    stored = await _stored(ctx)
    current = stored.summary if stored else None
    try:
        base_url = normalize_site_url(form.site_url)
        await ctx.deps.workspaces.check_site(base_url)
    except SiteUrlError as exc:
        problems["site_url"] = str(exc)
        base_url = ""
    key = form.private_key or _kept_key(stored, base_url, form.company_id)  # empty keeps the stored key
    if key is None:
        changed = stored is not None and stored.private_key is not None and base_url
        problems["private_key"] = (
            "The site or company changed: enter the private key again (a stored key is only sent to "
            "the site it was checked with)."
            if changed
            else "Enter the private key."
        )
    for field in ("company_id", "public_key", "client_id"):
        if not getattr(form, field):
            problems[field] = "Required."
    if problems:
        return Submission.field_errors(connect_errors(problems))
    credentials = ConnectionCredentials(
        base_url=base_url,
        company_id=form.company_id,
        public_key=form.public_key,
        client_id=form.client_id,
        private_key=key,
    )
    attempt = ctx.continue_here(_attempt(ctx, credentials), name="connect-test")
    done, _ = await asyncio.wait({attempt}, timeout=ACK_BUDGET_SECONDS)
    if done:
        outcome: Outcome = attempt.result()
        if not outcome.ok:
            return Submission.field_errors(connect_errors(outcome.fields))
        ctx.continue_here(_report_site(ctx, view["id"], credentials, outcome), name="connect-probe")
        return Submission.update(_result_view(outcome, form, current)).and_then(home.refresh_home)
    # The test already runs in this process: it finishes here, behind a "Testing…" view.
    ctx.continue_here(_finish_slow(ctx, view["id"], attempt, form, current, credentials), name="connect-slow")
    return Submission.update(connect_testing_modal(site_label(base_url)))


async def _finish_slow(
    ctx: FlowContext,
    view_id: str,
    attempt: asyncio.Task[Outcome],
    form: ConnectForm,
    current: ConnectionSummary | None,
    credentials: ConnectionCredentials,
) -> None:
    loop = asyncio.get_running_loop()
    shown_at = loop.time()
    outcome = await attempt
    await asyncio.sleep(max(0.0, shown_at + TESTING_VIEW_MIN_SECONDS - loop.time()))
    if outcome.ok:
        await ctx.submit(home.refresh_home)
    # No hash: the "Testing…" view's hash is unknown here, and nothing else updates this modal.
    await ctx.update(_result_view(outcome, form, current), view_id=view_id)
    if outcome.ok:
        await _report_site(ctx, view_id, credentials, outcome)


async def _report_site(
    ctx: FlowContext, view_id: str, credentials: ConnectionCredentials, outcome: Outcome
) -> None:
    """After a successful connect: what the site supports of the app's queries (psa.connectwise.probe)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    summary = await ctx.deps.workspaces.probe_site(credentials)
    # As with "Testing…": an update must not overtake the view Slack applies from our answer.
    await asyncio.sleep(max(0.0, started + TESTING_VIEW_MIN_SECONDS - loop.time()))
    done = connect_done_modal(
        site=outcome.site, company_id=outcome.company_id, probe=summary or "The check could not run."
    )
    await ctx.update(done, view_id=view_id)


NOT_ADMIN_DISCONNECT = "Only workspace admins and owners can disconnect ConnectWise."
ENV_DISCONNECT = (
    "This workspace's ConnectWise connection comes from the app's environment (the `CW_*` variables); "
    "unset them and restart the app to disconnect."
)


async def confirm_disconnect(ctx: FlowContext) -> None:
    """`/tickets disconnect`: admins see what would be disconnected and a Disconnect button (confirmed)."""
    if not await ctx.is_admin():
        await ctx.respond(refused_message(NOT_ADMIN_DISCONNECT))
        return
    if _env_modal(ctx) is not None:
        await ctx.respond(refused_message(ENV_DISCONNECT))
        return
    info = await ctx.deps.storage.workspace(ctx.team_id).read(connection_repo.get_connection_info)
    if info is None:
        await ctx.respond(notice_message(disconnected_text(site=None, company_id=None)))
        return
    await ctx.respond(disconnect_prompt(site=site_label(info.base_url), company_id=info.company_id))


@flow("connect.disconnect")
async def disconnect(ctx: FlowContext, item: WorkItem) -> None:
    """The Disconnect button (confirmed in Slack's dialog): delete the stored connection, say so where
    the button was, and refresh the admin's Home (everyone else's shows "not connected" when opened)."""
    in_modal = ctx.actor.view_id is not None and ctx.actor.response_url is None
    if not await ctx.is_admin():
        text = NOT_ADMIN_DISCONNECT
    elif _env_modal(ctx) is not None:
        text = ENV_DISCONNECT
    else:
        info = await ctx.deps.storage.workspace(ctx.team_id).read(connection_repo.get_connection_info)
        try:  # the PSA stops pushing changes here first, while its keys are still at hand
            await subscriptions.unsubscribe(ctx.deps, ctx.team_id)
        except (PSAError, StoredKeyUnusable) as exc:
            log.warning("team %s: callbacks not removed before disconnecting: %s", ctx.team_id, exc)
        await ctx.deps.workspaces.disconnect(ctx.team_id, ctx.user_id)
        site = site_label(info.base_url) if info else None
        log.info("team %s: ConnectWise disconnected by %s (%s)", ctx.team_id, ctx.user_id, site)
        text = disconnected_text(site=site, company_id=info.company_id if info else None)
        await ctx.submit(home.refresh_home)
    if in_modal:
        await ctx.update(disconnected_modal(text))
    else:
        await ctx.respond(notice_message(text), replace=True)
