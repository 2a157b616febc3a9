"""ConnectWise Manage provider."""

from psa.connectwise.client import ConnectWiseCredentials, RetryPolicy
from psa.connectwise.provider import ConnectWiseProvider

__all__ = ["ConnectWiseCredentials", "ConnectWiseProvider", "RetryPolicy"]
