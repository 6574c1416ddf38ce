"""Request dependencies: database session, signed-in user, role checks, CSRF, API tokens.

Every check runs on the server. Anonymous requests to pages are redirected to
/login (303); to /api/ they get 401. A signed-in user without the role gets 403.
A liaison sees only items routed to their unit (see :func:`visible_items`);
another unit's item is 404 (it does not exist for them).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterator
from typing import Any

from fastapi import Depends, HTTPException, Request
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from storage.models import ApiToken, TriageItem, User, WebSession

SESSION_COOKIE = "mw_session"
LIAISON_STATES = ("routed", "acknowledged", "resolved")


class LoginRequired(Exception):
    """Raised for anonymous requests; the app turns it into a redirect (pages) or 401 (API)."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def get_db(request: Request) -> Iterator[Session]:
    """One session per request, committed when the handler returns without error.

    Routes take it with ``Depends(get_db, scope="function")`` so the commit happens before the
    response is sent: with FastAPI's default (request) scope the exit code runs after the response,
    and a browser following a redirect (sign-in → /queue) could arrive before the new session row
    was committed and be sent back to the sign-in page."""
    session = request.app.state.factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        # the rollback expired the signed-in user and session that the error page renders: reload them
        for attr in ("user", "web_session"):
            obj = getattr(request.state, attr, None)
            if obj is None:
                continue
            try:
                session.refresh(obj)
                if attr == "user":
                    _ = obj.unit
            except Exception:  # noqa: BLE001 - the page then renders as anonymous
                setattr(request.state, attr, None)
        raise
    finally:
        session.close()


def _bearer(request: Request, db: Session) -> User | None:
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        return None
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(auth[7:].strip()),
                                           ApiToken.revoked.is_(False)))
    if row is None or not row.user.active:
        return None
    row.last_used_at = dt.datetime.now(dt.UTC)
    request.state.via_token = True
    return row.user


def current_session(request: Request, db: Session) -> WebSession | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    now = dt.datetime.now(dt.UTC)
    row = db.scalar(select(WebSession).where(WebSession.token_hash == token_hash(token), WebSession.expires_at > now))
    if row is None or not row.user.active:
        return None
    row.last_seen_at = now
    return row


def optional_user(request: Request, db: Session = Depends(get_db, scope="function")) -> User | None:  # noqa: B008
    """The signed-in user (session cookie, or Bearer token for /api/), else None."""
    user = _bearer(request, db) if request.url.path.startswith("/api/") else None
    if user is None:
        sess = current_session(request, db)
        if sess is not None:
            request.state.web_session = sess
            user = sess.user
    request.state.user = user
    return user


def require_user(*roles: str) -> Any:
    """Dependency factory: a signed-in active user, with one of ``roles`` when given (else 403)."""

    def dep(request: Request, user: User | None = Depends(optional_user)) -> User:  # noqa: B008
        if user is None:
            raise LoginRequired()
        if roles and user.role not in roles:
            raise HTTPException(status_code=403, detail="Bạn không có quyền truy cập trang này")
        return user

    return dep


def check_csrf(request: Request, form_token: str | None) -> None:
    """Refuse a state-changing request without the session's CSRF token (form field
    ``csrf_token`` or header ``X-CSRF-Token``). Requests authenticated by an API token
    carry no cookie and need none."""
    if getattr(request.state, "via_token", False):
        return
    sess: WebSession | None = getattr(request.state, "web_session", None)
    sent = form_token or request.headers.get("x-csrf-token") or ""
    if sess is None or not hmac.compare_digest(sent, sess.csrf_token):
        raise HTTPException(status_code=403, detail="Phiên làm việc không hợp lệ (CSRF); hãy tải lại trang")


def visible_items(user: User) -> Select[tuple[TriageItem]]:
    """Triage items ``user`` may see: all for admin/analyst; for a liaison only items routed
    to their unit (confirmed routes)."""
    query = select(TriageItem)
    if user.role == "liaison":
        query = query.where(TriageItem.routed_unit_id == user.unit_id, TriageItem.status.in_(LIAISON_STATES))
    return query


def get_item_for(db: Session, user: User, item_id: int) -> TriageItem:
    """The item if ``user`` may see it, else 404."""
    item = db.scalar(visible_items(user).where(TriageItem.id == item_id))
    if item is None:
        raise HTTPException(status_code=404, detail="Không tìm thấy mục này")
    return item
