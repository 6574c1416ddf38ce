"""Bounded, reproducible fuzzing (hypothesis, derandomized) of the parsers that read untrusted
bytes: feeds, sitemaps, DOCTYPE removal, and HTML decoding + extraction. Inputs are byte-level
mutations of real-shaped seeds (XML-ish / HTML-ish tokens inserted, slices cut, duplicated or
truncated), not just random bytes. Properties: only documented exceptions, bounded output sizes,
decoded text is str."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crawlers import safexml
from crawlers.kinds.feed import _entry_record, parse_feed_bytes
from crawlers.kinds.sitemap import parse_sitemap
from pipeline.encoding import decode_bytes
from pipeline.extract import ExtractionError, extract_article

FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

RSS_SEED = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Báo mẫu</title>'
            '<item><title>Vũng Tàu &amp; Bà Rịa</title><link>https://baomau.example/a-100123.html</link>'
            '<guid>100123</guid><description><![CDATA[<p>Tin <b>nóng</b></p>]]></description>'
            '<pubDate>Mon, 03 Nov 2025 08:00:00 +0700</pubDate></item>'
            '<item><title>Tin hai</title><link>https://baomau.example/b-100124.html</link></item>'
            '</channel></rss>').encode()
ATOM_SEED = ('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
             '<entry><title>Côn Đảo</title><link href="https://tin.example/c/1.html"/><id>x1</id>'
             '<updated>2025-11-03T08:00:00+07:00</updated><summary>Tóm tắt</summary></entry></feed>').encode()
SITEMAP_SEED = ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
                '<url><loc>https://baomau.example/a-1.html</loc><lastmod>2025-11-03</lastmod>'
                '<news:news><news:title>Vũng Tàu</news:title></news:news></url>'
                '<url><loc>https://baomau.example/b-2.html</loc></url></urlset>').encode()
INDEX_SEED = (b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
              b"<sitemap><loc>https://baomau.example/sitemap-1.xml</loc><lastmod>2025-11-01</lastmod></sitemap>"
              b"</sitemapindex>")
HTML_SEED = ('<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Bà Rịa – Vũng Tàu</title>'
             '<meta property="article:published_time" content="2025-11-03T08:00:00+07:00">'
             '<link rel="canonical" href="https://baomau.example/a-100123.html"></head><body><article>'
             '<h1>Người dân Vũng Tàu được hỗ trợ</h1><p>Người dân tỉnh Bà Rịa – Vũng Tàu được hỗ trợ kịp thời '
             'sau cơn bão số 9 đổ bộ vào đất liền, lực lượng chức năng đã có mặt.</p><p>Ủy ban nhân dân '
             'thành phố huy động lực lượng dọn dẹp cây đổ trên các tuyến đường chính.</p></article>'
             '<script>var x = "<p>";</script></body></html>').encode()
TOKENS = [b"<", b">", b"</", b"/>", b"<!DOCTYPE x [", b"]>", b"<!ENTITY a \"&a;&a;\">", b"&a;", b"&amp;",
          b"&#x0;", b"&#1114112;", b"<![CDATA[", b"]]>", b"<!--", b"-->", b"<?xml version='1.0'?>",
          b"encoding=\"utf-16\"", b"<item>", b"</item>", b"<entry>", b"<link>", b"<loc>", b"</loc>",
          b"<url>", b"<p>", b"<meta charset=\"tcvn3\">", b"<script>", b"\"", b"'", b"\x00", b"\xff\xfe",
          b"\xef\xbb\xbf", b"\xc3", b"\xe1\xba", b"\x80", b"\r\n", b"http://", b"javascript:", "Việt".encode()]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed with 0-6 mutations: insert a markup/encoding token or random bytes, delete,
    duplicate a slice, or truncate."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["token", "bytes", "delete", "dup", "truncate"]))
        i = draw(st.integers(0, len(data)))
        if op == "token":
            data[i:i] = draw(st.sampled_from(TOKENS))
        elif op == "bytes":
            data[i:i] = draw(st.binary(min_size=1, max_size=12))
        elif op == "delete":
            del data[i:i + draw(st.integers(1, 40))]
        elif op == "dup":
            j = draw(st.integers(i, min(len(data), i + 200)))
            data[j:j] = data[i:j] * draw(st.integers(1, 3))
        else:
            del data[i:]
    return bytes(data)


CTYPES = st.sampled_from([None, "application/rss+xml", "text/xml; charset=iso-8859-1", "text/html; charset=utf-16",
                          "application/atom+xml; charset=windows-1258", "text/plain; charset=bogus"])


@FUZZ
@given(body=mutated([RSS_SEED, ATOM_SEED]), ctype=CTYPES)
@example(body=b"<!DOC<!DOCTYPE x [<!ENTITY a 'b'>]>TYPE rss [<!ENTITY c 'd'>]><rss/>", ctype=None)
def test_feed_parser_never_raises_and_stays_bounded(body: bytes, ctype: str | None) -> None:
    parsed, problems = parse_feed_bytes(body, ctype)
    assert all(isinstance(p, str) for p in problems)
    entries = [_entry_record(e) for e in parsed.entries]
    assert len(entries) <= body.count(b"<") + 1
    size = sum(len(str(v)) for e in entries for v in e.values() if v)
    assert size <= 4 * len(body) + 1000, size  # no entity expansion


@FUZZ
@given(body=mutated([SITEMAP_SEED, INDEX_SEED]))
def test_sitemap_parser_raises_only_value_error(body: bytes) -> None:
    try:
        kind, urls = parse_sitemap(body)
    except ValueError:
        return
    assert kind in ("urlset", "sitemapindex")
    assert len(urls) <= body.count(b"<") + 1
    assert all(isinstance(loc, str) and len(loc) <= len(body) for loc, _ in urls)


@FUZZ
@given(body=mutated([RSS_SEED, SITEMAP_SEED, HTML_SEED]))
@example(body=b"<!DOC<!DOCTYPE x [<!ENTITY a 'b'>]>TYPE y>")  # removal must not join a new DOCTYPE
def test_strip_doctype_leaves_no_doctype(body: bytes) -> None:
    out, note = safexml.strip_doctype(body)
    assert note is None or isinstance(note, str)
    assert not re.search(rb"<!DOCTYPE", out, re.I)
    assert len(out) <= 4 * len(body) + 16  # UTF-16 input may be re-encoded as UTF-8


@FUZZ
@given(body=mutated([HTML_SEED]), ctype=CTYPES)
def test_html_decode_and_extract(body: bytes, ctype: str | None) -> None:
    decoded = decode_bytes(body, ctype)
    assert isinstance(decoded.text, str) and isinstance(decoded.encoding, str)
    assert len(decoded.text) <= len(body) + 16
    try:
        art = extract_article(decoded.text, "https://baomau.example/a-100123.html", max_chars=500)
    except ExtractionError:
        return
    assert isinstance(art.text, str) and 0 < len(art.text) <= 500
    assert art.title is None or isinstance(art.title, str)
