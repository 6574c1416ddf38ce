"""Web app: the JSON API (token and cookie authentication, scoping, workflow rules, watchlists,
OpenAPI document) and the API token page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from mediawatch.cycle import run_demo
from mediawatch.settings import Settings
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import ApiToken, AuditEvent, Note, TriageItem, User, Watchlist
from tests.webdb import build_template, filled_factory
from web.app import create_app
from web.deps import token_hash
from web.users import add_user

PASSWORD = "mat-khau-du-dai-123"


def fill(settings: Settings) -> None:
    """The demo corpus (run_demo) plus the accounts the tests sign in with."""
    run_demo(settings)
    engine = make_engine(settings.effective_database_url)
    with session_scope(make_session_factory(engine)) as s:
        add_user(s, "analyst", PASSWORD, "analyst")
        add_user(s, "analyst2", PASSWORD, "analyst")
        add_user(s, "admin", PASSWORD, "admin")
        add_user(s, "lienlac.ca", PASSWORD, "liaison", unit_code="cong-an")
        add_user(s, "lienlac.tt", PASSWORD, "liaison", unit_code="so-tttt")
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


def login(app, username: str, password: str = PASSWORD) -> tuple[TestClient, str]:  # type: ignore[no-untyped-def]
    """A client signed in as ``username`` (session cookie) and its CSRF token."""
    client = TestClient(app)
    r = client.post("/login", data={"username": username, "password": password, "next": "/account/tokens"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    m = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/account/tokens").text)
    assert m
    return client, m.group(1)


def new_token(app, username: str, name: str = "kịch bản", password: str = PASSWORD) -> str:  # type: ignore[no-untyped-def]
    client, csrf = login(app, username, password)
    r = client.post("/account/tokens", data={"name": name, "csrf_token": csrf})
    assert r.status_code == 200
    m = re.search(r'<code class="token">([^<]+)</code>', r.text)
    assert m, r.text
    return m.group(1)


def bearer(app, token: str) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


def item_id(factory, category: str) -> int:  # type: ignore[no-untyped-def]
    with session_scope(factory) as s:
        return s.scalar(select(TriageItem.id).where(TriageItem.top_category == category).order_by(TriageItem.id))


def test_api_needs_authentication_and_tokens_work(app, factory) -> None:  # type: ignore[no-untyped-def]
    anon = TestClient(app)
    for path in ("/api/queue", "/api/items/1", "/api/watchlists"):
        r = anon.get(path)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert anon.post("/api/items/1/actions", json={"action": "start_review"}).status_code == 401
    assert bearer(app, "mw_not-a-real-token").get("/api/queue").status_code == 401
    assert anon.get("/account/tokens", follow_redirects=False).status_code == 303

    token = new_token(app, "analyst", "tích hợp nội bộ")
    with session_scope(factory) as s:
        row = s.scalar(select(ApiToken).where(ApiToken.name == "tích hợp nội bộ"))
        assert row.token_hash == token_hash(token) and token not in row.token_hash  # only the hash is stored
        token_id = row.id
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "token.created")).entity_id == token_id
    api = bearer(app, token)
    r = api.get("/api/queue", params={"status": "all"})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 6 and len(body["items"]) == 6
    assert {i["top_category"] for i in body["items"]} == {"misinformation", "scam_fraud", "threat_violence",
                                                           "hate_abuse", "public_concern"}
    with session_scope(factory) as s:
        assert s.get(ApiToken, token_id).last_used_at is not None

    # the token list shows it once only (no token on later visits); another analyst cannot revoke it
    client, csrf = login(app, "analyst")
    page = client.get("/account/tokens")
    assert "tích hợp nội bộ" in page.text and token not in page.text
    other, other_csrf = login(app, "analyst2")
    assert "tích hợp nội bộ" not in other.get("/account/tokens").text
    assert other.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": other_csrf}).status_code == 404
    assert client.post(f"/account/tokens/{token_id}/revoke", data={}).status_code == 403  # CSRF
    r = client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert api.get("/api/queue").status_code == 401
    with session_scope(factory) as s:
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "token.revoked"))
        assert ev.actor == "analyst" and ev.entity_id == token_id and ev.after["revoked"] is True

    # an admin sees and may revoke anyone's token
    token2 = new_token(app, "analyst2", "tự động")
    admin, admin_csrf = login(app, "admin")
    assert "tự động" in admin.get("/account/tokens").text
    with session_scope(factory) as s:
        token2_id = s.scalar(select(ApiToken.id).where(ApiToken.name == "tự động"))
    assert bearer(app, token2).get("/api/queue").status_code == 200
    admin.post(f"/account/tokens/{token2_id}/revoke", data={"csrf_token": admin_csrf})
    assert bearer(app, token2).get("/api/queue").status_code == 401


def test_api_queue_filters_and_item_detail(app, factory) -> None:  # type: ignore[no-untyped-def]
    api = bearer(app, new_token(app, "analyst"))
    r = api.get("/api/queue", params={"category": "scam_fraud", "status": "all"})
    assert r.status_code == 200
    cats = [i["categories"] for i in r.json()["items"]]
    with session_scope(factory) as s:
        expected = sum("scam_fraud" in (c or []) for c in s.scalars(select(TriageItem.categories)))
    assert expected >= 1 and len(cats) == expected and all("scam_fraud" in c for c in cats)
    page = api.get("/api/queue", params={"per_page": 2, "page": 2}).json()
    assert page["total"] == 6 and len(page["items"]) == 2 and page["page"] == 2
    prios = [i["priority"] for i in api.get("/api/queue").json()["items"]]
    assert prios == sorted(prios, reverse=True)
    assert api.get("/api/queue", params={"per_page": 201}).status_code == 422
    assert api.get("/api/queue", params={"status": "bogus"}).status_code == 422
    assert api.get("/api/queue", params={"status": "dismissed"}).json()["total"] == 0
    assert api.get("/api/queue", params={"date_from": "2000-01-01", "date_to": "2000-01-02"}).json()["total"] == 0
    assert api.get("/api/queue", params={"topic": "no_such_topic"}).json()["total"] == 0
    assert api.get("/api/queue", params={"watchlist": "any"}).json()["total"] == 0

    iid = item_id(factory, "misinformation")
    r = api.get(f"/api/items/{iid}")
    assert r.status_code == 200
    item = r.json()
    assert item["id"] == iid and item["top_category"] == "misinformation" and item["status"] == "new"
    assert item["documents"] and item["documents"][0]["text"] and item["documents"][0]["url"].startswith("https://")
    flag = next(f for f in item["flags"] if f["category"] == "misinformation")
    assert flag["model_version"] and isinstance(flag["explanation"], dict) and 0 <= flag["score"] <= 1
    assert item["places"] and item["topics"]
    assert [h["action"] for h in item["history"]][0] == "triage.created"
    assert api.get("/api/items/999999").status_code == 404


def test_api_actions_follow_the_workflow_rules(app, factory) -> None:  # type: ignore[no-untyped-def]
    api = bearer(app, new_token(app, "analyst"))
    concern, scam, hate = (item_id(factory, c) for c in ("public_concern", "scam_fraud", "hate_abuse"))

    r = api.post(f"/api/items/{concern}/actions", json={"action": "route", "unit": "cong-an", "reason": "thử"})
    assert r.status_code == 422 and "công an" in r.json()["detail"]
    r = api.post(f"/api/items/{scam}/actions", json={"action": "route", "unit": "cong-an"})
    assert r.status_code == 422 and "lý do" in r.json()["detail"]
    r = api.post(f"/api/items/{scam}/actions", json={"action": "dismiss"})
    assert r.status_code == 422 and "lý do" in r.json()["detail"]
    assert api.post(f"/api/items/{scam}/actions", json={"action": "fly"}).status_code == 422
    with session_scope(factory) as s:
        assert s.get(TriageItem, scam).status == "new" and s.get(TriageItem, concern).status == "new"

    r = api.post(f"/api/items/{scam}/actions", json={"action": "start_review"})
    assert r.status_code == 200 and r.json()["status"] == "in_review"
    r = api.post(f"/api/items/{scam}/actions",
                 json={"action": "route", "unit": "cong-an", "reason": "Giả danh công an để lừa tiền"})
    assert r.status_code == 200 and r.json()["status"] == "routed" and r.json()["routed_unit"] == "cong-an"
    r = api.post(f"/api/items/{hate}/actions", json={"action": "route", "unit": "so-tttt"})
    assert r.status_code == 200
    r = api.post(f"/api/items/{scam}/actions", json={"action": "note", "text": "Đã gọi điện xác minh"})
    assert r.status_code == 200 and r.json()["notes"][0]["text"] == "Đã gọi điện xác minh"
    r = api.post(f"/api/items/{concern}/actions", json={"action": "assign", "assignee": "analyst2"})
    assert r.status_code == 200 and r.json()["assigned_to"] == "analyst2"
    assert api.post(f"/api/items/{concern}/actions", json={"action": "assign", "assignee": "lienlac.ca"}
                    ).status_code == 422
    r = api.post(f"/api/items/{concern}/actions", json={"action": "correct", "category": "misinformation"})
    assert r.status_code == 200 and r.json()["top_category"] == "misinformation"
    assert api.post(f"/api/items/{scam}/actions", json={"action": "acknowledge"}).status_code == 403

    # liaison of the police: only the item routed to it; acknowledge and resolve only
    police = bearer(app, new_token(app, "lienlac.ca"))
    assert [i["id"] for i in police.get("/api/queue", params={"status": "all"}).json()["items"]] == [scam]
    assert police.get(f"/api/items/{concern}").status_code == 404
    assert police.get(f"/api/items/{hate}").status_code == 404  # routed to another unit
    assert police.post(f"/api/items/{hate}/actions", json={"action": "acknowledge"}).status_code == 404
    assert police.get(f"/api/items/{scam}").status_code == 200
    assert police.post(f"/api/items/{scam}/actions", json={"action": "start_review"}).status_code == 403
    assert police.post(f"/api/items/{scam}/actions", json={"action": "route", "unit": "so-tttt"}).status_code == 403
    r = police.post(f"/api/items/{scam}/actions", json={"action": "resolve"})
    assert r.status_code == 422 and "Không thể chuyển" in r.json()["detail"]
    assert police.post(f"/api/items/{scam}/actions", json={"action": "acknowledge"}).json()["status"] == "acknowledged"
    r = police.post(f"/api/items/{scam}/actions", json={"action": "resolve", "reason": "Đã xử lý"})
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    actions = [h["action"] for h in r.json()["history"]]
    assert actions[-5:] == ["triage.in_review", "triage.routed", "note.added", "triage.acknowledged",
                            "triage.resolved"]
    with session_scope(factory) as s:
        assert s.scalar(select(Note).where(Note.triage_item_id == scam)).author == "analyst"
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "triage.assigned"))
        assert ev.actor == "analyst" and ev.before["assigned_to"] is None and ev.after["assigned_to"] == "analyst2"
    assert police.get("/api/watchlists").status_code == 403


def test_api_cookie_writes_need_csrf_header(app, factory) -> None:  # type: ignore[no-untyped-def]
    client, csrf = login(app, "analyst")
    iid = item_id(factory, "hate_abuse")
    assert client.get("/api/queue").status_code == 200  # reads need no CSRF token
    assert client.post(f"/api/items/{iid}/actions", json={"action": "start_review"}).status_code == 403
    assert client.post("/api/watchlists", json={"name": "x", "query": "a"}).status_code == 403
    bad = {"X-CSRF-Token": "sai"}
    assert client.post(f"/api/items/{iid}/actions", json={"action": "start_review"}, headers=bad).status_code == 403
    with session_scope(factory) as s:
        assert s.get(TriageItem, iid).status == "new"
        assert s.scalar(select(Watchlist)) is None
    ok = {"X-CSRF-Token": csrf}
    r = client.post(f"/api/items/{iid}/actions", json={"action": "start_review"}, headers=ok)
    assert r.status_code == 200 and r.json()["status"] == "in_review"
    assert client.post("/api/watchlists", json={"name": "x", "query": "a"}, headers=ok).status_code == 201


def test_api_watchlists(app, factory) -> None:  # type: ignore[no-untyped-def]
    api = bearer(app, new_token(app, "analyst"))
    r = api.post("/api/watchlists", json={"name": "Cảng", "query": "(cảng", "recipients": []})
    assert r.status_code == 422
    body = r.json()
    assert body["field"] == "query" and body["position"] == 0 and "ký tự thứ 1" in body["detail"]
    r = api.post("/api/watchlists", json={"name": "Cảng", "query": "cảng", "recipients": ["không hợp lệ"]})
    assert r.status_code == 422 and r.json()["field"] == "recipients"

    r = api.post("/api/watchlists", json={"name": "Cảng", "query": '"cai mep" OR "thi vai"',
                                          "recipients": ["a@sotttt.example.vn"], "throttle_minutes": 15})
    assert r.status_code == 201
    wl = r.json()
    assert wl["owner"] == "analyst" and wl["recipients"] == ["a@sotttt.example.vn"] and wl["enabled"]
    assert api.post("/api/watchlists", json={"name": "cảng", "query": "x"}).json()["field"] == "name"
    assert [w["name"] for w in api.get("/api/watchlists").json()] == ["Cảng"]
    assert api.get(f"/api/watchlists/{wl['id']}").json()["query"] == '"cai mep" OR "thi vai"'

    r = api.put(f"/api/watchlists/{wl['id']}", json={"name": "Cảng biển", "query": "container NEAR/3 cảng",
                                                     "enabled": False})
    assert r.status_code == 200 and r.json()["name"] == "Cảng biển" and not r.json()["enabled"]
    r = api.put(f"/api/watchlists/{wl['id']}", json={"name": "Cảng biển", "query": "a NEAR/0 b"})
    assert r.status_code == 422 and r.json()["position"] is not None
    assert api.delete(f"/api/watchlists/{wl['id']}").status_code == 204
    assert api.get(f"/api/watchlists/{wl['id']}").status_code == 404
    with session_scope(factory) as s:
        events = [(e.action, e.actor) for e in s.scalars(select(AuditEvent).where(
            AuditEvent.entity_type == "watchlist").order_by(AuditEvent.id))]
    assert events == [("watchlist.saved", "analyst"), ("watchlist.saved", "analyst"),
                      ("watchlist.deleted", "analyst")]


def test_openapi_document_lists_the_api(app) -> None:  # type: ignore[no-untyped-def]
    r = TestClient(app).get("/api/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    paths = doc["paths"]
    for path, methods in {"/api/queue": {"get"}, "/api/items/{item_id}": {"get"},
                          "/api/items/{item_id}/actions": {"post"}, "/api/watchlists": {"get", "post"},
                          "/api/watchlists/{wl_id}": {"get", "put", "delete"}}.items():
        assert methods <= set(paths[path]), path
        for method in methods:
            assert paths[path][method].get("summary")
    assert not any(p.startswith(("/watchlists", "/sources", "/admin", "/account", "/login")) for p in paths)
    schemas = doc["components"]["schemas"]
    assert {"QueuePage", "QueueItem", "ItemDetail", "ActionIn", "WatchlistIn", "WatchlistOut",
            "WatchlistProblem"} <= set(schemas)
    assert paths["/api/queue"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/QueuePage")
    assert "bearerToken" in doc["components"]["securitySchemes"]


def test_admin_users_page(app, factory) -> None:  # type: ignore[no-untyped-def]
    analyst, _ = login(app, "analyst")
    assert analyst.get("/admin/users").status_code == 403
    admin, csrf = login(app, "admin")
    page = admin.get("/admin/users")
    assert page.status_code == 200 and "lienlac.ca" in page.text and "Liên lạc đơn vị" in page.text
    form = {"username": "moi.nguoi", "display_name": "Người <Mới>", "password": "mot-mat-khau-dai", "role": "liaison",
            "unit_code": "so-tttt", "email": ""}
    assert admin.post("/admin/users", data=form).status_code == 403  # no CSRF token
    r = admin.post("/admin/users", data=dict(form, csrf_token=csrf, password="ngan"))
    assert r.status_code == 422 and "Mật khẩu cần ít nhất 10 ký tự" in r.text and 'value="moi.nguoi"' in r.text
    r = admin.post("/admin/users", data=dict(form, csrf_token=csrf, unit_code=""))
    assert r.status_code == 422 and "cần mã đơn vị" in r.text
    r = admin.post("/admin/users", data=dict(form, csrf_token=csrf), follow_redirects=False)
    assert r.status_code == 303
    page = admin.get("/admin/users")
    assert "Người &lt;Mới&gt;" in page.text
    with session_scope(factory) as s:
        user = s.scalar(select(User).where(User.username == "moi.nguoi"))
        assert user.role == "liaison" and user.unit.code == "so-tttt" and user.active
        uid, admin_id = user.id, s.scalar(select(User.id).where(User.username == "admin"))
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "user.created",
                                                 AuditEvent.entity_id == uid)).actor == "admin"
    token = new_token(app, "moi.nguoi", password="mot-mat-khau-dai")
    assert bearer(app, token).get("/api/queue").status_code == 200
    assert admin.post(f"/admin/users/{uid}/disable", data={}).status_code == 403
    r = admin.post(f"/admin/users/{uid}/disable", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert bearer(app, token).get("/api/queue").status_code == 401  # its tokens were revoked
    r = admin.post(f"/admin/users/{admin_id}/disable", data={"csrf_token": csrf})
    assert r.status_code == 422 and "chính mình" in r.text
    with session_scope(factory) as s:
        assert not s.get(User, uid).active and s.get(User, admin_id).active
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "user.disabled")).actor == "admin"


def test_database_sessions_commit_before_the_response_is_sent() -> None:
    """With FastAPI's default (request) scope the commit in web.deps.get_db would run after the response
    is sent, and a browser following the sign-in redirect could reach /queue before its session row
    exists (the CI failure of the end-to-end test). Every route must take get_db with scope="function"."""
    import importlib

    from fastapi.routing import APIRoute

    from web.app import ROUTERS
    from web.deps import get_db

    def walk(dependant, path):  # type: ignore[no-untyped-def]
        for dep in dependant.dependencies:
            if dep.call is get_db:
                assert dep.scope == "function", f"{path}: get_db without scope='function'"
            walk(dep, path)

    routes = [r for name in ROUTERS for r in importlib.import_module(f"web.routes.{name}").router.routes
              if isinstance(r, APIRoute)]
    assert len(routes) > 20
    for route in routes:
        walk(route.dependant, route.path)
