"""What the benchmarks run against: the sandbox and FakeSlack (threads of this process) and a server
subprocess (`python -m bot serve`, or the bare Bolt app) measured from outside, as in production."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

from bot.local import FakeChannel, FakeSlack, FakeUser
from psa.connectwise.sandbox import SandboxServer
from storage import Storage, fernet_from_secret
from storage.migrate import upgrade

REPO = Path(__file__).resolve().parents[1]
TEAM = "T0LOCAL"  # FakeSlack's team: payloads and the bot token agree on it
SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-local"
SECRET_KEY = "bench-tickets-secret-key"
CLIENT_ID = "bench-client"
CHANNEL = "C0BENCH"
# Active members of the sandbox seed with open tickets (7 to 40 each); one Slack user per member.
MEMBERS = (
    "jdoe", "mchen", "jsmith", "arivera", "slee", "ppatel", "tokafor", "kwalsh", "rgarcia", "hnguyen",
    "dbrennan", "jsmyth", "arivers", "sleigh", "bkowalski", "mobrien", "lfischer", "cmartin", "ejohansson",
)  # fmt: skip


@dataclass(frozen=True)
class BenchUser:
    """A Slack user of the bench workspace and the PSA member it is mapped to."""

    slack_id: str
    member: str


def bench_users(count: int = len(MEMBERS)) -> list[BenchUser]:
    """`count` users (U0BENCH00, …), each mapped to its own member of MEMBERS."""
    if count > len(MEMBERS):
        raise ValueError(f"at most {len(MEMBERS)} bench users (one per member with tickets)")
    return [BenchUser(f"U0BENCH{i:02d}", MEMBERS[i]) for i in range(count)]


class Backends:
    """The ConnectWise sandbox and FakeSlack, each serving from its own thread of this process."""

    def __init__(self, users: list[BenchUser], *, latency_ms: int = 0) -> None:
        self.users = users
        self.sandbox = SandboxServer(latency_ms=latency_ms, private_key="bench-private-key")
        fake_users = [FakeUser(id=u.slack_id, name=u.slack_id.lower(), real_name=u.member) for u in users]
        fake_users.append(FakeUser(id="U0ADMIN", name="admin", is_admin=True, is_owner=True))
        self.fake = FakeSlack(users=fake_users, channels=[FakeChannel(id=CHANNEL, name="bench")])

    def __enter__(self) -> Backends:
        self.sandbox.start()
        self.fake.start_in_thread()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.fake.stop_thread()
        self.sandbox.stop()


def prepare_database(database_url: str, sandbox: SandboxServer, users: list[BenchUser]) -> None:
    """Migrate the database and map every bench user to its member (as `/tickets map` would)."""
    upgrade(database_url)
    members = {m["identifier"]: m for m in sandbox.state.store.tables["members"].values()}

    async def seed() -> None:
        storage = Storage(database_url, fernet_from_secret(SECRET_KEY))
        try:
            store = storage.workspace(TEAM)
            for user in users:
                member = members[user.member]
                await store.map_member(
                    user.slack_id,
                    member_id=member["id"],
                    member_identifier=user.member,
                    member_name=f"{member['firstName']} {member['lastName']}",
                    mapped_by="bench",
                )
        finally:
            await storage.close()

    asyncio.run(seed())


def app_environment(backends: Backends, database_url: str, *, log_level: str = "INFO") -> dict[str, str]:
    """The environment of a single-workspace production install pointed at the local fakes."""
    sandbox = backends.sandbox
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(REPO)),
        "APP_ENV": "production",
        "LOG_LEVEL": log_level,
        "DATABASE_URL": database_url,
        "TICKETS_SECRET_KEY": SECRET_KEY,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": backends.fake.api_url,
        "CW_BASE_URL": sandbox.base_url,
        "CW_COMPANY_ID": sandbox.company_id,
        "CW_PUBLIC_KEY": sandbox.public_key,
        "CW_PRIVATE_KEY": sandbox.private_key,
        "CW_CLIENT_ID": CLIENT_ID,
    }


@contextmanager
def pinned(cores: set[int] | None) -> Iterator[None]:
    """Run this process (and the threads and processes it starts meanwhile) on `cores` only."""
    if not cores or not hasattr(os, "sched_setaffinity"):
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cores)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def split_cores() -> tuple[set[int] | None, set[int] | None]:
    """(the measured server's core, everyone else's) on a machine with at least two; else no pinning."""
    available = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(available) < 2:
        return None, None
    return {available[0]}, set(available[1:])


def listening_socket(port: int = 0) -> socket.socket:
    """A socket already listening on 127.0.0.1 (`port`, or one the OS picks), for a child to inherit.

    Handing the child the socket itself (`--fd`) instead of a port number leaves no moment where another
    process (a parallel test worker's server) can take the port, nor one where `/healthz` could be
    answered by someone else on it.
    """
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(512)
    sock.set_inheritable(True)
    return sock


class ServerProcess:
    """A server subprocess (`python -m <module> ... --port N`) with its resident memory and CPU time."""

    def __init__(
        self, module_argv: list[str], env: dict[str, str], log_path: Path, *, cores: set[int] | None = None
    ) -> None:
        self._socket: socket.socket | None = listening_socket()
        self.port = int(self._socket.getsockname()[1])
        self.module_argv = module_argv
        self.env = env
        self.log_path = log_path
        self.cores = cores
        self.proc: subprocess.Popen[bytes] | None = None

    def argv(self, fd: int) -> list[str]:
        """The command line serving on the inherited listening socket `fd` (the app as the Procfile runs
        it: under -OO, which drops docstrings and asserts and saves 4–7 MB per process)."""
        optimize = ["-OO"] if self.module_argv[:1] == ["bot"] else []
        return [sys.executable, *optimize, "-m", *self.module_argv, "--fd", str(fd)]

    @property
    def url(self) -> str:
        """Root URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def events_url(self) -> str:
        """Slack's request URL."""
        return self.url + "/slack/events"

    @property
    def pid(self) -> int:
        """Process id (started)."""
        assert self.proc is not None, "not started"
        return self.proc.pid

    def start(self, timeout: float = 60.0) -> ServerProcess:
        """Start the process and wait until `/healthz` answers."""
        log = self.log_path.open("wb")
        cores = self.cores
        # A restarted server listens on the same port again.
        listening = self._socket or listening_socket(self.port)
        self._socket = None
        fd = listening.fileno()
        try:
            self.proc = subprocess.Popen(
                self.argv(fd),
                env=self.env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(fd,),
                preexec_fn=(lambda: os.sched_setaffinity(0, cores)) if cores else None,
            )
        finally:
            log.close()
            listening.close()  # the child has its own copy
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{' '.join(self.module_argv)} exited: {self.log_path.read_text()[-2000:]}"
                )
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"{' '.join(self.module_argv)} did not answer /healthz in {timeout} s")

    def rss_mb(self) -> float:
        """Resident memory (VmRSS from /proc) in MB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def cpu_seconds(self) -> float:
        """User + system CPU time the process used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_text(self) -> str:
        """Everything the process wrote so far."""
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """Ask the server to shut down (SIGINT, like Ctrl-C), then make sure it is gone."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
