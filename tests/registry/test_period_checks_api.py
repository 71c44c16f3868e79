"""A period's scope and rule set through the registry's API: stored, exported, and refused clearly when wrong."""

from __future__ import annotations

from typing import Any

import httpx

from services.registry.app import SPEC
from services.registry.tabular import parse_import
from tests.apps import running

from .inventory import PERIOD, PREFECTURE
from .test_registry_service import ADMIN, settings


def _inventory(**period: Any) -> dict[str, Any]:
    body: dict[str, Any] = PREFECTURE.model_dump(mode="json")
    body["periods"] = [{**PERIOD.model_dump(mode="json"), **period}]
    return body


async def test_a_period_s_scope_and_rule_set_are_stored_exported_and_a_bad_one_is_a_422_naming_the_field(
    nats_url_: str, mongodb_uri: str, db_prefix: str
) -> None:
    async with (
        running(SPEC, settings(nats_url_, mongodb_uri, db_prefix)) as base,
        httpx.AsyncClient(headers=ADMIN) as http,
    ):
        bad_scope = await http.post(f"{base}/inventory", json=_inventory(scope=["availability", "homepages"]))
        bad_rule_set = await http.post(f"{base}/inventory", json=_inventory(rule_set="国家规则"))
        nothing_stored = (await http.get(f"{base}/periods")).json()
        ok = await http.post(
            f"{base}/inventory", json=_inventory(scope=["availability", "newmedia"], rule_set="lincang-2022@1")
        )
        stored = (await http.get(f"{base}/periods")).json()
        exported = await http.get(f"{base}/exports", params={"format": "xlsx"})

    assert bad_scope.status_code == 422
    [error] = bad_scope.json()["detail"]
    assert error["loc"] == ["body", "periods", 0, "scope"]
    assert "homepages" in error["msg"] and "availability" in error["msg"]
    assert bad_rule_set.status_code == 422
    [error] = bad_rule_set.json()["detail"]
    assert error["loc"] == ["body", "periods", 0, "rule_set"] and "pattern" in error["msg"]
    assert nothing_stored == []
    assert ok.status_code == 200
    assert [(p["scope"], p["rule_set"]) for p in stored] == [(["availability", "newmedia"], "lincang-2022@1")]
    back = parse_import([("inventory.xlsx", exported.content)]).inventory
    assert back is not None
    assert [(p.scope, p.rule_set) for p in back.periods] == [(["availability", "newmedia"], "lincang-2022@1")]
