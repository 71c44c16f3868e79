"""The overview's arrangement of what the services answer: period choice, chart series, case counts, probing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.console.situation import (
    Probing,
    by_county,
    by_platform,
    choose_period,
    count_cases,
    rate,
    round_progress,
    started_periods,
    trend,
    trend_periods,
)
from services.notifier.models import CaseStatus

PERIODS = [
    {"period_id": "2022Q2", "window_start": "2022-04-01T00:00:00+08:00"},
    {"period_id": "2022Q3", "window_start": "2022-07-01T00:00:00+08:00"},
    {"period_id": "2022Q4", "window_start": "2022-10-01T00:00:00+08:00"},
]
IDS = ["2022Q2", "2022Q3", "2022Q4"]


def test_the_overview_opens_on_the_latest_period_whose_window_has_opened() -> None:
    started = started_periods(PERIODS, date(2022, 9, 29))
    assert started == ["2022Q2", "2022Q3"]
    assert choose_period(IDS, "", started) == "2022Q3"
    assert choose_period(IDS, "2022Q4", started) == "2022Q4"
    assert choose_period(IDS, "1999Q1", []) == "2022Q4"  # an unknown request, nothing started: the latest
    assert choose_period([], "", []) == ""


def test_the_trend_shows_the_selected_period_and_those_before_it_oldest_first() -> None:
    assert trend_periods(IDS, "2022Q3") == ["2022Q2", "2022Q3"]
    assert trend_periods([f"20{y}Q{q}" for y in (20, 21, 22) for q in (1, 2, 3, 4)], "2022Q4")[0] == "2021Q1"


def test_trend_series_take_each_periods_rates_and_leave_a_gap_where_the_reporter_gave_none() -> None:
    breakdowns = {
        "2022Q2": {
            "websites": {"pass_rate": "90.00"},
            "columns": {"pass_rate": None},
            "accounts": {"pass_rate": "100"},
        },
        "2022Q3": None,
    }
    labels, series = trend(breakdowns, ["2022Q2", "2022Q3"])
    assert labels == ["2022Q2", "2022Q3"]
    assert [s.name for s in series] == ["网站", "栏目", "政务新媒体"]
    assert series[0].values == [Decimal("90.00"), None] and series[1].values == [None, None]


def test_a_period_without_any_verdict_has_no_rate_rather_than_100_percent() -> None:
    assert rate({"pass_rate": "100.00", "running": 6, "unassessed": 6, "checked": None}) is None
    assert rate({"pass_rate": "100.00", "running": 40, "unassessed": 3, "checked": 3}) is None  # a sample, unseen
    assert rate({"pass_rate": "66.67", "running": 6, "unassessed": 0, "unqualified": 2}) == Decimal("66.67")


def test_county_and_platform_series_keep_the_reporters_order() -> None:
    breakdown = {
        "counties": [
            {
                "county": "翠湖区",
                "websites": {"pass_rate": "50.00"},
                "columns": {"pass_rate": "100.00"},
                "accounts": {},
            },
            {"county": "市直", "websites": {"pass_rate": "80.00"}, "columns": None, "accounts": {"pass_rate": "75.00"}},
        ],
        "platforms": [{"platform": "微信公众号", "accounts": {"pass_rate": "88.57"}}],
    }
    counties, series = by_county(breakdown)
    assert counties == ["翠湖区", "市直"]
    assert series[0].values == [Decimal("50.00"), Decimal("80.00")] and series[2].values == [None, Decimal("75.00")]
    platforms, accounts = by_platform(breakdown)
    assert platforms == ["微信公众号"] and accounts[0].values == [Decimal("88.57")]
    assert by_county(None)[0] == [] and by_platform({})[0] == []


def test_cases_are_counted_by_state_within_the_units_the_user_may_see() -> None:
    cases = [
        {"status": "open", "unit_id": "a"},
        {"status": "open", "unit_id": "b"},
        {"status": "overdue", "unit_id": "a"},
        {"status": "resolved", "unit_id": "a"},
    ]
    everything = count_cases(cases)
    assert everything.open_total == 3 and everything.resolved == 1
    assert {s.status: s.count for s in everything.states}[CaseStatus.open] == 2
    mine = count_cases(cases, frozenset({"a"}))
    counts = {s.status: s.count for s in mine.states}
    assert counts[CaseStatus.open] == 1 and counts[CaseStatus.overdue] == 1 and mine.open_total == 2
    assert CaseStatus.resolved not in counts and counts[CaseStatus.verifying] == 0  # every waiting state, zeros too
    assert [s.late for s in mine.states if s.count] == [False, True]


def test_a_round_shows_what_is_still_owed_and_whether_it_is_done() -> None:
    record = {"round_id": "r1", "period_id": "2022Q3", "total": 100, "published": 60, "done": False}
    publishing = round_progress(record, 40)
    assert publishing.waiting == 20 and publishing.state == "发布中"
    assert round_progress({**record, "published": 100, "done": True}, 90).state == "采集中"
    assert round_progress({**record, "published": 100, "done": True}, 100).state == "已完成"
    assert round_progress(record, None).waiting is None


def test_probing_keeps_up_while_the_probes_backlog_is_under_the_registrys_limit() -> None:
    assert Probing(backlog=10, limit=2000).keeping_up is True
    behind = Probing(backlog=2000, limit=2000)
    assert behind.keeping_up is False and "采集积压" in behind.text and "2000" in behind.text
    assert Probing(backlog=None, limit=None).keeping_up is None
    assert "跟得上" in Probing(backlog=0, limit=None).text
