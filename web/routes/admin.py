"""Accounts (admin only) and personal API tokens (every signed-in user).

* ``/admin/users``: list accounts, create one (:func:`web.users.add_user`), disable one
  (:func:`web.users.disable_user`, which also ends its sessions and revokes its tokens).
* ``/account/tokens``: a user creates a named token for the JSON API (shown once; only
  its SHA-256 is stored) and revokes their tokens; an admin sees and may revoke every token.

Every form carries the CSRF token and every change is an audit event.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import ApiToken, AuditEvent, Unit, User
from web.app import templates
from web.deps import check_csrf, get_db, require_user, token_hash
from web.routes.watchlists import local_time
from web.users import ROLES, UserError, add_user, disable_user, list_users

router = APIRouter(include_in_schema=False)
ROLE_LABELS = {"admin": "Quản trị", "analyst": "Chuyên viên", "liaison": "Liên lạc đơn vị"}
TOKEN_PREFIX = "mw_"
MAX_ACTIVE_TOKENS = 20


def _tz(request: Request) -> ZoneInfo:
    return ZoneInfo(request.app.state.settings.timezone)


# --------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------


def _users_page(request: Request, db: Session, error: str | None = None, notice: str | None = None,
                values: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    tz = _tz(request)
    rows = [{"u": u, "last_login": local_time(u.last_login_at, tz), "role_label": ROLE_LABELS.get(u.role, u.role)}
            for u in list_users(db)]
    units = list(db.scalars(select(Unit).order_by(Unit.name)))
    return templates.TemplateResponse(request, "admin_users.html", {
        "rows": rows, "units": units, "roles": ROLES, "role_labels": ROLE_LABELS, "error": error, "notice": notice,
        "values": values or {"username": "", "display_name": "", "role": "analyst", "unit_code": "", "email": ""},
    }, status_code=status_code)


@router.get("/admin/users")
def users_page(request: Request, created: str | None = None, disabled: str | None = None,
               db: Session = Depends(get_db, scope="function"),  # noqa: B008
               admin: User = Depends(require_user("admin"))) -> Response:  # noqa: B008
    notice = ("Đã tạo tài khoản." if created else None) or ("Đã khóa tài khoản." if disabled else None)
    return _users_page(request, db, notice=notice)


@router.post("/admin/users")
def create_user(request: Request, csrf_token: str = Form(""), username: str = Form(""), password: str = Form(""),
                role: str = Form(""), display_name: str = Form(""), unit_code: str = Form(""), email: str = Form(""),
                db: Session = Depends(get_db, scope="function"),  # noqa: B008
                admin: User = Depends(require_user("admin"))) -> Response:  # noqa: B008
    check_csrf(request, csrf_token)
    values = {"username": username, "display_name": display_name, "role": role, "unit_code": unit_code,
              "email": email}
    try:
        add_user(db, username, password, role, display_name=display_name.strip() or None,
                 unit_code=unit_code.strip() or None, email=email.strip() or None, actor=admin.username)
    except UserError as exc:  # raised before anything is added
        return _users_page(request, db, error=str(exc), values=values, status_code=422)
    return RedirectResponse("/admin/users?created=1", status_code=303)


@router.post("/admin/users/{user_id}/disable")
def disable(request: Request, user_id: int, csrf_token: str = Form(""),
            db: Session = Depends(get_db, scope="function"),  # noqa: B008
            admin: User = Depends(require_user("admin"))) -> Response:  # noqa: B008
    check_csrf(request, csrf_token)
    target = db.get(User, user_id)
    if target is None:
        raise HTTPException(status_code=404, detail="Không tìm thấy tài khoản này")
    if target.id == admin.id:
        return _users_page(request, db, error="Không thể tự khóa tài khoản của chính mình.", status_code=422)
    try:
        disable_user(db, target.username, actor=admin.username)
    except UserError as exc:
        return _users_page(request, db, error=str(exc), status_code=422)
    if request.headers.get("hx-request"):  # the button asks for confirmation through HTMX
        return Response(status_code=200, headers={"HX-Redirect": "/admin/users?disabled=1"})
    return RedirectResponse("/admin/users?disabled=1", status_code=303)


# --------------------------------------------------------------------------
# API tokens
# --------------------------------------------------------------------------


def _tokens_page(request: Request, db: Session, user: User, new_token: str | None = None,
                 error: str | None = None, notice: str | None = None, status_code: int = 200) -> Response:
    tz = _tz(request)
    query = select(ApiToken).order_by(ApiToken.revoked, ApiToken.created_at.desc(), ApiToken.id.desc())
    if user.role != "admin":
        query = query.where(ApiToken.user_id == user.id)
    rows = [{"t": t, "owner": t.user.username, "created": local_time(t.created_at, tz),
             "last_used": local_time(t.last_used_at, tz)} for t in db.scalars(query)]
    return templates.TemplateResponse(request, "admin_tokens.html", {
        "rows": rows, "new_token": new_token, "error": error, "notice": notice, "is_admin": user.role == "admin",
    }, status_code=status_code)


@router.get("/account/tokens")
def tokens_page(request: Request, revoked: str | None = None, db: Session = Depends(get_db, scope="function"),  # noqa: B008
                user: User = Depends(require_user())) -> Response:  # noqa: B008
    return _tokens_page(request, db, user, notice="Đã thu hồi mã truy cập." if revoked else None)


@router.post("/account/tokens")
def create_token(request: Request, csrf_token: str = Form(""), name: str = Form(""),
                 db: Session = Depends(get_db, scope="function"),  # noqa: B008
                 user: User = Depends(require_user())) -> Response:  # noqa: B008
    check_csrf(request, csrf_token)
    name = " ".join(name.split())
    if not name or len(name) > 200:
        return _tokens_page(request, db, user, error="Tên mã truy cập phải có từ 1 đến 200 ký tự.", status_code=422)
    active = db.scalars(select(ApiToken.id).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))).all()
    if len(active) >= MAX_ACTIVE_TOKENS:
        return _tokens_page(request, db, user, status_code=422,
                            error=f"Mỗi tài khoản có tối đa {MAX_ACTIVE_TOKENS} mã đang dùng; hãy thu hồi mã cũ.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC)
    row = ApiToken(token_hash=token_hash(token), user_id=user.id, name=name, created_at=now, revoked=False)
    db.add(row)
    db.flush()
    db.add(AuditEvent(at=now, actor=user.username, action="token.created", entity_type="api_token", entity_id=row.id,
                      before=None, after={"name": name, "user": user.username}))
    db.flush()
    return _tokens_page(request, db, user, new_token=token)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: int, csrf_token: str = Form(""),
                 db: Session = Depends(get_db, scope="function"),  # noqa: B008
                 user: User = Depends(require_user())) -> Response:  # noqa: B008
    check_csrf(request, csrf_token)
    row = db.get(ApiToken, token_id)
    if row is None or (row.user_id != user.id and user.role != "admin"):
        raise HTTPException(status_code=404, detail="Không tìm thấy mã truy cập này")
    if not row.revoked:
        row.revoked = True
        db.add(AuditEvent(actor=user.username, action="token.revoked", entity_type="api_token", entity_id=row.id,
                          before={"revoked": False}, after={"revoked": True, "name": row.name,
                                                             "user": row.user.username}))
        db.flush()
    return RedirectResponse("/account/tokens?revoked=1", status_code=303)
