"""When a console session ends, and the secrets it is made of (pure: no I/O).

A session ends after ``idle`` without a request, ``max_age`` after sign-in whatever happens, and never after the
registry token it holds: a page must not outlive the right to read what it shows.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

ROLE_LABELS = {
    "city_admin": "市级管理员",
    "county_admin": "县级管理员",
    "unit_user": "单位用户",
    "auditor": "审计员",
}

# A session's last_seen is written at most this often: one write per page view would double the cost of a page.
TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionUser:
    user_id: str
    username: str
    display_name: str
    role: str
    unit_id: str | None = None

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    @property
    def is_city_admin(self) -> bool:
        return self.role == "city_admin"

    @property
    def is_unit_user(self) -> bool:
        return self.role == "unit_user"


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    max_age: timedelta

    @classmethod
    def of(cls, idle_minutes: float, max_hours: float) -> SessionPolicy:
        return cls(timedelta(minutes=idle_minutes), timedelta(hours=max_hours))


@dataclass(frozen=True)
class Session:
    """A live session as the pages use it; the registry token never leaves the server."""

    user: SessionUser
    token: str
    token_id: str
    csrf: str
    created_at: datetime
    last_seen: datetime
    token_expires_at: datetime | None


def expires_at(policy: SessionPolicy, session: Session) -> datetime:
    """The instant the session stops being accepted, given when it was last used."""
    ends = min(session.last_seen + policy.idle, session.created_at + policy.max_age)
    if session.token_expires_at is not None:
        ends = min(ends, session.token_expires_at)
    return ends


def is_live(policy: SessionPolicy, session: Session, now: datetime) -> bool:
    return now < expires_at(policy, session)


def needs_touch(session: Session, now: datetime) -> bool:
    """Whether to write last_seen now; a minute's slack on a 30-minute idle limit is harmless."""
    return now - session.last_seen >= TOUCH_INTERVAL


def new_secret() -> str:
    """A session id or CSRF token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def hashed(secret: str) -> str:
    """What the database keeps of a session id: a stolen database dump opens no session."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a submitted token with the session's."""
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: a path on this site only (no //host, no scheme), else the overview."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
