"""A spot-check period's notice counts the sample for the sampled types and everything else in full."""

from __future__ import annotations

from decimal import Decimal

from services.reporter import drafting
from services.reporter.stats import NoticeNumbers, compute_numbers
from shared.events import Period
from shared.sampling import SampleRule, Sampling, checked_in
from tests.reporter.builders import Q3, Seed, lincang_profile

ONE_PER_COUNTY_AND_PLATFORM = Sampling(
    seed="2022Q3", rules=[SampleRule(types=["account"], group_by=["county", "platform"], per_group=1)]
)
SPOT = Period.model_validate(Q3.model_dump() | {"mode": "spot_check", "sampling": ONE_PER_COUNTY_AND_PLATFORM})


def spot_numbers(seed: Seed, period: Period = SPOT) -> NoticeNumbers:
    return compute_numbers(period, seed.targets, seed.units, seed.verdicts, seed.cases, previous_known=True)


def test_accounts_are_counted_in_the_sample_one_per_county_and_platform() -> None:
    seed = Seed()
    numbers = spot_numbers(seed)
    # 238 微博 accounts in nine counties, and 微信 accounts running on 1 July in 沧源 (two, both failing), 镇康, 云县.
    assert numbers.accounts.running == 251 and numbers.accounts.newly_registered == 9
    assert numbers.accounts.checked == 9 + 3
    assert numbers.accounts.unqualified == 3  # one of the two failing 沧源 accounts was not drawn
    assert numbers.accounts.pass_rate == Decimal("75.00")
    listed = {row.target_id for group in numbers.account_groups for row in group.rows}
    assert len(listed) == 3 and {"a-zk-sf", "a-yx-jt"} <= listed
    assert listed <= {t.target_id for t in checked_in(SPOT, seed.targets)}


def test_unsampled_types_stay_a_census_in_the_same_notice() -> None:
    numbers = spot_numbers(Seed())
    assert numbers.websites.checked is None and numbers.columns.checked is None
    assert (numbers.websites.running, numbers.websites.unqualified) == (9, 1)
    assert numbers.columns.running == 39
    assert drafting.websites_heading(numbers) == "三季度政府网站普查情况。"


def test_the_notice_says_how_many_were_checked_and_how_they_were_drawn() -> None:
    numbers = spot_numbers(Seed())
    assert drafting.accounts_text(numbers).endswith(
        "目前，全市在运行政府系统政务新媒体 251 个，市级抽查 12 个，发现不合格政务新媒体 3 个，合格率为 75.00%。"
    )
    assert "其中政务新媒体按县（区）、平台随机抽查，每组不超过1个（随机种子 2022Q3）。" in drafting.opening(
        lincang_profile(), numbers
    )


def test_sampled_websites_say_spot_check_and_the_sample_size() -> None:
    sampling = Sampling(seed="w", rules=[SampleRule(types=["website"], group_by=[], per_group=4)])
    period = Period.model_validate(Q3.model_dump() | {"mode": "spot_check", "sampling": sampling})
    numbers = spot_numbers(Seed(), period)
    assert numbers.websites.running == 9 and numbers.websites.checked == 4
    assert drafting.websites_heading(numbers) == "三季度政府网站抽查情况。"
    assert "市级抽查政府网站 4 个，" in drafting.websites_text(numbers)
    assert numbers.accounts.checked is None and numbers.accounts.unqualified == 4


def test_a_census_prints_as_before() -> None:
    seed = Seed()
    census = compute_numbers(Q3, seed.targets, seed.units, seed.verdicts, seed.cases, previous_known=True)
    assert census.accounts.checked is None and census.sampling == ""
    assert "市级抽查发现不合格政务新媒体 4 个，合格率为 98.41%。" in drafting.accounts_text(census)
