"""`python -m bench.bodies`: the server's memory while 10 clients post 50 MB unsigned bodies at once.

The app runs as `python -m bot serve` in a subprocess (local mode, a throwaway SQLite file); its peak
resident memory (VmHWM) is read from /proc before and after the bodies, once with Content-Length and
once chunked. Linux only. The figures are reported in README's security section.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
CHUNK = b"x" * (1 << 20)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _memory_kb(pid: int) -> dict[str, int]:
    figures: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            figures[key] = int(value.split()[0])
    return figures


def _reset_peak(pid: int) -> None:
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0), so each round has its own peak.
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        pass


async def _post(url: str, megabytes: int, *, chunked: bool) -> str:
    """POST over a raw socket, writing until the server answers (an HTTP client would write the whole
    body before reading): the answer's status, or what ended the connection."""
    target = httpx.URL(url)
    reader, writer = await asyncio.open_connection(target.host, target.port)
    head = [f"POST {target.raw_path.decode()} HTTP/1.1", f"Host: {target.host}", "Connection: close"]
    head.append("Content-Type: application/x-www-form-urlencoded")
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {megabytes * len(CHUNK)}")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode())

    async def send_body() -> None:
        for _ in range(megabytes):
            writer.write(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK) if chunked else CHUNK)
            await writer.drain()
        if chunked:
            writer.write(b"0\r\n\r\n")
            await writer.drain()

    sending = asyncio.ensure_future(send_body())
    try:
        line = await reader.readline()
        return line.decode().split(" ", 2)[1] if line else "closed"
    except ConnectionError as exc:
        return type(exc).__name__
    finally:
        sending.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await sending
        writer.close()


async def _round(url: str, clients: int, megabytes: int, *, chunked: bool) -> list[str]:
    return list(await asyncio.gather(*(_post(url, megabytes, chunked=chunked) for _ in range(clients))))


def main(argv: list[str] | None = None) -> int:
    """Start the server, post the bodies, print the memory figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.bodies")
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--megabytes", type=int, default=50)
    args = parser.parse_args(argv)
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "APP_ENV": "local",
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bodies.db",
            "SLACK_BOT_TOKEN": "xoxb-bodies",
            "SLACK_SIGNING_SECRET": "bodies-secret",
            "SLACK_API_URL": "http://127.0.0.1:9/api/",
            "LOG_LEVEL": "WARNING",
        }
        proc = subprocess.Popen(
            [sys.executable, "-OO", "-m", "bot", "serve", "--port", str(port)], env=env, cwd=tmp
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(600):
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None:
                    raise RuntimeError("the server exited")
                asyncio.run(asyncio.sleep(0.1))
            idle = _memory_kb(proc.pid)
            print(f"idle: RSS {idle['VmRSS'] / 1024:.0f} MB")
            for chunked in (False, True):
                _reset_peak(proc.pid)
                answers = asyncio.run(
                    _round(base + "/slack/events", args.clients, args.megabytes, chunked=chunked)
                )
                after = _memory_kb(proc.pid)
                kind = "chunked" if chunked else "Content-Length"
                print(
                    f"{args.clients} × {args.megabytes} MB ({kind}): answers {sorted(set(answers))}, "
                    f"peak RSS {after['VmHWM'] / 1024:.0f} MB, RSS after {after['VmRSS'] / 1024:.0f} MB"
                )
        finally:
            proc.terminate()
            proc.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
