"""From a target's evidence to its indicator results, and from the results to the outcome.

Every rule of the rule set is named by its RuleSet field (``availability``, ``homepage``, …); a period's ``scope``
lists the ones it checks, so a quarterly spot check of four indicators and the annual census run the same code.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from fractions import Fraction

from shared.events import IndicatorResult, IndicatorStatus, InteractionSummary, Outcome, TargetType
from shared.workdays import NATIONAL, WorkCalendar

from .availability import evaluate_availability
from .facts import Evidence, beijing_date
from .newmedia import evaluate_closure, evaluate_newmedia_content, evaluate_newmedia_interaction
from .observed import failed_vetoes, result
from .ruleset import RuleSet
from .scoring import (
    Deduction,
    basics_deductions,
    link_deductions,
    policy_column_deductions,
    reply_deductions,
    score,
    score_result,
    wrong_word_deductions,
)
from .staleness import evaluate_column, evaluate_homepage, evaluate_newmedia
from .warnings import EarlyWarning, column_warnings, homepage_warning, message_warning, unreachable_warning
from .website import (
    evaluate_content,
    evaluate_interaction,
    evaluate_services,
    evaluate_site_columns,
    interaction_summary,
    minor_findings,
)

# Worst first: a change that moves an outcome to a lower rank made it worse.
OUTCOME_RANK = {Outcome.unqualified: 0, Outcome.insufficient: 1, Outcome.qualified: 2}

Rule = Callable[[RuleSet, Evidence, WorkCalendar], IndicatorResult]

# The rules of each target type, in the order the notices list them. Message boards and service-guide sources
# have none of their own: they are judged through their website (W-V5, W-V6).
RULES: dict[TargetType, tuple[tuple[str, Rule], ...]] = {
    TargetType.website: (
        ("availability", lambda r, e, c: evaluate_availability(r.availability, e.period, e.as_of, e.availability)),
        ("homepage", lambda r, e, c: evaluate_homepage(r.homepage, e.target, e.as_of, e.homepage)),
        ("site_columns", lambda r, e, c: _site_columns(r, e)),
        ("content", lambda r, e, c: evaluate_content(r.content, e.content)),
        ("interaction", lambda r, e, c: _interaction(r, e, c)),
        ("services", lambda r, e, c: _services(r, e)),
    ),
    TargetType.column: (("column", lambda r, e, c: evaluate_column(r.column, e.target, e.as_of, e.column)),),
    TargetType.account: (
        ("newmedia", lambda r, e, c: evaluate_newmedia(r.newmedia, e.target, e.as_of, e.feed)),
        ("newmedia_content", lambda r, e, c: evaluate_newmedia_content(r.newmedia_content, e.content)),
        ("newmedia_interaction", lambda r, e, c: evaluate_newmedia_interaction(r.newmedia_interaction, e.account)),
        ("closure", lambda r, e, c: evaluate_closure(r.closure, e.target, e.as_of, e.account, e.unit)),
    ),
}
RULE_NAMES = frozenset(name for rules in RULES.values() for name, _ in rules) | {"scoring"}


@dataclass(frozen=True)
class Judgement:
    """A target's results, outcome, deduction score (websites), early warnings and 网民留言办理情况 (websites whose
    period checks interaction), as of the evidence's instant."""

    results: list[IndicatorResult]
    outcome: Outcome
    score: Fraction | None = None
    warnings: tuple[EarlyWarning, ...] = ()
    interaction: InteractionSummary | None = None


def in_scope(name: str, scope: Collection[str] | None) -> bool:
    return scope is None or name in scope


def evaluate(rules: RuleSet, evidence: Evidence, scope: Collection[str] | None = None) -> list[IndicatorResult]:
    """Every indicator in scope that applies to the target's type, in the order the notices list them."""
    return judge(rules, evidence, scope).results


def judge(
    rules: RuleSet, evidence: Evidence, scope: Collection[str] | None = None, calendar: WorkCalendar = NATIONAL
) -> Judgement:
    """``calendar``: the working days W-V5's reply limits count in (holidays configured for years not yet known)."""
    target_type = evidence.target.type
    results = [rule(rules, evidence, calendar) for name, rule in RULES.get(target_type, ()) if in_scope(name, scope)]
    points = None
    if target_type is TargetType.website and in_scope("scoring", scope):
        scored, points = _scoring(rules, evidence)
        results.append(scored)
    warnings = tuple(_warnings(rules, evidence, scope, calendar)) if target_type is TargetType.website else ()
    summary = None
    if target_type is TargetType.website and in_scope("interaction", scope):
        summary = _summary(rules, evidence, calendar)
    return Judgement(results, verdict(results), points, warnings, summary)


def verdict(results: Sequence[IndicatorResult]) -> Outcome:
    """Any failed result fails the target: a veto, or the deduction score below its line (the one non-veto
    result). Missing data is never a silent pass: with nothing failed, one insufficient result makes it 数据不足."""
    if any(r.status is IndicatorStatus.failed for r in results):
        return Outcome.unqualified
    if any(r.status is IndicatorStatus.insufficient for r in results):
        return Outcome.insufficient
    return Outcome.qualified


__all__ = ["OUTCOME_RANK", "RULE_NAMES", "Judgement", "evaluate", "failed_vetoes", "in_scope", "judge", "verdict"]


# --- website rules that read several sources ---------------------------------------------------------------------


def _site_columns(rules: RuleSet, e: Evidence) -> IndicatorResult:
    return evaluate_site_columns(rules.site_columns, e.as_of, e.site_columns, e.unseen_columns)


def _interaction(rules: RuleSet, e: Evidence, calendar: WorkCalendar) -> IndicatorResult:
    if not e.boards_registered:
        text = "名录中未登记该网站的互动交流栏目（留言板），请登记后监测；未登记前暂无法判定"
        return result(rules.interaction, IndicatorStatus.insufficient, "", text)
    return evaluate_interaction(rules.interaction, e.as_of, e.boards, calendar)


def _summary(rules: RuleSet, e: Evidence, calendar: WorkCalendar) -> InteractionSummary | None:
    start = beijing_date(e.period.window_start)
    return interaction_summary(rules.interaction, start, e.as_of, e.boards, e.board_reply_days, calendar)


def _services(rules: RuleSet, e: Evidence) -> IndicatorResult:
    if e.target.public_services and not e.services_registered:
        text = "名录中未登记该网站的办事服务（办事指南）来源，请登记后监测；未登记前暂无法判定"
        return result(rules.services, IndicatorStatus.insufficient, "", text)
    return evaluate_services(rules.services, e.services, e.target.public_services)


def _scoring(rules: RuleSet, e: Evidence) -> tuple[IndicatorResult, Fraction | None]:
    """The deduction part. A passing score with inputs missing is not a pass: more data can only deduct more."""
    found: list[Deduction] = [
        *policy_column_deductions(e.as_of, e.site_columns),
        *reply_deductions(e.as_of, e.boards),
        *link_deductions(e.links, e.target.url),
        *basics_deductions(e.basics),
        *wrong_word_deductions(minor_findings(rules.content, e.content), [s.observation_id for s in e.content]),
    ]
    s = score(rules.scoring, found, e.target.public_services)
    scored = score_result(rules.scoring, s, found)
    missing = [name for name, seen in (("网站基本信息", e.basics), ("链接可用性", e.links)) if seen is None]
    missing += ["内容检查"] if not e.content else []
    if s.passed and missing:
        text = f"{scored.explanation}；尚未取得{'、'.join(missing)}监测数据，暂无法判定"
        return result(rules.scoring, IndicatorStatus.insufficient, "", text, scored.evidence), None
    return scored, s.points


def _warnings(rules: RuleSet, e: Evidence, scope: Collection[str] | None, calendar: WorkCalendar) -> list[EarlyWarning]:
    lines = rules.warnings
    found: list[EarlyWarning | None] = []
    if in_scope("availability", scope):
        found.append(unreachable_warning(lines, rules.availability, e.as_of, e.availability))
    if in_scope("homepage", scope):
        found.append(homepage_warning(lines, rules.homepage, e.as_of, e.homepage))
    if in_scope("site_columns", scope):
        found.extend(column_warnings(lines, rules.site_columns, e.as_of, e.site_columns))
    if in_scope("interaction", scope):
        found.append(message_warning(lines, rules.interaction, e.as_of, e.boards, calendar))
    return [w for w in found if w is not None]
