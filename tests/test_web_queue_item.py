"""The web queue and item pages: filters, item view, routing workflow, notes, evidence,
bulk actions, pagination and overdue marking (TestClient, in-process).

The helpers at the top (users, login, direct item insertion) are also used by
tests/test_web_authz.py and tests/test_web_xss.py.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from alerts.watchlists import match_watchlists
from classifiers.base import FLAG_CATEGORIES
from mediawatch.cycle import run_demo
from pipeline.triage import Routing, sync_units
from storage.db import session_scope
from storage.models import (
    AuditEvent,
    Cluster,
    Document,
    Flag,
    Note,
    PlaceMention,
    TopicTag,
    TriageItem,
    Unit,
    Watchlist,
)
from web.app import create_app
from web.users import add_user

PASSWORD = "mat-khau-thu-nghiem-1"
# role key -> (username, role, unit code)
USERS = {
    "admin": ("quan.tri", "admin", None),
    "analyst": ("chuyen.vien", "analyst", None),
    "liaison-so-tttt": ("lienlac.sotttt", "liaison", "so-tttt"),
    "liaison-cong-an": ("lienlac.congan", "liaison", "cong-an"),
}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
ROW_RE = re.compile(r'<tr(?: class="(?P<cls>[^"]*)")? id="item-(?P<id>\d+)"')


# --------------------------------------------------------------------------
# Helpers (shared with the other web tests)
# --------------------------------------------------------------------------

def add_users(factory: Any, settings: Any) -> None:
    """Units from routing.yaml, then one account per role key of USERS."""
    with session_scope(factory) as s:
        sync_units(s, Routing.load(settings.config_dir / "routing.yaml"))
        for username, role, unit in USERS.values():
            add_user(s, username, PASSWORD, role, unit_code=unit)


def login(client: TestClient, role_key: str) -> str:
    """Sign ``client`` in as the USERS account ``role_key``; returns its CSRF token."""
    r = client.post("/login", data={"username": USERS[role_key][0], "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/queue").text)


def csrf_of(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def queue_rows(html: str) -> dict[int, str]:
    """{item id: row class} of the queue table in ``html``."""
    return {int(m["id"]): m["cls"] or "" for m in ROW_RE.finditer(html)}


def insert_item(session: Session, *, title: str = "Cảnh báo lừa đảo qua điện thoại",
                text: str = "Đối tượng yêu cầu đọc mã OTP để chuyển tiền vào tài khoản.",
                category: str = "scam_fraud", status: str = "new", routed_to: str | None = None,
                priority: int = 50, due_at: dt.datetime | None = None, created_at: dt.datetime | None = None,
                raw: bytes | None = None, url: str | None = None, entry_url: str | None = None,
                terms: tuple[str, ...] = ("mã OTP", "chuyển tiền vào tài khoản"),
                explanation: dict[str, Any] | None = None, place: tuple[str, str] | None = None,
                source_id: int | None = None) -> TriageItem:
    """One analysed document in its own cluster, flagged ``category``, with its triage item.
    ``routed_to`` (a unit code) sets the confirmed route; the units must exist."""
    now = dt.datetime.now(dt.UTC)
    units = {u.code: u for u in session.scalars(select(Unit))}
    cluster = Cluster(size=1, title=title, first_seen_at=now, last_seen_at=now)
    session.add(cluster)
    session.flush()
    n = session.scalar(select(func.count()).select_from(Document)) or 0
    doc = Document(url_canonical=url or f"https://baothu.example/bai-{cluster.id}-{n}.html", entry_url=entry_url,
                   status="ok", title=title, text=text, cluster_id=cluster.id, published_at=now,
                   fetched_at=now, source_id=source_id,
                   raw_gzip=gzip.compress(raw) if raw is not None else None,
                   raw_sha256=hashlib.sha256(raw).hexdigest() if raw is not None else None,
                   model_versions={category: "test-1"}, content_type="text/html; charset=utf-8")
    session.add(doc)
    session.flush()
    cluster.representative_id = doc.id
    session.add(Flag(document_id=doc.id, category=category, score=0.9, model_version="test-1",
                     explanation=explanation or {"rule": "lexicon",
                                                 "matched_terms": [{"term": t, "weight": 1.0} for t in terms]}))
    if place:
        session.add(PlaceMention(document_id=doc.id, place_id=place[0], place_name=place[1], matched_text=place[1],
                                 field="text", start=0, evidence=place[1]))
    unit = units["cong-an" if category in ("scam_fraud", "threat_violence") else "so-tttt"]
    item = TriageItem(cluster_id=cluster.id, status=status, priority=priority, categories=[category],
                      top_category=category, suggested_unit_id=unit.id, created_at=created_at or now,
                      updated_at=now, due_at=due_at or now + dt.timedelta(hours=12))
    if routed_to:
        item.routed_unit_id, item.route_confirmed_by, item.routed_at = units[routed_to].id, "chuyen.vien", now
    session.add(item)
    session.flush()
    return item


@pytest.fixture
def demo_app(settings, session_factory):  # type: ignore[no-untyped-def]
    """The demo corpus processed (6 triage items), accounts for every role, and the app."""
    run_demo(settings)
    add_users(session_factory, settings)
    return create_app(settings, session_factory)


@pytest.fixture
def empty_app(settings, session_factory):  # type: ignore[no-untyped-def]
    add_users(session_factory, settings)
    return create_app(settings, session_factory)


def _items(factory: Any) -> dict[str, TriageItem]:
    with session_scope(factory) as s:
        return {i.top_category: i for i in s.scalars(select(TriageItem))}


# --------------------------------------------------------------------------
# Queue filters, item page, notes, evidence
# --------------------------------------------------------------------------

def test_queue_filters_item_page_notes_and_evidence(demo_app, session_factory) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(demo_app)
    csrf = login(client, "analyst")
    items = _items(session_factory)
    assert set(items) == set(FLAG_CATEGORIES)
    with session_scope(session_factory) as s:
        all_ids = set(s.scalars(select(TriageItem.id)))
        scam_ids = {i.id for i in s.scalars(select(TriageItem)) if "scam_fraud" in i.categories}
        topic_ids = {i.id for i in s.scalars(select(TriageItem)) if s.scalar(
            select(func.count()).select_from(TopicTag).join(Document, TopicTag.document_id == Document.id)
            .where(Document.cluster_id == i.cluster_id, TopicTag.topic == "public_order"))}
        place = s.execute(select(PlaceMention.place_id, PlaceMention.place_name)
                          .join(Document, PlaceMention.document_id == Document.id)
                          .join(TriageItem, TriageItem.cluster_id == Document.cluster_id)
                          .where(TriageItem.id == items["scam_fraud"].id)).first()
        place_ids = {i.id for i in s.scalars(select(TriageItem)) if s.scalar(
            select(func.count()).select_from(PlaceMention).join(Document, PlaceMention.document_id == Document.id)
            .where(Document.cluster_id == i.cluster_id, PlaceMention.place_id == place[0]))}
        lead = s.get(Document, s.get(Cluster, items["scam_fraud"].cluster_id).representative_id)
        source_ids = {i.id for i in s.scalars(select(TriageItem)) if s.scalar(
            select(func.count()).select_from(Document)
            .where(Document.cluster_id == i.cluster_id, Document.source_id == lead.source_id))}
        raw_sha, lead_id = lead.raw_sha256, lead.id

    page = client.get("/queue")
    assert page.status_code == 200 and "Content-Security-Policy" in page.headers
    assert set(queue_rows(page.text)) == all_ids
    assert "Lừa đảo" in page.text and "Đe dọa, bạo lực" in page.text and "Công an tỉnh" in page.text
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", page.text)  # local due times
    assert set(queue_rows(client.get("/queue?category=scam_fraud").text)) == scam_ids
    assert set(queue_rows(client.get("/queue?topic=public_order").text)) == topic_ids
    assert set(queue_rows(client.get(f"/queue?place={place[0]}").text)) == place_ids
    assert set(queue_rows(client.get(f"/queue?source={lead.source_id}").text)) == source_ids
    assert items["scam_fraud"].id in place_ids and place[1] in page.text
    today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=7))).date()
    assert set(queue_rows(client.get(f"/queue?date_from={today - dt.timedelta(days=1)}&date_to={today}").text)) == all_ids
    assert queue_rows(client.get("/queue?date_from=2020-01-01&date_to=2020-01-31").text) == {}
    assert queue_rows(client.get("/queue?status=dismissed").text) == {}
    # invalid filter values are ignored, not errors
    assert client.get("/queue?category=<script>&page=abc&date_from=xx&sort=zzz").status_code == 200
    # sort by priority (default) vs recency
    by_priority = list(queue_rows(page.text))
    with session_scope(session_factory) as s:
        prio = {i.id: i.priority for i in s.scalars(select(TriageItem))}
    assert [prio[i] for i in by_priority] == sorted((prio[i] for i in by_priority), reverse=True)
    assert set(queue_rows(client.get("/queue?sort=recent").text)) == all_ids
    # HTMX: the filter form asks for the rows only
    part = client.get("/queue?category=scam_fraud", headers={"HX-Request": "true", "HX-Target": "queue-results"})
    assert part.status_code == 200 and "<html" not in part.text and set(queue_rows(part.text)) == scam_ids
    assert 'hx-get="/queue"' in page.text

    # watchlist filter: items whose cluster matched a watchlist
    with session_scope(session_factory) as s:
        s.add(Watchlist(name="Giả danh công an", query='"giả danh công an"', owner="chuyen.vien"))
        s.flush()
        match_watchlists(s, list(s.scalars(select(Document.id))))
    watched = queue_rows(client.get("/queue?watchlist=any").text)
    assert items["scam_fraud"].id in watched and items["public_concern"].id not in watched

    # the item page: highlighted text, flags with explanation, cluster, places, topics, evidence
    item_id = items["scam_fraud"].id
    r = client.get(f"/items/{item_id}")
    assert r.status_code == 200
    html = r.text
    assert "<mark>mã OTP</mark>" in html or "<mark>đọc mã OTP</mark>" in html
    assert "<mark>giả danh công an</mark>" in html  # watchlist term
    assert "Lừa đảo" in html and "Từ khóa khớp" in html and "scam_fraud-" in html
    assert "Phiên bản mô hình" in html and "An ninh, trật tự" in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert f"/items/{item_id}/evidence/{lead_id}" in html and raw_sha in html
    assert "Lịch sử xử lý" in html and "Tạo mục xử lý" in html and "Hệ thống" in html
    # the misinformation item shows its debunk with similarity and link
    mis = client.get(f"/items/{items['misinformation'].id}").text
    assert "Vũng Tàu cấm tắm biển" in mis and "độ tương đồng 0,72" in mis and 'href="https://tingia.gov.vn/"' in mis
    assert client.get("/items/999999").status_code == 404

    # evidence: the raw HTML as a text/plain attachment, bytes as fetched
    ev = client.get(f"/items/{item_id}/evidence/{lead_id}")
    assert ev.status_code == 200
    assert ev.headers["content-type"] == "text/plain; charset=utf-8"
    assert ev.headers["content-disposition"].startswith("attachment;")
    assert hashlib.sha256(ev.content).hexdigest() == raw_sha and b"<html" in ev.content.lower()
    other_item = items["public_concern"].id
    assert client.get(f"/items/{other_item}/evidence/{lead_id}").status_code == 404  # not in that cluster

    # notes: form post (redirect) and HTMX post (the notes section back); empty refused
    r = client.post(f"/items/{item_id}/notes", data={"text": "Đã gọi xác minh với công an phường.",
                                                     "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    r = client.post(f"/items/{item_id}/notes", data={"text": "Ghi chú thứ hai"},
                    headers={"HX-Request": "true", "X-CSRF-Token": csrf})
    assert r.status_code == 200 and "<html" not in r.text and "Ghi chú thứ hai" in r.text
    assert client.post(f"/items/{item_id}/notes", data={"text": "  ", "csrf_token": csrf}).status_code == 400
    r = client.post(f"/items/{item_id}/notes", data={"text": ""}, headers={"HX-Request": "true", "X-CSRF-Token": csrf})
    assert r.status_code == 200 and "Ghi chú cần từ 1 đến 5000 ký tự." in r.text  # htmx swaps 2xx only
    assert client.post(f"/items/{item_id}/notes", data={"text": "không có CSRF"}).status_code == 403
    page = client.get(f"/items/{item_id}").text
    assert "Đã gọi xác minh với công an phường." in page and "Thêm ghi chú" in page
    with session_scope(session_factory) as s:
        assert s.scalar(select(func.count()).select_from(Note).where(Note.triage_item_id == item_id)) == 2
        ev_rows = s.scalars(select(AuditEvent).where(AuditEvent.action == "note.added",
                                                     AuditEvent.entity_id == item_id)).all()
        assert len(ev_rows) == 2 and ev_rows[0].actor == "chuyen.vien"


# --------------------------------------------------------------------------
# Routing workflow through the UI
# --------------------------------------------------------------------------

def test_route_scam_to_police_then_liaison_acknowledges(demo_app, session_factory) -> None:  # type: ignore[no-untyped-def]
    items = _items(session_factory)
    scam, concern = items["scam_fraud"].id, items["public_concern"].id
    analyst, police, office = TestClient(demo_app), TestClient(demo_app), TestClient(demo_app)
    a_csrf, p_csrf, o_csrf = login(analyst, "analyst"), login(police, "liaison-cong-an"), login(office, "liaison-so-tttt")

    # before routing the liaison sees nothing of it
    assert scam not in queue_rows(police.get("/queue").text)
    assert police.get(f"/items/{scam}").status_code == 404

    # the route form preselects the suggested unit; police is offered only for scam/threat items
    page = analyst.get(f"/items/{scam}").text
    assert re.search(r'<option value="cong-an" selected>', page)
    form = re.search(r'action="/items/\d+/route".*?</form>', analyst.get(f"/items/{concern}").text, re.S)
    assert form and 'value="so-tttt"' in form.group() and 'value="cong-an"' not in form.group()

    # refused: police route without a reason, police route for a public concern
    r = analyst.post(f"/items/{scam}/route", data={"unit": "cong-an", "reason": " ", "csrf_token": a_csrf})
    assert r.status_code == 400 and "Chuyển cho công an phải ghi rõ lý do." in r.text
    r = analyst.post(f"/items/{concern}/route", data={"unit": "cong-an", "reason": "thử", "csrf_token": a_csrf})
    assert r.status_code == 400 and "Chỉ được chuyển cho công an các mục lừa đảo hoặc đe dọa, bạo lực" in r.text
    r = analyst.post(f"/items/{scam}/route", data={"unit": "khong-co", "reason": "x", "csrf_token": a_csrf})
    assert r.status_code == 400 and "Không có đơn vị này" in r.text
    assert analyst.post(f"/items/{scam}/route", data={"unit": "cong-an", "reason": "x"}).status_code == 403  # CSRF
    # a liaison cannot route
    assert police.post(f"/items/{scam}/route", data={"unit": "cong-an", "reason": "x",
                                                     "csrf_token": p_csrf}).status_code == 403
    with session_scope(session_factory) as s:
        assert s.get(TriageItem, scam).status == "new" and s.get(TriageItem, concern).status == "new"

    # the analyst starts the review, then routes with a reason
    assert analyst.post(f"/items/{scam}/review", data={"csrf_token": a_csrf}, follow_redirects=False).status_code == 303
    r = analyst.post(f"/items/{scam}/route", data={"unit": "cong-an", "csrf_token": a_csrf,
                                                   "reason": "Giả danh công an, đã có người mất tiền"},
                     follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/items/{scam}?done=route"
    with session_scope(session_factory) as s:
        item = s.get(TriageItem, scam)
        assert item.status == "routed" and item.routed_unit.code == "cong-an"
        assert item.route_confirmed_by == "chuyen.vien" and item.routed_at is not None
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "triage.routed",
                                                AuditEvent.entity_id == scam)).one()
        assert ev.actor == "chuyen.vien" and ev.before["status"] == "in_review" and ev.after["status"] == "routed"
    assert "Đã chuyển mục cho đơn vị." in analyst.get(f"/items/{scam}?done=route").text

    # the police liaison now sees it and acknowledges; the other unit's liaison does not
    assert scam in queue_rows(police.get("/queue").text)
    assert scam not in queue_rows(office.get("/queue").text)
    assert office.get(f"/items/{scam}").status_code == 404
    assert office.post(f"/items/{scam}/acknowledge", data={"csrf_token": o_csrf}).status_code == 404
    assert analyst.post(f"/items/{scam}/acknowledge", data={"csrf_token": a_csrf}).status_code == 403
    page = police.get(f"/items/{scam}").text
    assert "Xác nhận tiếp nhận" in page and f'action="/items/{scam}/route"' not in page
    assert f'action="/items/{scam}/dismiss"' not in page
    r = police.post(f"/items/{scam}/acknowledge", data={"csrf_token": p_csrf}, follow_redirects=False)
    assert r.status_code == 303
    r = police.post(f"/items/{scam}/acknowledge", data={"csrf_token": p_csrf})
    assert r.status_code == 400 and "Không thể chuyển trạng thái từ “Đã tiếp nhận” sang “Đã tiếp nhận”" in r.text
    assert police.post(f"/items/{scam}/notes", data={"text": "Đã giao đội điều tra", "csrf_token": p_csrf},
                       follow_redirects=False).status_code == 303
    r = police.post(f"/items/{scam}/resolve", data={"reason": "Đã xác minh, cảnh báo người dân",
                                                    "csrf_token": p_csrf}, follow_redirects=False)
    assert r.status_code == 303
    with session_scope(session_factory) as s:
        item = s.get(TriageItem, scam)
        assert item.status == "resolved" and item.acknowledged_at and item.resolved_at
        actions = [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.entity_type == "triage_item",
                                                                          AuditEvent.entity_id == scam)
                                                .order_by(AuditEvent.id))]
        assert actions[-5:] == ["triage.in_review", "triage.routed", "triage.acknowledged", "note.added",
                                "triage.resolved"]
    history = police.get(f"/items/{scam}/history").text
    for label in ("Bắt đầu xem xét", "Chuyển đơn vị xử lý", "Đơn vị tiếp nhận", "Đã giải quyết", "Thêm ghi chú",
                  "Trạng thái: Đang xem xét → Đã chuyển", "Đơn vị được chuyển: — → Công an tỉnh",
                  "lienlac.congan", "Giả danh công an, đã có người mất tiền"):
        assert label in history, label

    # the public concern goes to the office: routed without a reason; dismiss/correct/assign rules
    r = analyst.post(f"/items/{concern}/route", data={"unit": "so-tttt", "reason": "", "csrf_token": a_csrf},
                     follow_redirects=False)
    assert r.status_code == 303 and concern in queue_rows(office.get("/queue").text)
    misinfo = items["misinformation"].id
    r = analyst.post(f"/items/{misinfo}/dismiss", data={"reason": "", "csrf_token": a_csrf})
    assert r.status_code == 400 and "Bỏ qua một mục phải ghi lý do." in r.text
    assert office.post(f"/items/{concern}/dismiss", data={"reason": "x", "csrf_token": o_csrf}).status_code == 403
    r = analyst.post(f"/items/{misinfo}/correct", data={"category": "public_concern", "csrf_token": a_csrf},
                     follow_redirects=False)
    assert r.status_code == 303
    r = analyst.post(f"/items/{misinfo}/assign", data={"assignee": "chuyen.vien", "csrf_token": a_csrf},
                     follow_redirects=False)
    assert r.status_code == 303
    r = analyst.post(f"/items/{misinfo}/assign", data={"assignee": "lienlac.sotttt", "csrf_token": a_csrf})
    assert r.status_code == 400
    r = analyst.post(f"/items/{misinfo}/dismiss", data={"reason": "Tin cũ, đã được cải chính",
                                                        "csrf_token": a_csrf}, follow_redirects=False)
    assert r.status_code == 303
    with session_scope(session_factory) as s:
        item = s.get(TriageItem, misinfo)
        assert (item.status, item.top_category, item.assigned_to) == ("dismissed", "public_concern", "chuyen.vien")
        assigned = s.scalars(select(AuditEvent).where(AuditEvent.action == "triage.assigned",
                                                      AuditEvent.entity_id == misinfo)).one()
        assert assigned.before["assigned_to"] is None and assigned.after["assigned_to"] == "chuyen.vien"
    hist = analyst.get(f"/items/{misinfo}").text
    assert "Sửa loại cảnh báo" in hist and "Phân công người xử lý" in hist and "Bỏ qua" in hist


def test_bulk_actions(demo_app, session_factory) -> None:  # type: ignore[no-untyped-def]
    items = _items(session_factory)
    ids = [items["hate_abuse"].id, items["public_concern"].id]
    analyst, liaison = TestClient(demo_app), TestClient(demo_app)
    csrf, l_csrf = login(analyst, "analyst"), login(liaison, "liaison-so-tttt")
    page = analyst.get("/queue").text
    assert 'action="/queue/bulk"' in page and 'name="item_ids"' in page
    assert 'name="item_ids"' not in liaison.get("/queue").text
    assert liaison.post("/queue/bulk", data={"item_ids": ids, "action": "assign_me",
                                             "csrf_token": l_csrf}).status_code == 403
    assert analyst.post("/queue/bulk", data={"item_ids": ids, "action": "assign_me"}).status_code == 403  # CSRF

    nxt = "/queue?category=hate_abuse&sort=recent"
    r = analyst.post("/queue/bulk", data={"item_ids": ids, "action": "assign_me", "csrf_token": csrf, "next": nxt},
                     follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/queue?category=hate_abuse&sort=recent&")
    assert "bulk_ok=2" in r.headers["location"]
    r = analyst.post("/queue/bulk", data={"item_ids": ids, "action": "in_review", "csrf_token": csrf},
                     follow_redirects=False)
    assert "bulk_ok=2" in r.headers["location"]
    r = analyst.post("/queue/bulk", data={"item_ids": ids, "action": "dismiss", "reason": "", "csrf_token": csrf},
                     follow_redirects=False)
    assert "bulk_error=reason" in r.headers["location"]
    assert "Bỏ qua cần ghi lý do." in analyst.get(r.headers["location"]).text
    r = analyst.post("/queue/bulk", data={"item_ids": [*ids, 999999], "action": "dismiss", "reason": "Trùng lặp",
                                          "csrf_token": csrf, "next": "https://evil.example/"},
                     follow_redirects=False)
    assert r.headers["location"].startswith("/queue?") and "bulk_ok=2" in r.headers["location"]
    assert "bulk_failed=1" in r.headers["location"]
    assert "Đã cập nhật 2 mục; 1 mục không thể thay đổi" in analyst.get(r.headers["location"]).text
    with session_scope(session_factory) as s:
        for i in ids:
            item = s.get(TriageItem, i)
            assert item.status == "dismissed" and item.assigned_to == "chuyen.vien" and item.closed_reason == "Trùng lặp"
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "triage.assigned", AuditEvent.actor == "chuyen.vien")) == 2
    # dismissed items leave the default (open) view
    rows = queue_rows(analyst.get("/queue").text)
    assert not set(ids) & set(rows)
    assert set(ids) <= set(queue_rows(analyst.get("/queue?status=dismissed").text))


# --------------------------------------------------------------------------
# Pagination, overdue marking, query count
# --------------------------------------------------------------------------

def test_pagination_overdue_and_constant_queries(empty_app, session_factory) -> None:  # type: ignore[no-untyped-def]
    now = dt.datetime.now(dt.UTC)
    with session_scope(session_factory) as s:
        for n in range(120):
            category = "scam_fraud" if n % 2 else "public_concern"
            status = "resolved" if n % 10 == 0 else "new"
            insert_item(s, title=f"Bài số {n}", category=category, priority=n, status=status,
                        due_at=now - dt.timedelta(hours=1) if n % 3 == 0 else now + dt.timedelta(hours=5),
                        created_at=now - dt.timedelta(minutes=n), place=("p1", "Phường Vũng Tàu"))
        overdue_open = {i.id for i in s.scalars(select(TriageItem))
                        if i.due_at < now and i.status not in ("resolved", "dismissed")}
        resolved_late = {i.id for i in s.scalars(select(TriageItem)) if i.status == "resolved" and i.due_at < now}
    client = TestClient(empty_app)
    login(client, "analyst")
    first = client.get("/queue?status=all")
    rows = queue_rows(first.text)
    assert len(rows) == 50 and "120 mục" in first.text and "trang 1/3" in first.text
    assert 'href="/queue?status=all&amp;page=2"' in first.text
    third = queue_rows(client.get("/queue?status=all&page=3").text)
    assert len(third) == 20 and not set(third) & set(rows)
    assert queue_rows(client.get("/queue?status=all&page=999").text) == third  # clamped to the last page
    # page links keep the filters
    filt = client.get("/queue?category=scam_fraud&sort=recent&place=p1").text
    assert "60 mục" in filt and "trang 1/2" in filt  # odd n: all open
    assert 'href="/queue?category=scam_fraud&amp;place=p1&amp;sort=recent&amp;page=2"' in filt
    # overdue rows stand out; resolved ones are never overdue
    all_rows: dict[int, str] = {}
    for page in (1, 2, 3):
        all_rows |= queue_rows(client.get(f"/queue?status=all&page={page}").text)
    assert {i for i, cls in all_rows.items() if "overdue" in cls} == overdue_open
    assert not resolved_late & {i for i, cls in all_rows.items() if "overdue" in cls}
    only = client.get("/queue?overdue=1&status=all")
    assert f"{len(overdue_open)} mục" in only.text

    # the number of SQL statements does not grow with the page size (no N+1)
    engine = session_factory.kw["bind"]
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        client.get("/queue?status=all", headers={"HX-Request": "true", "HX-Target": "queue-results"})
        big = len(statements)
        statements.clear()
        client.get("/queue?status=all&category=public_concern&overdue=1&sort=recent",
                   headers={"HX-Request": "true", "HX-Target": "queue-results"})
        small = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert big == small and big <= 12, (big, small)
