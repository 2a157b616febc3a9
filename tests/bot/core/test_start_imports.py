"""What a long-running process loads at start: nothing it does not need (memory per process, issue 11).

`python -m bot serve` (and `worker`) never migrate in production, never run the local workspace, the
ConnectWise sandbox, the benchmarks or the browser tests, and only use Claude when it is configured:
none of that may be imported on their start path. Each check runs in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parents[3]
# Loaded lazily where they are used; each is megabytes of a process's resident memory.
NOT_AT_START = (
    "alembic",  # storage.migrate: `python -m bot migrate` (or APP_ENV=local) only
    "mako",
    "storage.migrate",
    "anthropic",  # only with ANTHROPIC_API_KEY
    "playwright",
    "pytest",
    "hypothesis",
    "bench",
    "bot.local",  # the local workspace of `make run`
    "psa.connectwise.sandbox",
)

SERVE = """
import json, sys
from bot.__main__ import _freeze_startup_objects
from bot.http_serving import run_uvicorn  # what serve() imports before it runs uvicorn
from bot.server import create_asgi
from bot.settings import Settings
create_asgi(Settings())
_freeze_startup_objects()
print(json.dumps(sorted(sys.modules)))
"""

WORKER = """
import json, sys
import bot.__main__
from bot.jobs.runtime import run_worker  # what worker() imports before it runs
print(json.dumps(sorted(sys.modules)))
"""


def _loaded(code: str, tmp_path: Path) -> set[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
        "APP_ENV": "production",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/app.db",
        "TICKETS_SECRET_KEY": Fernet.generate_key().decode(),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "secret",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in NOT_AT_START))


@pytest.mark.parametrize("code", [SERVE, WORKER], ids=["serve", "worker"])
def test_a_process_starts_without_what_it_does_not_use(code: str, tmp_path: Path) -> None:
    loaded = _loaded(code, tmp_path)
    assert "bot.settings" in loaded  # it did start
    assert _heavy(loaded) == []
