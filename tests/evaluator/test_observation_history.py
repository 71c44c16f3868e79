"""The observation history over HTTP: newest first, by kind and period, only for callers who may see the target."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from services.evaluator.app import SPEC
from services.evaluator.settings import EvaluatorSettings
from services.registry.app import SPEC as REGISTRY
from services.registry.settings import RegistrySettings
from shared.events import Inventory
from tests.apps import running

from .builders import beijing
from .streams import homepage, publish, visit
from .test_reviews import ADMIN, BS, PERIOD, QS, county, user_token


@dataclass
class Stack:
    http: httpx.AsyncClient
    evaluator: str
    tokens: dict[str, dict[str, str]]

    async def history(self, who: str, target_id: str, **params: Any) -> httpx.Response:
        url = f"{self.evaluator}/targets/{target_id}/observations"
        return await self.http.get(url, params=params, headers=self.tokens[who])


@pytest.fixture
async def stack(nats_url_: str, mongodb_uri: str, db_prefix: str, jetstream: Any, wait: Any) -> AsyncIterator[Stack]:
    common = {"nats_url": nats_url_, "mongodb_uri": mongodb_uri, "mongodb_db_prefix": db_prefix}
    registry_settings = RegistrySettings.model_validate({**common, "registry_bootstrap_admin_token": ADMIN})
    async with running(REGISTRY, registry_settings) as registry, httpx.AsyncClient() as http:
        evaluator_settings = EvaluatorSettings.model_validate({**common, "registry_url": registry})
        async with running(SPEC, evaluator_settings) as evaluator:
            inventory = Inventory(
                units=county("qs", "青山县") + county("bs", "边山县"), targets=[QS, BS], periods=[PERIOD]
            )
            headers = {"Authorization": f"Bearer {ADMIN}"}
            imported = await http.post(f"{registry}/inventory", json=inventory.model_dump(mode="json"), headers=headers)
            assert imported.status_code == 200, imported.text
            tokens = {"city": headers, "qs-unit": await user_token(http, registry, "qs-unit", "unit_user", "qs-office")}
            for n in range(3):  # three days: a homepage read at 9:00 and a visit at 10:00 each day
                day = date(2022, 9, 25) + timedelta(days=n)
                await publish(jetstream, homepage(QS, "2022Q3", beijing(day, 9), date(2022, 9, 1), "r"))
                await publish(jetstream, visit(QS, "2022Q3", beijing(day, 10), True, "r"))
            await publish(jetstream, homepage(BS, "2022Q3", beijing(date(2022, 9, 25), 9), date(2022, 9, 25), "r"))

            async def recorded() -> bool:
                counted = await http.get(f"{evaluator}/rounds/r", headers=headers)
                return bool(counted.json()["observations"] == 7)

            await wait(recorded, timeout=30, what="seven observations recorded")
            yield Stack(http, evaluator, tokens)


async def test_a_units_history_lists_its_observations_newest_first_by_kind_with_their_facts(stack: Stack) -> None:
    everything = await stack.history("qs-unit", "qs-portal", period_id="2022Q3")
    assert everything.status_code == 200, everything.text
    listed = everything.json()["observations"]
    assert [o["kind"] for o in listed] == ["availability", "homepage"] * 3
    times = [o["observed_at"] for o in listed]
    assert times == sorted(times, reverse=True)

    pages = (await stack.history("qs-unit", "qs-portal", kind="homepage", limit=2)).json()["observations"]
    assert len(pages) == 2 and all(o["kind"] == "homepage" for o in pages)
    assert pages[0]["facts"]["newest_item_on"] == "2022-09-01"
    one = await stack.http.get(
        f"{stack.evaluator}/targets/qs-portal/observations/{pages[0]['event_id']}", headers=stack.tokens["qs-unit"]
    )
    assert one.status_code == 200 and one.json()["observed_at"] == pages[0]["observed_at"]
    assert (await stack.history("qs-unit", "qs-portal", period_id="2022Q2")).json()["observations"] == []


async def test_another_units_observations_are_refused_and_strangers_are_not_served(stack: Stack) -> None:
    assert (await stack.history("qs-unit", "bs-portal")).status_code == 403
    qs_observation = (await stack.history("city", "qs-portal", kind="homepage", limit=1)).json()["observations"][0]
    # Naming an observation of one's own target under another target's path gives nothing away.
    crossed = await stack.http.get(
        f"{stack.evaluator}/targets/bs-portal/observations/{qs_observation['event_id']}", headers=stack.tokens["city"]
    )
    assert crossed.status_code == 404
    anonymous = await stack.http.get(f"{stack.evaluator}/targets/qs-portal/observations")
    assert anonymous.status_code == 401
    city = await stack.history("city", "bs-portal")
    assert [o["kind"] for o in city.json()["observations"]] == ["homepage"]
    assert (await stack.history("city", "qs-portal", kind="nonsense")).status_code == 422


async def test_a_periods_outcomes_in_brief_list_only_the_targets_the_caller_may_see(stack: Stack, wait: Any) -> None:
    async def both_judged() -> list[dict[str, Any]]:
        found = await stack.http.get(
            f"{stack.evaluator}/outcomes", params={"period_id": "2022Q3"}, headers=stack.tokens["city"]
        )
        rows: list[dict[str, Any]] = found.json()["outcomes"]
        return rows if len(rows) == 2 else []

    city = await wait(both_judged, timeout=30, what="both targets judged")
    assert [(r["target_id"], r["unit_id"]) for r in city] == [("bs-portal", "bs-office"), ("qs-portal", "qs-office")]
    qs = next(r for r in city if r["target_id"] == "qs-portal")
    assert qs["outcome"] == "unqualified" and "首页长期不更新" in qs["labels"]
    unit = await stack.http.get(
        f"{stack.evaluator}/outcomes", params={"period_id": "2022Q3"}, headers=stack.tokens["qs-unit"]
    )
    assert unit.status_code == 200 and unit.json()["outcomes"] == [qs]  # never another unit's target
    anonymous = await stack.http.get(f"{stack.evaluator}/outcomes", params={"period_id": "2022Q3"})
    assert anonymous.status_code == 401
