"""The registry on a real nats-server and SecantusDB: imports are versioned and announced, rounds publish probes."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import httpx

from services.registry.app import SPEC
from services.registry.schedule import round_plan
from services.registry.settings import RegistrySettings
from shared.clock import CHINA_TZ
from shared.events import Inventory, Period, Target, TargetType, Unit
from tests.apps import running


def inventory(site_name: str = "青山县人民政府") -> Inventory:
    unit = Unit(unit_id="qs-office", name="青山县人民政府办公室", county="青山县", emails=["qs@example.gov.cn"])
    site = Target(
        target_id="qs-portal",
        type=TargetType.website,
        name=site_name,
        url="http://127.0.0.1:9/sites/qs-portal/",
        unit_id="qs-office",
        county="青山县",
        registered_on=date(2020, 1, 1),
    )
    account = Target(
        target_id="qs-wechat",
        type=TargetType.account,
        name="青山发布",
        url="http://127.0.0.1:9/feeds/qs-wechat.xml",
        unit_id="qs-office",
        county="青山县",
        platform="微信公众号",
        registered_on=date(2022, 9, 25),
    )
    period = Period(
        period_id="2022Q3",
        window_start=datetime(2022, 9, 20, tzinfo=CHINA_TZ),
        monitoring_point=datetime(2022, 9, 29, 23, 59, 59, tzinfo=CHINA_TZ),
    )
    return Inventory(units=[unit], targets=[site, account], periods=[period])


ADMIN_TOKEN = "test-admin-token-0123456789abcdef"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def settings(nats_url: str, mongodb_uri: str, prefix: str) -> RegistrySettings:
    return RegistrySettings(
        nats_url=nats_url,
        mongodb_uri=mongodb_uri,
        mongodb_db_prefix=prefix,
        registry_bootstrap_admin_token=ADMIN_TOKEN,
    )


async def stream_subjects(js: Any, stream: str) -> list[str]:
    info = await js.stream_info(stream)
    sub = await js.subscribe(">", stream=stream, ordered_consumer=True)
    subjects = [(await sub.next_msg(5)).subject for _ in range(info.state.messages)]
    await sub.unsubscribe()
    return subjects


async def test_an_import_is_stored_and_announced_and_an_unchanged_reimport_keeps_versions(
    nats_url_: str, mongodb_uri: str, db_prefix: str, jetstream: Any
) -> None:
    async with (
        running(SPEC, settings(nats_url_, mongodb_uri, db_prefix)) as base,
        httpx.AsyncClient(headers=ADMIN) as http,
    ):
        first = (await http.post(f"{base}/inventory", json=inventory().model_dump(mode="json"))).json()
        again = (await http.post(f"{base}/inventory", json=inventory().model_dump(mode="json"))).json()
        renamed = (
            await http.post(f"{base}/inventory", json=inventory("青山县政府门户").model_dump(mode="json"))
        ).json()
        history = (await http.get(f"{base}/targets/qs-portal/history")).json()
        targets = {t["target_id"]: t for t in (await http.get(f"{base}/targets")).json()}

    assert first["changed_targets"] == 2 and again["changed_targets"] == 0 and renamed["changed_targets"] == 1
    assert first["changed_units"] == 1 and again["changed_units"] == 0
    assert [h["version"] for h in history] == [1, 2]
    assert history[1]["snapshot"]["name"] == "青山县政府门户"
    assert targets["qs-portal"]["version"] == 2 and targets["qs-wechat"]["version"] == 1
    subjects = await stream_subjects(jetstream, "REGISTRY")
    # Identical announcements are dropped by JetStream: one unit, one period, three target versions.
    assert sorted(subjects).count("registry.target.changed") == 3
    assert subjects.count("registry.unit.changed") == 1
    assert subjects.count("registry.period.changed") == 1


async def test_a_round_publishes_every_probe_of_the_window_once(
    nats_url_: str, mongodb_uri: str, db_prefix: str, jetstream: Any, wait: Any
) -> None:
    inv = inventory()
    period = inv.periods[0]
    expected = round_plan(list(inv.targets), period.window_start, period.monitoring_point, 20)
    async with (
        running(SPEC, settings(nats_url_, mongodb_uri, db_prefix)) as base,
        httpx.AsyncClient(headers=ADMIN) as http,
    ):
        await http.post(f"{base}/inventory", json=inv.model_dump(mode="json"))
        created = (await http.post(f"{base}/rounds", json={"period_id": "2022Q3", "round_id": "r1"})).json()

        async def finished() -> bool:
            return bool((await http.get(f"{base}/rounds/r1")).json()["done"])

        await wait(finished, timeout=30, what="round r1 published")
        missing = await http.post(f"{base}/rounds", json={"period_id": "2021Q1"})

    assert created["total"] == len(expected) == 10 * 21 + 5  # the account starts probing only from its registration
    assert (await jetstream.stream_info("PROBES")).state.messages == len(expected)
    first = json.loads((await jetstream.get_msg("PROBES", 1)).data)
    assert first["correlation_id"] == "r1" and first["period_id"] == "2022Q3"
    assert missing.status_code == 404 and "2021Q1" in missing.json()["detail"]
