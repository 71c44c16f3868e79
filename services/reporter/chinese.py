"""How government documents write dates, quarters and percentages (pure)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

QUARTER_NUMERALS = {1: "一", 2: "二", 3: "三", 4: "四"}
ORDINALS = "一二三四五六七八九十"


def quarter_name(quarter: int) -> str:
    """三季度."""
    return f"{QUARTER_NUMERALS[quarter]}季度"


def full_date(day: date) -> str:
    """2022 年 10 月 7 日."""
    return f"{day.year} 年 {day.month} 月 {day.day} 日"


def compact_date(day: date) -> str:
    """2022年10月7日, as titles and imprints print it."""
    return f"{day.year}年{day.month}月{day.day}日"


def month_day(day: date) -> str:
    """7 月 1 日."""
    return f"{day.month} 月 {day.day} 日"


def ordinal(index: int) -> str:
    """1 → 一, for headings （一）, 一、 and 一是."""
    if index <= 10:
        return ORDINALS[index - 1]
    tens, ones = divmod(index, 10)
    return f"{ORDINALS[tens - 1] if tens > 1 else ''}十{ORDINALS[ones - 1] if ones else ''}"


def percent(rate: Decimal | None) -> str:
    """88.88%; a whole 100 is printed 100% as the notices do; no rate (nothing running) is —."""
    if rate is None:
        return "—"
    if rate == 100:
        return "100%"
    return f"{rate}%"
