"""Sign in / sign out, with server-side sessions and login rate limiting."""

from __future__ import annotations

import datetime as dt
import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from storage.models import AuditEvent, LoginAttempt, User, WebSession
from web.app import templates
from web.deps import SESSION_COOKIE, check_csrf, get_db, optional_user, token_hash
from web.users import DUMMY_HASH, verify_password

router = APIRouter()
WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_CLIENT = 20


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/queue"


@router.get("/", include_in_schema=False)
def home() -> Response:
    return RedirectResponse("/queue", status_code=303)


@router.get("/login", include_in_schema=False)
def login_form(request: Request, next: str | None = None) -> Response:  # noqa: A002
    return templates.TemplateResponse(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", include_in_schema=False)
def login(request: Request, username: str = Form(...), password: str = Form(...), next: str = Form("/queue"),  # noqa: A002
          db: Session = Depends(get_db, scope="function")) -> Response:  # noqa: B008
    settings = request.app.state.settings
    now = dt.datetime.now(dt.UTC)
    username = username.strip().lower()[:100]
    client = (request.client.host if request.client else "unknown")[:100]
    since = now - WINDOW
    by_user = db.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.username == username, LoginAttempt.success.is_(False), LoginAttempt.at >= since)) or 0
    by_client = db.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.client == client, LoginAttempt.success.is_(False), LoginAttempt.at >= since)) or 0
    if by_user >= MAX_FAILURES_PER_USER or by_client >= MAX_FAILURES_PER_CLIENT:
        return templates.TemplateResponse(request, "login.html", {
            "next": _safe_next(next),
            "error": "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút."}, status_code=429)
    user = db.scalar(select(User).where(User.username == username))
    ok = verify_password(password, user.password_hash if user else DUMMY_HASH) and user is not None and user.active
    db.add(LoginAttempt(username=username, client=client, success=ok, at=now))
    if not ok:
        db.commit()
        return templates.TemplateResponse(request, "login.html", {
            "next": _safe_next(next), "error": "Tên đăng nhập hoặc mật khẩu không đúng."},
            status_code=401)
    token = secrets.token_urlsafe(32)
    db.add(WebSession(token_hash=token_hash(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
                      created_at=now, last_seen_at=now,
                      expires_at=now + dt.timedelta(hours=settings.web_session_hours)))
    user.last_login_at = now
    db.add(AuditEvent(actor=user.username, action="user.login", entity_type="user", entity_id=user.id))
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", path="/",
                        secure=settings.environment == "production", max_age=settings.web_session_hours * 3600)
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, csrf_token: str = Form(""), db: Session = Depends(get_db, scope="function"),  # noqa: B008
           user: User | None = Depends(optional_user)) -> Response:  # noqa: B008
    if user is not None:
        check_csrf(request, csrf_token)
        db.execute(delete(WebSession).where(WebSession.id == request.state.web_session.id))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
