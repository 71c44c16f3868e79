"""Re-checks (复查) through ``POST /targets/{id}/reprobe``: the probes of a rectification's re-check.

A re-check names its period and its ``recheck_id``: every probe carries both; the site is visited
``recheck_visits`` times and every other kind it (and its columns, message boards, guide sources) is monitored on
once; asking twice publishes the same ids, which JetStream drops.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import httpx

from services.registry.app import SPEC
from services.registry.service import recheck_requests
from services.registry.settings import RegistrySettings
from shared.clock import CHINA_TZ, FixedClock
from shared.events import CheckKind, Inventory, TargetStatus, TargetType
from tests.apps import running

from .inventory import PREFECTURE, target
from .test_registry_service import ADMIN, settings

AFTER = datetime(2022, 10, 20, 10, tzinfo=CHINA_TZ)  # the unit reported its rectification after the quarter
RECHECK = {"period_id": "2022Q3", "recheck_id": "recheck-case42-1"}
PARTS = [
    target("qs-portal-tzgg", TargetType.column, unit_id="qs", site_id="qs-portal", column_type="通知公告"),
    target("qs-portal-hdjl", TargetType.message_board, unit_id="qs", site_id="qs-portal"),
    target("qs-portal-bszn", TargetType.service_guide, unit_id="qs", site_id="qs-portal"),
    target(
        "qs-portal-old",
        TargetType.column,
        unit_id="qs",
        site_id="qs-portal",
        status=TargetStatus.closed,
        closed_on=date(2022, 8, 1),
    ),
]
WITH_PARTS = Inventory(units=PREFECTURE.units, targets=[*PREFECTURE.targets, *PARTS], periods=PREFECTURE.periods)


async def probes(js: Any) -> list[dict[str, Any]]:
    info = await js.stream_info("PROBES")
    return [json.loads((await js.get_msg("PROBES", seq)).data) for seq in range(1, info.state.messages + 1)]


def test_a_recheck_visits_availability_ten_times_and_each_other_kind_once_with_ids_that_ignore_the_clock() -> None:
    site = PREFECTURE.targets[1]
    config = RegistrySettings()
    first = recheck_requests(site, "2022Q3", "recheck-a-1", AFTER, config, AFTER)
    later = recheck_requests(site, "2022Q3", "recheck-a-1", AFTER + timedelta(hours=3), config, AFTER)
    other = recheck_requests(site, "2022Q3", "recheck-a-2", AFTER, config, AFTER)

    kinds = Counter(r.kind for r in first)
    assert kinds[CheckKind.availability] == 10
    assert {k for k, n in kinds.items() if n == 1} == {
        CheckKind.homepage,
        CheckKind.links,
        CheckKind.content,
        CheckKind.site_basics,
    }
    visits = [r.scheduled_for for r in first if r.kind is CheckKind.availability]
    assert len(set(visits)) == 10 and min(visits) == AFTER  # each visit its own instant
    assert [r.event_id for r in later] == [r.event_id for r in first]
    assert not {r.event_id for r in other} & {r.event_id for r in first}
    assert {(r.correlation_id, r.period_id) for r in first} == {("recheck-a-1", "2022Q3")}

    spaced = recheck_requests(
        site, "2022Q3", "recheck-a-1", AFTER, config.model_copy(update={"recheck_visit_gap_s": 60}), AFTER
    )
    gaps = sorted(r.scheduled_for for r in spaced if r.kind is CheckKind.availability)
    assert gaps[-1] - gaps[0] == timedelta(minutes=9)


async def test_a_recheck_probes_the_site_and_its_running_parts_under_its_id_and_asking_twice_publishes_nothing_more(
    nats_url_: str, mongodb_uri: str, db_prefix: str, jetstream: Any
) -> None:
    async with (
        running(SPEC, settings(nats_url_, mongodb_uri, db_prefix), FixedClock(AFTER)) as base,
        httpx.AsyncClient(headers=ADMIN) as http,
    ):
        assert (await http.post(f"{base}/inventory", json=WITH_PARTS.model_dump(mode="json"))).status_code == 200
        first = await http.post(f"{base}/targets/qs-portal/reprobe", json=RECHECK)
        again = await http.post(f"{base}/targets/qs-portal/reprobe", json=RECHECK)
        published = await probes(jetstream)

    assert first.status_code == 202 and again.status_code == 202
    assert [p["event_id"] for p in again.json()] == [p["event_id"] for p in first.json()]
    assert len(published) == len(first.json()) == 10 + 4 + 3  # 10 visits, 4 other site kinds, 3 running parts
    assert {(p["correlation_id"], p["period_id"]) for p in published} == {("recheck-case42-1", "2022Q3")}
    per_target = Counter((p["target_id"], p["kind"]) for p in published)
    assert per_target[("qs-portal", "availability")] == 10
    assert per_target[("qs-portal-tzgg", "columns")] == 1
    assert per_target[("qs-portal-hdjl", "interaction")] == 1
    assert per_target[("qs-portal-bszn", "service_guides")] == 1
    assert not any(p["target_id"] == "qs-portal-old" for p in published)  # closed in August: not re-checked
    assert all(datetime.fromisoformat(p["scheduled_for"]) >= AFTER for p in published)


async def test_a_recheck_needs_a_known_period_and_refuses_in_chinese_while_a_plain_reprobe_needs_no_body(
    nats_url_: str, mongodb_uri: str, db_prefix: str, jetstream: Any
) -> None:
    async with (
        running(SPEC, settings(nats_url_, mongodb_uri, db_prefix), FixedClock(AFTER)) as base,
        httpx.AsyncClient(headers=ADMIN) as http,
    ):
        await http.post(f"{base}/inventory", json=PREFECTURE.model_dump(mode="json"))
        unknown = await http.post(f"{base}/targets/qs-portal/reprobe", json={**RECHECK, "period_id": "2021Q1"})
        no_period = await http.post(f"{base}/targets/qs-portal/reprobe", json={"recheck_id": "recheck-x-1"})
        bad_id = await http.post(f"{base}/targets/qs-portal/reprobe", json={**RECHECK, "recheck_id": "case42"})
        assert (await jetstream.stream_info("PROBES")).state.messages == 0
        plain = await http.post(f"{base}/targets/qs-portal/reprobe")
        for_period = await http.post(f"{base}/targets/qs-portal/reprobe", json={"period_id": "2022Q3"})

    assert unknown.status_code == 404 and "2021Q1" in unknown.json()["detail"] and "未登记" in unknown.json()["detail"]
    assert no_period.status_code == 422 and "period_id" in no_period.json()["detail"]
    assert bad_id.status_code == 422
    assert plain.status_code == 202 and {p["correlation_id"][:8] for p in plain.json()} == {"reprobe-"}
    assert {p["period_id"] for p in for_period.json()} == {"2022Q3"}


async def test_a_unit_user_may_ask_a_recheck_of_its_own_site_and_not_of_another_units(
    nats_url_: str, mongodb_uri: str, db_prefix: str, jetstream: Any
) -> None:
    async with (
        running(SPEC, settings(nats_url_, mongodb_uri, db_prefix), FixedClock(AFTER)) as base,
        httpx.AsyncClient(headers=ADMIN, base_url=base) as http,
    ):
        await http.post("/inventory", json=PREFECTURE.model_dump(mode="json"))
        user = {
            "username": "qs-user",
            "display_name": "青山",
            "role": "unit_user",
            "unit_id": "qs",
            "password": "pw-12345678",
        }
        assert (await http.post("/auth/users", json=user)).status_code == 201
        login = await http.post("/auth/login", json={"username": "qs-user", "password": "pw-12345678"})
        own = {"Authorization": f"Bearer {login.json()['token']}"}
        mine = await http.post("/targets/qs-portal/reprobe", json=RECHECK, headers=own)
        theirs = await http.post("/targets/bs-portal/reprobe", json=RECHECK, headers=own)
        audit = (await http.get("/audit")).json()

    assert mine.status_code == 202 and theirs.status_code in (403, 404)
    assert {p["target_id"] for p in await probes(jetstream)} == {"qs-portal"}
    assert any(e["action"] == "target.recheck" and e["entity_id"] == "qs-portal" for e in audit)
