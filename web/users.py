"""Accounts: create, list, disable (used by ``mediawatch users`` and the admin pages).

Passwords are hashed with argon2 (pwdlib's recommended hasher); only the hash is stored.
"""

from __future__ import annotations

from pwdlib import PasswordHash
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import AuditEvent, Unit, User

ROLES = ("admin", "analyst", "liaison")
MIN_PASSWORD = 10
_hasher = PasswordHash.recommended()


class UserError(ValueError):
    """Invalid account data (role, unit, password length, duplicate username)."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    """True when ``password`` matches; never raises for a malformed hash."""
    try:
        return bool(_hasher.verify(password, password_hash))
    except Exception:  # noqa: BLE001 - a bad stored hash is a failed login, not a crash
        return False


DUMMY_HASH = hash_password("not-a-real-password-0000")  # equalizes timing for unknown usernames


def add_user(session: Session, username: str, password: str, role: str, display_name: str | None = None,
             unit_code: str | None = None, email: str | None = None, actor: str = "cli") -> User:
    """Create an account; raises UserError. A liaison needs ``unit_code``; the others must not have one."""
    username = username.strip().lower()
    if not username or len(username) > 100 or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise UserError("Tên đăng nhập chỉ gồm chữ, số, dấu chấm, gạch ngang, gạch dưới")
    if role not in ROLES:
        raise UserError(f"Vai trò phải là một trong: {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise UserError(f"Tên đăng nhập “{username}” đã tồn tại")
    unit = None
    if role == "liaison":
        if not unit_code:
            raise UserError("Tài khoản liên lạc cần mã đơn vị (--unit), ví dụ so-tttt hoặc cong-an")
        unit = session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            codes = ", ".join(session.scalars(select(Unit.code).order_by(Unit.code)))
            raise UserError(f"Không có đơn vị mã “{unit_code}”; các mã hiện có: {codes}")
    elif unit_code:
        raise UserError("Chỉ tài khoản liên lạc (liaison) mới gắn với một đơn vị")
    user = User(username=username, display_name=display_name or username, password_hash=hash_password(password),
                role=role, unit_id=unit.id if unit else None, email=email, active=True)
    session.add(user)
    session.flush()
    session.add(AuditEvent(actor=actor, action="user.created", entity_type="user", entity_id=user.id,
                           after={"username": username, "role": role, "unit": unit_code}))
    return user


def disable_user(session: Session, username: str, actor: str = "cli") -> User:
    """Disable an account and end its sessions; raises UserError when unknown."""
    from sqlalchemy import delete

    from storage.models import ApiToken, WebSession

    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise UserError(f"Không có tài khoản “{username}”")
    user.active = False
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.query(ApiToken).filter(ApiToken.user_id == user.id).update({"revoked": True})
    session.add(AuditEvent(actor=actor, action="user.disabled", entity_type="user", entity_id=user.id,
                           after={"username": user.username}))
    session.flush()
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))
