"""`python -m psa.connectwise.sandbox --port 8123`: run the sandbox until interrupted."""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from .server import SandboxServer


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, start the server and print its base URL."""
    parser = argparse.ArgumentParser(prog="python -m psa.connectwise.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--seed", type=Path, default=None, help="seed JSON (default: packaged seed)")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--company-id", default="sandbox")
    parser.add_argument("--public-key", default="sandbox")
    parser.add_argument("--private-key", default="sandbox")
    args = parser.parse_args(argv)
    server = SandboxServer(
        args.seed,
        latency_ms=args.latency_ms,
        company_id=args.company_id,
        public_key=args.public_key,
        private_key=args.private_key,
        host=args.host,
        port=args.port,
    ).start()
    print(server.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
