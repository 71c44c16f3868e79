"""Reviews (人工复核) over HTTP with callers identified by a real registry: who may, what changes, what is kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.evaluator.app import SPEC
from services.evaluator.settings import EvaluatorSettings
from services.registry.app import SPEC as REGISTRY
from services.registry.settings import RegistrySettings
from shared.clock import CHINA_TZ
from shared.events import Inventory, Period, Target, TargetType, Unit, UnitLevel
from tests.apps import running

from .builders import beijing
from .streams import day_of_visits, homepage, publish, read_stream

ADMIN = "review-admin-token-0123456789abcdef"
PERIOD = Period(
    period_id="2022Q3",
    window_start=datetime(2022, 9, 20, tzinfo=CHINA_TZ),
    monitoring_point=datetime(2022, 9, 29, 23, 59, 59, tzinfo=CHINA_TZ),
    scope=["availability", "homepage"],
)


def county(code: str, name: str) -> list[Unit]:
    return [
        Unit(unit_id=f"{code}-gov", name=f"{name}人民政府", county=name, level=UnitLevel.county),
        Unit(unit_id=f"{code}-office", name=f"{name}人民政府办公室", county=name, parent_id=f"{code}-gov"),
    ]


def portal(code: str, name: str) -> Target:
    return Target(
        target_id=f"{code}-portal",
        type=TargetType.website,
        name=f"{name}人民政府",
        url=f"http://127.0.0.1:9/sites/{code}-portal/",
        unit_id=f"{code}-office",
        county=name,
        registered_on=date(2020, 1, 1),
    )


QS, BS = portal("qs", "青山县"), portal("bs", "边山县")


@dataclass
class Stack:
    http: httpx.AsyncClient
    evaluator: str
    tokens: dict[str, dict[str, str]]

    async def review(self, who: str, target: Target, **body: Any) -> httpx.Response:
        url = f"{self.evaluator}/verdicts/2022Q3/{target.target_id}/review"
        return await self.http.post(url, json=body, headers=self.tokens[who])


async def user_token(
    http: httpx.AsyncClient, registry: str, username: str, role: str, unit: str | None
) -> dict[str, str]:
    admin = {"Authorization": f"Bearer {ADMIN}"}
    user = {"username": username, "display_name": username, "role": role, "unit_id": unit}
    created = await http.post(f"{registry}/auth/users", json=user, headers=admin)
    assert created.status_code == 201, created.text
    body = {"name": "复核测试", "user_id": created.json()["user_id"]}
    issued = await http.post(f"{registry}/auth/tokens", json=body, headers=admin)
    return {"Authorization": f"Bearer {issued.json()['token']}"}


@pytest.fixture
async def stack(nats_url_: str, mongodb_uri: str, db_prefix: str, jetstream: Any, wait: Any) -> AsyncIterator[Stack]:
    common = {"nats_url": nats_url_, "mongodb_uri": mongodb_uri, "mongodb_db_prefix": db_prefix}
    registry_settings = RegistrySettings.model_validate({**common, "registry_bootstrap_admin_token": ADMIN})
    async with running(REGISTRY, registry_settings) as registry, httpx.AsyncClient() as http:
        evaluator_settings = EvaluatorSettings.model_validate({**common, "registry_url": registry})
        async with running(SPEC, evaluator_settings) as evaluator:  # the registry's URL is known only now
            inventory = Inventory(
                units=county("qs", "青山县") + county("bs", "边山县"), targets=[QS, BS], periods=[PERIOD]
            )
            headers = {"Authorization": f"Bearer {ADMIN}"}
            imported = await http.post(f"{registry}/inventory", json=inventory.model_dump(mode="json"), headers=headers)
            assert imported.status_code == 200, imported.text
            tokens = {
                "city": headers,
                "qs-county": await user_token(http, registry, "qs-county", "county_admin", "qs-gov"),
                "qs-unit": await user_token(http, registry, "qs-unit", "unit_user", "qs-office"),
                "auditor": await user_token(http, registry, "auditor", "auditor", None),
            }
            await feed_a_week(jetstream, wait, http, evaluator)
            yield Stack(http, evaluator, tokens)


async def feed_a_week(js: Any, wait: Any, http: httpx.AsyncClient, evaluator: str) -> None:
    """青山县's homepage has shown nothing newer than 9月1日 (不合格); 边山县's is current (合格)."""
    for n in range(10):
        day = date(2022, 9, 20) + timedelta(days=n)
        for target, newest in ((QS, date(2022, 9, 1)), (BS, day)):
            for o in day_of_visits(target, "2022Q3", day, set(), "r"):
                await publish(js, o)
            await publish(js, homepage(target, "2022Q3", beijing(day, 9), newest, "r"))

    async def judged() -> bool:
        admin = {"Authorization": f"Bearer {ADMIN}"}
        found = (await http.get(f"{evaluator}/verdicts", params={"period_id": "2022Q3"}, headers=admin)).json()
        return sorted(v["outcome"] for v in found if v["as_of"].startswith("2022-09-29")) == [
            "qualified",
            "unqualified",
        ]

    await wait(judged, timeout=60, what="both sites judged as of 9月29日")


async def test_only_office_roles_within_their_scope_may_review(stack: Stack) -> None:
    reason = {"action": "confirm", "reason": "已核实首页确未更新"}
    assert (
        await stack.http.post(f"{stack.evaluator}/verdicts/2022Q3/qs-portal/review", json=reason)
    ).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    url = f"{stack.evaluator}/verdicts/2022Q3/qs-portal/review"
    assert (await stack.http.post(url, json=reason, headers=bad)).status_code == 401
    assert (await stack.review("qs-unit", QS, **reason)).status_code == 403  # a unit does not judge itself
    assert (await stack.review("qs-county", BS, **reason)).status_code == 403  # another county's site
    unit_reads = await stack.http.get(f"{stack.evaluator}/verdicts/2022Q3/qs-portal", headers=stack.tokens["qs-unit"])
    assert unit_reads.status_code == 200 and unit_reads.json()["review"] is None
    other = await stack.http.get(f"{stack.evaluator}/verdicts/2022Q3/bs-portal", headers=stack.tokens["qs-unit"])
    assert other.status_code == 403


async def test_an_override_changes_the_outcome_keeps_the_machine_verdict_and_is_withdrawn_with_a_trace(
    stack: Stack, jetstream: Any
) -> None:
    same = await stack.review("qs-county", QS, action="override", outcome="unqualified", reason="同系统判定")
    assert same.status_code == 422 and "确认" in same.json()["detail"]

    reason = "首页因机房迁移临时改版，9月2日起已在新域名持续更新，经核实不属于长期不更新"
    done = await stack.review("qs-county", QS, action="override", outcome="qualified", reason=reason)
    assert done.status_code == 200, done.text
    verdict = done.json()["verdict"]
    assert (verdict["outcome"], verdict["machine_outcome"]) == ("qualified", "unqualified")
    assert verdict["review"]["reviewer"] == "qs-county" and verdict["review"]["reason"] == reason
    assert [r["label"] for r in verdict["indicators"] if r["status"] == "fail"] == ["首页长期不更新"]  # kept
    assert done.json()["history"][-1]["review"]["action"] == "override"

    withdrawn = await stack.http.delete(
        f"{stack.evaluator}/verdicts/2022Q3/qs-portal/review", headers=stack.tokens["qs-county"]
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["verdict"]["outcome"] == "unqualified"
    history = withdrawn.json()["history"]
    assert [h["outcome"] for h in history[-2:]] == ["qualified", "unqualified"] and history[-1]["review"] is None

    events = [e for s, e in await read_stream(jetstream, "VERDICTS") if s == "verdict.changed"]
    qs = [
        (e["verdict"]["outcome"], e["verdict"].get("review") is not None)
        for e in events
        if e["verdict"]["target_id"] == "qs-portal"
    ]
    assert qs[-2:] == [("qualified", True), ("unqualified", False)]


async def test_an_override_to_unqualified_names_the_problem_for_the_notice(stack: Stack) -> None:
    done = await stack.review(
        "city",
        BS,
        action="override",
        outcome="unqualified",
        reason="群众反映网站存在虚假信息，经核实属实",
        label="发布虚假信息",
    )
    assert done.status_code == 200, done.text
    failed = [r for r in done.json()["verdict"]["indicators"] if r["status"] == "fail"]
    assert [(r["indicator_id"], r["label"]) for r in failed] == [("R-1", "发布虚假信息")]
    assert "群众反映" in failed[0]["explanation"]


async def test_only_the_city_re_evaluates_a_period_and_nothing_changes_without_new_rules(stack: Stack) -> None:
    url = f"{stack.evaluator}/periods/2022Q3/reevaluate"
    assert (await stack.http.post(url, headers=stack.tokens["qs-county"])).status_code == 403
    done = await stack.http.post(url, headers=stack.tokens["city"])
    assert done.status_code == 200 and done.json() == {"verdicts": 2, "changed": 0}
