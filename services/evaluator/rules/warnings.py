"""Early warnings: a value between its warning line and its veto line. A warning never changes a verdict; the
service publishes it so a unit can act before the veto (开普云's lines: 3 %, 10 days, 2 empty, 6 stale, ~3 months)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction

from shared.events import InteractionFacts
from shared.workdays import NATIONAL, WorkCalendar

from .facts import DayCount, PageSeen, beijing_date, cn_date
from .observed import ColumnState, Seen, day_text, listed
from .specs import AvailabilityRule, InteractionRule, SiteColumnsRule, StalenessRule, WarningRules
from .website import answered_by, column_counts, counted, due_text, reply_due


@dataclass(frozen=True)
class EarlyWarning:
    indicator_id: str
    label: str
    explanation: str
    evidence: tuple[str, ...] = ()


def unreachable_warning(
    lines: WarningRules, veto: AvailabilityRule, as_of: datetime, days: Mapping[date, DayCount]
) -> EarlyWarning | None:
    """The last ``unreachable_window_days`` days up to ``as_of``, whatever their number of visits."""
    today = beijing_date(as_of)
    span = [days[d] for i in range(lines.unreachable_window_days) if (d := today - timedelta(days=i)) in days]
    visits = sum(d.visits for d in span)
    if not visits:
        return None
    failures = sum(d.failures for d in span)
    ratio = Fraction(failures, visits)
    if not Fraction(str(lines.unreachable_ratio)) < ratio < Fraction(str(veto.threshold)):
        return None
    text = (
        f"近{lines.unreachable_window_days}天首页访问{visits}次，失败{failures}次，失败率{float(ratio) * 100:.2f}%，"
        f"超过{lines.unreachable_ratio * 100:g}%预警线，达到{veto.threshold * 100:g}%即单项否决"
    )
    return EarlyWarning(veto.indicator_id, "首页访问失败率偏高", text)


def homepage_warning(
    lines: WarningRules, veto: StalenessRule, as_of: datetime, seen: PageSeen | None
) -> EarlyWarning | None:
    if seen is None or seen.newest_item_on is None or seen.observed_at > as_of:
        return None  # nothing seen yet, or already a veto (undated items count as not updated)
    today = beijing_date(as_of)
    age = (today - seen.newest_item_on).days
    if not lines.homepage_days <= age <= int(veto.threshold):
        return None
    left = int(veto.threshold) - age
    text = (
        f"首页最新信息发布于{day_text(seen.newest_item_on, today)}，至{cn_date(today)}已{age}天未更新，"
        f"再过{left + 1}天仍不更新即单项否决"
    )
    return EarlyWarning(veto.indicator_id, "首页即将超期未更新", text, (seen.observation_id,))


def column_warnings(
    lines: WarningRules, veto: SiteColumnsRule, as_of: datetime, columns: Sequence[ColumnState]
) -> list[EarlyWarning]:
    n = column_counts(veto, as_of, columns)
    found: list[EarlyWarning] = []
    if lines.empty_columns < len(n.empty) < veto.empty_line:
        found.append(_columns("空白栏目偏多", f"空白栏目{len(n.empty)}个", veto.empty_line, veto, n.empty))
    if lines.stale_columns < len(n.long_stale) < veto.long_stale_line:
        text = f"应更新但长期未更新栏目{len(n.long_stale)}个"
        found.append(_columns("栏目不更新偏多", text, veto.long_stale_line, veto, n.long_stale))
    return found


def _columns(label: str, counted_text: str, line: int, veto: SiteColumnsRule, cols: list[ColumnState]) -> EarlyWarning:
    names = "、".join(c.name for c in cols)
    text = f"{counted_text}（{names}），达到{line}个即单项否决"
    return EarlyWarning(veto.indicator_id, label, text, tuple(c.observation_id for c in cols if c.observation_id))


def message_warning(
    lines: WarningRules,
    veto: InteractionRule,
    as_of: datetime,
    boards: Sequence[Seen[InteractionFacts]],
    calendar: WorkCalendar = NATIONAL,
) -> EarlyWarning | None:
    """Unanswered 政务咨询 messages ``message_days`` old or older that are not yet past their reply deadline."""
    today = beijing_date(as_of)
    near = [
        (b.observation_id, m, due)
        for b in boards
        for m in b.facts.messages
        if counted(veto, today, m)
        and not answered_by(today, m)
        and m.asked_on is not None
        and (today - m.asked_on).days >= lines.message_days
        and today <= (due := reply_due(veto, m, calendar)).due
    ]
    if not near:
        return None
    parts = [
        f"「{m.title}」{day_text(m.asked_on, today)}留言，{due_text(due, today)}" for _, m, due in near if m.asked_on
    ]
    text = f"{len(near)}条政务咨询类留言即将超过{veto.reply_limit.text}未答复：{listed(parts)}"
    return EarlyWarning(veto.indicator_id, "留言即将超期", text, tuple(dict.fromkeys(o for o, _, _ in near)))
