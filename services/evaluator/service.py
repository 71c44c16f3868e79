"""Orchestration: record a batch of observations, evaluate each affected target once, publish what changed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from shared.events import (
    ObservationRecorded,
    Outcome,
    Period,
    PeriodChanged,
    Review,
    Target,
    TargetChanged,
    TargetType,
    UnitChanged,
    Verdict,
    VerdictChanged,
    VerdictWarning,
)
from shared.logging import get_logger
from shared.workdays import NATIONAL as NATIONAL_CALENDAR
from shared.workdays import WorkCalendar

from .gathering import Subject, gather
from .rechecks import Rechecks, is_recheck, write_for
from .records import StoredVerdict, extend_history, pair_key, warning_event, with_review
from .repository import EvaluatorRepository, Pair
from .rules import NATIONAL_2019, Judgement, RuleSet, failed_vetoes, judge

if TYPE_CHECKING:
    from shared.identity import RegistryIdentity

    from .revisions import Revisions

log = get_logger(__name__)
Publish = Callable[[VerdictChanged], Awaitable[None]]
PublishWarning = Callable[[VerdictWarning], Awaitable[None]]

# Parts of a website judged with it; boards and guide sources have no verdict of their own (columns do: the
# notice counts them).
SITE_PARTS = frozenset({TargetType.column, TargetType.message_board, TargetType.service_guide})
PART_ONLY = frozenset({TargetType.message_board, TargetType.service_guide})


class NotYetKnown(LookupError):
    """An observation names a target or period the registry has not told us about yet: retry later.

    A LookupError, not a ValueError: the message is fine, so it is nak'ed for redelivery, not dead-lettered.
    """


class Intake(Protocol):
    async def add(self, item: ObservationRecorded, msg: Any) -> None: ...
    async def close(self) -> None: ...


@dataclass(frozen=True)
class Due:
    """A (target, period) to evaluate, as of an instant, on behalf of the round that triggered it."""

    target: Target
    period: Period
    as_of: datetime
    correlation_id: str
    stored: StoredVerdict | None


class RuleSource(Protocol):
    async def rule_set(self, ref: str) -> RuleSet | None: ...


class EvaluatorService:
    def __init__(
        self,
        repo: EvaluatorRepository,
        publish: Publish,
        rules: RuleSet = NATIONAL_2019,
        publish_warning: PublishWarning | None = None,
        rule_source: RuleSource | None = None,
        calendar: WorkCalendar = NATIONAL_CALENDAR,
    ) -> None:
        self.repo = repo
        self.rules = rules  # the default rule set, for periods that name none
        self._publish = publish
        self._publish_warning = publish_warning
        self._rule_source = rule_source
        self._calendar = calendar
        self.intake: Intake | None = None  # the batcher the subscriber hands observations to (set by app.build)
        self.identity: RegistryIdentity | None = None  # who calls the API (set by app.build)
        self.revisions: Revisions | None = None  # reviews and re-evaluation (set by app.build)
        self.rechecks: Rechecks | None = None  # re-checks (复查) of rectifications (set by app.build)

    # --- observations -------------------------------------------------------------------------------------------

    async def record(self, batch: Sequence[ObservationRecorded]) -> None:
        """Store a batch and re-evaluate the targets it touched; returns once every write has committed."""
        targets = await self.repo.targets(o.target_id for o in batch)
        periods = await self.repo.periods(o.period_id for o in batch)
        _require_known(batch, targets, periods)
        new_ids = await self.repo.record([write_for(o, periods[o.period_id]) for o in batch])
        # A re-check's observations never touch the period's verdict (the notice stands): they are judged apart.
        due = await self._due([o for o in batch if not is_recheck(o)], new_ids, targets, periods)
        await self.evaluate_due(due)
        if self.rechecks is not None:
            await self.rechecks.handle(batch, targets, periods)
        log.info("observations.recorded", batch=len(batch), new=len(new_ids), evaluated=len(due))

    async def _due(
        self,
        batch: Sequence[ObservationRecorded],
        new_ids: set[str],
        targets: dict[str, Target],
        periods: dict[str, Period],
    ) -> list[Due]:
        newest, fresh = await self._judged_by(batch, new_ids, targets)
        stored = await self.repo.verdicts(newest)
        await self._publish_pending([v for v in stored.values() if v.pending or v.pending_warnings])
        sites = await self.repo.targets(t for t, _ in newest if t not in targets)
        due: list[Due] = []
        for (target_id, period_id), o in newest.items():
            period = periods[period_id]
            previous = stored.get(pair_key(target_id, period_id))
            as_of = min(o.observed_at, period.monitoring_point)
            last = datetime.fromisoformat(previous.verdict["as_of"]) if previous else None
            # A replay (nothing new, nothing later than the stored verdict) leaves the verdict as it is; an
            # observation stored before a crash but never evaluated is still later than the stored verdict.
            if last is not None and (target_id, period_id) not in fresh and as_of <= last:
                continue
            as_of = max(as_of, last) if last else as_of  # a late observation never moves a verdict back in time
            target = targets.get(target_id) or sites.get(target_id)
            if target is not None:
                due.append(Due(target, period, as_of, o.correlation_id, previous))
        return due

    async def _judged_by(
        self, batch: Sequence[ObservationRecorded], new_ids: set[str], targets: dict[str, Target]
    ) -> tuple[dict[Pair, ObservationRecorded], set[Pair]]:
        """The (target, period) pairs whose verdicts a batch touches, each with its newest observation.

        A column, message board or service-guide source is judged as part of its website (W-V4, W-V5, W-V6): its
        observation makes the website due too. Boards and guide sources have no verdict of their own.
        """
        newest: dict[Pair, ObservationRecorded] = {}
        fresh: set[Pair] = set()
        for o in batch:
            target = targets[o.target_id]
            judged = [] if target.type in PART_ONLY else [o.target_id]
            judged += [target.site_id] if target.site_id and target.type in SITE_PARTS else []
            for target_id in judged:
                pair = (target_id, o.period_id)
                if pair not in newest or o.observed_at > newest[pair].observed_at:
                    newest[pair] = o
                if o.event_id in new_ids:
                    fresh.add(pair)
        return newest, fresh

    # --- evaluation ---------------------------------------------------------------------------------------------

    async def evaluate_due(self, due: Sequence[Due]) -> None:
        if not due:
            return
        evidence = await gather(self.repo, [Subject(d.target, d.period, d.as_of) for d in due])
        writes: list[tuple[StoredVerdict, int]] = []
        for d, e in zip(due, evidence, strict=True):
            rules = await self.rules_for(d.period)
            writes.append(self._next(d, rules, judge(rules, e, d.period.scope, self._calendar)))
        await self.repo.save_verdicts(writes)
        await self._publish_pending([v for v, _ in writes if v.pending or v.pending_warnings])

    async def rules_for(self, period: Period) -> RuleSet:
        """The rule set a period names (id or id@version), else the default one."""
        ref = period.rule_set
        if not ref or ref in (self.rules.id, self.rules.ref):
            return self.rules
        found = await self._rule_source.rule_set(ref) if self._rule_source else None
        if found is None:
            raise NotYetKnown(f"period {period.period_id} names rule set {ref!r}, which is not stored")
        return found

    def _next(self, due: Due, rules: RuleSet, judged: Judgement) -> tuple[StoredVerdict, int]:
        """The verdict to store; a new revision with a pending event only when the outcome, the vetoes or the
        interaction summary changed."""
        previous = due.stored
        review = Review.model_validate(previous.review) if previous and previous.review else None
        results = with_review(judged.results, review)
        machine = judged.outcome
        outcome = review.outcome if review and review.action == "override" else machine
        vetoes = failed_vetoes(results)
        summary = judged.interaction.model_dump(mode="json") if judged.interaction is not None else None
        # The reporter counts 网民留言办理情况 from the published verdicts: a new count is a change worth publishing.
        changed = (
            previous is None
            or previous.outcome != outcome.value
            or previous.vetoes != vetoes
            or previous.verdict.get("interaction") != summary
        )
        read_revision = previous.revision if previous else 0
        revision = read_revision + 1 if changed else read_revision
        current = Verdict(
            target_id=due.target.target_id,
            target_type=due.target.type,
            unit_id=due.target.unit_id,
            period_id=due.period.period_id,
            outcome=outcome,
            indicators=results,
            as_of=due.as_of,
            revision=revision,
            rule_set=rules.ref,
            score=float(judged.score) if judged.score is not None else None,
            machine_outcome=machine if machine is not outcome else None,
            review=review,
            interaction=judged.interaction,
        )
        pending = None
        if changed:
            event = VerdictChanged(
                event_id=VerdictChanged.id_for(current.target_id, current.period_id, revision),
                occurred_at=due.as_of,  # the instant the verdict describes: deterministic under replay
                correlation_id=due.correlation_id,
                verdict=current,
                previous_outcome=Outcome(previous.outcome) if previous else None,
            )
            pending = event.model_dump(mode="json")
        warnings = [warning_event(current, w, due.correlation_id) for w in judged.warnings]
        said = {w["event_id"] for w in previous.warnings} if previous else set()
        stored = StoredVerdict.of(
            current,
            vetoes,
            history=extend_history(previous, current, pending["event_id"] if pending else None),
            pending=pending,
            warnings=[w.model_dump(mode="json") for w in warnings],
            pending_warnings=(previous.pending_warnings if previous else [])
            + [w.model_dump(mode="json") for w in warnings if w.event_id not in said],
            review=previous.review if previous else None,
        )
        return stored, read_revision

    # --- the outbox ---------------------------------------------------------------------------------------------

    async def _publish_pending(self, verdicts: Sequence[StoredVerdict]) -> None:
        published: list[tuple[str, str]] = []
        try:
            for v in verdicts:
                if v.pending is not None:
                    event = VerdictChanged.model_validate(v.pending)
                    await self._publish(event)  # same event_id as any earlier attempt: JetStream drops a duplicate
                    published.append((v.key, event.event_id))
                    _log_published(event)
                for doc in v.pending_warnings:
                    warning = VerdictWarning.model_validate(doc)
                    if self._publish_warning is not None:
                        await self._publish_warning(warning)
                    published.append((v.key, warning.event_id))
        finally:
            await self.repo.clear_pending(published)  # what went out stays out, even when a later publish failed

    async def publish_all_pending(self) -> None:
        """At start-up: publish what a previous process stored but could not confirm publishing."""
        try:
            await self._publish_pending(await self.repo.pending())
        except Exception as exc:  # the next evaluation of each target tries again
            log.warning("outbox.publish_failed", error=repr(exc))

    # --- registry projections -----------------------------------------------------------------------------------

    async def handle_registry(self, event: TargetChanged | PeriodChanged | UnitChanged) -> None:
        if isinstance(event, TargetChanged):
            stored = await self.repo.upsert_target(event.target)
            log.info("target.projected", target_id=event.target.target_id, version=event.target.version, stored=stored)
        elif isinstance(event, PeriodChanged):
            stored = await self.repo.upsert_period(event.period, event.occurred_at)
            log.info("period.projected", period_id=event.period.period_id, stored=stored)
        elif isinstance(event, UnitChanged):
            # Verdicts carry the target's unit_id; only 未及时注销 reads the unit (abolished or merged, 撤并).
            stored = await self.repo.upsert_unit(event.unit)
            log.info("unit.projected", unit_id=event.unit.unit_id, version=event.unit.version, stored=stored)

    # --- reads for the API --------------------------------------------------------------------------------------

    async def count_round(self, correlation_id: str) -> int:
        return await self.repo.count_round(correlation_id)

    async def verdicts_for_period(self, period_id: str) -> list[dict[str, Any]]:
        return await self.repo.verdicts_for_period(period_id)

    async def close(self) -> None:
        if self.intake is not None:
            try:
                await self.intake.close()
            except Exception as exc:  # the broker is gone: unacked messages are redelivered to the next process
                log.warning("intake.close_failed", error=repr(exc))


def _require_known(
    batch: Sequence[ObservationRecorded], targets: dict[str, Target], periods: dict[str, Period]
) -> None:
    missing_targets = sorted({o.target_id for o in batch} - targets.keys())
    missing_periods = sorted({o.period_id for o in batch} - periods.keys())
    if missing_targets or missing_periods:
        raise NotYetKnown(f"not yet in the registry projection: targets {missing_targets}, periods {missing_periods}")


def _log_published(event: VerdictChanged) -> None:
    log.info(
        "verdict.changed",
        target_id=event.verdict.target_id,
        period_id=event.verdict.period_id,
        outcome=event.verdict.outcome.value,
        revision=event.verdict.revision,
        problems=event.verdict.problems(),
    )


def _history_entry(current: Verdict, event_id: str) -> dict[str, Any]:
    return {
        "revision": current.revision,
        "outcome": current.outcome.value,
        "problems": current.problems(),
        "as_of": current.as_of.isoformat(),
        "event_id": event_id,
    }
