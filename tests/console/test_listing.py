"""The inventory list's core: filters to registry parameters, administrative order, outcomes and pages."""

from __future__ import annotations

from typing import Any

from services.console.listing import (
    COMMON_PLATFORMS,
    PAGE_SIZE,
    Filters,
    build_listing,
    county_order,
    platforms,
    unit_matches,
    verdict_summary,
)

UNITS = [
    {"unit_id": "yl-zfb", "name": "云岭市人民政府办公室", "county": "市直", "order": 100},
    {"unit_id": "ml-gov", "name": "梅岭县人民政府", "county": "梅岭县", "order": 30},
    {"unit_id": "sx-jyj", "name": "松溪县教育体育局", "county": "松溪县", "order": 21},
    {"unit_id": "sx-gov", "name": "松溪县人民政府", "county": "松溪县", "order": 20},
]


def target(target_id: str, unit_id: str, county: str, type: str = "website", **extra: Any) -> dict[str, Any]:
    return {"target_id": target_id, "unit_id": unit_id, "county": county, "type": type, "name": target_id, **extra}


TARGETS = [
    target("yl-portal", "yl-zfb", "市直"),
    target("ml-fb-wb", "ml-gov", "梅岭县", "account", platform="微博"),
    target("sx-fb-wx", "sx-gov", "松溪县", "account", platform="微信公众号"),
    target("songxi-portal", "sx-gov", "松溪县"),
    target("songxi-jyj-site", "sx-jyj", "松溪县"),
    target("meiling-portal", "ml-gov", "梅岭县"),
]


def verdict(outcome: str, *failed: str) -> dict[str, Any]:
    """A row of the evaluator's /outcomes."""
    return {"target_id": "x", "unit_id": "y", "outcome": outcome, "labels": list(failed)}


def test_filters_pass_only_known_choices_to_the_registry_and_keep_the_outcome_for_here() -> None:
    filters = Filters.of(
        {"q": " 5399230001 ", "type": "website", "status": "bogus", "outcome": "unqualified", "page": "x"}
    )
    assert filters.registry_params() == {"q": "5399230001", "type": "website"}
    assert (filters.outcome, filters.page, filters.active) == ("unqualified", 1, True)
    assert Filters.of({"platform": "微博", "county": "梅岭县"}).registry_params() == {
        "county": "梅岭县",
        "platform": "微博",
    }
    assert Filters().registry_params() == {} and not Filters().active


def test_links_to_other_pages_keep_the_filters_and_drop_the_first_page_number() -> None:
    filters = Filters(q="松溪", type="account", page=3)
    assert filters.query(page=4) == "q=%E6%9D%BE%E6%BA%AA&type=account&page=4"
    assert filters.query(page=1) == "q=%E6%9D%BE%E6%BA%AA&type=account"


def test_rows_follow_administrative_order_counties_then_units_then_websites_before_accounts() -> None:
    assert county_order(UNITS) == ["松溪县", "梅岭县", "市直"]
    listing = build_listing(TARGETS, UNITS, {}, Filters())
    assert [r.target["target_id"] for r in listing.rows] == [
        "songxi-portal",
        "sx-fb-wx",
        "songxi-jyj-site",
        "meiling-portal",
        "ml-fb-wb",
        "yl-portal",
    ]
    assert listing.rows[0].unit_name == "松溪县人民政府" and listing.rows[0].outcome == "none"


def test_the_outcome_filter_uses_the_current_verdicts_and_shows_the_failed_labels() -> None:
    verdicts = {
        "songxi-portal": verdict("unqualified", "站点无法访问", "首页长期不更新"),
        "meiling-portal": verdict("qualified"),
    }
    failing = build_listing(TARGETS, UNITS, verdicts, Filters(outcome="unqualified"))
    assert [(r.target["target_id"], r.labels) for r in failing.rows] == [
        ("songxi-portal", ["站点无法访问", "首页长期不更新"])
    ]
    unjudged = build_listing(TARGETS, UNITS, verdicts, Filters(outcome="none"))
    assert unjudged.total == 4
    assert verdict_summary(None) == ("none", [])


def test_pages_hold_page_size_rows_and_a_page_past_the_end_shows_the_last() -> None:
    many = [target(f"acct-{n:03d}", "sx-gov", "松溪县", "account") for n in range(PAGE_SIZE * 2 + 5)]
    second = build_listing(many, UNITS, {}, Filters(page=2))
    assert (second.total, second.page, second.pages, len(second.rows)) == (len(many), 2, 3, PAGE_SIZE)
    assert second.rows[0].target["target_id"] == f"acct-{PAGE_SIZE:03d}"
    beyond = build_listing(many, UNITS, {}, Filters(page=99))
    assert (beyond.page, len(beyond.rows)) == (3, 5)


def test_the_platform_choices_start_with_the_common_ones_and_keep_an_unusual_one() -> None:
    choices = platforms([*TARGETS, target("x", "sx-gov", "松溪县", "account", platform="小红书")], "B站")
    assert choices[: len(COMMON_PLATFORMS)] == list(COMMON_PLATFORMS)
    assert choices[len(COMMON_PLATFORMS) :] == ["B站", "小红书"]


def test_units_are_found_by_part_of_their_name_or_id_within_a_county() -> None:
    assert unit_matches(UNITS[2], "教育", "松溪县")
    assert unit_matches(UNITS[2], "sx-", "")
    assert not unit_matches(UNITS[2], "教育", "梅岭县")
