"""Plain values for the evaluator's tests: a site, a column, an account, a quarter and their facts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from services.evaluator.rules import DayCount
from shared.clock import CHINA_TZ
from shared.events import Period, Target, TargetType

QUARTER = Period(
    period_id="2022Q3",
    window_start=datetime(2022, 7, 1, tzinfo=CHINA_TZ),
    monitoring_point=datetime(2022, 9, 29, 23, 59, 59, tzinfo=CHINA_TZ),
)
SITE = Target(
    target_id="yx-portal",
    type=TargetType.website,
    name="云县人民政府",
    url="http://127.0.0.1:9/sites/yx-portal/",
    unit_id="yx-office",
    county="云县",
    registered_on=date(2018, 1, 1),
)
COLUMN = Target(
    target_id="yx-portal-tzgg",
    type=TargetType.column,
    name="通知公告",
    url="http://127.0.0.1:9/sites/yx-portal/tzgg/",
    unit_id="yx-office",
    county="云县",
    site_id="yx-portal",
    column_type="动态要闻",
    update_period_days=14,
    registered_on=date(2018, 1, 1),
)
ACCOUNT = Target(
    target_id="yx-jiaoyu",
    type=TargetType.account,
    name="云县教育体育局",
    url="http://127.0.0.1:9/feeds/yx-jiaoyu.xml",
    unit_id="yx-jiaoyu-unit",
    county="云县",
    platform="微信公众号",
    registered_on=date(2019, 1, 1),
)


def beijing(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=CHINA_TZ)


def days(first: date, last: date, visits: int = 20, failures: int = 0) -> dict[date, DayCount]:
    """The same counts on every day from first to last."""
    return {first + timedelta(days=i): DayCount(visits, failures) for i in range((last - first).days + 1)}
