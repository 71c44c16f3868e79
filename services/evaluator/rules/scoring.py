"""The deduction part (扣分指标): deductions found in the facts, capped per item and per indicator, and the score.

The score is 100 less the deductions; below 60 is 不合格 and exactly 60 passes. A department without public
services skips 办事服务 (25 points): it is scored out of 75 and the result multiplied by 4/3. Arithmetic is exact
(fractions), so 40 deducted passes and 40.1 fails without a rounding surprise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from shared.events import (
    IndicatorResult,
    IndicatorStatus,
    InteractionFacts,
    LinksFacts,
    SiteBasicsFacts,
    WordFinding,
)

from .facts import beijing_date
from .observed import ColumnState, Seen, add_months, result
from .specs import ScoringRule


@dataclass(frozen=True)
class Deduction:
    """One deduction item found on a site: ``count`` occurrences of the rule set's item ``item_id``."""

    item_id: str
    count: int = 1
    detail: str = ""
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupScore:
    group_id: str
    name: str
    total: Fraction
    deducted: Fraction


@dataclass(frozen=True)
class Score:
    points: Fraction
    passed: bool
    groups: tuple[GroupScore, ...]
    scaled: bool = False

    @property
    def deducted(self) -> Fraction:
        return sum((g.deducted for g in self.groups), Fraction(0))


def _exact(value: float) -> Fraction:
    return Fraction(str(value))


def item_points(rule: ScoringRule, d: Deduction) -> Fraction:
    """An item's deduction, capped by its own cap; an item the rule set does not list deducts nothing."""
    item = next((i for i in rule.items if i.item_id == d.item_id), None)
    if item is None or d.count <= 0:
        return Fraction(0)
    points = _exact(item.points) * d.count
    return min(points, _exact(item.max_points)) if item.max_points is not None else points


def score(rule: ScoringRule, deductions: Sequence[Deduction], public_services: bool = True) -> Score:
    groups: list[GroupScore] = []
    for g in rule.groups:
        if g.services and not public_services:
            continue
        raw = sum((item_points(rule, d) for d in deductions if _group_of(rule, d) == g.group_id), Fraction(0))
        groups.append(GroupScore(g.group_id, g.name, _exact(g.total), min(raw, _exact(g.total))))
    deducted = sum((g.deducted for g in groups), Fraction(0))
    full = _exact(rule.full_marks)
    if public_services:
        points = full - deducted
    else:
        base = full - sum((_exact(g.total) for g in rule.groups if g.services), Fraction(0))
        points = (base - deducted) * full / base
    return Score(points, points >= _exact(rule.threshold), tuple(groups), scaled=not public_services)


def _group_of(rule: ScoringRule, d: Deduction) -> str:
    return next((i.group_id for i in rule.items if i.item_id == d.item_id), "")


def points_text(value: Fraction) -> str:
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


def score_result(rule: ScoringRule, s: Score, deductions: Sequence[Deduction]) -> IndicatorResult:
    parts = [f"{g.name}扣{points_text(g.deducted)}分" for g in s.groups if g.deducted]
    text = f"扣分指标得分{points_text(s.points)}分"
    if s.scaled:
        text += "（无对外服务职能，按75分计算后乘以4/3）"
    text += f"：{'、'.join(parts)}" if parts else "，未发现扣分问题"
    details = [d.detail for d in deductions if d.detail]
    if details:
        text += f"。扣分事项：{'；'.join(details)}"
    line = points_text(_exact(rule.threshold))
    text += f"。{'不低于' if s.passed else '低于'}{line}分"
    status = IndicatorStatus.passed if s.passed else IndicatorStatus.failed
    found = result(rule, status, rule.label, text, [e for d in deductions for e in d.evidence])
    return found.model_copy(update={"points": float(s.deducted)})


# --- deductions found in the facts ------------------------------------------------------------------------------


def policy_column_deductions(as_of: datetime, columns: Sequence[ColumnState], months: int = 6) -> list[Deduction]:
    """A first-level 政策文件 column with nothing dated within ``months`` months (an empty one included)."""
    cutoff = add_months(beijing_date(as_of), -months)
    return [
        Deduction("policy_column_stale", 1, f"「{c.name}」栏目{months}个月内未更新", (c.observation_id,))
        for c in columns
        if c.first_level and c.column_type == "政策文件" and (c.newest_item_on is None or c.newest_item_on < cutoff)
    ]


def reply_deductions(as_of: datetime, boards: Sequence[Seen[InteractionFacts]], months: int = 2) -> list[Deduction]:
    """No answer published within ``months`` months on any working board (a board with no answer at all included)."""
    today = beijing_date(as_of)
    working = [b for b in boards if b.facts.channel_present]
    answers = [m.answered_on for b in working for m in b.facts.messages if m.answered_on and m.answered_on <= today]
    if not working or (answers and max(answers) >= add_months(today, -months)):
        return []
    return [
        Deduction("reply_not_published", 1, f"留言答复{months}个月内未更新", tuple(b.observation_id for b in working))
    ]


def link_deductions(seen: Seen[LinksFacts] | None, homepage_url: str) -> list[Deduction]:
    """Dead links on the homepage and on inner pages; the facts list at most 500, ``dead_total`` counts them all."""
    if seen is None or seen.facts.dead_total <= 0:
        return []
    home = sum(1 for d in seen.facts.dead if d.found_on.rstrip("/") == homepage_url.rstrip("/"))
    inner = seen.facts.dead_total - home
    evidence = (seen.observation_id,)
    found = [Deduction("dead_link_home", home, f"首页不可用链接{home}个", evidence)] if home else []
    if inner:
        found.append(Deduction("dead_link", inner, f"不可用链接{inner}个", evidence))
    return found


def basics_deductions(seen: Seen[SiteBasicsFacts] | None) -> list[Deduction]:
    if seen is None:
        return []
    f, evidence = seen.facts, (seen.observation_id,)
    missing = [
        ("no_site_code", not f.site_code, "未标注网站标识码"),
        ("no_icp", not f.icp, "未标注ICP备案编号"),
        ("no_police_record", not f.police_record, "未标注公安机关备案标识"),
        ("no_party_gov_label", not f.party_gov_label, "未标注党政机关标识"),
        ("no_search", not f.search, "未提供站内搜索"),
        ("no_error_report", not f.error_report, "未提供「我为政府网站找错」入口"),
    ]
    return [Deduction(item_id, 1, detail, evidence) for item_id, absent, detail in missing if absent]


def wrong_word_deductions(minor: Sequence[WordFinding], observation_ids: Sequence[str] = ()) -> list[Deduction]:
    """一般 findings only: a 疑似 finding waits for a reviewer before it costs points."""
    general = [f for f in minor if f.severity == "一般"]
    if not general:
        return []
    return [Deduction("wrong_word", len(general), f"错别字{len(general)}处", tuple(observation_ids))]
