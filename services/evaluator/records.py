"""The stored form of a verdict: the current one, its history, its outbox, and the review that stands on it.

Pure: no database here. ``revision`` counts changes of the outcome, the failed vetoes or a website's interaction
summary (each one a ``verdict.changed`` event); ``history`` also keeps every re-evaluation that changed any indicator's status, the
score or the rule set applied, so an office can see why a verdict moved and under which rules.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.events import IndicatorResult, IndicatorStatus, Outcome, Review, Verdict, VerdictWarning

from .rules import EarlyWarning, beijing_date

Doc = dict[str, Any]
REVIEW_INDICATOR = "R-1"  # the result a reviewer's override to 不合格 adds, so cases and notices name the problem


def pair_key(target_id: str, period_id: str) -> str:
    return f"{target_id}|{period_id}"


@dataclass(frozen=True)
class StoredVerdict:
    key: str
    revision: int
    outcome: str
    vetoes: frozenset[tuple[str, str]]
    verdict: Doc  # the Verdict as JSON
    history: list[Doc]
    pending: Doc | None  # the VerdictChanged event as JSON, until its publication is confirmed
    warnings: list[Doc] = field(default_factory=list)  # the warnings standing at the last evaluation, as events
    pending_warnings: list[Doc] = field(default_factory=list)  # VerdictWarning events not yet confirmed published
    review: Doc | None = None

    @classmethod
    def of(
        cls,
        current: Verdict,
        vetoes: frozenset[tuple[str, str]],
        history: list[Doc],
        pending: Doc | None,
        warnings: list[Doc],
        pending_warnings: list[Doc],
        review: Doc | None,
    ) -> StoredVerdict:
        return cls(
            key=pair_key(current.target_id, current.period_id),
            revision=current.revision,
            outcome=current.outcome.value,
            vetoes=vetoes,
            verdict=current.model_dump(mode="json"),
            history=history,
            pending=pending,
            warnings=warnings,
            pending_warnings=pending_warnings,
            review=review,
        )

    @classmethod
    def from_doc(cls, doc: Doc) -> StoredVerdict:
        return cls(
            key=doc["_id"],
            revision=doc["revision"],
            outcome=doc["outcome"],
            vetoes=frozenset((v[0], v[1]) for v in doc["vetoes"]),
            verdict=doc["verdict"],
            history=list(doc.get("history", [])),
            pending=doc.get("pending"),
            warnings=list(doc.get("warnings", [])),
            pending_warnings=list(doc.get("pending_warnings", [])),
            review=doc.get("review"),
        )

    def to_doc(self) -> Doc:
        target_id, period_id = self.verdict["target_id"], self.verdict["period_id"]
        return {
            "_id": self.key,
            "target_id": target_id,
            "period_id": period_id,
            "revision": self.revision,
            "outcome": self.outcome,
            "vetoes": sorted([list(v) for v in self.vetoes]),
            "verdict": self.verdict,
            "history": self.history,
            "pending": self.pending,
            "warnings": self.warnings,
            "pending_warnings": self.pending_warnings,
            "review": self.review,
        }


# --- history ----------------------------------------------------------------------------------------------------


def fingerprint(v: Verdict) -> str:
    """What makes a re-evaluation worth a history entry: outcome, each indicator's status and label, score, rules."""
    shape = {
        "outcome": v.outcome.value,
        "machine": v.machine_outcome and v.machine_outcome.value,
        "results": [(r.indicator_id, r.status.value, r.label) for r in v.indicators],
        "score": v.score,
        "rule_set": v.rule_set,
        "review": v.review and v.review.model_dump(mode="json"),
    }
    return hashlib.sha256(json.dumps(shape, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def extend_history(previous: StoredVerdict | None, current: Verdict, event_id: str | None) -> list[Doc]:
    history = list(previous.history) if previous else []
    mark = fingerprint(current)
    if history and history[-1].get("fingerprint") == mark:
        return history  # a re-evaluation that changed nothing a person would see
    history.append(
        {
            "revision": current.revision,
            "outcome": current.outcome.value,
            "machine_outcome": (current.machine_outcome or current.outcome).value,
            "problems": current.problems(),
            "statuses": {r.indicator_id: r.status.value for r in current.indicators},
            "score": current.score,
            "rule_set": current.rule_set,
            "as_of": current.as_of.isoformat(),
            "event_id": event_id,
            "review": current.review.model_dump(mode="json") if current.review else None,
            "fingerprint": mark,
        }
    )
    return history


# --- warnings and reviews ---------------------------------------------------------------------------------------


def warning_event(verdict: Verdict, w: EarlyWarning, correlation_id: str) -> VerdictWarning:
    return VerdictWarning(
        event_id=VerdictWarning.id_for(
            verdict.target_id, verdict.period_id, w.indicator_id, w.label, beijing_date(verdict.as_of)
        ),
        occurred_at=verdict.as_of,
        correlation_id=correlation_id,
        target_id=verdict.target_id,
        target_type=verdict.target_type,
        unit_id=verdict.unit_id,
        period_id=verdict.period_id,
        indicator_id=w.indicator_id,
        label=w.label,
        explanation=w.explanation,
        evidence=list(w.evidence),
        as_of=verdict.as_of,
    )


def with_review(results: Sequence[IndicatorResult], review: Review | None) -> list[IndicatorResult]:
    """The machine's results, plus the reviewer's problem when an override makes the target 不合格."""
    found = list(results)
    if review is not None and review.action == "override" and review.outcome is Outcome.unqualified:
        found.append(
            IndicatorResult(
                indicator_id=REVIEW_INDICATOR,
                name="人工复核",
                status=IndicatorStatus.failed,
                veto=True,
                label=review.label or "经人工复核不合格",
                explanation=f"经{review.reviewer}人工复核认定不合格：{review.reason}",
            )
        )
    return found
