"""Web app: keyword watchlists (CRUD, validation, live preview) and the sources page."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from mediawatch.cycle import run_demo
from mediawatch.settings import Settings
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import AuditEvent, Document, Source, Watchlist
from tests.webdb import build_template, filled_factory
from web.app import create_app
from web.users import add_user

PASSWORD = "mat-khau-du-dai-123"


def fill(settings: Settings) -> None:
    """The demo corpus (run_demo) plus the accounts the tests sign in with."""
    run_demo(settings)
    engine = make_engine(settings.effective_database_url)
    with session_scope(make_session_factory(engine)) as s:
        add_user(s, "analyst", PASSWORD, "analyst", display_name="Chuyên viên Một")
        add_user(s, "admin", PASSWORD, "admin")
        add_user(s, "lienlac", PASSWORD, "liaison", unit_code="so-tttt")
    engine.dispose()


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory, fill)


@pytest.fixture
def factory(settings: Settings, demo_template: Path):  # type: ignore[no-untyped-def]
    yield from filled_factory(settings, demo_template, fill)


@pytest.fixture
def app(settings: Settings, factory):  # type: ignore[no-untyped-def]
    return create_app(settings, factory)


def login(app, username: str) -> tuple[TestClient, str]:  # type: ignore[no-untyped-def]
    """A client signed in as ``username`` and its CSRF token."""
    client = TestClient(app)
    r = client.post("/login", data={"username": username, "password": PASSWORD, "next": "/account/tokens"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get("/account/tokens")
    m = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert m
    return client, m.group(1)


@pytest.fixture
def analyst(app) -> Iterator[tuple[TestClient, str]]:  # type: ignore[no-untyped-def]
    client, csrf = login(app, "analyst")
    with client:
        yield client, csrf


def test_watchlist_pages_require_an_editor(app) -> None:  # type: ignore[no-untyped-def]
    anon = TestClient(app)
    for path in ("/watchlists", "/watchlists/new", "/watchlists/preview?query=a", "/sources"):
        r = anon.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    liaison, _ = login(app, "lienlac")
    for path in ("/watchlists", "/watchlists/new", "/watchlists/preview?query=a", "/sources"):
        assert liaison.get(path).status_code == 403


def test_watchlist_preview(analyst, factory) -> None:  # type: ignore[no-untyped-def]
    client, _ = analyst
    r = client.get("/watchlists/preview", params={"query": '"cai mep"'})
    assert r.status_code == 200
    count = int(re.search(r"<strong>(\d+)</strong> bài khớp trong 7 ngày qua", r.text).group(1))
    assert count >= 1
    assert "<mark>Cái Mép</mark>" in r.text  # diacritic-insensitive match, highlighted
    assert 'rel="noopener noreferrer nofollow"' in r.text and 'href="https://baomau.example/kinh-te/' in r.text

    r = client.get("/watchlists/preview", params={"query": "("})
    assert r.status_code == 200
    assert "ký tự thứ" in r.text and "bài khớp" not in r.text

    r = client.get("/watchlists/preview", params={"query": "xyzzy-khong-co"})
    assert "<strong>0</strong> bài khớp" in r.text

    # scraped strings are escaped; only http(s) links
    with session_scope(factory) as s:
        doc = s.scalar(select(Document).where(Document.title.like("Cảng Cái Mép%")))
        doc.title = '<img src=x onerror="alert(1)"> Cảng Cái Mép <script>alert(2)</script>'
        doc.entry_url = "javascript:alert(3)"
    r = client.get("/watchlists/preview", params={"query": '"cai mep"'})
    assert "<img" not in r.text and "<script>alert" not in r.text and "javascript:" not in r.text
    assert "&lt;img src=x" in r.text and "<mark>Cái Mép</mark>" in r.text


def test_watchlist_crud_and_validation(analyst, factory) -> None:  # type: ignore[no-untyped-def]
    client, csrf = analyst
    page = client.get("/watchlists/new")
    assert page.status_code == 200
    for text in ("AND", "OR", "NOT", "NEAR/5", "Không phân biệt dấu và hoa thường", 'hx-get="/watchlists/preview"',
                 'hx-trigger="keyup changed delay:500ms"'):
        assert text in page.text

    form = {"name": "Cảng biển", "query": '"cai mep" OR "thi vai"', "recipients": "a@sotttt.example.vn\n\nb@x.vn",
            "throttle_minutes": "30", "enabled": "1"}
    assert client.post("/watchlists", data=form).status_code == 403  # no CSRF token

    r = client.post("/watchlists", data=dict(form, csrf_token=csrf, query='("cai mep"'))
    assert r.status_code == 422
    assert "ký tự thứ" in r.text and 'value="Cảng biển"' in r.text and "(&#34;cai mep&#34;" in r.text
    r = client.post("/watchlists", data=dict(form, csrf_token=csrf, recipients="khong-phai-dia-chi"))
    assert r.status_code == 422 and "Không phải địa chỉ thư hợp lệ" in r.text
    r = client.post("/watchlists", data=dict(form, csrf_token=csrf, name="  "))
    assert r.status_code == 422 and "Tên danh sách theo dõi" in r.text
    r = client.post("/watchlists", data=dict(form, csrf_token=csrf, throttle_minutes="nhiều"))
    assert r.status_code == 422 and "số phút" in r.text

    r = client.post("/watchlists", data=dict(form, csrf_token=csrf), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/watchlists?saved=1"
    with session_scope(factory) as s:
        wl = s.scalar(select(Watchlist).where(Watchlist.name == "Cảng biển"))
        assert wl.owner == "analyst" and wl.recipients == ["a@sotttt.example.vn", "b@x.vn"]
        assert wl.throttle_minutes == 30 and wl.enabled
        wl_id = wl.id
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "watchlist.saved"))
        assert ev.actor == "analyst" and ev.before is None and ev.after["query"] == '"cai mep" OR "thi vai"'

    listing = client.get("/watchlists")
    assert "Cảng biển" in listing.text and "a@sotttt.example.vn" in listing.text and "analyst" in listing.text

    r = client.post("/watchlists", data=dict(form, csrf_token=csrf, name="CẢNG BIỂN"))
    assert r.status_code == 422 and "Đã có danh sách theo dõi" in r.text

    edit = client.get(f"/watchlists/{wl_id}/edit")
    assert edit.status_code == 200 and "b@x.vn" in edit.text and "bài khớp trong 7 ngày qua" in edit.text
    r = client.post(f"/watchlists/{wl_id}", data=dict(form, csrf_token=csrf, query="container", enabled=""),
                    follow_redirects=False)
    assert r.status_code == 303
    r = client.post(f"/watchlists/{wl_id}", data=dict(form, csrf_token=csrf, query="a NEAR/99 b"))
    assert r.status_code == 422 and 'value="Cảng biển"' in r.text
    with session_scope(factory) as s:
        wl = s.get(Watchlist, wl_id)
        assert wl.query == "container" and not wl.enabled
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "watchlist.saved")
                       .order_by(AuditEvent.id.desc())).first()
        assert ev.before["query"] == '"cai mep" OR "thi vai"' and ev.after["query"] == "container"
        assert ev.before["enabled"] is True and ev.after["enabled"] is False

    assert client.post(f"/watchlists/{wl_id}/delete").status_code == 403
    r = client.post(f"/watchlists/{wl_id}/delete", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    with session_scope(factory) as s:
        assert s.get(Watchlist, wl_id) is None
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "watchlist.deleted"))
        assert ev.entity_id == wl_id and ev.before["name"] == "Cảng biển" and ev.after is None
    assert client.get(f"/watchlists/{wl_id}/edit").status_code == 404


def test_sources_page_shows_health(analyst, factory) -> None:  # type: ignore[no-untyped-def]
    client, _ = analyst
    now = dt.datetime.now(dt.UTC)
    with session_scope(factory) as s:
        broken = s.scalar(select(Source).where(Source.name.like("%broken%")))
        broken.last_error_at = now
        broken.last_error = "HTTP 500 <b>lỗi máy chủ</b>"
        ok = s.scalar(select(Source).where(Source.name.like("%baomau_tin-moi%")))
        ok.next_crawl_at, ok.crawl_interval_s = now + dt.timedelta(minutes=20), 1800
        s.add(Source(key="im-lang", name="Nguồn im lặng", outlet="imlang.example", kind="rss",
                     url="javascript:alert(1)", enabled=True, created_at=now - dt.timedelta(days=5)))
    r = client.get("/sources")
    assert r.status_code == 200
    text = r.text
    assert "Nguồn im lặng" in text and "health-silent" in text and ">im lặng<" in text
    assert ">lỗi<" in text and "HTTP 500 &lt;b&gt;lỗi máy chủ&lt;/b&gt;" in text
    assert ">ok<" in text and "30 phút" in text
    assert 'href="javascript:' not in text and 'href="https://baomau.example/rss/tin-moi.rss"' in text
    row = text[text.index("baomau_tin-moi"):]
    row = row[:row.index("</tr>")]
    assert re.search(r'<td class="num"><strong>[1-9]\d*</strong></td>', row)  # documents collected this week
