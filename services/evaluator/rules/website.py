"""Website vetoes judged from the new observation kinds: W-V1 (content), W-V4 (the site's columns together),
W-V5 (message boards) and W-V6 (办事服务 and 办事指南).

Every rule takes plain values (``Seen`` facts, ``ColumnState``) and returns one ``IndicatorResult`` per indicator:
cases are keyed on the indicator id, so sub-items that fail together share one result and join their labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from shared.events import (
    ContentFacts,
    IndicatorResult,
    IndicatorStatus,
    InteractionFacts,
    InteractionSummary,
    Message,
    ServiceGuide,
    ServiceGuideFacts,
    WordFinding,
)
from shared.workdays import NATIONAL, Deadline, WorkCalendar

from . import replies
from .facts import beijing_date, cn_date
from .observed import ColumnState, Seen, add_months, day_text, ids, listed, result
from .specs import ContentRule, InteractionRule, ServiceRule, SiteColumnsRule

# --- W-V1 严重表述错误 -------------------------------------------------------------------------------------------


def findings(seen: Sequence[Seen[ContentFacts]]) -> list[tuple[str, WordFinding]]:
    """Every finding once (the same word at the same place of the same page), with the observation that saw it."""
    unique: dict[tuple[str, str, int], tuple[str, WordFinding]] = {}
    for s in seen:
        for f in s.facts.findings:
            unique.setdefault((f.url, f.word, f.offset), (s.observation_id, f))
    return list(unique.values())


def minor_findings(rule: ContentRule, seen: Sequence[Seen[ContentFacts]]) -> list[WordFinding]:
    """Findings below the veto grade (疑似, 一般): for review and the deduction part, never a veto."""
    return [f for _, f in findings(seen) if f.severity not in rule.veto_severities]


def evaluate_content(rule: ContentRule, seen: Sequence[Seen[ContentFacts]]) -> IndicatorResult:
    if not seen:
        return result(rule, IndicatorStatus.insufficient, "", "尚未取得内容检查数据，暂无法判定")
    every = findings(seen)
    serious = [(o, f) for o, f in every if f.severity in rule.veto_severities]
    if len(serious) >= rule.threshold:
        parts = [_finding_text(f) for _, f in serious]
        text = f"发现严重表述错误{len(serious)}处：{listed(parts)}"
        return result(rule, IndicatorStatus.failed, rule.label, text, [o for o, _ in serious])
    pages = sum(s.facts.pages_checked for s in seen)
    text = f"检查页面{pages}个，未发现严重表述错误"
    if every:
        text += f"（另有疑似或一般错误{len(every)}处，不作单项否决）"
    return result(rule, IndicatorStatus.passed, "", text, ids(seen))


def _finding_text(f: WordFinding) -> str:
    fix = f"应为「{f.suggestion}」" if f.suggestion else f"（{f.context}）"
    return f"「{f.word}」{fix}，见{f.url}"


# --- W-V4 栏目不更新, the whole site -------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnCounts:
    """The three W-V4 counts; ``line1`` is 动态要闻 (2 weeks) and first-level 通知公告/政策文件 (6 months) together."""

    frequent: list[ColumnState]
    first_level: list[ColumnState]
    long_stale: list[ColumnState]
    empty: list[ColumnState]

    @property
    def line1(self) -> list[ColumnState]:
        return list(dict.fromkeys(self.frequent + self.first_level))  # once, should a rule set list a type in both


def _age_over(today: date, newest: date | None, days: int) -> bool:
    # 「未注明信息发布时间的视为不更新」: a column without a dated item counts as not updated.
    return newest is None or (today - newest).days > days


def column_period(rule: SiteColumnsRule, column: ColumnState) -> int:
    if column.update_period_days:
        return column.update_period_days
    return rule.period_days_by_type.get(column.column_type, rule.fallback_period_days)


def column_counts(rule: SiteColumnsRule, as_of: datetime, columns: Sequence[ColumnState]) -> ColumnCounts:
    """Empty columns are counted only as empty (line 3), never again as not updated (lines 1 and 2)."""
    today = beijing_date(as_of)
    half_year = add_months(today, -rule.first_level_months)
    dated = [c for c in columns if not c.empty]
    return ColumnCounts(
        frequent=[
            c
            for c in dated
            if c.column_type in rule.frequent_types and _age_over(today, c.newest_item_on, rule.frequent_days)
        ],
        first_level=[
            c
            for c in dated
            if c.first_level
            and c.column_type in rule.first_level_types
            and (c.newest_item_on is None or c.newest_item_on < half_year)
        ],
        long_stale=[c for c in dated if _age_over(today, c.newest_item_on, column_period(rule, c))],
        empty=[c for c in columns if c.empty],
    )


def evaluate_site_columns(
    rule: SiteColumnsRule, as_of: datetime, columns: Sequence[ColumnState], unseen: int = 0
) -> IndicatorResult:
    """``unseen``: registered columns not yet observed; they make a pass insufficient when they could tip a line."""
    if not columns and not unseen:
        return result(rule, IndicatorStatus.insufficient, "", "尚未登记或监测到网站栏目，暂无法判定")
    n = column_counts(rule, as_of, columns)
    lines = [
        (len(n.line1), int(rule.threshold), rule.stale_label, n.line1),
        (len(n.long_stale), rule.long_stale_line, rule.stale_label, n.long_stale),
        (len(n.empty), rule.empty_line, rule.empty_label, n.empty),
    ]
    failed = [(label, cols) for count, line, label, cols in lines if count >= line]
    text = _counts_text(rule, n)
    if failed:
        labels = "、".join(dict.fromkeys(label for label, _ in failed))
        named = [c for _, cols in failed for c in cols]
        text += f"。涉及栏目：{'、'.join(dict.fromkeys(c.name for c in named))}"
        return result(rule, IndicatorStatus.failed, labels, text, [c.observation_id for c in named])
    evidence = [c.observation_id for c in columns]
    if any(count + unseen >= line for count, line, _, _ in lines):
        return result(
            rule, IndicatorStatus.insufficient, "", f"{text}；另有{unseen}个栏目尚未监测，暂无法判定", evidence
        )
    return result(rule, IndicatorStatus.passed, "", text, evidence)


def _counts_text(rule: SiteColumnsRule, n: ColumnCounts) -> str:
    return (
        f"动态、要闻类栏目{rule.frequent_days}天内未更新{len(n.frequent)}个，"
        f"通知公告、政策文件类一级栏目{rule.first_level_months}个月内未更新{len(n.first_level)}个，"
        f"合计{len(n.line1)}个（{int(rule.threshold)}个即否决）；"
        f"应更新但长期未更新栏目{len(n.long_stale)}个（{rule.long_stale_line}个即否决）；"
        f"空白栏目{len(n.empty)}个（{rule.empty_line}个即否决）"
    )


# --- W-V5 互动回应差 -----------------------------------------------------------------------------------------

ANSWERED = ("已答复", "已回复", "已办结", "已处理")


def counted(rule: InteractionRule, today: date, m: Message) -> bool:
    """A 政务咨询 message asked within the look-back year; 访谈, 征集, 信访, 纪检 and undated messages do not count."""
    if m.asked_on is None or any(word in m.category for word in rule.excluded_categories):
        return False
    return add_months(today, -rule.lookback_months) <= m.asked_on <= today


def reply_due(rule: InteractionRule, m: Message, calendar: WorkCalendar = NATIONAL) -> Deadline:
    """The last day an answer is in time under the rule's ``reply_limit``, and whether the calendar was exact."""
    assert m.asked_on is not None
    return replies.reply_deadline(rule.reply_limit, m.asked_on, calendar)


def reply_deadline(rule: InteractionRule, m: Message, calendar: WorkCalendar = NATIONAL) -> date:
    """The last day an answer is in time: asked 6月29日, answered by 9月29日 (「超过3个月」 starts on 9月30日);
    asked 7月1日, the period ends on 10月1日 in the National Day holiday and the last day becomes 10月8日."""
    return reply_due(rule, m, calendar).due


def answered_by(today: date, m: Message) -> bool:
    """Answered as of ``today``: an answer dated later did not exist yet; a 已答复 status without a date counts."""
    if m.answered_on is not None:
        return m.answered_on <= today
    return any(word in m.status for word in ANSWERED)


def overdue(rule: InteractionRule, today: date, m: Message, calendar: WorkCalendar = NATIONAL) -> bool:
    deadline = reply_deadline(rule, m, calendar)
    if not answered_by(today, m):
        return today > deadline
    return rule.late_answer_counts and m.answered_on is not None and m.answered_on > deadline


def evaluate_interaction(
    rule: InteractionRule,
    as_of: datetime,
    boards: Sequence[Seen[InteractionFacts]],
    calendar: WorkCalendar = NATIONAL,
) -> IndicatorResult:
    if not boards:
        return result(rule, IndicatorStatus.insufficient, "", "尚未取得互动交流栏目监测数据，暂无法判定")
    if not any(b.facts.channel_present for b in boards):
        text = "网站未提供有效的在线咨询、建言渠道（网上信访、纪检举报渠道不计入）"
        return result(rule, IndicatorStatus.failed, rule.no_channel_label, text, ids(boards))
    today = beijing_date(as_of)
    valid = [(b.observation_id, m) for b in boards for m in b.facts.messages if counted(rule, today, m)]
    late = [(o, m) for o, m in valid if overdue(rule, today, m, calendar)]
    limit = rule.reply_limit.text
    if late:
        parts = [_late_text(today, m, reply_due(rule, m, calendar)) for _, m in late]
        text = f"近一年政务咨询类留言中{len(late)}条超过{limit}未答复：{listed(parts)}"
        return result(rule, IndicatorStatus.failed, rule.overdue_label, text, [o for o, _ in late])
    text = f"近一年政务咨询类留言{len(valid)}条，均在{limit}内答复或尚未超期"
    return result(rule, IndicatorStatus.passed, "", text, ids(boards))


def interaction_summary(
    rule: InteractionRule,
    window_start: date,
    as_of: datetime,
    boards: Sequence[Seen[InteractionFacts]],
    reply_days: Mapping[str, int | None],
    calendar: WorkCalendar = NATIONAL,
) -> InteractionSummary | None:
    """网民留言办理情况 of one website (the notice's （四）); None when none of its boards has been read.

    Boards with a working channel count as 网民留言平台. Messages are those W-V5 counts (信访, 纪检, 访谈, 征集 and
    undated ones left out) asked within the period's window; a reply is overdue against the board's promised
    ``reply_days`` working days (the W-V5 limit when the board promises none): answered after that, or still
    unanswered once it has passed.
    """
    if not boards:
        return None
    today = beijing_date(as_of)
    messages = overdue = 0
    for board in boards:
        days = reply_days.get(board.observation_id)
        limit = replies.ReplyLimit(working_days=days) if days else rule.reply_limit
        for m in board.facts.messages:
            if not counted(rule, today, m) or m.asked_on is None or m.asked_on < window_start:
                continue
            messages += 1
            overdue += late_against(replies.reply_deadline(limit, m.asked_on, calendar).due, today, m)
    working = sum(1 for b in boards if b.facts.channel_present)
    return InteractionSummary(boards=working, messages=messages, overdue=overdue)


def late_against(due: date, today: date, m: Message) -> bool:
    """Answered after ``due``, or not answered by ``today`` when ``due`` has passed."""
    if not answered_by(today, m):
        return today > due
    return m.answered_on is not None and m.answered_on > due


def due_text(due: Deadline, today: date) -> str:
    """「应于10月8日前答复」 (the day itself included), flagged when a year's holidays were not known."""
    text = f"应于{day_text(due.due, today)}前答复"
    return text if due.exact else f"{text}（该年节假日安排尚未收录，按周一至周五推算）"


def _late_text(today: date, m: Message, due: Deadline) -> str:
    assert m.asked_on is not None
    asked = f"「{m.title}」{day_text(m.asked_on, today)}留言，{due_text(due, today)}"
    if m.answered_on is not None and m.answered_on <= today:
        return f"{asked}，{day_text(m.answered_on, today)}才答复"
    return f"{asked}，至{cn_date(today)}未答复"


# --- W-V6 服务不实用 -----------------------------------------------------------------------------------------


def guide_defects(rule: ServiceRule, guide: ServiceGuide) -> list[str]:
    """What makes a guide inaccurate, in the notices' wording; empty for a sound guide."""
    defects: list[str] = []
    missing = [e for e in rule.key_elements if e in guide.missing]
    if missing:
        defects.append(f"缺少{'、'.join(missing)}")
    promised, statutory = guide.promised_days, guide.statutory_days
    if promised is not None and statutory is not None and promised > statutory:
        defects.append(f"承诺办结时限（{promised}个工作日）长于法定办结时限（{statutory}个工作日）")
    if promised is None and statutory is None:
        defects.append("无具体办理时限")
    defects.extend(p for p in guide.problems if p not in defects)
    return defects


def evaluate_services(
    rule: ServiceRule, sources: Sequence[Seen[ServiceGuideFacts]], public_services: bool = True
) -> IndicatorResult:
    """``public_services`` False: a department without public service duties, for which W-V6 does not apply."""
    if not public_services:
        return result(rule, IndicatorStatus.passed, "", "该单位无对外服务职能，不检查办事服务")
    if not sources:
        return result(rule, IndicatorStatus.insufficient, "", "尚未取得办事服务监测数据，暂无法判定")
    if not any(s.facts.service_offered for s in sources):
        return result(rule, IndicatorStatus.failed, rule.no_service_label, "网站未提供办事服务", ids(sources))
    guides = [(s.observation_id, g) for s in sources for g in s.facts.guides]
    if not guides:
        return result(rule, IndicatorStatus.insufficient, "", "网站提供办事服务，但尚未取得办事指南，暂无法判定")
    bad = [(o, g, d) for o, g in guides if (d := guide_defects(rule, g))]
    if len(bad) >= rule.threshold:
        parts = [f"《{g.name}》{'、'.join(d)}" for _, g, d in bad]
        text = f"检查办事指南{len(guides)}个，{len(bad)}个要素不全或不准确：{listed(parts)}"
        return result(rule, IndicatorStatus.failed, rule.guide_label, text, [o for o, _, _ in bad])
    text = f"检查办事指南{len(guides)}个，关键要素齐全、办理时限明确"
    if bad:
        text += f"（{len(bad)}个存在问题，未达{int(rule.threshold)}个否决线）"
    return result(rule, IndicatorStatus.passed, "", text, ids(sources))
