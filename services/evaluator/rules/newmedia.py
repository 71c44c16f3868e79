"""New-media vetoes beyond N-V2: N-V1 (as W-V1, on the account's posts), N-V3 (no interaction function) and
未及时注销 (an account due to close that still exists: the seed notice's 僵尸账号)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from shared.events import ContentFacts, IndicatorResult, IndicatorStatus, NewMediaFacts, Target, TargetStatus, Unit

from .facts import beijing_date, cn_date
from .observed import Seen, day_text, result
from .specs import ClosureRule, ContentRule, NewMediaInteractionRule
from .website import evaluate_content


def evaluate_newmedia_content(rule: ContentRule, seen: Sequence[Seen[ContentFacts]]) -> IndicatorResult:
    """N-V1 reads the account's posts exactly as W-V1 reads a site (a stolen account is not observable yet)."""
    return evaluate_content(rule, seen)


def evaluate_newmedia_interaction(rule: NewMediaInteractionRule, seen: Seen[NewMediaFacts] | None) -> IndicatorResult:
    if seen is None:
        return result(rule, IndicatorStatus.insufficient, "", "尚未取得账号监测数据，暂无法判定")
    evidence = [seen.observation_id]
    if seen.facts.has_interaction is False:
        return result(rule, IndicatorStatus.failed, rule.label, "账号未提供留言、评论等有效互动功能", evidence)
    if seen.facts.has_interaction:
        return result(rule, IndicatorStatus.passed, "", "账号提供互动功能", evidence)
    text = "账号数据源不含互动功能信息，本项未作检测"
    if rule.unknown_is_insufficient:
        return result(rule, IndicatorStatus.insufficient, "", f"{text}，暂无法判定", evidence)
    # Kept as an explained pass by default: an RSS feed can never tell, and N-V3 is then checked by hand.
    return result(rule, IndicatorStatus.passed, "", text, evidence)


def closure_deadline(
    rule: ClosureRule, target: Target, notice_on: date | None, abolished_on: date | None = None
) -> date | None:
    """The earliest of the registered deadline and ``threshold`` days after the 停更公告 or after the unit was
    abolished or merged; None when none of them is known."""
    grace = timedelta(days=int(rule.threshold))
    due = [
        d
        for d in (target.closure_required_by, notice_on and notice_on + grace, abolished_on and abolished_on + grace)
        if d
    ]
    return min(due) if due else None


def evaluate_closure(
    rule: ClosureRule,
    target: Target,
    as_of: datetime,
    seen: Seen[NewMediaFacts] | None,
    unit: Unit | None = None,
) -> IndicatorResult:
    """``unit``: the account's unit; abolished or merged (撤并), its accounts are due to close as after a 停更公告."""
    today = beijing_date(as_of)
    evidence = [seen.observation_id] if seen else []
    if not target.status.exists or (target.closed_on is not None and target.closed_on <= today):
        return result(rule, IndicatorStatus.passed, "", "账号已注销", evidence)
    notice = seen.facts.closure_notice_on if seen else None
    notice = notice if notice is not None and notice <= today else None
    abolished = unit.abolished_on if unit is not None and unit.abolished_on and unit.abolished_on <= today else None
    due = closure_deadline(rule, target, notice, abolished)
    if due is None:
        if target.status is TargetStatus.closure_announced:
            text = "账号已登记停更公告，但未登记公告日期或应注销日期，暂无法计算注销期限"
            return result(rule, IndicatorStatus.insufficient, "", text, evidence)
        if unit is not None and not unit.active:
            text = f"账号所属单位{unit.name}已撤并，但未登记撤并日期，暂无法计算注销期限"
            return result(rule, IndicatorStatus.insufficient, "", text, evidence)
        return result(rule, IndicatorStatus.passed, "", "未发现停更公告或注销要求", evidence)
    why = _why(notice, abolished, unit, today)
    if today > due:
        text = f"{why}应于{day_text(due, today)}前注销，至{cn_date(today)}仍未注销，已超期{(today - due).days}天"
        return result(rule, IndicatorStatus.failed, rule.label, text, evidence)
    return result(rule, IndicatorStatus.passed, "", f"{why}应于{day_text(due, today)}前注销，尚在期限内", evidence)


def _why(notice: date | None, abolished: date | None, unit: Unit | None, today: date) -> str:
    if notice is not None:
        return f"账号已于{day_text(notice, today)}发布停更公告，"
    if abolished is not None and unit is not None:
        return f"账号所属单位{unit.name}已于{day_text(abolished, today)}撤并，"
    return "账号已列入注销名单，"
