"""A local ConnectWise Manage REST API (v3.0) for development, tests and benchmarks."""

from .conditions import ConditionsError, parse
from .faults import Fault, RequestRecord, rounds
from .server import SandboxServer

__all__ = ["ConditionsError", "Fault", "RequestRecord", "SandboxServer", "parse", "rounds"]
