"""A local ConnectWise Manage REST API (v3.0) for development, tests and benchmarks."""

from .attribution import KeyPair
from .batches import Batch, Batches
from .conditions import ConditionsError, parse
from .faults import Fault, RequestRecord, rounds
from .server import SandboxServer

__all__ = [
    "Batch",
    "Batches",
    "ConditionsError",
    "Fault",
    "KeyPair",
    "RequestRecord",
    "SandboxServer",
    "parse",
    "rounds",
]
