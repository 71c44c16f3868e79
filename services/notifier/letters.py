"""How the notices name things: dates (2022年10月14日), periods (2022年第三季度) and targets (某某网站“通知公告”栏目).

Pure; the messages themselves are texts.py's."""

from __future__ import annotations

import re
from datetime import date

from shared.events import Target, TargetType

_QUARTERS = {"1": "一", "2": "二", "3": "三", "4": "四"}


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def period_name(period_id: str) -> str:
    """2022Q3 → 2022年第三季度."""
    match = re.fullmatch(r"(\d{4})Q([1-4])", period_id)
    return f"{match[1]}年第{_QUARTERS[match[2]]}季度" if match else period_id


def target_title(target: Target, site: Target | None = None) -> str:
    """How a notice names the target: 某某人民政府网站, 某某网站“通知公告”栏目, 微信公众号“某某”."""
    if target.type is TargetType.website:
        return target.name if target.name.endswith("网站") else f"{target.name}网站"
    if target.type is TargetType.column:
        return f"{target_title(site)}“{target.name}”栏目" if site else f"“{target.name}”栏目"
    return f"{target.platform or '政务新媒体'}“{target.name}”"
