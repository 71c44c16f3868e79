"""The auth API and the scope dependencies in a small FastAPI app, over ASGI, on a real SecantusDB."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI

from services.registry.auth import CurrentScope, Role, router
from services.registry.auth.models import AuditFilter
from tests.registry.test_auth_service import BOOT_TOKEN, ROOT, Env, add_user, auth_env

UNIT_FORBIDDEN = "无权操作该单位的数据"


def demo_app(env: Env, written: list[str]) -> FastAPI:
    """The auth router plus two endpoints written the way the registry's are."""
    app = FastAPI()
    app.state.service = SimpleNamespace(auth=env.auth)
    app.include_router(router)

    @app.get("/units/{unit_id}/targets")
    async def read(unit_id: str, scope: CurrentScope) -> dict[str, str]:
        scope.require_read(unit_id)
        return {"unit_id": unit_id}

    @app.put("/units/{unit_id}/targets")
    async def write(unit_id: str, scope: CurrentScope) -> dict[str, str]:
        scope.require_write(unit_id)
        written.append(unit_id)
        await scope.audit("target.update", "target", f"{unit_id}-portal", after={"unit_id": unit_id}, reason="测试")
        return {"unit_id": unit_id}

    return app


@pytest.fixture
async def setup(mongodb_uri: str, db_prefix: str) -> AsyncIterator[tuple[httpx.AsyncClient, Env, list[str]]]:
    async with auth_env(mongodb_uri, db_prefix) as env:
        await env.auth.bootstrap(BOOT_TOKEN, None)
        await add_user(env.auth, "county", Role.county_admin, "qs")
        await add_user(env.auth, "edu", Role.unit_user, "qs-edu")
        await add_user(env.auth, "auditor", Role.auditor)
        written: list[str] = []
        transport = httpx.ASGITransport(app=demo_app(env, written))
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as http:
            yield http, env, written


async def bearer(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await http.post("/auth/login", json={"username": username, "password": "pw-12345678"})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def test_no_token_or_a_bad_one_is_401_in_chinese(setup: tuple[httpx.AsyncClient, Env, list[str]]) -> None:
    http, _, written = setup
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic YWRtaW46eA=="}):
        response = await http.put("/units/qs/targets", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"detail": "未登录或令牌已失效"}
        assert response.headers["www-authenticate"] == "Bearer"
    assert written == []


async def test_wrong_password_and_unknown_user_get_the_same_401(
    setup: tuple[httpx.AsyncClient, Env, list[str]],
) -> None:
    http, _, _ = setup
    wrong = await http.post("/auth/login", json={"username": "edu", "password": "nope-nope"})
    unknown = await http.post("/auth/login", json={"username": "ghost", "password": "pw-12345678"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "用户名或密码错误"}


async def test_a_unit_user_reads_its_unit_and_is_refused_across_units_with_nothing_changed(
    setup: tuple[httpx.AsyncClient, Env, list[str]],
) -> None:
    http, env, written = setup
    edu = await bearer(http, "edu")
    assert (await http.get("/units/qs-edu/targets", headers=edu)).status_code == 200
    for method, path in (
        ("GET", "/units/bs-edu/targets"),
        ("PUT", "/units/qs-edu/targets"),
        ("PUT", "/units/bs/targets"),
    ):
        response = await http.request(method, path, headers=edu)
        assert response.status_code == 403
        assert response.json() == {"detail": UNIT_FORBIDDEN}
    assert written == []
    assert await env.auth.audit_log(ROOT, AuditFilter(entity_type="target")) == []


async def test_a_county_admin_writes_below_its_county_and_the_write_is_audited(
    setup: tuple[httpx.AsyncClient, Env, list[str]],
) -> None:
    http, env, written = setup
    county = await bearer(http, "county")
    assert (await http.put("/units/bs-edu/targets", headers=county)).status_code == 403
    response = await http.put("/units/qs-edu/targets", headers={**county, "X-Request-ID": "req-42"})
    assert response.status_code == 200
    assert written == ["qs-edu"]
    (entry,) = await env.auth.audit_log(ROOT, AuditFilter(entity_type="target"))
    assert (entry.actor.username, entry.actor.role, entry.request_id) == ("county", Role.county_admin, "req-42")


async def test_users_tokens_and_the_audit_log_over_http(setup: tuple[httpx.AsyncClient, Env, list[str]]) -> None:
    http, _, _ = setup
    admin = {"Authorization": f"Bearer {BOOT_TOKEN}"}
    county = await bearer(http, "county")
    beyond = {"username": "bs-user", "display_name": "边山", "role": "unit_user", "unit_id": "bs-edu"}
    assert (await http.post("/auth/users", json=beyond, headers=county)).status_code == 403
    within = {**beyond, "username": "qs-user", "unit_id": "qs-edu", "password": "pw-12345678"}
    created = await http.post("/auth/users", json=within, headers=county)
    assert created.status_code == 201 and "password_hash" not in created.json()
    user_id = created.json()["user_id"]

    issued = await http.post("/auth/tokens", json={"name": "接口", "user_id": user_id}, headers=county)
    assert issued.status_code == 201
    token = {"Authorization": f"Bearer {issued.json()['token']}"}
    me = await http.get("/auth/me", headers=token)
    assert me.json()["user"]["username"] == "qs-user"
    assert (await http.delete(f"/auth/tokens/{issued.json()['token_id']}", headers=county)).status_code == 204
    assert (await http.get("/auth/me", headers=token)).status_code == 401

    patched = await http.patch(f"/auth/users/{user_id}", json={"active": False, "reason": "调离"}, headers=county)
    assert patched.status_code == 200 and patched.json()["active"] is False
    assert (await http.get("/audit", headers=county)).status_code == 403
    auditor = await bearer(http, "auditor")
    log = await http.get("/audit", params={"entity_id": user_id}, headers=auditor)
    assert [e["action"] for e in log.json()] == ["user.update", "user.create"]
    assert log.json()[0]["changed"] == ["active"] and log.json()[0]["reason"] == "调离"
    assert (await http.get("/audit", headers=admin)).status_code == 200
