"""A small prefecture for the registry's API tests: a city, two counties, a department in each county."""

from __future__ import annotations

from datetime import date, datetime

from shared.clock import CHINA_TZ
from shared.events import Inventory, Period, Target, TargetType, Unit, UnitLevel


def unit(unit_id: str, name: str, county: str, level: UnitLevel, parent: str | None) -> Unit:
    return Unit(
        unit_id=unit_id, name=name, county=county, level=level, parent_id=parent, emails=[f"{unit_id}@example.gov.cn"]
    )


def site(target_id: str, name: str, unit_id: str, county: str, **extra: object) -> Target:
    fields: dict[str, object] = {
        "target_id": target_id,
        "type": TargetType.website,
        "name": name,
        "url": f"http://127.0.0.1:9/sites/{target_id}/",
        "unit_id": unit_id,
        "county": county,
        "registered_on": date(2020, 1, 1),
        "site_kind": "门户" if target_id.endswith("portal") else "部门",
    }
    fields.update(extra)
    return Target.model_validate(fields)


def target(target_id: str = "portal", type: TargetType = TargetType.website, **overrides: object) -> Target:
    fields: dict[str, object] = {
        "target_id": target_id,
        "type": type,
        "name": target_id,
        "url": f"http://www.qingshan.gov.cn/{target_id}/",
        "unit_id": "qs-office",
        "county": "青山县",
        "registered_on": date(2020, 1, 1),
    }
    fields.update(overrides)
    return Target.model_validate(fields)


UNITS = [
    unit("city", "云岭市人民政府办公室", "市直", UnitLevel.city, None),
    unit("qs", "青山县人民政府", "青山县", UnitLevel.county, "city"),
    unit("qs-edu", "青山县教育体育局", "青山县", UnitLevel.department, "qs"),
    unit("bs", "白沙县人民政府", "白沙县", UnitLevel.county, "city"),
    unit("bs-hr", "白沙县人社局", "白沙县", UnitLevel.department, "bs"),
]
TARGETS = [
    site("city-portal", "云岭市人民政府", "city", "市直"),
    site("qs-portal", "青山县人民政府", "qs", "青山县"),
    site("qs-edu-site", "青山县教育体育局", "qs-edu", "青山县"),
    site("bs-portal", "白沙县人民政府", "bs", "白沙县"),
    site("bs-hr-site", "白沙县人社局", "bs-hr", "白沙县"),
]
PERIOD = Period(
    period_id="2022Q3",
    window_start=datetime(2022, 7, 1, tzinfo=CHINA_TZ),
    monitoring_point=datetime(2022, 9, 29, 23, 59, 59, tzinfo=CHINA_TZ),
)
PREFECTURE = Inventory(units=UNITS, targets=TARGETS, periods=[PERIOD])
