"""SSRF guard: fetches may not target loopback, private, link-local, metadata or other
non-public addresses unless ``MEDIAWATCH_ALLOW_PRIVATE_TARGETS`` is set.

:func:`check_url` validates one URL (scheme http/https, a host, every address it resolves
to public); :class:`SSRFGuardMiddleware` applies it in Scrapy to every request, redirects
included, before anything is downloaded. Sources and tips added by users go through
the same check. The replay server (tests, demo) never touches the network, so the guard
is not installed in replay mode.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

Resolver = Callable[[str], list[str]]
METADATA_HOSTS = {"metadata.google.internal", "metadata", "instance-data", "instance-data.ec2.internal"}


class BlockedTarget(ValueError):
    """The URL may not be fetched (bad scheme, no host, non-public address, unresolvable)."""


def system_resolver(host: str) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6); raises OSError when it does not resolve."""
    return sorted({info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)})


def is_public(address: str) -> bool:
    """True for a global unicast address; False for loopback, private, link-local (incl. the
    169.254.169.254 metadata address), multicast, reserved, unspecified, shared (100.64/10) and
    IPv4-mapped/6to4/Teredo forms of those."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        for embedded in (ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None):
            if embedded is not None and not is_public(str(embedded)):
                return False
    return ip.is_global and not ip.is_multicast


def check_url(url: str, allow_private: bool = False, resolver: Resolver = system_resolver) -> None:
    """Raise BlockedTarget unless ``url`` is http(s) with a host whose every address is public
    (or ``allow_private``). The message says why, for the item's recorded status."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise BlockedTarget(f"scheme {parts.scheme or '(none)'!r} is not allowed")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise BlockedTarget("no host in URL")
    if allow_private:
        return
    if host in METADATA_HOSTS or host.endswith(".internal") or host == "localhost" or host.endswith(".localhost"):
        raise BlockedTarget(f"host {host!r} is internal")
    try:
        addresses = [host] if _is_ip(host) else resolver(host)
    except OSError as exc:
        raise BlockedTarget(f"host {host!r} does not resolve: {exc}") from exc
    if not addresses:
        raise BlockedTarget(f"host {host!r} does not resolve")
    for address in addresses:
        if not is_public(address):
            raise BlockedTarget(f"host {host!r} resolves to non-public address {address}")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


class SSRFGuardMiddleware:
    """Scrapy downloader middleware: every request (redirect targets included) is checked with
    :func:`check_url` before download; a blocked one is dropped with IgnoreRequest and the reason."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    @classmethod
    def from_crawler(cls, crawler: Any) -> SSRFGuardMiddleware:
        from scrapy.exceptions import NotConfigured

        if crawler.settings.get("MEDIAWATCH_REPLAY_URL"):
            raise NotConfigured("replay mode: nothing leaves loopback")
        return cls(crawler.settings.getbool("MEDIAWATCH_ALLOW_PRIVATE_TARGETS"))

    def process_request(self, request: Any, spider: Any = None) -> None:
        from scrapy.exceptions import IgnoreRequest

        try:
            check_url(request.url, self.allow_private)
        except BlockedTarget as exc:
            raise IgnoreRequest(f"blocked by the SSRF guard: {exc}") from exc
