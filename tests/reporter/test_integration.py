"""The reporter on a real nats-server and SecantusDB: events in, numbers and a notice out over real HTTP."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx

from shared.events import (
    CaseOpened,
    CaseResolved,
    Outcome,
    PeriodChanged,
    UnitChanged,
    natural_id,
)
from tests.reporter.builders import (
    MESSAGES,
    Q2,
    Q3,
    STALE,
    account,
    column,
    county_units,
    lincang_profile,
    verdict,
    website,
)
from tests.reporter.streams import NOW, consumer_caught_up, publish, target_changed, verdict_changed

Wait = Callable[..., Awaitable[Any]]


async def numbers(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/reports/2022Q3/numbers")
    return response.json() if response.status_code == 200 else {}


async def test_registry_and_verdict_events_become_the_drafts_numbers(
    reporter: httpx.AsyncClient, jetstream: Any, wait: Wait
) -> None:
    js = jetstream
    zk = website("w-zk", "镇康县人民政府", "镇康县")
    yx = website("w-yx", "云县人民政府", "云县")
    late = website("w-late", "新建网站", "临翔区", registered_on=date(2022, 9, 30), version=2)
    col = column("c1", "信息公开专栏", "w-yx", county="云县")
    stale, fine = account("a1", "云县教育体育局", "云县"), account("a2", "沧源发布", "沧源自治县")
    for unit in county_units():
        await publish(js, UnitChanged(event_id=natural_id("u", unit.unit_id), occurred_at=NOW, unit=unit))
    for period in (Q2, Q3):
        await publish(js, PeriodChanged(event_id=natural_id("p", period.period_id), occurred_at=NOW, period=period))
    for target in (zk, yx, late, col, stale, fine):
        await publish(js, target_changed(target))
    # an older version of a target arriving late does not undo the newer one (registered after the point)
    await publish(
        js, target_changed(late.model_copy(update={"name": "旧名称", "registered_on": date(2020, 1, 1), "version": 1}))
    )
    for v in (
        verdict(zk, Outcome.unqualified, (MESSAGES,), revision=2),
        verdict(yx, Outcome.qualified),
        verdict(late, Outcome.unqualified, (MESSAGES,)),
        verdict(col, Outcome.qualified),
        verdict(stale, Outcome.unqualified, (STALE,)),
        verdict(fine, Outcome.insufficient),
    ):
        await publish(js, verdict_changed(v))
    opened = CaseOpened(
        event_id="case-opened-1", occurred_at=NOW, case_id="k1", target_id="a2", unit_id="u8", period_id="2022Q2",
        indicator_id="N-V2", problem="内容长期不更新", deadline=date(2022, 7, 14),
    )  # fmt: skip
    resolved = CaseResolved(
        event_id="case-resolved-1",
        occurred_at=NOW,
        case_id="k1",
        target_id="a2",
        period_id="2022Q2",
        indicator_id="N-V2",
    )
    await publish(js, opened)
    await publish(js, resolved)
    await js.publish(
        "case.reminded", b'{"event_type": "case.reminded", "case_id": "k1"}', headers={"Nats-Msg-Id": "r1"}
    )

    async def all_caught_up() -> bool:
        consumers = (("REGISTRY", "reporter-registry"), ("VERDICTS", "reporter"), ("CASES", "reporter-cases"))
        return all([await consumer_caught_up(js, stream, durable) for stream, durable in consumers])

    await wait(all_caught_up, timeout=20, what="the reporter's three consumers to ack every event")
    found = await numbers(reporter)
    assert found["websites"] == {
        "running": 2,
        "unqualified": 1,
        "insufficient": 0,
        "unassessed": 0,
        "pass_rate": "50.00",
        "checked": None,  # a census: every running website is checked
    }
    assert found["columns"]["running"] == 1 and found["columns"]["pass_rate"] == "100.00"
    assert found["accounts"]["insufficient"] == 1 and found["accounts"]["pass_rate"] == "50.00"
    assert found["previous"]["rectified"]["accounts"] == 1
    assert [row["name"] for row in found["website_rows"]] == ["镇康县人民政府"]

    response = await reporter.post("/reports/2022Q3/draft", json=lincang_profile().model_dump(mode="json"))
    assert response.status_code == 200
    draft = response.json()
    assert draft["numbers"] == found
    assert "市级抽查发现不合格政府网站 1 个，合格率 50.00%" in draft["html"]
    assert "如：“镇康县人民政府”网站" in draft["html"]
    assert "另有 1 个政务新媒体因监测数据不足暂未作出合格判定" in draft["html"]
    assert "旧名称" not in draft["html"]
    again = await reporter.post("/reports/2022Q3/draft", json=lincang_profile().model_dump(mode="json"))
    assert again.content == response.content
    assert (await js.stream_info("DEAD")).state.messages == 0


async def test_an_older_verdict_revision_redelivered_does_not_overwrite_a_newer_one(
    reporter: httpx.AsyncClient, jetstream: Any, wait: Wait
) -> None:
    js = jetstream
    site = website("w-zk", "镇康县人民政府", "镇康县")
    await publish(js, PeriodChanged(event_id="period-q3", occurred_at=NOW, period=Q3))
    await publish(js, target_changed(site))
    older = verdict_changed(verdict(site, Outcome.unqualified, (MESSAGES,), revision=2))
    newer = verdict_changed(verdict(site, Outcome.qualified, revision=3))
    await publish(js, older)
    await publish(js, newer)

    async def newer_applied() -> bool:
        found = await numbers(reporter)
        sites = found.get("websites", {})
        return (sites.get("running"), sites.get("unqualified"), sites.get("unassessed")) == (1, 0, 0)

    await wait(newer_applied, timeout=20, what="revision 3 in the projection")
    await publish(js, older, msg_id="replayed-revision-2")  # the older revision once more, past JetStream's dedup
    await wait(lambda: consumer_caught_up(js, "VERDICTS", "reporter"), timeout=20, what="the replay to be acked")
    found = await numbers(reporter)
    assert found["websites"]["unqualified"] == 0
    assert found["website_rows"] == []


async def test_a_period_not_yet_in_the_registry_is_a_404_that_says_what_to_do(reporter: httpx.AsyncClient) -> None:
    response = await reporter.get("/reports/2031Q1/numbers")
    assert response.status_code == 404
    assert "尚未登记" in response.json()["detail"]
    assert (await reporter.get("/reports/2022Q5/numbers")).status_code == 422
