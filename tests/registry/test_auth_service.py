"""Access control on a real SecantusDB: log-in, tokens, users, bootstrap and the audit log."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.registry.auth.models import AuditFilter, TokenCreate, UserCreate, UserUpdate
from services.registry.auth.passwords import Argon2Params, Passwords
from services.registry.auth.repository import AUDIT, INDEXES, TOKENS, USERS, AuthRepository
from services.registry.auth.scope import Principal, Role
from services.registry.auth.service import BAD_LOGIN, NOT_LOGGED_IN, AuthService, Forbidden, Unauthenticated
from shared.clock import CHINA_TZ, FixedClock
from shared.db import ensure_indexes, make_client

CHEAP = Argon2Params(time_cost=1, memory_cost_kib=8, parallelism=1)
HIERARCHY: dict[str, str | None] = {"city": None, "qs": "city", "qs-edu": "qs", "bs": "city", "bs-edu": "bs"}
ROOT = Principal("root", Role.city_admin, None, "root")
BOOT_TOKEN = "boot-" + "x" * 40


@dataclass
class Env:
    auth: AuthService
    db: AsyncDatabase[dict[str, Any]]
    clock: FixedClock


@contextlib.asynccontextmanager
async def auth_env(mongodb_uri: str, prefix: str, params: Argon2Params = CHEAP) -> AsyncIterator[Env]:
    """An AuthService on its own database of the session's SecantusDB."""
    client = make_client(mongodb_uri)
    db = client[f"{prefix}_registry"]
    await ensure_indexes(db, INDEXES)
    clock = FixedClock(datetime(2022, 9, 29, 9, 0, tzinfo=CHINA_TZ))

    async def hierarchy() -> dict[str, str | None]:
        return HIERARCHY

    try:
        yield Env(AuthService(AuthRepository(db), clock, hierarchy, Passwords(params)), db, clock)
    finally:
        await client.close()


async def add_user(
    auth: AuthService, username: str, role: Role, unit: str | None = None, pw: str = "pw-12345678"
) -> str:
    body = UserCreate(username=username, display_name=username, role=role, unit_id=unit, password=pw)
    return (await auth.create_user(ROOT, body)).user_id


@pytest.fixture
async def env(mongodb_uri: str, db_prefix: str) -> AsyncIterator[Env]:
    async with auth_env(mongodb_uri, db_prefix) as e:
        yield e


async def test_a_login_token_authenticates_until_it_expires_twelve_hours_later(env: Env) -> None:
    user_id = await add_user(env.auth, "zhang", Role.unit_user, "qs-edu")
    issued = await env.auth.login("zhang", "pw-12345678")
    principal = await env.auth.authenticate(issued.token)
    assert (principal.user_id, principal.role, principal.unit_id) == (user_id, Role.unit_user, "qs-edu")
    assert issued.expires_at == env.clock.now() + timedelta(hours=12)
    env.clock.advance(timedelta(hours=12))
    with pytest.raises(Unauthenticated, match=NOT_LOGGED_IN):
        await env.auth.authenticate(issued.token)


async def test_wrong_password_unknown_user_and_inactive_user_get_the_same_refusal(env: Env) -> None:
    user_id = await add_user(env.auth, "li", Role.auditor)
    refusals = []
    for username, password in (("li", "wrong-password"), ("nobody", "pw-12345678")):
        with pytest.raises(Unauthenticated) as caught:
            await env.auth.login(username, password)
        refusals.append((type(caught.value), caught.value.message))
    await env.auth.update_user(ROOT, user_id, UserUpdate(active=False))
    with pytest.raises(Unauthenticated) as caught:
        await env.auth.login("li", "pw-12345678")
    refusals.append((type(caught.value), caught.value.message))
    assert refusals == [(Unauthenticated, BAD_LOGIN)] * 3
    assert await env.db[TOKENS].count_documents({}) == 0


async def test_a_token_is_stored_only_as_its_hash_and_its_use_is_recorded(env: Env) -> None:
    await add_user(env.auth, "wang", Role.county_admin, "qs")
    login = await env.auth.login("wang", "pw-12345678")
    me = await env.auth.authenticate(login.token)
    issued = await env.auth.create_token(me, TokenCreate(name="报送系统对接"))
    docs = [doc async for doc in env.db[TOKENS].find()]
    assert len(docs) == 2
    assert all(login.token not in str(doc) and issued.token not in str(doc) for doc in docs)
    env.clock.advance(timedelta(minutes=5))
    await env.auth.authenticate(issued.token)
    (info,) = [t for t in await env.auth.list_tokens(me) if t.token_id == issued.token_id]
    assert info.last_used_at == env.clock.now() and info.kind == "api" and info.expires_at is None


async def test_a_tokens_use_is_recorded_at_most_once_a_minute(env: Env) -> None:
    await add_user(env.auth, "li", Role.county_admin, "qs")
    login = await env.auth.login("li", "pw-12345678")
    me = await env.auth.authenticate(login.token)
    first = env.clock.now()

    async def last_used() -> datetime | None:
        (info,) = [t for t in await env.auth.list_tokens(me) if t.token_id == login.token_id]
        return info.last_used_at

    env.clock.advance(timedelta(seconds=30))
    await env.auth.authenticate(login.token)
    assert await last_used() == first  # within the minute: no write
    env.clock.advance(timedelta(seconds=31))
    await env.auth.authenticate(login.token)
    assert await last_used() == env.clock.now()


async def test_a_revoked_token_and_a_deactivated_users_token_no_longer_authenticate(env: Env) -> None:
    user_id = await add_user(env.auth, "zhao", Role.unit_user, "bs-edu")
    first = await env.auth.login("zhao", "pw-12345678")
    second = await env.auth.login("zhao", "pw-12345678")
    me = await env.auth.authenticate(first.token)
    await env.auth.revoke_token(me, first.token_id)
    with pytest.raises(Unauthenticated):
        await env.auth.authenticate(first.token)
    assert (await env.auth.authenticate(second.token)).user_id == user_id
    await env.auth.update_user(ROOT, user_id, UserUpdate(active=False, reason="调离"))
    with pytest.raises(Unauthenticated):
        await env.auth.authenticate(second.token)


async def test_an_expiry_in_the_past_is_refused_and_a_future_one_is_honoured(env: Env) -> None:
    await add_user(env.auth, "sun", Role.auditor)
    me = await env.auth.authenticate((await env.auth.login("sun", "pw-12345678")).token)
    with pytest.raises(Exception, match="失效时间"):
        await env.auth.create_token(me, TokenCreate(name="x", expires_at=env.clock.now()))
    issued = await env.auth.create_token(me, TokenCreate(name="x", expires_at=env.clock.now() + timedelta(days=1)))
    await env.auth.authenticate(issued.token)
    env.clock.advance(timedelta(days=1, seconds=1))
    with pytest.raises(Unauthenticated):
        await env.auth.authenticate(issued.token)


async def test_login_rehashes_a_password_stored_with_older_parameters(mongodb_uri: str, db_prefix: str) -> None:
    async with auth_env(mongodb_uri, db_prefix) as old:
        user_id = await add_user(old.auth, "qian", Role.auditor)
    stronger = Argon2Params(time_cost=2, memory_cost_kib=16, parallelism=1)
    async with auth_env(mongodb_uri, db_prefix, stronger) as new:
        before = (await new.db[USERS].find_one({"_id": user_id}) or {})["password_hash"]
        await new.auth.login("qian", "pw-12345678")
        after = (await new.db[USERS].find_one({"_id": user_id}) or {})["password_hash"]
        assert "t=1" in before and "t=2" in after
        await new.auth.login("qian", "pw-12345678")  # the new hash still verifies


async def test_a_county_admin_creates_unit_users_only_below_its_county(env: Env) -> None:
    await add_user(env.auth, "county", Role.county_admin, "qs")
    county = await env.auth.authenticate((await env.auth.login("county", "pw-12345678")).token)
    made = await env.auth.create_user(
        county, UserCreate(username="edu", display_name="教育局", role=Role.unit_user, unit_id="qs-edu")
    )
    assert made.unit_id == "qs-edu"
    for role, unit in ((Role.unit_user, "bs-edu"), (Role.county_admin, "qs-edu"), (Role.auditor, None)):
        body = UserCreate(username=f"x{role.value}", display_name="x", role=role, unit_id=unit)
        with pytest.raises(Forbidden):
            await env.auth.create_user(county, body)
    with pytest.raises(Forbidden):  # nor raise an existing unit user above its own power
        await env.auth.update_user(county, made.user_id, UserUpdate(role=Role.county_admin))
    assert {u.username for u in await env.auth.list_users(county)} == {"county", "edu"}


async def test_ones_own_account_changes_only_its_name_and_its_password_with_the_current_one(env: Env) -> None:
    user_id = await add_user(env.auth, "zhou", Role.county_admin, "qs")
    me = await env.auth.authenticate((await env.auth.login("zhou", "pw-12345678")).token)
    with pytest.raises(Forbidden):
        await env.auth.update_user(me, user_id, UserUpdate(unit_id="city"))
    with pytest.raises(Forbidden):
        await env.auth.update_user(me, user_id, UserUpdate(password="new-password-1", current_password="guess"))
    await env.auth.update_user(me, user_id, UserUpdate(password="new-password-1", current_password="pw-12345678"))
    await env.auth.login("zhou", "new-password-1")


async def test_bootstrap_is_idempotent_and_its_token_lives_as_long_as_the_setting(env: Env) -> None:
    await env.auth.bootstrap(BOOT_TOKEN, "admin-password-1")
    entries = await env.db[AUDIT].count_documents({})
    await env.auth.bootstrap(BOOT_TOKEN, "admin-password-1")
    assert await env.db[USERS].count_documents({}) == 1
    assert await env.db[TOKENS].count_documents({}) == 1
    assert await env.db[AUDIT].count_documents({}) == entries == 3  # the user, its password, the token: once
    admin = await env.auth.authenticate(BOOT_TOKEN)
    assert (admin.username, admin.role) == ("admin", Role.city_admin)
    await env.auth.login("admin", "admin-password-1")

    await env.auth.bootstrap("new-" + BOOT_TOKEN, None)
    with pytest.raises(Unauthenticated):
        await env.auth.authenticate(BOOT_TOKEN)
    await env.auth.authenticate("new-" + BOOT_TOKEN)
    await env.auth.bootstrap(None, None)
    with pytest.raises(Unauthenticated):
        await env.auth.authenticate("new-" + BOOT_TOKEN)


async def test_a_password_changed_after_the_first_start_survives_restarts_until_an_explicit_reset(env: Env) -> None:
    await env.auth.bootstrap(BOOT_TOKEN, "admin-password-1")
    admin = await env.auth.authenticate(BOOT_TOKEN)
    change = UserUpdate(password="changed-in-console-2", current_password="admin-password-1")
    await env.auth.update_user(admin, admin.user_id, change)

    await env.auth.bootstrap(BOOT_TOKEN, "admin-password-1")  # `xunjian up` again, the same setting
    await env.auth.login("admin", "changed-in-console-2")
    with pytest.raises(Unauthenticated):
        await env.auth.login("admin", "admin-password-1")

    await env.auth.bootstrap(BOOT_TOKEN, "admin-password-1", reset_password=True)  # forgotten: the operator resets
    await env.auth.login("admin", "admin-password-1")
    with pytest.raises(Unauthenticated):
        await env.auth.login("admin", "changed-in-console-2")


async def test_bootstrap_restores_a_revoked_token_and_refuses_a_short_one(env: Env) -> None:
    await env.auth.bootstrap(BOOT_TOKEN, None)
    admin = await env.auth.authenticate(BOOT_TOKEN)
    await env.auth.revoke_token(admin, admin.token_id)
    await env.auth.bootstrap(BOOT_TOKEN, None)
    assert (await env.auth.authenticate(BOOT_TOKEN)).token_id == admin.token_id
    with pytest.raises(ValueError, match="at least"):
        await env.auth.bootstrap("short", None)


async def test_every_write_appends_an_audit_entry_that_can_be_filtered(env: Env) -> None:
    user_id = await add_user(env.auth, "audit-me", Role.unit_user, "qs-edu")
    me = await env.auth.authenticate((await env.auth.login("audit-me", "pw-12345678")).token)
    issued = await env.auth.create_token(me, TokenCreate(name="cli"))
    await env.auth.revoke_token(me, issued.token_id, request_id="req-1")
    target = {"name": "青山县人民政府", "status": "running"}
    for _ in range(2):  # a retried write with a natural entry id is logged once
        await env.auth.record(
            me, "target.update", "target", "qs-portal", target, {**target, "status": "closed"}, "关停", "req-2", "t-v2"
        )
    log = await env.auth.audit_log(ROOT, AuditFilter())
    assert [e.action for e in log] == ["target.update", "token.revoke", "token.create", "auth.login", "user.create"]
    update, revoke = log[0], log[1]
    assert (update.changed, update.reason, update.request_id, update.actor.user_id) == (
        ["status"],
        "关停",
        "req-2",
        user_id,
    )
    assert revoke.request_id == "req-1" and revoke.after is not None and revoke.after["revoked"] is True
    assert issued.token not in str([e.model_dump() for e in log])
    assert [e.entity_id for e in await env.auth.audit_log(ROOT, AuditFilter(entity_type="target"))] == ["qs-portal"]
    assert len(await env.auth.audit_log(ROOT, AuditFilter(actor_id=user_id, since=env.clock.now()))) == 4
    assert await env.auth.audit_log(ROOT, AuditFilter(until=env.clock.now())) == []
    with pytest.raises(Forbidden):
        await env.auth.audit_log(me, AuditFilter())
