"""Verdicts changed by people and by new rules: a reviewer's confirmation or override, and re-evaluating a period.

Both go through the same evaluation as an observation does, as of the verdict's own instant, so a review or a new
rule-set version leaves the same trace: a history entry, and a ``verdict.changed`` event when the outcome moves
(or the failed vetoes, or a website's interaction summary).
The machine's results are never deleted: an override is kept beside them (``Verdict.review``, ``machine_outcome``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from shared.clock import Clock
from shared.events import Outcome, Review
from shared.identity import Caller
from shared.logging import get_logger

from .records import StoredVerdict
from .service import Due, EvaluatorService, NotYetKnown

log = get_logger(__name__)
REVIEWERS = frozenset({"city_admin", "county_admin"})  # 审核: office staff, within their scope
CHUNK = 200  # verdicts re-evaluated per batch of reads and writes


class ReviewRefused(ValueError):
    """A review that cannot be accepted as asked; the message says why, in Chinese, for the person asking."""


@dataclass(frozen=True)
class ReviewRequest:
    action: str  # confirm | override
    reason: str
    outcome: Outcome | None = None  # override: the outcome the reviewer stands behind
    label: str = ""  # override to 不合格: the problem as the notice should print it


class Revisions:
    def __init__(self, service: EvaluatorService, clock: Clock) -> None:
        self._service = service
        self._clock = clock

    async def review(self, target_id: str, period_id: str, asked: ReviewRequest, caller: Caller) -> StoredVerdict:
        stored = await self._stored(target_id, period_id)
        machine = Outcome(stored.verdict.get("machine_outcome") or stored.verdict["outcome"])
        outcome = machine if asked.action == "confirm" else asked.outcome
        if outcome is None or outcome is Outcome.insufficient:
            raise ReviewRefused("改判须明确为「合格」或「不合格」")
        if asked.action == "override" and outcome is machine:
            raise ReviewRefused("改判结论与系统判定相同，请使用「确认」")
        review = Review(
            action="confirm" if asked.action == "confirm" else "override",
            outcome=outcome,
            reason=asked.reason,
            label=asked.label if outcome is Outcome.unqualified else "",
            reviewer=caller.actor,
            role=caller.role,
            reviewed_at=self._clock.now(),
            machine_outcome=machine,
        )
        log.info("verdict.reviewed", target_id=target_id, period_id=period_id, action=review.action, by=caller.actor)
        return await self._again(replace(stored, review=review.model_dump(mode="json")), f"review-{target_id}")

    async def withdraw(self, target_id: str, period_id: str, caller: Caller) -> StoredVerdict:
        stored = await self._stored(target_id, period_id)
        if stored.review is None:
            raise ReviewRefused("该判定没有人工复核意见可撤销")
        log.info("verdict.review_withdrawn", target_id=target_id, period_id=period_id, by=caller.actor)
        return await self._again(replace(stored, review=None), f"review-{target_id}")

    async def reevaluate(self, period_id: str) -> dict[str, int]:
        """Every verdict of the period again, as of its own instant, under the period's rule set as stored now."""
        stored = await self._service.repo.stored_verdicts(period_id)
        changed = 0
        for first in range(0, len(stored), CHUNK):
            chunk = stored[first : first + CHUNK]
            due = await self._due(chunk, f"reevaluate-{period_id}")
            await self._service.evaluate_due(due)
            after = await self._service.repo.verdicts((d.target.target_id, period_id) for d in due)
            changed += sum(1 for v in chunk if (a := after.get(v.key)) is not None and a.history != v.history)
        log.info("period.reevaluated", period_id=period_id, verdicts=len(stored), changed=changed)
        return {"verdicts": len(stored), "changed": changed}

    async def _stored(self, target_id: str, period_id: str) -> StoredVerdict:
        stored = await self._service.repo.verdict(target_id, period_id)
        if stored is None:
            raise LookupError(f"{target_id} 在 {period_id} 尚无判定")
        return stored

    async def _again(self, stored: StoredVerdict, correlation_id: str) -> StoredVerdict:
        [due] = await self._due([stored], correlation_id)
        await self._service.evaluate_due([due])
        found = await self._service.repo.verdict(due.target.target_id, due.period.period_id)
        assert found is not None
        return found

    async def _due(self, stored: Sequence[StoredVerdict], correlation_id: str) -> list[Due]:
        targets = await self._service.repo.targets(v.verdict["target_id"] for v in stored)
        periods = await self._service.repo.periods(v.verdict["period_id"] for v in stored)
        due: list[Due] = []
        for v in stored:
            target, period = targets.get(v.verdict["target_id"]), periods.get(v.verdict["period_id"])
            if target is None or period is None:
                raise NotYetKnown(f"target or period of {v.key} missing from the registry projection")
            as_of = datetime.fromisoformat(v.verdict["as_of"])
            due.append(Due(target, period, as_of, correlation_id, v))
        return due
