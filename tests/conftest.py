"""Fixtures shared by every test package."""

from __future__ import annotations

import importlib
import os
import pkgutil
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from budgets import unhurry
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, settings

from psa.connectwise.sandbox import SandboxServer
from storage.migrate import upgrade

# Hypothesis profiles, loaded before any test module builds its own `settings(...)` on top of them.
# ci: the same examples on every run, nothing remembered between runs, nothing timed (no deadline, no
#     too_slow health check: a busy machine must not fail a test; a test that suppresses other health
#     checks lists too_slow again, since its own list replaces the profile's).
# dev: random examples and the local example database, to find new failures while working.
# fuzz (`make fuzz`): random and ten times the examples (see tests/fuzz_budget.py).
# Whatever a profile finds goes into the test as an explicit `@example(...)`, so CI replays it.
# Each profile starts from Hypothesis' own defaults: under CI it has already loaded its built-in "ci"
# profile, which a new profile would otherwise inherit.
_BASE = settings.get_profile("default")
_UNTIMED = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("ci", _BASE, derandomize=True, database=None, print_blob=True, **_UNTIMED)
settings.register_profile("dev", _BASE, **_UNTIMED)
settings.register_profile("fuzz", _BASE, max_examples=1000, print_blob=True, **_UNTIMED)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


def _import_the_code_under_test() -> None:
    """Import every module of the project, so that Hypothesis draws on the same constants in every run.

    Hypothesis mixes string and number literals of the local modules loaded so far into what it
    generates (`hypothesis.internal.conjecture.providers._get_local_constants`, which scans
    `sys.modules`). Which of the app's modules a worker has loaded depends on the tests it ran before,
    and xdist hands tests out differently every run, so a derandomized test could still meet a new
    example one run in many (a zero-width space from bot/text.py did). Loading them all first makes
    the set the same everywhere.
    """
    for package in ("ai", "bot", "psa", "storage", "bench"):
        root = importlib.import_module(package)
        for module in pkgutil.walk_packages(root.__path__, f"{package}."):
            if module.name.endswith(".__main__") or module.name.startswith("storage.migrations"):
                continue  # programs, and Alembic's env.py, which runs migrations when imported
            importlib.import_module(module.name)


if settings.default.derandomize:
    _import_the_code_under_test()


# `make test` runs the suite on every core (`-n auto`, pytest-xdist): each worker is its own process with
# its own session fixtures (sandbox, template database, Postgres session database, browser), so nothing
# below is shared between workers. Much of the suite waits (servers and processes starting, ConnectWise
# held, a browser rendering), so two workers per core keep the cores busy: on 2 cores, 4 workers took
# 200 s where 2 took 270-290 s. More than a few only adds Postgres connections and Chromiums.
WORKERS_PER_CORE = 2
MAX_WORKERS = 4


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto`: two workers per core this process may use, at most MAX_WORKERS."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own implementation reads it
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(WORKERS_PER_CORE * cores, MAX_WORKERS)


@pytest.fixture(autouse=True)
def unhurried_budgets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every flow's wall-clock budget for the PSA, unhurried (see tests/budgets.py)."""
    unhurry(monkeypatch)


@pytest.fixture(scope="session")
def sandbox_session() -> Iterator[SandboxServer]:
    """One ConnectWise sandbox server for the whole test session."""
    with SandboxServer() as server:
        yield server


@pytest.fixture
def sandbox(sandbox_session: SandboxServer) -> SandboxServer:
    """The session's sandbox, reset to fresh seed data (no faults, no latency, empty log)."""
    sandbox_session.reset()
    return sandbox_session


@pytest.fixture(scope="session")
def app_tls() -> ssl.SSLContext:
    """One TLS context for every PSA HTTP client of the session (building one costs tens of ms)."""
    return ssl.create_default_context()


@pytest.fixture(scope="session")
def app_key() -> bytes:
    """The Fernet key of the app databases the tests create."""
    return Fernet.generate_key()


@pytest.fixture(scope="session")
def app_template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A SQLite file migrated once per session; each app under test copies it (Alembic runs once)."""
    path = tmp_path_factory.mktemp("app-template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    yield path
