"""The notice's numbers from plain values: no database, no broker."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from services.reporter.stats import CaseRecord, NoticeNumbers, compute_numbers, pass_rate, previous_period_id
from shared.events import Outcome, Target, TargetStatus, Verdict
from tests.reporter.builders import (
    MESSAGES,
    Q3,
    STALE,
    ZOMBIE,
    Seed,
    account,
    column,
    county_units,
    qualified,
    unqualified,
    verdict,
    website,
)


def numbers_of(
    targets: Sequence[Target], verdicts: Sequence[Verdict], cases: Sequence[CaseRecord] = (), **options: Any
) -> NoticeNumbers:
    return compute_numbers(Q3, targets, county_units(), verdicts, cases, **options)


def test_eight_of_nine_is_88_89_rounded_half_up_and_88_88_truncated() -> None:
    assert pass_rate(9, 1, "half_up") == Decimal("88.89")
    assert pass_rate(9, 1, "truncate") == Decimal("88.88")


def test_247_of_251_is_98_41_rounded_and_98_40_truncated_never_mixed() -> None:
    assert pass_rate(251, 4, "half_up") == Decimal("98.41")
    assert pass_rate(251, 4, "truncate") == Decimal("98.40")


def test_exact_halves_round_up_and_whole_rates_keep_two_decimals() -> None:
    assert pass_rate(8, 1, "half_up") == Decimal("87.50")
    assert pass_rate(1600, 1, "half_up") == Decimal("99.94")  # 99.9375
    assert pass_rate(1600, 1, "truncate") == Decimal("99.93")
    assert str(pass_rate(39, 0, "half_up")) == "100.00"


def test_nothing_running_has_no_pass_rate() -> None:
    numbers = numbers_of([], [])
    assert numbers.websites.running == 0
    assert numbers.websites.pass_rate is None


def test_the_seed_city_gives_the_seed_numbers_under_one_rounding_rule() -> None:
    seed = Seed()
    half_up = numbers_of(seed.targets, seed.verdicts, seed.cases, rounding="half_up", previous_known=True)
    truncated = numbers_of(seed.targets, seed.verdicts, seed.cases, rounding="truncate", previous_known=True)
    assert (half_up.websites.running, half_up.websites.unqualified) == (9, 1)
    assert (half_up.columns.running, half_up.columns.unqualified, half_up.columns.pass_rate) == (39, 0, Decimal(100))
    assert (half_up.accounts.running, half_up.accounts.unqualified, half_up.accounts.newly_registered) == (251, 4, 9)
    assert (half_up.websites.pass_rate, half_up.accounts.pass_rate) == (Decimal("88.89"), Decimal("98.41"))
    assert (truncated.websites.pass_rate, truncated.accounts.pass_rate) == (Decimal("88.88"), Decimal("98.40"))


def test_a_website_closed_after_the_monitoring_point_still_counts() -> None:
    site = website("w1", "云县人民政府", "云县", status=TargetStatus.closed, closed_on=date(2022, 10, 3))
    numbers = numbers_of([site], [unqualified(site, MESSAGES)])
    assert numbers.websites.running == 1
    assert numbers.websites.unqualified == 1
    assert [row.name for row in numbers.website_rows] == ["云县人民政府"]


def test_a_website_closed_on_the_monitoring_day_still_counts_but_one_closed_before_does_not() -> None:
    on_the_day = website("w1", "甲", "云县", status=TargetStatus.closed, closed_on=date(2022, 9, 29))
    before = website("w2", "乙", "云县", status=TargetStatus.closed, closed_on=date(2022, 9, 28))
    undated = website("w3", "丙", "云县", status=TargetStatus.closed)
    numbers = numbers_of([on_the_day, before, undated], [unqualified(before, MESSAGES), unqualified(undated, MESSAGES)])
    assert numbers.websites.running == 1
    assert numbers.websites.unqualified == 0
    assert numbers.website_rows == []


def test_a_website_registered_after_the_monitoring_point_does_not_count() -> None:
    late = website("w1", "云县人民政府", "云县", registered_on=date(2022, 9, 30))
    on_time = website("w2", "凤庆县人民政府", "凤庆县", registered_on=date(2022, 9, 29))
    numbers = numbers_of([late, on_time], [unqualified(late, MESSAGES), qualified(on_time)])
    assert numbers.websites.running == 1
    assert numbers.websites.unqualified == 0
    assert numbers.websites.pass_rate == 100


def test_insufficient_is_not_counted_as_unqualified_and_is_reported_with_the_unassessed() -> None:
    sites = [website(f"w{i}", f"网站{i}", "云县") for i in range(4)]
    verdicts = [
        unqualified(sites[0], MESSAGES),
        verdict(sites[1], Outcome.insufficient),
        qualified(sites[2]),
    ]  # sites[3] has no verdict yet
    tally = numbers_of(sites, verdicts).websites
    assert (tally.running, tally.unqualified, tally.insufficient, tally.unassessed) == (4, 1, 1, 1)
    assert tally.without_conclusion == 2
    assert tally.pass_rate == Decimal("75.00")


def test_accounts_registered_within_the_window_are_newly_registered() -> None:
    before = account("a1", "甲", "云县", registered_on=date(2022, 6, 30))
    first_day = account("a2", "乙", "云县", registered_on=date(2022, 7, 1))
    last_day = account("a3", "丙", "云县", registered_on=date(2022, 9, 29))
    after = account("a4", "丁", "云县", registered_on=date(2022, 9, 30))
    accounts = numbers_of([before, first_day, last_day, after], []).accounts
    assert (accounts.running, accounts.newly_registered) == (3, 2)


def test_unqualified_websites_are_listed_by_county_in_administrative_order() -> None:
    sites = [
        website("w-cy", "沧源佤族自治县人民政府", "沧源自治县"),
        website("w-city", "临沧市人民政府", "临沧市"),
        website("w-yx", "云县人民政府", "云县"),
        website("w-lx", "临翔区人民政府", "临翔区"),
    ]
    rows = numbers_of(sites, [unqualified(s, MESSAGES) for s in sites]).website_rows
    assert [r.county for r in rows] == ["临沧市", "临翔区", "云县", "沧源自治县"]
    assert [r.serial for r in rows] == [1, 2, 3, 4]


def test_accounts_are_grouped_by_platform_with_numbering_continuous_across_groups() -> None:
    accounts = [
        account("a1", "沧源发布", "沧源自治县", platform="抖音"),
        account("a2", "云县教育体育局", "云县"),
        account("a3", "镇康司法行政", "镇康县"),
        account("a4", "临翔微博", "临翔区", platform="微博"),
        account("a5", "凤庆视频", "凤庆县", platform="抖音"),
    ]
    groups = numbers_of(accounts, [unqualified(a, STALE) for a in accounts]).account_groups
    assert [g.platform for g in groups] == ["微信公众号", "微博", "抖音"]
    listed = [(r.serial, r.name) for g in groups for r in g.rows]
    assert listed == [(1, "云县教育体育局"), (2, "镇康司法行政"), (3, "临翔微博"), (4, "凤庆视频"), (5, "沧源发布")]


def test_a_listed_target_joins_its_distinct_problem_labels() -> None:
    site = website("w1", "云县人民政府", "云县")
    failed = unqualified(site, MESSAGES, ("W-V3", "首页长期不更新"), ("W-V5", "留言未及时办理"))
    (row,) = numbers_of([site], [failed]).website_rows
    assert row.problems == ["留言未及时办理", "首页长期不更新"]


def test_verdicts_of_other_periods_are_ignored() -> None:
    site = website("w1", "云县人民政府", "云县")
    other = unqualified(site, MESSAGES).model_copy(update={"period_id": "2022Q2"})
    assert numbers_of([site], [other]).websites.unqualified == 0


def test_last_quarters_problem_targets_count_once_and_are_rectified_when_every_case_is_resolved() -> None:
    site, col, acc = website("w1", "甲", "云县"), column("c1", "专栏", "w1"), account("a1", "乙", "云县")
    cases = [
        CaseRecord(case_id="k1", target_id="w1", period_id="2022Q2", opened=True, resolved=True),
        CaseRecord(case_id="k2", target_id="w1", period_id="2022Q2", opened=True, resolved=True),
        CaseRecord(case_id="k3", target_id="c1", period_id="2022Q2", opened=True, resolved=False),
        CaseRecord(case_id="k4", target_id="a1", period_id="2022Q2", opened=True, resolved=True),
        CaseRecord(case_id="k5", target_id="a1", period_id="2022Q3", opened=True, resolved=False),
    ]
    previous = numbers_of([site, col, acc], [], cases).previous
    assert previous.period_id == "2022Q2"
    assert (previous.found.websites, previous.found.columns, previous.found.accounts) == (1, 1, 1)
    assert (previous.rectified.websites, previous.rectified.columns, previous.rectified.accounts) == (1, 0, 1)
    assert previous.known


def test_the_previous_period_of_a_first_quarter_is_the_last_quarter_of_the_year_before() -> None:
    assert previous_period_id("2023Q1") == "2022Q4"
    assert previous_period_id("2022Q3") == "2022Q2"


def test_problems_are_grouped_as_the_notice_groups_them_with_the_first_target_as_example() -> None:
    yx, zk = website("w-yx", "云县人民政府", "云县"), website("w-zk", "镇康县人民政府", "镇康县")
    col = column("c1", "通知公告", "w-yx", county="云县")
    zombie, stale = account("a1", "沧源县人社局", "沧源自治县"), account("a2", "云县教育体育局", "云县")
    verdicts = [
        unqualified(zk, MESSAGES),
        unqualified(yx, ("W-V2", "站点无法访问"), ("W-V5", "未提供有效咨询建言渠道")),
        unqualified(col, ("C-V1", "栏目不更新")),
        unqualified(zombie, ZOMBIE),
        unqualified(stale, STALE),
    ]
    numbers = numbers_of([yx, zk, col, zombie, stale], verdicts)
    sites = {c.key: c for c in numbers.website_problems}
    assert list(sites) == ["availability", "columns", "interaction"]
    assert sites["interaction"].labels == ["未提供有效咨询建言渠道", "留言未及时办理"]
    assert [e.name for e in sites["interaction"].examples] == ["云县人民政府"]
    assert sites["columns"].examples[0].site_name == "云县人民政府"
    assert [(c.key, c.examples[0].name) for c in numbers.account_problems] == [
        ("zombie", "沧源县人社局"),
        ("stale", "云县教育体育局"),
    ]
