"""History as of any instant, optimistic concurrency, re-probes, and inventory commands over NATS."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import nats

from services.registry.app import SPEC
from shared.clock import CHINA_TZ, FixedClock
from tests.apps import running

from .inventory import PERIOD, PREFECTURE, UNITS, site
from .test_registry_service import ADMIN, settings

BEFORE = datetime(2022, 9, 1, 9, tzinfo=CHINA_TZ)
POINT = PERIOD.monitoring_point


async def test_the_registry_as_it_stood_at_the_monitoring_point_keeps_a_site_closed_in_october(
    nats_url_: str, mongodb_uri: str, db_prefix: str
) -> None:
    clock = FixedClock(BEFORE)
    async with (
        running(SPEC, settings(nats_url_, mongodb_uri, db_prefix), clock) as base,
        httpx.AsyncClient(headers=ADMIN) as http,
    ):
        await http.post(f"{base}/inventory", json=PREFECTURE.model_dump(mode="json"))
        clock.set(POINT - timedelta(days=3))  # a site opens in late September
        opened = site("qs-new", "青山县新网站", "qs", "青山县", registered_on="2022-09-26")
        await http.post(f"{base}/targets", json=opened.model_dump(mode="json"), params={"reason": "新开设"})
        clock.set(POINT + timedelta(days=10))  # and the county portal closes in October
        closure = {"closed_on": "2022-10-09", "status": "closed", "reason": "网站整合"}
        closed = await http.post(f"{base}/targets/qs-portal/close", json=closure)
        at_point = {
            t["target_id"]: t for t in (await http.get(f"{base}/targets", params={"as_of": POINT.isoformat()})).json()
        }
        before = {
            t["target_id"] for t in (await http.get(f"{base}/targets", params={"as_of": BEFORE.isoformat()})).json()
        }
        now = {t["target_id"]: t for t in (await http.get(f"{base}/targets")).json()}
        summary = (await http.get(f"{base}/periods/2022Q3/summary")).json()
        portal_then = (await http.get(f"{base}/targets/qs-portal", params={"as_of": POINT.isoformat()})).json()
        too_early = await http.get(f"{base}/targets/qs-new", params={"as_of": BEFORE.isoformat()})

    assert closed.status_code == 200 and closed.json()["version"] == 2
    assert at_point["qs-portal"]["status"] == "running" and "qs-new" in at_point
    assert "qs-new" not in before
    assert now["qs-portal"]["status"] == "closed" and now["qs-portal"]["closed_on"] == "2022-10-09"
    assert portal_then["version"] == 1
    assert too_early.status_code == 404
    websites = summary["types"]["website"]
    # Closed after the monitoring point: still counted; opened within the window: newly registered.
    assert websites["running"] == len(PREFECTURE.targets) + 1
    assert websites["registered_in_window"] == 1 and websites["closed_in_window"] == 0


async def test_a_change_based_on_a_stale_version_is_refused_with_409_and_changes_nothing(
    nats_url_: str, mongodb_uri: str, db_prefix: str
) -> None:
    async with (
        running(SPEC, settings(nats_url_, mongodb_uri, db_prefix)) as base,
        httpx.AsyncClient(headers=ADMIN) as http,
    ):
        await http.post(f"{base}/inventory", json=PREFECTURE.model_dump(mode="json"))
        first = PREFECTURE.targets[1].model_copy(update={"name": "第一次修改"}).model_dump(mode="json")
        second = PREFECTURE.targets[1].model_copy(update={"name": "第二次修改"}).model_dump(mode="json")
        ok = await http.put(f"{base}/targets/qs-portal", json=first, params={"version": 1})
        stale = await http.put(f"{base}/targets/qs-portal", json=second, params={"version": 1})
        stored = (await http.get(f"{base}/targets/qs-portal")).json()
        invalid = await http.put(
            f"{base}/targets/qs-portal",
            json={**first, "unit_id": "nowhere", "closed_on": "2019-01-01"},
        )
    assert ok.status_code == 200 and stale.status_code == 409 and "刷新" in stale.json()["detail"]
    assert stored["name"] == "第一次修改" and stored["version"] == 2
    assert invalid.status_code == 422
    assert any("nowhere" in p for p in invalid.json()["detail"]) and any(
        "关停日期" in p for p in invalid.json()["detail"]
    )


async def test_a_reprobe_publishes_one_probe_per_check_kind_of_the_target_now(
    nats_url_: str, mongodb_uri: str, db_prefix: str, jetstream: Any
) -> None:
    async with (
        running(SPEC, settings(nats_url_, mongodb_uri, db_prefix)) as base,
        httpx.AsyncClient(headers=ADMIN) as http,
    ):
        await http.post(f"{base}/inventory", json=PREFECTURE.model_dump(mode="json"))
        response = await http.post(f"{base}/targets/qs-portal/reprobe")
    kinds = sorted(p["kind"] for p in response.json())
    assert response.status_code == 202 and kinds == ["availability", "homepage"]
    assert (await jetstream.stream_info("PROBES")).state.messages == 2


async def test_inventory_commands_over_nats_are_validated_answered_and_audited_and_bad_ones_reach_dead(
    nats_url_: str, mongodb_uri: str, db_prefix: str, jetstream: Any, wait: Any
) -> None:
    new_site = site("bs-new", "白沙县新网站", "bs", "白沙县")
    async with (
        running(SPEC, settings(nats_url_, mongodb_uri, db_prefix)) as base,
        httpx.AsyncClient(headers=ADMIN) as http,
    ):
        await http.post(f"{base}/inventory", json={"units": [u.model_dump(mode="json") for u in UNITS]})
        nc = await nats.connect(nats_url_)
        try:
            good = {"actor": "省平台", "reason": "省平台同步", "target": new_site.model_dump(mode="json")}
            reply = json.loads(
                (await nc.request("registry.command.upsert_target", json.dumps(good).encode(), timeout=10)).data
            )
            bad = {
                "actor": "省平台",
                "reason": "同步",
                "target": {**new_site.model_dump(mode="json"), "unit_id": "nowhere"},
            }
            refused = json.loads(
                (await nc.request("registry.command.upsert_target", json.dumps(bad).encode(), timeout=10)).data
            )
            garbage = json.loads((await nc.request("registry.command.close_target", b'{"actor": 1}', timeout=10)).data)
            await nc.publish("registry.command.upsert_unit", b'{"actor": "x", "reason": "y"}')  # no reply subject
        finally:
            await nc.close()

        async def dead_letter() -> Any:
            info = await jetstream.stream_info("DEAD")
            return info.state.messages and (await jetstream.get_msg("DEAD", 1)).data

        letter = json.loads(await wait(dead_letter, timeout=10, what="a dead letter for the command without reply"))
        stored = (await http.get(f"{base}/targets/bs-new")).json()
        audit = (await http.get(f"{base}/audit")).json()

    assert reply["ok"] is True and reply["result"]["version"] == 1
    assert stored["name"] == "白沙县新网站"
    assert refused["ok"] is False and any("nowhere" in p for p in refused["problems"])
    assert garbage["ok"] is False and garbage["problems"]
    assert letter["subject"] == "registry.command.upsert_unit" and "unit" in letter["reason"]
    assert any(e["entity_id"] == "bs-new" and "省平台" in e["reason"] for e in audit)
    assert date.fromisoformat(stored["registered_on"]) == new_site.registered_on
