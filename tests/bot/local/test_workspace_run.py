"""`python -m bot run` without Slack credentials: sandbox, app and page start together, offline."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from waiting import wait_until

from bot.ids import ConnectAction
from bot.local.run import LocalStack
from bot.local.workspace.directory import ADMIN_USER_ID, DEMO_USER_ID, SUPPORT_CHANNEL_ID, TEAM_ID
from bot.settings import Settings
from storage.repositories import connections as connection_repo
from storage.repositories import mappings as mapping_repo

ROOT = Path(__file__).resolve().parents[3]


def clean_settings(**values: Any) -> Settings:
    """Settings at their defaults (nothing from the environment), with `values` on top."""
    fields = {name: field.default for name, field in Settings.model_fields.items()}
    return Settings(**{**fields, **values})


async def _wait_for_ephemeral(http: httpx.AsyncClient, user: str) -> list[dict[str, Any]]:
    async def ephemerals() -> list[dict[str, Any]]:
        state = (await http.get("/ui/state", params={"user": user})).json()
        messages: list[dict[str, Any]] = state["ephemeral"].get(SUPPORT_CHANNEL_ID, [])
        return messages

    return await wait_until(ephemerals, every=0.02, what="an ephemeral message")


async def test_the_local_stack_answers_tickets_mine_for_the_mapped_demo_user(tmp_path: Path) -> None:
    async with LocalStack(clean_settings(), data_dir=tmp_path, ui_port=0) as stack:
        async with httpx.AsyncClient(base_url=stack.url.rstrip("/"), timeout=10) as http:
            sent = await http.post(
                "/ui/command", json={"user": DEMO_USER_ID, "channel": SUPPORT_CHANNEL_ID, "text": "/tickets"}
            )
            listing = await _wait_for_ephemeral(http, DEMO_USER_ID)
        assert stack.deps is not None
        mapping = await stack.deps.storage.workspace(TEAM_ID).read(
            partial(mapping_repo.get_mapping, slack_user_id=DEMO_USER_ID)
        )

    assert sent.json() == {"ok": True}
    assert re.search(r"Showing 1–\d+ of \d+ tickets", str(listing[0]["blocks"]))
    assert mapping is not None and mapping.member_identifier == "jdoe"
    assert (tmp_path / "tickets.db").exists() and (tmp_path / "secret.key").exists()


async def test_a_restart_keeps_the_data_and_points_the_stored_connection_at_the_new_sandbox(
    tmp_path: Path,
) -> None:
    async with LocalStack(clean_settings(), data_dir=tmp_path, ui_port=0) as first:
        assert first.deps is not None and first.sandbox is not None
        first_url = first.sandbox.base_url
        await first.deps.storage.workspace(TEAM_ID).unmap_member(DEMO_USER_ID, unmapped_by="test")
        await first.deps.storage.workspace(TEAM_ID).map_member(
            DEMO_USER_ID, member_id=9, member_identifier="ppatel", member_name="Priya Patel", mapped_by="t"
        )
    async with LocalStack(clean_settings(), data_dir=tmp_path, ui_port=0) as second:
        assert second.deps is not None and second.sandbox is not None
        store = second.deps.storage.workspace(TEAM_ID)
        connection, mapping = (
            await store.read(connection_repo.get_connection_info),
            await store.read(partial(mapping_repo.get_mapping, slack_user_id=DEMO_USER_ID)),
        )
        second_url = second.sandbox.base_url

    assert connection is not None and connection.base_url == second_url != first_url
    assert mapping is not None and mapping.member_identifier == "ppatel"  # a choice made is kept


async def test_without_the_sandbox_connection_the_workspace_starts_not_connected(tmp_path: Path) -> None:
    async with LocalStack(clean_settings(), data_dir=tmp_path, ui_port=0, connect_sandbox=False) as stack:
        assert stack.deps is not None
        service = await stack.deps.workspaces.service(TEAM_ID)

    assert stack.sandbox is None and service is None


async def test_an_admin_disconnects_and_the_home_shows_the_not_connected_state(tmp_path: Path) -> None:
    async with LocalStack(clean_settings(), data_dir=tmp_path, ui_port=0) as stack:
        assert stack.deps is not None
        async with httpx.AsyncClient(base_url=stack.url.rstrip("/"), timeout=10) as http:
            command = {"user": ADMIN_USER_ID, "channel": SUPPORT_CHANNEL_ID, "text": "/tickets disconnect"}
            await http.post("/ui/command", json=command)
            [prompt] = await _wait_for_ephemeral(http, ADMIN_USER_ID)
            click = {"user": ADMIN_USER_ID, "channel": SUPPORT_CHANNEL_ID, "ts": prompt["ts"]}
            await http.post("/ui/action", json={**click, "action_id": ConnectAction.DISCONNECT})
            store = stack.deps.storage.workspace(TEAM_ID)

            async def disconnected() -> bool:
                return await store.read(connection_repo.get_connection_info) is None

            await wait_until(disconnected, every=0.02, what="the connection to be deleted")
            await http.post("/ui/home", json={"user": DEMO_USER_ID})

            async def home_text() -> str | None:
                home = (await http.get("/ui/state", params={"user": DEMO_USER_ID})).json().get("home")
                text = str(home["blocks"]) if home else ""
                return text if "not connected" in text else None

            home = await wait_until(home_text, every=0.02, what="the not-connected Home")

    assert "Ask a workspace admin" in home


def test_make_run_prints_the_url_serves_the_page_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CW_", "DATABASE_URL"))}
    env.update(PORT="0", PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    url = None
    deadline = time.monotonic() + 30
    while url is None and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        found = re.search(r"Local Slack workspace ready: (http://127\.0\.0\.1:\d+/)", line)
        url = found.group(1) if found else None
    try:
        assert url is not None, "".join(lines)
        page = httpx.get(url, timeout=5)
        assert page.status_code == 200 and "Local Slack workspace" in page.text
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, "".join(lines) + output
    assert "Traceback" not in output
    assert (tmp_path / "data" / "tickets.db").exists()
