"""Who lists which cases, and who reads the outbox: the notifier asks the registry who is calling.

A real registry holds two counties, one portal each; its import reaches the notifier as registry events. Both
portals fail W-V3, so each unit has a case. A unit user lists its own unit's case only, a county administrator its
county's, an auditor (and the city) every case; the deliveries outbox, which names every recipient, is the city's and
the auditor's only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from services.notifier.models import Case
from shared.events import IndicatorStatus, Inventory
from tests.evaluator.test_reviews import BS, QS, county  # the two counties the scope tests share

from .test_notifier_flow import AUTH, PERIOD, Notifier, Wait, notifier, verdict_changed

__all__ = ["notifier"]  # the fixture: the notifier beside its registry


@dataclass
class World:
    notifier: Notifier
    tokens: dict[str, dict[str, str]]

    async def get(self, path: str, who: str, **params: str) -> httpx.Response:
        return await self.notifier.http.get(path, params=params, headers=self.tokens[who])

    async def case_targets(self, who: str) -> list[str]:
        answer = await self.get("/cases", who, period_id=PERIOD)
        assert answer.status_code == 200, answer.text
        return sorted(c["target_id"] for c in answer.json())


async def user(http: httpx.AsyncClient, username: str, role: str, unit: str | None) -> dict[str, str]:
    """A user of the registry with an API token, created by its bootstrap administrator."""
    body = {"username": username, "display_name": username, "role": role, "unit_id": unit}
    created = await http.post("/auth/users", json=body)
    assert created.status_code == 201, created.text
    issued = await http.post("/auth/tokens", json={"name": "整改", "user_id": created.json()["user_id"]})
    assert issued.status_code == 201, issued.text
    return {"Authorization": f"Bearer {issued.json()['token']}"}


@pytest.fixture
async def world(notifier: Notifier, wait: Wait) -> AsyncIterator[World]:
    inventory = Inventory(units=county("qs", "青山县") + county("bs", "边山县"), targets=[QS, BS])
    async with httpx.AsyncClient(base_url=notifier.registry, headers=AUTH, timeout=30) as registry:
        imported = await registry.post("/inventory", json=inventory.model_dump(mode="json"))
        assert imported.status_code == 200, imported.text
        tokens = {
            "city": AUTH,
            "qs-unit": await user(registry, "qs-unit", "unit_user", "qs-office"),
            "bs-unit": await user(registry, "bs-unit", "unit_user", "bs-office"),
            "qs-county": await user(registry, "qs-county", "county_admin", "qs-gov"),
            "auditor": await user(registry, "auditor", "auditor", None),
        }
    for target in (QS, BS):  # the registry's events may come after: the verdict is retried until they are in
        await notifier.publish(verdict_changed(IndicatorStatus.failed, revision=1, target=target))

    async def both_opened() -> bool:
        return {c["target_id"] for c in await notifier.get("/cases", period_id=PERIOD)} == {"qs-portal", "bs-portal"}

    await wait(both_opened, timeout=30, what="a case for each portal")
    yield World(notifier, tokens)


async def test_without_a_known_token_neither_cases_nor_deliveries_answer(world: World) -> None:
    for path in ("/cases", "/deliveries"):
        request = world.notifier.http.build_request("GET", path)
        del request.headers["Authorization"]  # the client signs in as the city administrator by default
        anonymous = await world.notifier.http.send(request)
        assert anonymous.status_code == 401, path
        assert anonymous.json()["detail"] == "未登录或令牌已失效"
        unknown = await world.notifier.http.get(path, headers={"Authorization": "Bearer not-a-token"})
        assert unknown.status_code == 401, path


async def test_a_unit_user_lists_only_its_own_units_cases(world: World) -> None:
    assert await world.case_targets("qs-unit") == ["qs-portal"]  # 边山县's case is absent
    assert await world.case_targets("bs-unit") == ["bs-portal"]
    everything = await world.get("/cases", "qs-unit")  # without a period: still only its own
    assert [c["unit_id"] for c in everything.json()] == ["qs-office"]


async def test_a_county_administrator_lists_its_countys_cases_and_an_auditor_every_case(world: World) -> None:
    assert await world.case_targets("qs-county") == ["qs-portal"]
    assert await world.case_targets("auditor") == ["bs-portal", "qs-portal"]
    assert await world.case_targets("city") == ["bs-portal", "qs-portal"]


async def test_the_deliveries_outbox_is_refused_to_units_and_counties_and_open_to_the_auditor(
    world: World, wait: Wait
) -> None:
    for who in ("qs-unit", "qs-county"):
        refused = await world.get("/deliveries", who)
        assert refused.status_code == 403, who
        assert refused.json()["detail"] == "仅市级管理员和审计员可查看全部消息发送记录"

    async def both_recorded() -> list[dict[str, Any]] | None:
        answer = await world.get("/deliveries", "auditor")
        assert answer.status_code == 200, answer.text
        rows: list[dict[str, Any]] = answer.json()
        return rows if {r["target_id"] for r in rows} >= {"qs-portal", "bs-portal"} else None

    await wait(both_recorded, timeout=20, what="a delivery row for each case")
    own = Case.id_for(QS.target_id, PERIOD, "W-V3")  # a unit still reads its own case's messages
    mine = await world.get(f"/cases/{own}/deliveries", "qs-unit")
    assert mine.status_code == 200 and mine.json() and {r["case_id"] for r in mine.json()} == {own}
