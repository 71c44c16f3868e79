"""Orchestration: record a batch of observations, evaluate each affected target once, publish what changed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from shared.events import (
    CheckKind,
    ObservationRecorded,
    Outcome,
    Period,
    PeriodChanged,
    Target,
    TargetChanged,
    TargetType,
    UnitChanged,
    Verdict,
    VerdictChanged,
)
from shared.logging import get_logger

from .recording import contribution, feed_seen, page_seen
from .repository import EvaluatorRepository, Pair, StoredVerdict, pair_key
from .rules import NATIONAL_2019, Evidence, RuleSet, evaluate, failed_vetoes, verdict

log = get_logger(__name__)
Publish = Callable[[VerdictChanged], Awaitable[None]]


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


class EvaluatorService:
    def __init__(self, repo: EvaluatorRepository, publish: Publish, rules: RuleSet = NATIONAL_2019) -> None:
        self.repo = repo
        self.rules = rules
        self._publish = publish
        self.intake: Intake | None = None  # the batcher the subscriber hands observations to (set by app.build)

    # --- observations -------------------------------------------------------------------------------------------

    async def record(self, batch: Sequence[ObservationRecorded]) -> None:
        """Store a batch and re-evaluate the targets it touched; returns once every write has committed."""
        targets = await self.repo.targets(o.target_id for o in batch)
        periods = await self.repo.periods(o.period_id for o in batch)
        _require_known(batch, targets, periods)
        new_ids = await self.repo.record([contribution(o, periods[o.period_id]) for o in batch])
        due = await self._due(batch, new_ids, targets, periods)
        await self._evaluate(due)
        log.info("observations.recorded", batch=len(batch), new=len(new_ids), evaluated=len(due))

    async def _due(
        self,
        batch: Sequence[ObservationRecorded],
        new_ids: set[str],
        targets: dict[str, Target],
        periods: dict[str, Period],
    ) -> list[Due]:
        newest: dict[Pair, ObservationRecorded] = {}
        fresh: set[Pair] = set()
        for o in batch:
            pair = (o.target_id, o.period_id)
            if pair not in newest or o.observed_at > newest[pair].observed_at:
                newest[pair] = o
            if o.event_id in new_ids:
                fresh.add(pair)
        stored = await self.repo.verdicts(newest)
        await self._publish_pending([v for v in stored.values() if v.pending])
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
            due.append(Due(targets[target_id], period, as_of, o.correlation_id, previous))
        return due

    # --- evaluation ---------------------------------------------------------------------------------------------

    async def _evaluate(self, due: Sequence[Due]) -> None:
        if not due:
            return
        pairs = [(d.target.target_id, d.period.period_id) for d in due]
        websites = [p for p, d in zip(pairs, due, strict=True) if d.target.type is TargetType.website]
        counts = await self.repo.daily_counts(websites)
        latest = await self.repo.latest_facts(pairs)
        writes: list[tuple[StoredVerdict, int]] = []
        for d in due:
            t, p = d.target.target_id, d.period.period_id
            evidence = Evidence(
                target=d.target,
                period=d.period,
                as_of=d.as_of,
                availability=counts.get((t, p), {}),
                homepage=page_seen(latest.get((t, p, CheckKind.homepage.value))),
                column=page_seen(latest.get((t, p, CheckKind.columns.value))),
                feed=feed_seen(latest.get((t, p, CheckKind.newmedia.value))),
            )
            writes.append(self._next(d, evidence))
        await self.repo.save_verdicts(writes)
        await self._publish_pending([v for v, _ in writes if v.pending])

    def _next(self, due: Due, evidence: Evidence) -> tuple[StoredVerdict, int]:
        """The verdict to store; a new revision with a pending event only when the outcome or the vetoes changed."""
        results = evaluate(self.rules, evidence)
        outcome = verdict(due.target, results)
        vetoes = failed_vetoes(results)
        previous = due.stored
        changed = previous is None or previous.outcome != outcome.value or previous.vetoes != vetoes
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
            rule_set=self.rules.id,
        )
        history = list(previous.history) if previous else []
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
            history.append(_history_entry(current, event.event_id))
        key = pair_key(current.target_id, current.period_id)
        stored = StoredVerdict(key, revision, outcome.value, vetoes, current.model_dump(mode="json"), history, pending)
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
        # Units: verdicts carry the target's unit_id; names and contacts are the notifier's and reporter's.

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
