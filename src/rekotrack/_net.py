"""Whether a host or an endpoint URL names this machine (sans-IO, standard library only).

Shared by the command line (``--endpoint-url``: local defaults for a loopback server) and the
self-hosted service (binding anything but loopback needs credentials), so both answer the same.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

__all__ = ["is_loopback", "is_loopback_url"]


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, no brackets) is this machine: localhost, 127.0.0.0/8 or ::1."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str) -> bool:
    """Whether the host of ``url`` is this machine (see :func:`is_loopback`); False for a malformed URL."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    return host is not None and is_loopback(host)
