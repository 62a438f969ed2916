"""Reviewed: this path is shared with the sidecar on purpose."""
SOCKET = "/tmp/sidecar.sock"  # noqa: S108
