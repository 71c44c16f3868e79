"""When a console session ends, and what is kept of it (services/console/sessions.py, pure)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from services.console.sessions import (
    Session,
    SessionPolicy,
    SessionUser,
    expires_at,
    hashed,
    is_live,
    needs_touch,
    new_secret,
    safe_next,
    same_secret,
)

SIGNED_IN = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
POLICY = SessionPolicy.of(idle_minutes=30, max_hours=8)
USER = SessionUser("u1", "sx-webmaster", "松溪县政府网站管理员", "unit_user", "sx-gov")


def session(last_seen: datetime = SIGNED_IN, token_expires_at: datetime | None = None) -> Session:
    return Session(USER, "token", "tok-1", "csrf", SIGNED_IN, last_seen, token_expires_at)


def test_a_session_is_live_for_29_minutes_without_a_request_and_over_at_30() -> None:
    assert is_live(POLICY, session(), SIGNED_IN + timedelta(minutes=29))
    assert not is_live(POLICY, session(), SIGNED_IN + timedelta(minutes=30))


def test_each_request_moves_the_idle_limit_on() -> None:
    used = session(last_seen=SIGNED_IN + timedelta(hours=2))
    assert is_live(POLICY, used, SIGNED_IN + timedelta(hours=2, minutes=29))
    assert expires_at(POLICY, used) == SIGNED_IN + timedelta(hours=2, minutes=30)


def test_a_session_in_constant_use_still_ends_8_hours_after_sign_in() -> None:
    busy = session(last_seen=SIGNED_IN + timedelta(hours=7, minutes=59))
    assert is_live(POLICY, busy, SIGNED_IN + timedelta(hours=7, minutes=59, seconds=59))
    assert not is_live(POLICY, busy, SIGNED_IN + timedelta(hours=8))
    assert expires_at(POLICY, busy) == SIGNED_IN + timedelta(hours=8)


def test_a_session_never_outlives_the_registry_token_it_holds() -> None:
    short = session(last_seen=SIGNED_IN + timedelta(minutes=10), token_expires_at=SIGNED_IN + timedelta(minutes=20))
    assert expires_at(POLICY, short) == SIGNED_IN + timedelta(minutes=20)
    assert not is_live(POLICY, short, SIGNED_IN + timedelta(minutes=20))


def test_last_seen_is_written_at_most_once_a_minute() -> None:
    assert not needs_touch(session(), SIGNED_IN + timedelta(seconds=59))
    assert needs_touch(session(), SIGNED_IN + timedelta(minutes=1))


def test_the_database_keeps_the_sha256_of_a_session_id_never_the_id() -> None:
    secret = new_secret()
    assert len(secret) >= 43 and secret != new_secret()
    assert hashed(secret) == hashlib.sha256(secret.encode()).hexdigest() != secret


def test_a_csrf_token_matches_only_itself_and_never_when_missing() -> None:
    assert same_secret("abc", "abc")
    assert not same_secret("abd", "abc")
    assert not same_secret("", "")
    assert not same_secret(None, "abc")


def test_after_sign_in_only_a_path_on_this_site_is_followed() -> None:
    assert safe_next("/cases?state=overdue") == "/cases?state=overdue"
    for outside in ("//evil.example/", "https://evil.example/", "/\\evil.example", "cases", "", None):
        assert safe_next(outside) == "/"


def test_roles_read_in_chinese() -> None:
    assert USER.role_label == "单位用户" and USER.is_unit_user and not USER.is_city_admin
    assert SessionUser("a", "admin", "系统管理员", "city_admin").role_label == "市级管理员"
