"""The connect modal: admins only, tested before saving, stored encrypted, never shown back; env mode."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest
from scenario_harness import ADMIN, CLIENT_ID, DEMO, TEAM, Slack, blocks_text, find_block

from bot.flows import connect as connect_flow
from bot.ids import Callback, ConnectField, HomeAction
from bot.local import payloads as p
from psa.connectwise.sandbox import SandboxServer
from psa.connectwise.site import SiteUrlError, normalize_site_url
from storage.repositories import connections as connection_repo

MakeSlack = Callable[..., AbstractAsyncContextManager[Slack]]
SECRET = "pk-Zq9vX2-never-shown-7Hc4"


@pytest.fixture
def secret_key(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """A private key distinctive enough to search the database file for."""
    monkeypatch.setattr(sandbox.state, "private_key", SECRET)
    return SECRET


def form(sandbox: SandboxServer, **changes: str) -> dict[str, dict[str, str]]:
    """What an admin types: the site as its bare address (normalised to the API root by the app)."""
    typed = {
        ConnectField.SITE_URL: sandbox.root_url,
        ConnectField.COMPANY_ID: sandbox.company_id,
        ConnectField.PUBLIC_KEY: sandbox.public_key,
        ConnectField.PRIVATE_KEY: sandbox.private_key,
        ConnectField.CLIENT_ID: CLIENT_ID,
        **changes,
    }
    return {field: {field: value} for field, value in typed.items()}


def field(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    found = find_block(view, block_id)
    assert found is not None, f"no block {block_id}"
    return found


def typed_value(view: dict[str, Any], field: str) -> Any:
    return view["state"]["values"][field][field].get("value")


def database_bytes(slack: Slack) -> bytes:
    path = Path(str(slack.deps.storage.engine.url.database))
    return b"".join(f.read_bytes() for f in path.parent.glob(path.name + "*"))


async def test_admin_connects_with_good_keys_stored_encrypted(make_slack: MakeSlack, secret_key: str) -> None:
    async with make_slack(connected=False, mapped={}) as slack:
        await slack.command("connect", user=ADMIN)
        modal = slack.modal(ADMIN)
        assert modal["callback_id"] == Callback.CONNECT

        sent = await slack.submit(modal, user=ADMIN, values=form(slack.sandbox))

        assert sent.body["response_action"] == "update"
        done = blocks_text(slack.modal(ADMIN))
        assert "✅ Connected to ConnectWise: company *sandbox*" in done
        stored = await slack.store.connection()
        assert stored is not None
        assert stored.base_url == slack.sandbox.base_url  # bare address → API root
        assert stored.private_key.get_secret_value() == secret_key
        assert secret_key.encode() not in database_bytes(slack)
        assert await slack.deps.workspaces.service(TEAM) is not None  # the registry picked it up
        home = slack.fake.home_view(ADMIN)
        assert home is not None and "Map your PSA member to see your queue" in blocks_text(home)


async def test_after_connecting_the_admin_sees_what_the_site_supports(make_slack: MakeSlack) -> None:
    async with make_slack(connected=False, mapped={}) as slack:
        slack.sandbox.forget_fields("tickets", "resources")  # a site without the `resources` filters
        await slack.command("connect", user=ADMIN)

        await slack.submit(slack.modal(ADMIN), user=ADMIN, values=form(slack.sandbox))

        done = blocks_text(slack.modal(ADMIN))
        assert "✅ Connected to ConnectWise" in done and "What your site supports" in done
        assert "Unassigned tickets: refused — resources is not a recognized name." in done
        assert "Permissions: all present" in done


async def test_wrong_private_key_is_a_field_error_and_nothing_is_saved(make_slack: MakeSlack) -> None:
    async with make_slack(connected=False, mapped={}) as slack:
        await slack.command("connect", user=ADMIN)
        modal = slack.modal(ADMIN)

        slack.type_into(modal, form(slack.sandbox, **{ConnectField.PRIVATE_KEY: "wrong"}), user=ADMIN)
        sent = await slack.submit(modal, user=ADMIN)

        assert sent.body["response_action"] == "errors"
        assert "Check the private key." in sent.body["errors"][ConnectField.PRIVATE_KEY]
        assert await slack.store.read(connection_repo.get_connection_info) is None
        still = slack.modal(ADMIN)  # the form stays up with everything typed
        assert still["id"] == modal["id"]
        assert typed_value(still, ConnectField.SITE_URL) == slack.sandbox.root_url
        assert typed_value(still, ConnectField.CLIENT_ID) == CLIENT_ID


async def test_an_unusable_site_address_is_a_field_error(make_slack: MakeSlack) -> None:
    async with make_slack(connected=False, mapped={}) as slack:
        await slack.command("connect", user=ADMIN)

        sent = await slack.submit(
            slack.modal(ADMIN), user=ADMIN, values=form(slack.sandbox, **{ConnectField.SITE_URL: "my site"})
        )

        assert sent.body["errors"] == {
            ConnectField.SITE_URL: "Enter your ConnectWise site, e.g. na.myconnectwise.net."
        }
        assert not slack.sandbox.requests


async def test_stored_connection_is_shown_without_its_key_and_an_empty_key_keeps_it(
    make_slack: MakeSlack, secret_key: str
) -> None:
    async with make_slack() as slack:
        await slack.command("connect", user=ADMIN)
        modal = slack.modal(ADMIN)

        assert secret_key not in json.dumps(modal)
        assert field(modal, ConnectField.SITE_URL)["element"]["initial_value"] == slack.sandbox.base_url
        private = field(modal, ConnectField.PRIVATE_KEY)
        assert private["optional"] is True and "initial_value" not in private["element"]
        assert "stored" in private["hint"]["text"]

        sent = await slack.submit(
            modal, user=ADMIN, values={ConnectField.CLIENT_ID: {ConnectField.CLIENT_ID: "new-client-id"}}
        )

        assert sent.body["response_action"] == "update"
        assert secret_key not in json.dumps(sent.body)
        stored = await slack.store.connection()
        assert stored is not None and stored.client_id == "new-client-id"
        assert stored.private_key.get_secret_value() == secret_key


async def test_non_admins_are_refused_on_open_and_on_submit(slack: Slack) -> None:
    await slack.command("connect", user=DEMO)
    refusal = blocks_text(slack.last_ephemeral(DEMO))
    assert "Only workspace admins and owners can connect ConnectWise" in refusal
    assert not slack.fake.calls_to("views.open")

    # A Connect button clicked on a stale Home (DEMO was never offered one) is refused in the modal.
    home_view: dict[str, Any] = {"type": "home", "blocks": [{"type": "actions", "elements": []}]}
    home_view["blocks"][0]["elements"].append(
        {"type": "button", "action_id": HomeAction.CONNECT, "text": {"type": "plain_text", "text": "Connect"}}
    )
    await slack.send(
        p.block_actions(
            HomeAction.CONNECT,
            user=DEMO,
            view={**home_view, "id": "VHOME"},
            trigger_id=slack.fake.new_trigger_id(DEMO),
        )
    )
    assert "Only workspace admins" in blocks_text(slack.modal(DEMO))

    await slack.command("connect", user=ADMIN)
    admin_modal = slack.modal(ADMIN)
    sent = await slack.submit(
        admin_modal, user=DEMO, values=form(slack.sandbox, **{ConnectField.CLIENT_ID: "hijack"})
    )
    assert sent.body["response_action"] == "update"
    assert "Only workspace admins" in blocks_text(sent.body["view"])
    stored = await slack.store.read(connection_repo.get_connection_info)
    assert stored is not None and stored.client_id == CLIENT_ID


async def test_env_mode_explains_that_the_environment_wins(make_slack: MakeSlack) -> None:
    async with make_slack(connected=True, env_connection=True) as slack:
        summary = await slack.deps.workspaces.summary(TEAM)
        assert summary is not None and summary.source == "environment"

        await slack.command("connect", user=ADMIN)

        modal = slack.modal(ADMIN)
        text = blocks_text(modal)
        assert "comes from the app's environment" in text and "they win over anything entered here" in text
        assert not modal.get("submit")


async def submit_while_connectwise_holds(
    slack: Slack, view: dict[str, Any], values: dict[str, Any]
) -> dict[str, Any]:
    """Submit while ConnectWise answers nothing (the test call cannot finish inside the ack's budget, however
    fast or busy the machine), apply the ack's view at once (as Slack does), then let ConnectWise answer and
    the app's background work run."""
    with slack.sandbox.holding():
        resp = await slack.sender.send(
            *p.view_submission(
                view,
                user=ADMIN,
                values=values,
                trigger_id=slack.fake.new_trigger_id(ADMIN, view_id=view["id"]),
            )
        )
        ack = resp.json()
        slack.fake.apply_view_response(view["id"], ack)
    await slack.settle()
    return dict(ack)


async def test_a_slow_test_call_shows_testing_then_the_outcome(
    make_slack: MakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connect_flow, "ACK_BUDGET_SECONDS", 0.05)  # held calls: only how long the ack waits
    monkeypatch.setattr(connect_flow, "TESTING_VIEW_MIN_SECONDS", 0.05)
    async with make_slack(connected=False, mapped={}) as slack:
        await slack.command("connect", user=ADMIN)
        modal = slack.modal(ADMIN)

        wrong = await submit_while_connectwise_holds(
            slack, modal, form(slack.sandbox, **{ConnectField.PRIVATE_KEY: "x"})
        )

        assert "Testing the connection" in blocks_text(wrong["view"])
        again = slack.modal(ADMIN)  # replaced by the form, with the reason and what was typed
        assert "ConnectWise refused these keys." in blocks_text(again)
        assert field(again, ConnectField.CLIENT_ID)["element"]["initial_value"] == CLIENT_ID
        assert "initial_value" not in field(again, ConnectField.PRIVATE_KEY)["element"]
        assert await slack.store.read(connection_repo.get_connection_info) is None

        ok = await submit_while_connectwise_holds(slack, again, form(slack.sandbox))

        assert "Testing the connection" in blocks_text(ok["view"])
        assert "✅ Connected to ConnectWise" in blocks_text(slack.modal(ADMIN))
        assert await slack.store.read(connection_repo.get_connection_info) is not None


@pytest.mark.parametrize(
    ("typed", "api_root"),
    [
        ("na.myconnectwise.net", "https://api-na.myconnectwise.net/v4_6_release/apis/3.0"),
        ("https://na.myconnectwise.net/", "https://api-na.myconnectwise.net/v4_6_release/apis/3.0"),
        ("api-eu.myconnectwise.net", "https://api-eu.myconnectwise.net/v4_6_release/apis/3.0"),
        (
            "https://api-au.myconnectwise.net/v4_6_release/apis/3.0/service/tickets",
            "https://api-au.myconnectwise.net/v4_6_release/apis/3.0",
        ),
        (
            "https://NA.myconnectwise.net/v2019_1_release/ConnectWise.aspx?x=1",
            "https://api-na.myconnectwise.net/v2019_1_release/apis/3.0",
        ),
        ("staging.connectwisedev.com", "https://api-staging.connectwisedev.com/v4_6_release/apis/3.0"),
        ("cw.example-msp.com", "https://cw.example-msp.com/v4_6_release/apis/3.0"),
        ("http://127.0.0.1:8123", "http://127.0.0.1:8123/v4_6_release/apis/3.0"),
    ],
)
def test_site_addresses_are_normalised_to_the_api_root(typed: str, api_root: str) -> None:
    assert normalize_site_url(typed) == api_root


@pytest.mark.parametrize(
    "typed", ["", "   ", "my site", "ftp://na.myconnectwise.net", "https://", "intranet"]
)
def test_unusable_site_addresses_are_refused(typed: str) -> None:
    with pytest.raises(SiteUrlError):
        normalize_site_url(typed)
