"""Serving an ASGI app over HTTP the one way every long-running process here does."""

from __future__ import annotations

import socket
import sys
from typing import Any

import uvicorn


def run_uvicorn(api: Any, *, port: int, fd: int | None, log_level: str) -> None:
    """Serve `api` on uvloop + httptools, on `port`, or on the listening socket `fd` handed over by the
    parent (a process manager's socket activation, or a test that must own its port from the start)."""
    config = uvicorn.Config(
        api, host="0.0.0.0", port=port, log_level=log_level.lower(), loop="uvloop", http="httptools"
    )
    config.load_app()
    server = uvicorn.Server(config)
    # uvicorn's own `fd` option reopens the socket as AF_UNIX; socket(fileno=) reads its real family.
    sockets = [socket.socket(fileno=fd)] if fd is not None else None
    try:
        server.run(sockets=sockets)
    except KeyboardInterrupt:  # Ctrl-C / SIGINT after the graceful shutdown, as uvicorn.run treats it
        pass
    if not server.started:
        sys.exit(3)  # uvicorn's STARTUP_FAILURE
