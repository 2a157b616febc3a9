"""Modals, stacks, Home tabs and trigger_ids in the fake, through the real slack_sdk client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.local import FakeSlack


class Clock:
    """A monotonic clock the test moves by hand, so trigger expiry needs no sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def fake(clock: Clock) -> AsyncIterator[FakeSlack]:
    async with FakeSlack(clock=clock) as server:
        yield server


async def slack_error(call: Awaitable[Any]) -> str:
    with pytest.raises(SlackApiError) as info:
        await call
    return str(info.value.response["error"])


def text_input(block_id: str = "summary", action_id: str = "value") -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": "Summary"},
        "element": {"type": "plain_text_input", "action_id": action_id},
    }


def modal(
    title: str = "New ticket", blocks: list[dict[str, Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Create"},
        "blocks": blocks if blocks is not None else [text_input()],
    }
    view.update(extra)
    return view


def home(text: str = "My queue") -> dict[str, Any]:
    return {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


async def test_open_returns_the_view_as_slack_stores_it(client: AsyncWebClient, fake: FakeSlack) -> None:
    trigger = fake.new_trigger_id("U0ADMIN")
    view = (
        await client.views_open(
            trigger_id=trigger, view=modal(callback_id="create_ticket", private_metadata='{"k":1}')
        )
    )["view"]
    assert view["id"].startswith("V")
    assert view["hash"]
    assert view["state"] == {"values": {}}
    assert view["callback_id"] == "create_ticket"
    assert view["private_metadata"] == '{"k":1}'
    assert view["root_view_id"] == view["id"]
    assert view["previous_view_id"] is None
    assert (view["app_id"], view["team_id"], view["bot_id"]) == ("A0LOCAL", "T0LOCAL", "B0LOCAL")
    assert fake.last_view("U0ADMIN") == view
    assert fake.last_view("U0ENGINEER") is None
    assert fake.is_view_open(view["id"])


async def test_a_trigger_opens_one_view_only(client: AsyncWebClient, fake: FakeSlack) -> None:
    trigger = fake.new_trigger_id("U0ADMIN")
    await client.views_open(trigger_id=trigger, view=modal())
    assert await slack_error(client.views_open(trigger_id=trigger, view=modal())) == "exchanged_trigger_id"
    assert await slack_error(client.views_open(trigger_id="1.2.abc", view=modal())) == "invalid_trigger_id"
    assert await slack_error(client.views_open(trigger_id="", view=modal())) == "invalid_arguments"


async def test_a_trigger_expires_after_three_seconds(
    client: AsyncWebClient, fake: FakeSlack, clock: Clock
) -> None:
    fresh, stale = fake.new_trigger_id(), fake.new_trigger_id()
    clock.now += 2.9
    assert (await client.views_open(trigger_id=fresh, view=modal()))["ok"]
    clock.now += 0.2
    assert await slack_error(client.views_open(trigger_id=stale, view=modal())) == "expired_trigger_id"


async def test_expiry_can_be_switched_off_for_slow_debugging(
    client: AsyncWebClient, fake: FakeSlack, clock: Clock
) -> None:
    assert fake.enforce_trigger_expiry is True
    fake.enforce_trigger_expiry = False
    trigger = fake.new_trigger_id()
    clock.now += 600
    assert (await client.views_open(trigger_id=trigger, view=modal()))["ok"]


async def test_an_invalid_view_does_not_use_up_the_trigger(client: AsyncWebClient, fake: FakeSlack) -> None:
    trigger = fake.new_trigger_id()
    assert await slack_error(client.views_open(trigger_id=trigger, view=modal(title="x" * 25))) == (
        "invalid_arguments"
    )
    assert (await client.views_open(trigger_id=trigger, view=modal()))["ok"]


async def test_update_honours_the_hash(client: AsyncWebClient, fake: FakeSlack) -> None:
    opened = (await client.views_open(trigger_id=fake.new_trigger_id(), view=modal(title="Loading")))["view"]
    updated = (
        await client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal(title="Review"))
    )["view"]
    assert updated["id"] == opened["id"]
    assert updated["hash"] != opened["hash"]
    assert updated["title"]["text"] == "Review"
    stale = client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal(title="Late"))
    assert await slack_error(stale) == "hash_conflict"
    assert (await client.views_update(view_id=opened["id"], view=modal(title="No hash")))["ok"]
    assert await slack_error(client.views_update(view_id="VNOPE", view=modal())) == "not_found"
    assert fake.last_view()["title"]["text"] == "No hash"  # type: ignore[index]


async def test_update_by_external_id(client: AsyncWebClient, fake: FakeSlack) -> None:
    await client.views_open(trigger_id=fake.new_trigger_id(), view=modal(external_id="draft-42"))
    updated = (await client.views_update(external_id="draft-42", view=modal(title="Again")))["view"]
    assert updated["external_id"] == "draft-42"
    assert updated["title"]["text"] == "Again"
    again = client.views_open(trigger_id=fake.new_trigger_id(), view=modal(external_id="draft-42"))
    assert await slack_error(again) == "duplicate_external_id"


async def test_update_after_the_user_closed_the_modal_is_not_found(
    client: AsyncWebClient, fake: FakeSlack
) -> None:
    view = (await client.views_open(trigger_id=fake.new_trigger_id(), view=modal()))["view"]
    fake.close_view(view["id"])
    assert not fake.is_view_open(view["id"])
    assert await slack_error(client.views_update(view_id=view["id"], view=modal())) == "not_found"


async def test_typed_input_survives_an_update_that_keeps_its_ids(
    client: AsyncWebClient, fake: FakeSlack
) -> None:
    view = (await client.views_open(trigger_id=fake.new_trigger_id(), view=modal()))["view"]
    typed = {"summary": {"value": {"type": "plain_text_input", "value": "Printer jam"}}}
    fake.set_view_state(view["id"], typed)
    kept = (await client.views_update(view_id=view["id"], view=modal(title="Same inputs")))["view"]
    assert kept["state"]["values"] == typed
    reset = (await client.views_update(view_id=view["id"], view=modal(blocks=[text_input("summary_v2")])))[
        "view"
    ]
    assert reset["state"]["values"] == {}


async def test_push_stacks_at_most_three_views(client: AsyncWebClient, fake: FakeSlack) -> None:
    root = (await client.views_open(trigger_id=fake.new_trigger_id("U0ADMIN"), view=modal()))["view"]
    second = (
        await client.views_push(
            trigger_id=fake.new_trigger_id("U0ADMIN", view_id=root["id"]), view=modal("Two")
        )
    )["view"]
    assert (second["root_view_id"], second["previous_view_id"]) == (root["id"], root["id"])
    third = (await client.views_push(trigger_id=fake.new_trigger_id("U0ADMIN"), view=modal("Three")))["view"]
    assert third["previous_view_id"] == second["id"]
    fourth = client.views_push(trigger_id=fake.new_trigger_id("U0ADMIN"), view=modal("Four"))
    assert await slack_error(fourth) == "push_limit_reached"
    assert fake.current_view("U0ADMIN") == fake.view(third["id"])
    fake.close_view(second["id"])
    assert fake.is_view_open(root["id"])
    assert not fake.is_view_open(third["id"])
    assert fake.current_view("U0ADMIN") == fake.view(root["id"])
    fake.close_view(root["id"])
    assert fake.current_view("U0ADMIN") is None


async def test_push_needs_an_open_modal(client: AsyncWebClient, fake: FakeSlack) -> None:
    assert await slack_error(client.views_push(trigger_id=fake.new_trigger_id("U0ADMIN"), view=modal())) == (
        "not_found"
    )


async def test_publish_sets_the_home_tab_per_user(client: AsyncWebClient, fake: FakeSlack) -> None:
    first = (await client.views_publish(user_id="U0ADMIN", view=home("Loading")))["view"]
    assert first["type"] == "home"
    second = (await client.views_publish(user_id="U0ADMIN", view=home("5 tickets"), hash=first["hash"]))[
        "view"
    ]
    assert second["id"] == first["id"]
    assert second["hash"] != first["hash"]
    assert fake.home_view("U0ADMIN") == second
    assert fake.home_view("U0ENGINEER") is None
    stale = client.views_publish(user_id="U0ADMIN", view=home("late"), hash=first["hash"])
    assert await slack_error(stale) == "hash_conflict"
    assert await slack_error(client.views_publish(user_id="U0GHOST", view=home())) == "invalid_arguments"
    assert await slack_error(client.views_publish(user_id="U0ADMIN", view=modal())) == "invalid_arguments"
    assert fake.last_view() is None
    with pytest.raises(Exception, match="not_found"):
        fake.close_view(second["id"])


async def test_view_limits_are_enforced_like_slack(client: AsyncWebClient, fake: FakeSlack) -> None:
    def section(i: int, size: int = 10) -> dict[str, Any]:
        return {"type": "section", "text": {"type": "mrkdwn", "text": str(i) * size}}

    hundred = [section(i % 10) for i in range(100)]
    assert (await client.views_publish(user_id="U0ADMIN", view={"type": "home", "blocks": hundred}))["ok"]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"type": "home", "blocks": [*hundred, section(1)]}, "invalid_arguments"),
        ({"type": "home", "blocks": [section(i % 10, 3000) for i in range(90)]}, "view_too_large"),
        ({"type": "home", "blocks": []}, "invalid_arguments"),
        ({"type": "home", "blocks": [section(1)], "private_metadata": "m" * 3001}, "invalid_arguments"),
        ({"type": "home", "blocks": [section(1)], "callback_id": "c" * 256}, "invalid_arguments"),
    ]
    for view, error in cases:
        assert await slack_error(client.views_publish(user_id="U0ADMIN", view=view)) == error
    no_submit = {k: v for k, v in modal().items() if k != "submit"}
    assert await slack_error(client.views_open(trigger_id=fake.new_trigger_id(), view=no_submit)) == (
        "invalid_arguments"
    )
    long_button = modal(submit={"type": "plain_text", "text": "s" * 25})
    assert await slack_error(client.views_open(trigger_id=fake.new_trigger_id(), view=long_button)) == (
        "invalid_arguments"
    )


async def test_submission_answers_drive_the_modal_stack(client: AsyncWebClient, fake: FakeSlack) -> None:
    root = (await client.views_open(trigger_id=fake.new_trigger_id("U0ADMIN"), view=modal()))["view"]
    assert fake.apply_view_response(
        root["id"], {"response_action": "errors", "errors": {"summary": "x"}}
    ) == (fake.view(root["id"]))
    updated = fake.apply_view_response(root["id"], {"response_action": "update", "view": modal("Step 2")})
    assert updated is not None and updated["title"]["text"] == "Step 2"
    pushed = fake.apply_view_response(root["id"], {"response_action": "push", "view": modal("Confirm")})
    assert pushed is not None and pushed["previous_view_id"] == root["id"]
    back = fake.apply_view_response(pushed["id"], None)
    assert back is not None and back["id"] == root["id"]
    again = fake.apply_view_response(root["id"], {"response_action": "push", "view": modal("Confirm")})
    assert again is not None
    assert fake.apply_view_response(again["id"], {"response_action": "clear"}) is None
    assert not fake.is_view_open(root["id"])
