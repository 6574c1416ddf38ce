"""SSRF guard: user-added sources and tips may not reach loopback, private, link-local or
metadata addresses unless MEDIAWATCH_ALLOW_PRIVATE_TARGETS is set."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from crawlers.job import run_crawl
from crawlers.sources import SourceSpec
from crawlers.ssrf import BlockedTarget, check_url, is_public


def fake_resolver(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def resolve(host: str) -> list[str]:
        if host not in table:
            raise OSError("no such host")
        return table[host]

    return resolve


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                                     "100.64.0.1", "0.0.0.0", "224.0.0.1", "::1", "fe80::1", "fc00::1",
                                     "::ffff:127.0.0.1", "2002:7f00:1::1"])
def test_non_public_addresses(address: str) -> None:
    assert not is_public(address)


def test_public_addresses() -> None:
    assert is_public("203.162.4.190") and is_public("2001:4860:4860::8888")


def test_check_url_rules() -> None:
    resolve = fake_resolver({"vnexpress.net": ["111.65.248.132"], "evil.example": ["93.184.216.34", "10.0.0.5"],
                             "rebind.example": ["127.0.0.1"]})
    check_url("https://vnexpress.net/rss/tin-moi-nhat.rss", resolver=resolve)
    for url, why in [("ftp://vnexpress.net/x", "scheme"), ("file:///etc/passwd", "scheme"),
                     ("javascript:alert(1)", "scheme"), ("http://127.0.0.1:8000/", "non-public"),
                     ("http://[::1]/", "non-public"), ("http://169.254.169.254/latest/meta-data/", "non-public"),
                     ("http://metadata.google.internal/", "internal"), ("http://localhost:5432/", "internal"),
                     ("http://evil.example/", "10.0.0.5"), ("http://rebind.example/", "127.0.0.1"),
                     ("http://nowhere.example/", "does not resolve"), ("http:///path", "no host")]:
        with pytest.raises(BlockedTarget, match=why):
            check_url(url, resolver=resolve)
    check_url("http://127.0.0.1:8000/", allow_private=True, resolver=resolve)


def test_crawl_of_a_loopback_source_is_blocked_unless_allowed(settings, demo_server) -> None:  # type: ignore[no-untyped-def]
    feed = "https://baomau.example/rss/tin-moi.rss"
    spec = SourceSpec(name="Nguồn nội bộ", kind="rss", url=f"{demo_server.base_url}/replay?url={quote(feed, safe='')}")
    direct = settings.model_copy(update={"replay_url": None, "obey_robots": False})
    records = run_crawl(direct, [spec], {}, [])
    assert any("SSRF guard" in str(r) for r in records), records[:3]
    assert feed not in demo_server.hits, "a blocked request must not reach the server"
    allowed = run_crawl(direct.model_copy(update={"allow_private_targets": True}), [spec], {}, [])
    assert feed in demo_server.hits and not any("SSRF guard" in str(r) for r in allowed)
