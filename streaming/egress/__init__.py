"""What the remote browsers may reach: a policy on addresses and the proxy that enforces it."""
