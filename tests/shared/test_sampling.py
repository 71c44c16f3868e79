"""Census and spot checks: a seeded sample per group, reproducible from the seed alone."""

from __future__ import annotations

import random
import typing
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.clock import CHINA_TZ
from shared.events import Period, Target, TargetStatus, TargetType
from shared.sampling import (
    SampledType,
    SampleRule,
    Sampling,
    by_county,
    checked,
    checked_in,
    describe,
    draw,
    drawn_on,
    select,
)

COUNTIES = ("临翔区", "凤庆县", "云县", "镇康县")
PLATFORMS = ("微信公众号", "微博", "抖音")
ACCOUNTS_BY_COUNTY_AND_PLATFORM = Sampling(
    seed="2022Q3", rules=[SampleRule(types=["account"], group_by=["county", "platform"], per_group=5)]
)


def account(n: int, county: str, platform: str = "微信公众号", **fields: object) -> Target:
    values: dict[str, object] = {
        "target_id": f"acc-{n}",
        "type": "account",
        "name": f"账号{n}",
        "url": f"/feeds/acc-{n}.xml",
        "unit_id": "u",
        "county": county,
        "platform": platform,
        "registered_on": date(2020, 1, 1),
    }
    return Target.model_validate(values | fields)


def site(n: int, county: str) -> Target:
    return Target(
        target_id=f"site-{n}",
        type=TargetType.website,
        name=f"网站{n}",
        url=f"/sites/site-{n}/",
        unit_id="u",
        county=county,
        registered_on=date(2020, 1, 1),
    )


def city(accounts_per_group: int = 12) -> list[Target]:
    n = 0
    targets: list[Target] = []
    for county in COUNTIES:
        targets.append(site(len(targets), county))
        for platform in PLATFORMS:
            for _ in range(accounts_per_group):
                targets.append(account(n, county, platform))
                n += 1
    return targets


def test_the_sample_is_reproducible_from_the_seed_and_independent_of_input_order() -> None:
    targets = city()
    first = select(ACCOUNTS_BY_COUNTY_AND_PLATFORM, targets, by_county)
    shuffled = list(targets)
    random.Random(7).shuffle(shuffled)
    again = select(ACCOUNTS_BY_COUNTY_AND_PLATFORM.model_copy(deep=True), shuffled, by_county)
    assert first == again
    assert len(first) == 4 * 3 * 5 + 4  # five accounts per county and platform, every website


def test_each_county_and_platform_gets_at_most_its_cap_and_a_small_group_is_taken_whole() -> None:
    targets = [*city(12), account(900, "永德县", "微博"), account(901, "永德县", "微博")]
    groups = {(g.county, g.platform): g for g in draw(ACCOUNTS_BY_COUNTY_AND_PLATFORM, targets)}
    assert len(groups) == 4 * 3 + 1
    assert all(len(g.sampled) == 5 and g.population == 12 for key, g in groups.items() if key[0] != "永德县")
    assert set(groups[("永德县", "微博")].sampled) == {"acc-900", "acc-901"}


def test_a_ratio_is_rounded_up_with_at_least_one_per_non_empty_group() -> None:
    rule = SampleRule(types=["account"], group_by=["county"], ratio=0.3)
    assert [rule.size(n) for n in (0, 1, 3, 10, 11, 36)] == [0, 1, 1, 3, 4, 11]  # 0.3 × 10 is 3, not 4
    sampling = Sampling(seed="s", rules=[rule])
    sizes = {g.county: len(g.sampled) for g in draw(sampling, city(12))}
    assert sizes == dict.fromkeys(COUNTIES, 11)  # 36 accounts per county


def test_different_seeds_draw_different_samples() -> None:
    targets = city()
    other = ACCOUNTS_BY_COUNTY_AND_PLATFORM.model_copy(update={"seed": "2022Q4"})
    assert select(ACCOUNTS_BY_COUNTY_AND_PLATFORM, targets) != select(other, targets)


def test_adding_a_target_to_another_group_leaves_a_group_s_sample_unchanged() -> None:
    targets = city()
    before = {(g.county, g.platform): g.sampled for g in draw(ACCOUNTS_BY_COUNTY_AND_PLATFORM, targets)}
    after = {
        (g.county, g.platform): g.sampled
        for g in draw(ACCOUNTS_BY_COUNTY_AND_PLATFORM, [*targets, account(999, "镇康县", "抖音")])
    }
    changed = {key for key in before if before[key] != after[key]}
    assert changed <= {("镇康县", "抖音")}


def test_types_no_rule_names_are_checked_in_full_and_a_census_checks_everything() -> None:
    targets = city()
    sites = {t.target_id for t in targets if t.type is TargetType.website}
    assert sites <= select(ACCOUNTS_BY_COUNTY_AND_PLATFORM, targets)
    assert checked(None, targets, date(2022, 7, 1)) == targets


def test_the_sample_is_drawn_from_the_targets_running_when_the_window_opens() -> None:
    late = account(500, "云县", registered_on=date(2022, 8, 1))
    gone = account(501, "云县", status=TargetStatus.closed, closed_on=date(2022, 6, 1))
    closed_mid_quarter = account(502, "云县", status=TargetStatus.closed, closed_on=date(2022, 8, 1))
    only = Sampling(seed="x", rules=[SampleRule(types=["account"], group_by=["county"], per_group=10)])
    period = Period(
        period_id="2022Q3",
        window_start=datetime(2022, 7, 1, tzinfo=CHINA_TZ),
        monitoring_point=datetime(2022, 9, 29, 23, 59, 59, tzinfo=CHINA_TZ),
        mode="spot_check",
        sampling=only,
    )
    assert drawn_on(period) == date(2022, 7, 1)
    assert [t.target_id for t in checked_in(period, [late, gone, closed_mid_quarter])] == ["acc-502"]


def test_a_period_s_mode_and_sampling_must_agree() -> None:
    window = {
        "period_id": "2022Q3",
        "window_start": datetime(2022, 7, 1, tzinfo=CHINA_TZ),
        "monitoring_point": datetime(2022, 9, 29, tzinfo=CHINA_TZ),
    }
    with pytest.raises(ValidationError, match="needs its sampling"):
        Period(**window, mode="spot_check")
    with pytest.raises(ValidationError, match="census period has no sampling"):
        Period(**window, sampling=ACCOUNTS_BY_COUNTY_AND_PLATFORM)
    spot = Period(**window, mode="spot_check", sampling=ACCOUNTS_BY_COUNTY_AND_PLATFORM)
    assert Period.model_validate(spot.model_dump(mode="json")) == spot


@pytest.mark.parametrize(
    "rule",
    [
        {"types": ["account"]},  # no size
        {"types": ["account"], "per_group": 5, "ratio": 0.5},  # two sizes
        {"types": ["account"], "ratio": 0},
        {"types": ["account"], "ratio": 1.5},
        {"types": ["account"], "per_group": 0},
        {"types": ["website"], "group_by": ["platform"], "per_group": 3},  # websites have no platform
        {"types": ["account", "account"], "per_group": 3},
        {"types": ["weibo"], "per_group": 3},
    ],
)
def test_a_rule_that_does_not_say_one_clear_size_is_refused(rule: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SampleRule.model_validate(rule)


def test_a_type_sampled_by_two_rules_is_refused() -> None:
    rule = SampleRule(types=["account"], per_group=3)
    with pytest.raises(ValidationError, match="more than one rule"):
        Sampling(seed="s", rules=[rule, rule])


def test_the_sampled_type_names_are_the_target_types() -> None:
    assert set(typing.get_args(SampledType)) == {t.value for t in TargetType}


def test_the_description_reads_as_a_document_writes_it() -> None:
    assert (
        describe(ACCOUNTS_BY_COUNTY_AND_PLATFORM)
        == "政务新媒体按县（区）、平台随机抽查，每组不超过5个（随机种子 2022Q3）"
    )
    two = Sampling(
        seed="7",
        rules=[
            SampleRule(types=["website", "column"], group_by=["county"], ratio=0.25),
            SampleRule(types=["account"], group_by=[], per_group=40),
        ],
    )
    assert describe(two) == (
        "政府网站、栏目按县（区）随机抽查，每组抽取25%、至少1个；政务新媒体全市随机抽查，共不超过40个（随机种子 7）"
    )
    assert describe(None) == "全面检查"


RULES = st.one_of(
    st.builds(
        SampleRule,
        types=st.just(["account"]),
        group_by=st.sampled_from([[], ["county"], ["county", "platform"]]),
        per_group=st.integers(1, 6),
    ),
    st.builds(
        SampleRule,
        types=st.just(["account"]),
        group_by=st.sampled_from([[], ["county"], ["platform"]]),
        ratio=st.integers(1, 100).map(lambda p: p / 100),
    ),
)
POPULATIONS = st.lists(
    st.tuples(st.integers(0, 60), st.sampled_from(COUNTIES), st.sampled_from(PLATFORMS)),
    max_size=60,
    unique_by=lambda row: row[0],
)


@settings(max_examples=150, deadline=None)
@given(rule=RULES, seed=st.text(min_size=1, max_size=8), rows=POPULATIONS, websites=st.integers(0, 3))
def test_any_sample_is_part_of_its_population_within_the_size_bounds(
    rule: SampleRule, seed: str, rows: list[tuple[int, str, str]], websites: int
) -> None:
    targets = [account(n, county, platform) for n, county, platform in rows]
    targets += [site(n, COUNTIES[0]) for n in range(websites)]
    sampling = Sampling(seed=seed, rules=[rule])
    chosen = select(sampling, targets)
    accounts = {t.target_id for t in targets if t.type is TargetType.account}
    assert chosen - accounts == {t.target_id for t in targets if t.type is TargetType.website}
    groups = draw(sampling, targets)
    assert sum(g.population for g in groups) == len(accounts)
    for group in groups:
        assert 1 <= len(group.sampled) <= group.population
        assert len(group.sampled) == rule.size(group.population)
        if rule.per_group is not None:
            assert len(group.sampled) <= rule.per_group
    assert chosen & accounts == {target_id for g in groups for target_id in g.sampled}
    assert select(sampling, list(reversed(targets))) == chosen
