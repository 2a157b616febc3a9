"""ConnectWise Manage provider."""
