"""Scraped text is inert on every page that shows it (queue, item, history, notes, evidence).

A page carrying ``<script>alert(1)</script>``, ``<img src=x onerror=alert(2)>`` and
``<a href="javascript:alert(3)">`` in its title and text (also in its URL, outlet, place,
a debunk link, a watchlist name, a note and a routing reason) is inserted directly as a
Document + Flag + TriageItem. Each page must contain no live markup from it: no script
element but the vendored htmx, no ``on*`` attribute, no ``javascript:`` URL in any
attribute (the escaped text is fine), and the Content-Security-Policy header.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from storage.db import session_scope
from storage.models import Source, Watchlist, WatchlistMatch
from tests.test_web_queue_item import add_users, insert_item, login
from web.app import create_app
from web.render import highlight_html, highlight_inline, safe_href

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
LINK = '<a href="javascript:alert(3)">bấm vào đây</a>'
PAYLOAD = f"{SCRIPT} {IMG} {LINK}"
URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "poster", "data", "srcdoc", "hx-get", "hx-post"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in URL_ATTRS and value and re.sub(r"[\s\x00-\x1f]", "", value).lower().startswith(
                    ("javascript:", "vbscript:", "data:text/html")):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            self.scripts.append(dict(attrs))
            self._in_script = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"inline script: {data[:80]!r}")


def assert_inert(html: str, where: str) -> None:
    """No live markup from the payload in ``html`` (escaped text is fine)."""
    assert "<script>alert" not in html, where
    assert not re.search(r"<[a-zA-Z][^<>]*\sonerror\s*=", html, re.I), where  # inside a tag, not escaped text
    assert not re.search(r"""<[a-zA-Z][^<>]*\s(href|src|action)\s*=\s*["']?\s*javascript:""", html, re.I), where
    parser = _Tags()
    parser.feed(html)
    parser.close()
    assert parser.problems == [], (where, parser.problems)
    assert all(s.get("src") == "/static/htmx.min.js" for s in parser.scripts), (where, parser.scripts)


def _check(response, where: str, escaped: bool = True) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code in (200, 400), (where, response.status_code)
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp or "default-src 'none'" in csp, where
    assert_inert(response.text, where)
    if escaped:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text, f"{where}: the payload is not shown escaped"


@pytest.fixture
def malicious(settings, session_factory):  # type: ignore[no-untyped-def]
    add_users(session_factory, settings)
    with session_scope(session_factory) as s:
        src = Source(key="bao-doc", name=f"Báo độc {PAYLOAD}", outlet=f"Báo {IMG}", kind="rss",
                     url="https://baodoc.example/rss")
        s.add(src)
        s.flush()
        explanation = {"rule": f"lexicon {SCRIPT}", "rules": [IMG],
                       "matched_terms": [{"term": "alert", "weight": 1.0}, {"term": IMG, "weight": 0.5}],
                       "debunk": {"id": "x", "claim": f"Tin giả {SCRIPT}", "verdict_label": LINK,
                                  "url": "javascript:alert(3)", "similarity": 0.9, "link": "auto",
                                  "source": IMG, "sentence": PAYLOAD},
                       "urls": [{"host": IMG, "verdict": "lookalike-gov", "reason": SCRIPT}]}
        item = insert_item(s, title=f"Tin nóng {PAYLOAD}", text=f"Đoạn một {PAYLOAD}\nĐoạn hai {SCRIPT} mã OTP",
                           category="misinformation", url="https://baodoc.example/bai-1.html",
                           entry_url="javascript:alert(3)", explanation=explanation,
                           place=("p-x", f"Phường {SCRIPT}"), source_id=src.id,
                           raw=f"<html><head><title>{PAYLOAD}</title></head><body>{PAYLOAD}</body></html>".encode())
        wl = Watchlist(name=f"Theo dõi {SCRIPT}", query="alert", owner="chuyen.vien")
        s.add(wl)
        s.flush()
        s.add(WatchlistMatch(watchlist_id=wl.id, document_id=item.cluster.representative_id,
                             cluster_id=item.cluster_id, terms=["alert", IMG]))
        item_id, doc_id = item.id, item.cluster.representative_id
    return create_app(settings, session_factory), item_id, doc_id


def test_scraped_markup_is_inert_everywhere(malicious, session_factory) -> None:  # type: ignore[no-untyped-def]
    app, item_id, doc_id = malicious
    client = TestClient(app)
    csrf = login(client, "analyst")

    # notes and a routing reason carrying the payload (history shows both)
    r = client.post(f"/items/{item_id}/notes", data={"text": PAYLOAD, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    r = client.post(f"/items/{item_id}/notes", data={"text": f"HTMX {PAYLOAD}"},
                    headers={"HX-Request": "true", "X-CSRF-Token": csrf})
    _check(r, "notes (HTMX partial)")
    r = client.post(f"/items/{item_id}/route", data={"unit": "so-tttt", "reason": PAYLOAD, "csrf_token": csrf},
                    follow_redirects=False)
    assert r.status_code == 303
    with session_scope(session_factory) as s:
        assert s.scalar(select(Watchlist.id)) is not None

    _check(client.get("/queue?status=all"), "queue")
    _check(client.get("/queue?status=all", headers={"HX-Request": "true", "HX-Target": "queue-results"}),
           "queue rows (HTMX partial)")
    _check(client.get(f"/queue?status=all&watchlist=any&place=p-x&source=1&topic={SCRIPT}"), "queue, filtered")
    page = client.get(f"/items/{item_id}")
    _check(page, "item")
    assert "&lt;img src=x onerror=alert(2)&gt;" in page.text
    assert "Đoạn hai" in page.text and "<mark>mã OTP</mark>" not in page.text  # terms: alert only
    assert "<mark>alert</mark>" in page.text
    _check(client.get(f"/items/{item_id}/history"), "history page")
    _check(client.get(f"/items/{item_id}?done=%3Cscript%3Ealert(1)%3C/script%3E"), "item with a bad query", False)
    # a refused action re-renders the page with the submitted (malicious) reason
    r = client.post(f"/items/{item_id}/route", data={"unit": "cong-an", "reason": f"lại {PAYLOAD}",
                                                     "csrf_token": csrf})
    assert r.status_code == 400 and "Chỉ được chuyển cho công an" in r.text
    assert "lại &lt;script&gt;" in r.text  # the refused reason is kept in the form, escaped
    _check(r, "item after a refused action (400)")

    # evidence: the raw page is a plain-text attachment, never HTML
    ev = client.get(f"/items/{item_id}/evidence/{doc_id}")
    assert ev.status_code == 200
    assert ev.headers["content-type"] == "text/plain; charset=utf-8"
    assert ev.headers["content-disposition"].startswith("attachment;")
    assert ev.headers["x-content-type-options"] == "nosniff"
    assert SCRIPT.encode() in ev.content  # the evidence is kept as fetched, just never rendered


def test_sanitizer_helpers() -> None:
    out = str(highlight_html(f"Công an {PAYLOAD}\n\n<p onclick=x>đoạn</p>", ["công an", "alert"]))
    assert_inert(out, "highlight_html")
    assert out.startswith("<p><mark>Công an</mark> &lt;script&gt;<mark>alert</mark>(1)")
    assert "&lt;p onclick=x&gt;đoạn&lt;/p&gt;" in out
    assert str(highlight_inline("<b>CÔNG AN</b> tỉnh", ["cong an"])) == "&lt;b&gt;<mark>CÔNG AN</mark>&lt;/b&gt; tỉnh"
    for bad in ("javascript:alert(1)", " JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "data:text/html,x",
                "vbscript:x", "//evil.example/x", "/relative", "http://", "https://a b.example/"):
        assert safe_href(bad) is None, bad
    assert safe_href("https://baomoi.example/a?b=1&c=2") == "https://baomoi.example/a?b=1&c=2"
