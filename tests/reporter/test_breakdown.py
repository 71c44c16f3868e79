"""Pass rates by county and by platform (GET /reports/{period}/breakdown), the same counts as the notice's numbers."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from services.reporter.stats import Breakdown, Rounding, compute_breakdown, compute_numbers
from shared.events import Period, Target, Unit, Verdict
from tests.reporter.builders import Q3, STALE, Seed, account, county_units, qualified, unqualified, website
from tests.reporter.stack import ReporterStack, Wait, seeded
from tests.reporter.test_spot_check_numbers import SPOT


def breakdown(
    period: Period,
    targets: Sequence[Target],
    units: Sequence[Unit],
    verdicts: Sequence[Verdict],
    rounding: Rounding = "half_up",
) -> Breakdown:
    """As the reporter calls it: each target's outcome in the period's verdict."""
    outcomes = {v.target_id: v.outcome for v in verdicts if v.period_id == period.period_id}
    return compute_breakdown(period, targets, units, outcomes, rounding=rounding)


def test_counties_come_in_administrative_order_each_with_its_three_rates() -> None:
    seed = Seed()
    found = breakdown(Q3, seed.targets, seed.units, seed.verdicts)
    counties = [c.county for c in found.counties]
    assert counties == [
        "临沧市",
        "临翔区",
        "凤庆县",
        "云县",
        "永德县",
        "镇康县",
        "双江自治县",
        "耿马自治县",
        "沧源自治县",
    ]
    zk = next(c for c in found.counties if c.county == "镇康县")
    assert (zk.websites.running, zk.websites.unqualified, zk.websites.pass_rate) == (1, 1, Decimal("0.00"))
    assert zk.columns.running == 0 and zk.columns.pass_rate is None  # no column there: no rate, not 100 %
    cy = next(c for c in found.counties if c.county == "沧源自治县")
    assert cy.accounts.unqualified == 2


def test_platforms_come_in_the_notices_order_with_the_accounts_rates() -> None:
    seed = Seed()
    found = breakdown(Q3, seed.targets, seed.units, seed.verdicts)
    assert [p.platform for p in found.platforms] == ["微信公众号", "微博"]
    wechat, weibo = found.platforms
    assert (wechat.accounts.running, wechat.accounts.unqualified) == (13, 4)
    assert weibo.accounts.pass_rate == Decimal("100.00") and weibo.accounts.running == 238


def test_the_totals_and_the_groups_add_up_to_the_notices_numbers() -> None:
    seed = Seed()
    for period in (Q3, SPOT):
        found = breakdown(period, seed.targets, seed.units, seed.verdicts, rounding="truncate")
        numbers = compute_numbers(period, seed.targets, seed.units, seed.verdicts, rounding="truncate")
        assert found.websites == numbers.websites and found.columns == numbers.columns
        assert found.accounts.pass_rate == numbers.accounts.pass_rate
        assert sum(c.accounts.running for c in found.counties) == numbers.accounts.running
        assert sum(p.accounts.unqualified for p in found.platforms) == numbers.accounts.unqualified
        checked = sum(p.accounts.checked or 0 for p in found.platforms)
        assert checked == (numbers.accounts.checked or 0)


def test_an_account_without_a_platform_is_listed_as_other_after_the_known_ones() -> None:
    targets = [account("a1", "甲", "云县", platform=""), account("a2", "乙", "云县", platform="抖音")]
    verdicts = [unqualified(targets[0], STALE), qualified(targets[1])]
    found = breakdown(Q3, [*targets, website("w1", "云县人民政府", "云县")], county_units(), verdicts)
    assert [(p.platform, p.accounts.pass_rate) for p in found.platforms] == [
        ("抖音", Decimal("100.00")),
        ("其他", Decimal("0.00")),
    ]
    assert found.counties[0].websites.unassessed == 1  # running, no verdict yet: counted, not failed


async def test_the_breakdown_is_read_by_administrators_and_auditors_not_unit_users(
    reporter_stack: ReporterStack, jetstream: Any, wait: Wait
) -> None:
    await seeded(reporter_stack, jetstream, wait)
    response = await reporter_stack.client.get("/reports/2022Q3/breakdown")
    assert response.status_code == 200, response.text
    body = response.json()
    assert [c["county"] for c in body["counties"]] == ["云县", "镇康县"]
    assert body["counties"][1]["websites"]["unqualified"] == 1 and body["websites"]["pass_rate"] == "50.00"
    assert [(p["platform"], p["accounts"]["pass_rate"]) for p in body["platforms"]] == [("微信公众号", "100.00")]
    units = [u.model_dump(mode="json") for u in county_units()]
    imported = await reporter_stack.client.post(f"{reporter_stack.registry}/inventory", json={"units": units})
    assert imported.status_code == 200, imported.text  # the registry knows the units its users belong to
    auditor = await reporter_stack.token_for("auditor-b", "auditor")
    unit = await reporter_stack.token_for("yx-user-b", "unit_user", "u3")
    assert (await reporter_stack.client.get("/reports/2022Q3/breakdown", headers=auditor)).status_code == 200
    assert (await reporter_stack.client.get("/reports/2022Q3/breakdown", headers=unit)).status_code == 403
    assert (await reporter_stack.client.get("/reports/2031Q1/breakdown")).status_code == 404
    several = await reporter_stack.client.get("/reports/breakdowns", params={"period_id": ["2031Q1", "2022Q3"]})
    assert several.status_code == 200 and several.json() == [body]  # an unknown period is left out
    assert (await reporter_stack.client.get("/reports/breakdowns?period_id=2022Q3", headers=unit)).status_code == 403
