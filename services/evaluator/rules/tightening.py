"""What a local rule set may change: it may only tighten the rule set it extends.

Every field of every rule has an explicit direction in ``DIRECTIONS`` — decided by how the rule reads it, with the
reason next to it — instead of a guess from its name. ``loosened`` lists every field the local set moves the wrong way,
each with the national and the local value, in the words an office user reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel

from .problems import Problem
from .replies import ReplyLimit, is_tighter_or_equal
from .ruleset import META_FIELDS, RuleSet
from .specs import DeductionGroup, DeductionItem


class Way(Enum):
    DOWN = "down"  # a lower value fails more targets: may only go down (or stay)
    UP = "up"  # a higher value fails more targets or demands more evidence: may only go up (or stay)
    FIXED = "fixed"  # changes what the indicator means or how it is measured: may not change
    FREE = "free"  # wording, sources, confidence tags, advisory lines: may change freely
    MORE = "more"  # a list of what is checked: may gain entries, never lose one
    FEWER = "fewer"  # a list of what is exempted: may lose entries, never gain one
    KEEP_TRUE = "keep_true"  # a switch that makes the rule stricter when on: once on, stays on
    PERIODS = "periods"  # update periods by column type: each may only go down, none removed
    REPLY_LIMIT = "reply_limit"  # W-V5's reply limit: never a later deadline (replies.is_tighter_or_equal)
    GROUPS = "groups"  # the deduction groups: the same groups with the same totals
    ITEMS = "items"  # the deduction items: none removed, points and caps only up


@dataclass(frozen=True)
class Check:
    way: Way
    unit: str = ""  # how the value is written in a message: 天, 个, 个月, 次, 分, % (a ratio shown as a percentage)
    fallback: str = ""  # PERIODS: the field giving the period of a type not listed


FREE = Check(Way.FREE)
DAYS_DOWN = Check(Way.DOWN, "天")
COUNT_DOWN = Check(Way.DOWN, "个")
# ``window_days`` is not read by these rules; it stays as the national text has it so a file cannot suggest otherwise.
UNUSED_WINDOW = Check(Way.FIXED, "天")

COMMON = {
    "indicator_id": Check(Way.FIXED),  # which indicator a rule implements is not a local choice
    "name": FREE,
    "veto": Check(Way.KEEP_TRUE),  # a veto rule may not become veto: false
    "source": FREE,
    "confidence": FREE,
}

DIRECTIONS: dict[str, dict[str, Check]] = {
    # W-V2: the site fails when failed / all visits ≥ threshold over any window of consecutive monitored days.
    "availability": {
        **COMMON,
        "label": FREE,
        "threshold": Check(Way.DOWN, "%"),
        # 「监测1周」 is the method, not the line: a shorter window judges a veto on less evidence than the text
        # requires, a longer one dilutes an outage. Neither is a plain tightening, so it stays.
        "window_days": Check(Way.FIXED, "天"),
        # 「每天间隔性访问20次以上」 is the least sample the text accepts: fewer visits per day would let one failed
        # visit weigh more than the national method allows; more visits only add evidence.
        "min_daily_visits": Check(Way.UP, "次"),
    },
    # W-V3: more than ``threshold`` days without a new item fails; ``window_days`` states the same span.
    "homepage": {**COMMON, "label": FREE, "threshold": DAYS_DOWN, "window_days": DAYS_DOWN},
    # A column target: older than its period fails; ``threshold`` is the period of a type not listed.
    "column": {
        **COMMON,
        "empty_label": FREE,
        "stale_label": FREE,
        "threshold": DAYS_DOWN,
        "window_days": UNUSED_WINDOW,
        "period_days_by_type": Check(Way.PERIODS, "天", fallback="threshold"),
    },
    # N-V2: as W-V3, for an account (some counties require an update every 10 days).
    "newmedia": {**COMMON, "label": FREE, "threshold": DAYS_DOWN, "window_days": DAYS_DOWN},
    # W-V1 / N-V1: ``threshold`` findings of a veto severity fail; more severities counted is stricter.
    "content": {
        **COMMON,
        "label": FREE,
        "threshold": COUNT_DOWN,
        "window_days": UNUSED_WINDOW,
        "veto_severities": Check(Way.MORE),
    },
    "newmedia_content": {
        **COMMON,
        "label": FREE,
        "threshold": COUNT_DOWN,
        "window_days": UNUSED_WINDOW,
        "veto_severities": Check(Way.MORE),
    },
    # W-V4's three lines are counts (fewer columns fail sooner); its periods are ages (shorter is stricter); more
    # column types counted on line (1) means more columns counted.
    "site_columns": {
        **COMMON,
        "stale_label": FREE,
        "empty_label": FREE,
        "threshold": COUNT_DOWN,
        "window_days": UNUSED_WINDOW,
        "frequent_types": Check(Way.MORE),
        "frequent_days": DAYS_DOWN,
        "first_level_types": Check(Way.MORE),
        "first_level_months": Check(Way.DOWN, "个月"),
        "long_stale_line": COUNT_DOWN,
        "empty_line": COUNT_DOWN,
        "period_days_by_type": Check(Way.PERIODS, "天", fallback="fallback_period_days"),
        "fallback_period_days": DAYS_DOWN,
    },
    # W-V5: the reply limit decides (``threshold`` states the national months). A shorter look-back counts fewer
    # messages; more excluded categories skip more messages; a late answer that stops counting as 逾期 is looser.
    "interaction": {
        **COMMON,
        "no_channel_label": FREE,
        "overdue_label": FREE,
        "threshold": Check(Way.DOWN, "个月"),
        "window_days": UNUSED_WINDOW,
        "lookback_months": Check(Way.UP, "个月"),
        "excluded_categories": Check(Way.FEWER),
        "late_answer_counts": Check(Way.KEEP_TRUE),
        "reply_limit": Check(Way.REPLY_LIMIT),
    },
    # W-V6: ``threshold`` defective guides fail; every key element required nationally stays required.
    "services": {
        **COMMON,
        "no_service_label": FREE,
        "guide_label": FREE,
        "threshold": COUNT_DOWN,
        "window_days": UNUSED_WINDOW,
        "key_elements": Check(Way.MORE),
    },
    # N-V3: an account whose interaction cannot be seen is insufficient (strict) rather than an explained pass.
    "newmedia_interaction": {
        **COMMON,
        "label": FREE,
        "threshold": COUNT_DOWN,
        "window_days": UNUSED_WINDOW,
        "unknown_is_insufficient": Check(Way.KEEP_TRUE),
    },
    # 未及时注销: days after the 停更公告 an account may still exist; ``window_days`` states the same span.
    "closure": {**COMMON, "label": FREE, "threshold": DAYS_DOWN, "window_days": DAYS_DOWN},
    # The deduction part: a higher pass line is stricter; the 100-point scale and its groups are the national
    # structure (a notice compares scores across counties); items may be added, never removed or made cheaper.
    "scoring": {
        **COMMON,
        "label": FREE,
        "threshold": Check(Way.UP, "分"),
        "window_days": UNUSED_WINDOW,
        "full_marks": Check(Way.FIXED, "分"),
        "services_scale_note": FREE,
        "groups": Check(Way.GROUPS),
        "items": Check(Way.ITEMS),
    },
    # Early warnings never change a verdict: advisory, a local set sets them as it likes.
    "warnings": {
        "unreachable_ratio": FREE,
        "unreachable_window_days": FREE,
        "homepage_days": FREE,
        "empty_columns": FREE,
        "stale_columns": FREE,
        "message_days": FREE,
        "source": FREE,
        "confidence": FREE,
    },
}


@dataclass(frozen=True)
class Comparison:
    """One section of a local rule set against the same section of the rule set it extends."""

    section: str
    local: BaseModel
    base: BaseModel
    base_name: str  # 国家规则, or the local rule set extended
    tail: str  # why it is refused: 不能放宽单项否决指标 …

    def path(self, *parts: str | int) -> str:
        text = self.section
        for part in parts:
            text += f"[{part}]" if isinstance(part, int) else f".{part}"
        return text

    def looser(self, path: str, local: Any, base: Any, unit: str = "") -> Problem:
        return Problem(path, f"本地规则为{shown(local, unit)}，宽于{self.base_name}{shown(base, unit)}，{self.tail}")

    def changed(self, path: str, local: Any, base: Any, unit: str = "") -> Problem:
        return Problem(path, f"本地规则为{shown(local, unit)}，{self.base_name}为{shown(base, unit)}，此项不得修改")


def loosened(local: RuleSet, national: RuleSet) -> list[Problem]:
    """Every way ``local`` is looser than ``national`` (the rule set it extends), field by field."""
    base_name = "国家规则" if national.extends is None else f"所依据规则（{national.ref}）"
    found: list[Problem] = []
    for section in RuleSet.model_fields:
        if section in META_FIELDS:
            continue
        base_rule, local_rule = getattr(national, section), getattr(local, section)
        comparison = Comparison(section, local_rule, base_rule, base_name, _tail(section, base_rule))
        checks = DIRECTIONS.get(section, {})
        for name in type(base_rule).model_fields:
            # A field nobody has given a direction yet may not change at all (a test keeps the table complete).
            check = checks.get(name, Check(Way.FIXED))
            found += CHECKERS[check.way](comparison, name, check)
    return found


def _tail(section: str, rule: BaseModel) -> str:
    if getattr(rule, "veto", False):
        return "不能放宽单项否决指标"
    return "不能放宽扣分指标" if section == "scoring" else "不能放宽上级规则"


Checker = Callable[[Comparison, str, Check], list[Problem]]


def _values(c: Comparison, name: str) -> tuple[Any, Any]:
    return getattr(c.local, name), getattr(c.base, name)


def _free(c: Comparison, name: str, check: Check) -> list[Problem]:
    return []


def _down(c: Comparison, name: str, check: Check) -> list[Problem]:
    local, base = _values(c, name)
    if base is None or (local is not None and local <= base):
        return []  # a national None is no limit; a local None where the nation sets one is looser
    return [c.looser(c.path(name), local, base, check.unit)]


def _up(c: Comparison, name: str, check: Check) -> list[Problem]:
    local, base = _values(c, name)
    if base is None or (local is not None and local >= base):
        return []
    return [c.looser(c.path(name), local, base, check.unit)]


def _fixed(c: Comparison, name: str, check: Check) -> list[Problem]:
    local, base = _values(c, name)
    return [] if local == base else [c.changed(c.path(name), local, base, check.unit)]


def _more(c: Comparison, name: str, check: Check) -> list[Problem]:
    local, base = _values(c, name)
    dropped = [v for v in base if v not in local]
    if not dropped:
        return []
    return [Problem(c.path(name), f"本地规则删去了{_quoted(dropped)}（{c.base_name}要求检查），{c.tail}")]


def _fewer(c: Comparison, name: str, check: Check) -> list[Problem]:
    local, base = _values(c, name)
    added = [v for v in local if v not in base]
    if not added:
        return []
    return [Problem(c.path(name), f"本地规则增加了{_quoted(added)}（{c.base_name}未排除），{c.tail}")]


def _keep_true(c: Comparison, name: str, check: Check) -> list[Problem]:
    local, base = _values(c, name)
    if not base or local:
        return []
    if name == "veto":
        return [Problem(c.path(name), f"本地规则取消了单项否决（veto: false），{c.tail}")]
    return [Problem(c.path(name), f"本地规则为false，{c.base_name}为true，{c.tail}")]


def _periods(c: Comparison, name: str, check: Check) -> list[Problem]:
    local, base = _values(c, name)
    fallback = getattr(c.base, check.fallback)
    found: list[Problem] = []
    for column_type, days in base.items():
        if column_type not in local:
            message = f"本地规则删去了「{column_type}」的更新周期（{days}天），{c.tail}"
            found.append(Problem(c.path(name, column_type), message))
        elif local[column_type] > days:
            found.append(c.looser(c.path(name, column_type), local[column_type], days, check.unit))
    for column_type, days in local.items():
        if column_type not in base and days > fallback:
            # A type the nation does not list falls back to the national default period: no longer than that.
            found.append(c.looser(c.path(name, column_type), days, fallback, check.unit))
    return found


def _reply_limit(c: Comparison, name: str, check: Check) -> list[Problem]:
    local, base = _values(c, name)
    assert isinstance(local, ReplyLimit) and isinstance(base, ReplyLimit)
    if is_tighter_or_equal(local, base):
        return []
    return [c.looser(c.path(name), local.text, base.text)]


def _groups(c: Comparison, name: str, check: Check) -> list[Problem]:
    local: Sequence[DeductionGroup] = getattr(c.local, name)
    base = {g.group_id: g for g in getattr(c.base, name)}
    found = [
        Problem(c.path(name), f"本地规则删去了扣分指标「{g.name}」（{g.group_id}），{c.tail}")
        for g in base.values()
        if g.group_id not in {mine.group_id for mine in local}
    ]
    for i, group in enumerate(local):
        if group.group_id not in base:
            message = f"本地规则新增了扣分指标「{group.name}」（{group.group_id}），扣分指标的分组须与{c.base_name}一致"
            found.append(Problem(c.path(name, i, "group_id"), message))
            continue
        for field in ("total", "services"):  # the 100-point structure and who skips 办事服务
            mine, theirs = getattr(group, field), getattr(base[group.group_id], field)
            if mine != theirs:
                found.append(c.changed(c.path(name, i, field), mine, theirs, "分" if field == "total" else ""))
    return found


def _items(c: Comparison, name: str, check: Check) -> list[Problem]:
    local: Sequence[DeductionItem] = getattr(c.local, name)
    base = {item.item_id: item for item in getattr(c.base, name)}
    kept = {item.item_id for item in local}
    found = [
        Problem(c.path(name), f"本地规则删去了扣分项「{item.name}」（{item.item_id}），{c.tail}")
        for item in base.values()
        if item.item_id not in kept
    ]
    for i, item in enumerate(local):
        theirs = base.get(item.item_id)
        if theirs is None:
            continue  # a local deduction item only adds deductions
        if item.group_id != theirs.group_id:
            found.append(c.changed(c.path(name, i, "group_id"), item.group_id, theirs.group_id))
        if item.points < theirs.points:
            found.append(c.looser(c.path(name, i, "points"), item.points, theirs.points, "分"))
        if _cap(item.max_points) < _cap(theirs.max_points):  # a lower cap deducts less
            found.append(c.looser(c.path(name, i, "max_points"), item.max_points, theirs.max_points, "分"))
    return found


def _cap(points: float | None) -> float:
    return float("inf") if points is None else points


CHECKERS: Mapping[Way, Checker] = {
    Way.DOWN: _down,
    Way.UP: _up,
    Way.FIXED: _fixed,
    Way.FREE: _free,
    Way.MORE: _more,
    Way.FEWER: _fewer,
    Way.KEEP_TRUE: _keep_true,
    Way.PERIODS: _periods,
    Way.REPLY_LIMIT: _reply_limit,
    Way.GROUPS: _groups,
    Way.ITEMS: _items,
}


def shown(value: Any, unit: str = "") -> str:
    """A value as a message shows it: 20天, 5%, 0.5分, 是, 未设定."""
    if value is None:
        return "未设定"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return f"{value * 100:g}%" if unit == "%" else f"{value:g}{unit}"
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value) or "（空）"
    return f"{value}{unit}"


def _quoted(values: Sequence[Any]) -> str:
    return "、".join(f"「{v}」" for v in values)
