"""Every role against the registry's real API: what it may read and write, and refusals that change nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.registry.app import SPEC
from tests.apps import running

from .inventory import PREFECTURE, site
from .test_registry_service import ADMIN, settings

USERS: dict[str, dict[str, str | None]] = {
    "county_admin": {"role": "county_admin", "unit_id": "qs"},
    "unit_user": {"role": "unit_user", "unit_id": "qs-edu"},
    "auditor": {"role": "auditor", "unit_id": None},
}


@pytest.fixture
async def api(nats_url_: str, mongodb_uri: str, db_prefix: str) -> AsyncIterator[tuple[str, dict[str, dict[str, str]]]]:
    async with (
        running(SPEC, settings(nats_url_, mongodb_uri, db_prefix)) as base,
        httpx.AsyncClient(headers=ADMIN) as http,
    ):
        assert (await http.post(f"{base}/inventory", json=PREFECTURE.model_dump(mode="json"))).status_code == 200
        headers = {"city_admin": ADMIN}
        for name, spec in USERS.items():
            user = (await http.post(f"{base}/auth/users", json={"username": name, "display_name": name, **spec})).json()
            token = (await http.post(f"{base}/auth/tokens", json={"name": "test", "user_id": user["user_id"]})).json()
            headers[name] = {"Authorization": f"Bearer {token['token']}"}
        yield base, headers


# (role, target in scope?) for reads of each target.
READS = {
    "city_admin": {"city-portal", "qs-portal", "qs-edu-site", "bs-portal", "bs-hr-site"},
    "county_admin": {"qs-portal", "qs-edu-site"},
    "unit_user": {"qs-edu-site"},
    "auditor": {"city-portal", "qs-portal", "qs-edu-site", "bs-portal", "bs-hr-site"},
}
WRITES = {
    "city_admin": {"city-portal", "qs-portal", "qs-edu-site", "bs-portal", "bs-hr-site"},
    "county_admin": {"qs-portal", "qs-edu-site"},
    "unit_user": set(),
    "auditor": set(),
}
ALL = {t.target_id: t for t in PREFECTURE.targets}


async def _get(http: httpx.AsyncClient, url: str) -> Any:
    return (await http.get(url, headers=ADMIN)).json()


@pytest.mark.parametrize("role", list(READS))
async def test_each_role_reads_exactly_its_scope_and_listings_hide_the_rest(api: Any, role: str) -> None:
    base, headers = api
    async with httpx.AsyncClient(headers=headers[role]) as http:
        listed = {t["target_id"] for t in (await http.get(f"{base}/targets")).json()}
        statuses = {tid: (await http.get(f"{base}/targets/{tid}")).status_code for tid in ALL}
        history = {tid: (await http.get(f"{base}/targets/{tid}/history")).status_code for tid in ALL}
    assert listed == READS[role]
    assert {tid for tid, code in statuses.items() if code == 200} == READS[role]
    assert {code for tid, code in statuses.items() if tid not in READS[role]} <= {403}
    assert {tid for tid, code in history.items() if code == 200} == READS[role]


@pytest.mark.parametrize("role", list(WRITES))
async def test_each_role_writes_exactly_its_scope_and_a_refused_write_changes_nothing(api: Any, role: str) -> None:
    base, headers = api
    async with httpx.AsyncClient(headers=headers[role]) as http:
        codes = {}
        for tid, target in ALL.items():
            renamed = target.model_copy(update={"name": f"{target.name}（改）"}).model_dump(mode="json")
            codes[tid] = (await http.put(f"{base}/targets/{tid}", json=renamed, params={"reason": "测试"})).status_code
    assert {tid for tid, code in codes.items() if code == 200} == WRITES[role]
    assert {code for tid, code in codes.items() if tid not in WRITES[role]} <= {403}
    async with httpx.AsyncClient() as http:
        for tid in ALL.keys() - WRITES[role]:
            stored = await _get(http, f"{base}/targets/{tid}")
            assert (stored["name"], stored["version"]) == (ALL[tid].name, 1), tid


async def test_a_county_admin_cannot_move_a_target_into_another_county_nor_import_across_it(api: Any) -> None:
    base, headers = api
    moved = ALL["qs-edu-site"].model_copy(update={"unit_id": "bs-hr"}).model_dump(mode="json")
    foreign = {"units": [], "targets": [site("new-bs-site", "白沙新站", "bs-hr", "白沙县").model_dump(mode="json")]}
    async with httpx.AsyncClient(headers=headers["county_admin"]) as http:
        move = await http.put(f"{base}/targets/qs-edu-site", json=moved)
        imported = await http.post(f"{base}/inventory", json=foreign)
        own = {"units": [], "targets": [site("new-qs-site", "青山新站", "qs-edu", "青山县").model_dump(mode="json")]}
        allowed = await http.post(f"{base}/inventory", json=own)
        rounds = await http.post(f"{base}/rounds", json={"period_id": "2022Q3"})
    assert (move.status_code, imported.status_code, rounds.status_code) == (403, 403, 403)
    assert allowed.status_code == 200
    async with httpx.AsyncClient() as http:
        assert (await _get(http, f"{base}/targets/qs-edu-site"))["unit_id"] == "qs-edu"
        ids = {t["target_id"] for t in await _get(http, f"{base}/targets")}
    assert "new-bs-site" not in ids and "new-qs-site" in ids


async def test_without_a_token_nothing_is_readable_and_every_write_is_in_the_audit_log(api: Any) -> None:
    base, headers = api
    async with httpx.AsyncClient() as http:
        anonymous = await http.get(f"{base}/targets")
        renamed = ALL["qs-portal"].model_copy(update={"name": "青山县政府门户"}).model_dump(mode="json")
        await http.put(
            f"{base}/targets/qs-portal", json=renamed, params={"reason": "更名"}, headers=headers["county_admin"]
        )
        audit = (await http.get(f"{base}/audit", headers=headers["auditor"])).json()
        refused = await http.get(f"{base}/audit", headers=headers["unit_user"])
    assert anonymous.status_code == 401 and "未登录" in anonymous.json()["detail"]
    saves = [e for e in audit if e["action"] == "target.save" and e["entity_id"] == "qs-portal"]
    assert len(saves) == 1 and saves[0]["reason"] == "更名"
    assert refused.status_code == 403
