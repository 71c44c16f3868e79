"""A small scenario as plain data, for tests that change one field at a time."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from simulator.scenario import Scenario, parse_scenario

BASE: dict[str, Any] = {
    "name": "测试场景",
    "city": "云岭市",
    "period": {"id": "2022Q3", "window_start": date(2022, 7, 1), "monitoring_point": date(2022, 9, 29)},
    "notice": {
        "issuer": "云岭市人民政府办公室",
        "document_number": "云政办字〔2022〕1号",
        "date": date(2022, 10, 10),
        "deadline": date(2022, 10, 21),
        "recipients": ["各县、自治县、区人民政府"],
        "cc": ["市委各部门"],
    },
    "units": [
        {"id": "zfb", "name": "云岭市人民政府办公室", "county": "市直", "order": 100, "emails": ["zfb@example.gov.cn"]},
        {"id": "sx-gov", "name": "松溪县人民政府", "county": "松溪县", "order": 20, "supervisor": "zfb"},
        {"id": "ch-gov", "name": "翠湖区人民政府", "county": "翠湖区", "order": 10, "supervisor": "zfb"},
    ],
    "websites": [
        {
            "id": "portal",
            "name": "云岭市人民政府",
            "unit": "zfb",
            "type": "门户",
            "site_code": "5399000001",
            "greeting": True,
            "registered_on": date(2015, 1, 1),
            "states": {"stale_days": 1},
        },
        {
            "id": "gbk-site",
            "name": "松溪县人民政府",
            "unit": "sx-gov",
            "type": "门户",
            "site_code": "5399230001",
            "encoding": "gbk",
            "date_style": "chinese",
            "registered_on": date(2015, 1, 1),
            "states": {"stale_days": 3, "availability": {"failure_ratio": 0.1, "last_days": 7, "mode": "error"}},
        },
    ],
    "columns": [
        {
            "id": "portal-tzgg",
            "site": "portal",
            "name": "通知公告",
            "column_type": "通知公告",
            "update_period_days": 180,
            "states": {"stale_days": 4},
        },
        {
            "id": "portal-xxgk",
            "site": "portal",
            "unit": "sx-gov",
            "name": "松溪县信息公开专栏",
            "column_type": "信息公开专栏",
            "update_period_days": 30,
            "states": {"empty": True},
        },
    ],
    "accounts": [
        {
            "id": "fb-wx",
            "name": "云岭发布",
            "platform": "微信公众号",
            "unit": "zfb",
            "registered_on": date(2016, 1, 1),
            "states": {"stale_days": 15},
        },
    ],
}


def data(**changes: Any) -> dict[str, Any]:
    """A deep copy of the base scenario, with top-level keys replaced."""
    out = copy.deepcopy(BASE)
    out.update(changes)
    return out


def scenario(**changes: Any) -> Scenario:
    return parse_scenario(data(**changes))
