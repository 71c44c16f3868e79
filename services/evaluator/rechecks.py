"""Re-checks (复查): a rectification's failed indicators judged on fresh observations, the period's verdict untouched.

A unit reports its rectification (整改) after the quarter; the notifier asks the registry for a re-check, whose
probes carry ``correlation_id = recheck-<case>-<round>`` and the period being re-checked. Their observations are
stored like any other but counted nowhere (``write_for``): no daily availability counter, no latest fact, no
re-evaluation of the period's verdict, so the published notice stands. After each batch, every target a re-check
touched is judged on that re-check's observations alone (``recheck_evidence``, pure), with the period's rule set
and scope, as of the newest re-check observation (not clamped to the monitoring point); the result is stored in
``rechecks`` with its ``verdict.rechecked`` event as an outbox, and published after the write.

W-V2 in a re-check is not the 7-day failure ratio: the re-check's visits are one "day", and it passes only when
every visit opened and there were at least ``min_visits`` of them (``recheck_availability``).

Event ids come from (recheck_id, target, observations used): each new observation may give a newer result, and a
replay of the same observations gives the same ids, which JetStream drops.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.clock import CHINA_TZ
from shared.events import (
    AvailabilityFacts,
    CheckKind,
    ContentFacts,
    IndicatorResult,
    IndicatorStatus,
    LinksFacts,
    NewMediaFacts,
    ObservationRecorded,
    Period,
    SiteBasicsFacts,
    Target,
    TargetType,
    Unit,
    VerdictRechecked,
)
from shared.logging import get_logger
from shared.workdays import NATIONAL, WorkCalendar

from .recording import (
    LATEST_KINDS,
    Latest,
    ObservationWrite,
    contribution,
    feed_seen,
    fetched,
    page_seen,
    seen,
    with_parts,
)
from .rules import RULE_NAMES, Evidence, RuleSet, beijing_date, judge
from .rules.observed import listed, result
from .rules.specs import AvailabilityRule
from .rules.verdict import in_scope

if TYPE_CHECKING:
    from .repository import EvaluatorRepository

log = get_logger(__name__)
RECHECK_PREFIX = "recheck-"
Doc = dict[str, Any]
PublishRecheck = Callable[[VerdictRechecked], Awaitable[None]]
RulesFor = Callable[[Period], Awaitable[RuleSet]]

# As in service.py: a website's parts are judged with it; boards and guide sources have no result of their own.
SITE_PARTS = frozenset({TargetType.column, TargetType.message_board, TargetType.service_guide})
PART_ONLY = frozenset({TargetType.message_board, TargetType.service_guide})


def is_recheck(o: ObservationRecorded) -> bool:
    return o.correlation_id.startswith(RECHECK_PREFIX)


def write_for(o: ObservationRecorded, period: Period) -> ObservationWrite:
    """What an observation contributes: a re-check's is stored (read back by correlation id) and counted nowhere,
    even when it falls inside the period's window, so it never moves the period's verdict."""
    return ObservationWrite(o, None, None) if is_recheck(o) else contribution(o, period)


# --- pure: the re-check's evidence and its W-V2 rule ------------------------------------------------------------


@dataclass(frozen=True)
class RecheckEvidence:
    """A target's re-check evidence: the ``Evidence`` the rules read, the site's visits, how many observations."""

    evidence: Evidence
    visits: tuple[ObservationRecorded, ...]
    observations: int


def recheck_evidence(
    target: Target,
    period: Period,
    observations: Sequence[ObservationRecorded],
    parts: Sequence[Target] = (),
    unit: Unit | None = None,
) -> RecheckEvidence | None:
    """The evidence of one re-check of ``target`` from its observations ALONE (the target's and its parts').

    ``parts``: a website's registered columns, message boards and guide sources; those running at the re-check are
    judged from their re-check observations (none: unseen). None when the target itself has no observation yet.
    """
    used = [o for o in observations if o.target_id in {target.target_id, *(p.target_id for p in parts)}]
    if not any(o.target_id == target.target_id for o in used):
        return None
    as_of = max(o.observed_at for o in used)
    latest = _newest_facts(used)

    def at(target_id: str, kind: CheckKind) -> Latest | None:
        return latest.get((target_id, kind.value))

    own = target.target_id
    content = seen(at(own, CheckKind.content), ContentFacts)
    evidence = Evidence(
        target=target,
        period=period,
        as_of=as_of,
        homepage=page_seen(at(own, CheckKind.homepage)),
        column=page_seen(at(own, CheckKind.columns)),
        feed=feed_seen(at(own, CheckKind.newmedia)),
        # The re-check asks whether the error is still there: its newest content check alone, not the quarter's.
        content=[content] if content is not None else [],
        basics=seen(at(own, CheckKind.site_basics), SiteBasicsFacts),
        links=seen(at(own, CheckKind.links), LinksFacts),
        account=seen(at(own, CheckKind.newmedia), NewMediaFacts),
        unit=unit,
    )
    if target.type is TargetType.website:
        running = [p for p in parts if p.is_running_at(beijing_date(as_of))]
        evidence = with_parts(evidence, running, at)
    visits = tuple(o for o in used if o.target_id == own and isinstance(o.facts, AvailabilityFacts))
    return RecheckEvidence(evidence, visits, len(used))


def _newest_facts(observations: Iterable[ObservationRecorded]) -> dict[tuple[str, str], Latest]:
    """The newest fetched observation of each (target, kind), as the facts the rules read."""
    newest: dict[tuple[str, str], ObservationRecorded] = {}
    for o in observations:
        if o.kind not in LATEST_KINDS or not fetched(o):
            continue
        key = (o.target_id, o.kind.value)
        if key not in newest or (o.observed_at, o.event_id) > (newest[key].observed_at, newest[key].event_id):
            newest[key] = o
    return {
        key: Latest(o.target_id, o.period_id, o.kind.value, o.observed_at, o.event_id, o.facts.model_dump(mode="json"))
        for key, o in newest.items()
    }


def recheck_availability(
    rule: AvailabilityRule, visits: Sequence[ObservationRecorded], min_visits: int
) -> IndicatorResult:
    """W-V2 in a re-check: every visit must open, and there must be at least ``min_visits`` of them.

    One failed visit fails it at once (more visits cannot undo it); fewer visits, all opened, are not yet enough.
    """
    failed = [v for v in visits if not (isinstance(v.facts, AvailabilityFacts) and v.facts.opened)]
    ids = [v.event_id for v in sorted(visits, key=lambda v: (v.observed_at, v.event_id))]
    if failed:
        when = [f"{_moment(v.observed_at)}{'（' + v.error + '）' if v.error else ''}" for v in failed]
        text = f"复查共访问{len(visits)}次，失败{len(failed)}次：{listed(when)}；复查要求每次访问均能打开"
        return result(rule, IndicatorStatus.failed, rule.label, text, [v.event_id for v in failed])
    if len(visits) < min_visits:
        text = f"复查访问不足：已访问{len(visits)}次（均能打开），复查须访问不少于{min_visits}次，暂无法判定"
        return result(rule, IndicatorStatus.insufficient, "", text, ids)
    return result(rule, IndicatorStatus.passed, "", f"复查共访问{len(visits)}次，均能正常打开", ids)


def _moment(at: datetime) -> str:
    local = at.astimezone(CHINA_TZ)
    return f"{local.month}月{local.day}日{local:%H:%M:%S}"


def judge_recheck(
    rules: RuleSet,
    found: RecheckEvidence,
    scope: Collection[str] | None,
    min_visits: int,
    calendar: WorkCalendar = NATIONAL,
) -> list[IndicatorResult]:
    """The period's rules in its scope on the re-check's evidence, W-V2 by the re-check rule."""
    others = sorted(name for name in RULE_NAMES if name != "availability" and in_scope(name, scope))
    results = judge(rules, found.evidence, others, calendar).results
    if found.evidence.target.type is TargetType.website and in_scope("availability", scope):
        results.insert(0, recheck_availability(rules.availability, found.visits, min_visits))
    return results


def recheck_event(
    target: Target, period_id: str, recheck_id: str, found: RecheckEvidence, results: list[IndicatorResult]
) -> VerdictRechecked:
    as_of = found.evidence.as_of
    return VerdictRechecked(
        event_id=VerdictRechecked.id_for(recheck_id, target.target_id, found.observations),
        occurred_at=as_of,  # the instant the results describe: deterministic under replay
        correlation_id=recheck_id,
        target_id=target.target_id,
        target_type=target.type,
        unit_id=target.unit_id,
        period_id=period_id,
        recheck_id=recheck_id,
        results=results,
        as_of=as_of,
        observations=found.observations,
    )


def subjects(batch: Iterable[ObservationRecorded], targets: dict[str, Target]) -> set[tuple[str, str, str]]:
    """The (target, period, recheck_id) a batch's re-check observations may change: the target itself, and for
    a website's part its website too."""
    found: set[tuple[str, str, str]] = set()
    for o in batch:
        if not is_recheck(o):
            continue
        target = targets.get(o.target_id)
        judged = [] if target is None or target.type in PART_ONLY else [o.target_id]
        if target is not None and target.site_id and target.type in SITE_PARTS:
            judged.append(target.site_id)
        found.update((t, o.period_id, o.correlation_id) for t in judged)
    return found


def recheck_key(recheck_id: str, target_id: str, period_id: str) -> str:
    return f"{recheck_id}|{target_id}|{period_id}"


# --- orchestration --------------------------------------------------------------------------------------------


class Rechecks:
    """Judges the re-checks a batch touched, stores each result with its event, publishes it (the outbox)."""

    def __init__(
        self,
        repo: EvaluatorRepository,
        publish: PublishRecheck,
        rules_for: RulesFor,
        min_visits: int = 10,
        calendar: WorkCalendar = NATIONAL,
    ) -> None:
        self.repo = repo
        self._publish = publish
        self._rules_for = rules_for
        self._min_visits = min_visits
        self._calendar = calendar

    async def handle(
        self, batch: Sequence[ObservationRecorded], targets: dict[str, Target], periods: dict[str, Period]
    ) -> None:
        """Called after the batch committed. Runs for replays too: a result stored before a crash but not yet for
        every observation is completed; one already complete only has its pending event published again."""
        touched = subjects(batch, targets)
        if not touched:
            return
        known = {**targets, **await self.repo.targets(t for t, _, _ in touched if t not in targets)}
        for target_id, period_id, recheck_id in sorted(touched):
            target = known.get(target_id)
            if target is not None:
                await self._judge(target, periods[period_id], recheck_id)

    async def _judge(self, target: Target, period: Period, recheck_id: str) -> None:
        parts = (await self.repo.children([target.target_id])).get(target.target_id, [])
        ids = [target.target_id, *(p.target_id for p in parts)]
        observations = [
            o for o in await self.repo.recheck_observations(recheck_id, ids) if o.period_id == period.period_id
        ]
        key = recheck_key(recheck_id, target.target_id, period.period_id)
        stored = await self.repo.recheck(key)
        if stored is not None and stored["observations"] >= len(observations):
            await self._publish_pending([stored])  # already judged on these observations
            return
        unit = None
        if target.type is TargetType.account:
            unit = (await self.repo.units([target.unit_id])).get(target.unit_id)
        found = recheck_evidence(target, period, observations, parts, unit)
        if found is None:
            return
        rules = await self._rules_for(period)
        results = judge_recheck(rules, found, period.scope, self._min_visits, self._calendar)
        event = recheck_event(target, period.period_id, recheck_id, found, results)
        doc = _doc(key, event, rules.ref)
        if await self.repo.save_recheck(doc):
            await self._publish_pending([doc])

    async def _publish_pending(self, docs: Sequence[Doc]) -> None:
        for doc in docs:
            if doc.get("pending") is None:
                continue
            event = VerdictRechecked.model_validate(doc["pending"])
            await self._publish(event)  # the same event_id as any earlier attempt: JetStream drops a duplicate
            await self.repo.clear_recheck_pending(doc["_id"], event.event_id)
            log.info(
                "verdict.rechecked",
                target_id=event.target_id,
                recheck_id=event.recheck_id,
                observations=event.observations,
                statuses={r.indicator_id: r.status.value for r in event.results},
            )

    async def publish_all_pending(self) -> None:
        """At start-up: publish what a previous process stored but could not confirm publishing."""
        try:
            await self._publish_pending(await self.repo.pending_rechecks())
        except Exception as exc:  # the next observation of each re-check tries again
            log.warning("recheck_outbox.publish_failed", error=repr(exc))

    async def results(self, recheck_id: str) -> list[Doc]:
        """The latest result of each target of a re-check, as stored (without the outbox)."""
        return [
            {k: v for k, v in doc.items() if k not in ("_id", "pending")} | {"published": doc.get("pending") is None}
            for doc in await self.repo.rechecks(recheck_id)
        ]


def _doc(key: str, event: VerdictRechecked, rule_set: str) -> Doc:
    return {
        "_id": key,
        "recheck_id": event.recheck_id,
        "target_id": event.target_id,
        "target_type": event.target_type.value,
        "unit_id": event.unit_id,
        "period_id": event.period_id,
        "observations": event.observations,
        "as_of": event.as_of.isoformat(),
        "rule_set": rule_set,
        "results": [r.model_dump(mode="json") for r in event.results],
        "event_id": event.event_id,
        "pending": event.model_dump(mode="json"),
    }
