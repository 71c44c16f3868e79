"""W-V3 首页不更新, N-V2 内容不更新 and a column's own update rule: days since the newest dated item."""

from __future__ import annotations

from datetime import date, datetime

from shared.events import IndicatorResult, IndicatorStatus, Target

from .facts import FeedSeen, PageSeen, beijing_date, cn_date
from .observed import result
from .specs import ColumnRule, RuleSpec, StalenessRule


def evaluate_homepage(rule: StalenessRule, target: Target, as_of: datetime, seen: PageSeen | None) -> IndicatorResult:
    if seen is None or seen.observed_at > as_of:
        return result(rule, IndicatorStatus.insufficient, "", "尚未取得首页监测数据，暂无法判定")
    return _stale_check(
        rule, rule.label, int(rule.threshold), as_of, seen.newest_item_on, "首页", seen.observation_id, target
    )


def evaluate_newmedia(rule: StalenessRule, target: Target, as_of: datetime, seen: FeedSeen | None) -> IndicatorResult:
    if seen is None or seen.observed_at > as_of:
        return result(rule, IndicatorStatus.insufficient, "", "尚未取得账号发布内容监测数据，暂无法判定")
    newest = beijing_date(seen.newest_post_at) if seen.newest_post_at else None
    return _stale_check(rule, rule.label, int(rule.threshold), as_of, newest, "账号", seen.observation_id, target)


def column_period_days(rule: ColumnRule, target: Target) -> int:
    """The target's own update period, else the typical one for its column type, else the rule's fallback."""
    if target.update_period_days:
        return target.update_period_days
    return rule.period_days_by_type.get(target.column_type, int(rule.threshold))


def evaluate_column(rule: ColumnRule, target: Target, as_of: datetime, seen: PageSeen | None) -> IndicatorResult:
    if seen is None or seen.observed_at > as_of:
        return result(rule, IndicatorStatus.insufficient, "", "尚未取得栏目监测数据，暂无法判定")
    if seen.empty:
        return result(
            rule, IndicatorStatus.failed, rule.empty_label, "栏目内没有任何信息，属空白栏目", (seen.observation_id,)
        )
    days = column_period_days(rule, target)
    return _stale_check(rule, rule.stale_label, days, as_of, seen.newest_item_on, "栏目", seen.observation_id, target)


def _stale_check(
    rule: RuleSpec,
    label: str,
    max_days: int,
    as_of: datetime,
    newest: date | None,
    where: str,
    evidence: str,
    target: Target,
) -> IndicatorResult:
    today = beijing_date(as_of)
    opened = target.registered_on
    if (today - opened).days <= max_days and (newest is None or newest < opened):
        # A target cannot be stale for longer than it has been registered: a new account has its full period.
        text = f"{where}于{_date_text(opened, today)}登记开设，至{cn_date(today)}未满{max_days}天，暂不作不更新判定"
        return result(rule, IndicatorStatus.passed, "", text, (evidence,))
    if newest is None:
        # 「未注明信息发布时间的视为不更新」: undated items count as not updated.
        text = f"{where}未发现注明发布日期的信息，视为不更新"
        return result(rule, IndicatorStatus.failed, label, text, (evidence,))
    age = (today - newest).days
    if age > max_days:
        text = f"{where}最新信息发布于{_date_text(newest, today)}，至{cn_date(today)}已{age}天未更新，超过{max_days}天"
        return result(rule, IndicatorStatus.failed, label, text, (evidence,))
    text = f"{where}最新信息发布于{_date_text(newest, today)}，至{cn_date(today)}间隔{age}天，未超过{max_days}天"
    return result(rule, IndicatorStatus.passed, "", text, (evidence,))


def _date_text(day: date, today: date) -> str:
    return cn_date(day) if day.year == today.year else f"{day.year}年{cn_date(day)}"
