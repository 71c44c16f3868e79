"""Drafts and finals (pure): what a frozen notice records, and the hash that proves it never changed.

A draft is a profile (文号, dates, 主送, the editable text blocks) kept per period; its numbers are computed afresh
whenever it is rendered. A final freezes everything at one moment: the numbers, the document as printed, the
registry and rule-set versions they were computed from, and a content hash over the canonical JSON of all of it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.reporter.document import NoticeDocument
from services.reporter.profile import NoticeProfile
from services.reporter.stats import NoticeNumbers
from shared.events import Period, ReportPublished, Target, Unit, Verdict, natural_id

FORMATS = ("html", "pdf", "docx", "xlsx", "json")


class RegistryVersion(BaseModel):
    """The registry as the reporter saw it: counts, and a digest of every unit's and target's id and version."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    units: int
    targets: int
    digest: str


class Draft(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    draft_id: str
    period_id: str
    profile: NoticeProfile
    version: int = Field(ge=1, description="optimistic concurrency: an edit names the version it changes")
    updated_at: datetime
    updated_by: str


class Final(BaseModel):
    """A frozen notice. Stored once; nothing in it changes afterwards (publication is recorded beside it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    report_id: str
    period_id: str
    draft_id: str
    profile: NoticeProfile
    numbers: NoticeNumbers
    document: NoticeDocument
    registry_version: RegistryVersion
    rule_sets: list[str] = Field(description="every rule set id@version the period's verdicts were judged by")
    content_hash: str = Field(description="sha256 of the canonical JSON of everything above")
    frozen_at: datetime
    frozen_by: str


def draft_id_for(period_id: str, document_number: str) -> str:
    return natural_id("draft", period_id, document_number)


def report_id_for(period_id: str, document_number: str) -> str:
    """One final per 文号 and period: a second freeze of the same notice is refused, not a new version."""
    return natural_id("report", period_id, document_number)


def canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def registry_version(units: Iterable[Unit], targets: Iterable[Target]) -> RegistryVersion:
    unit_list, target_list = list(units), list(targets)
    keys = sorted(f"u/{u.unit_id}@{u.version}" for u in unit_list) + sorted(
        f"t/{t.target_id}@{t.version}" for t in target_list
    )
    digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()
    return RegistryVersion(units=len(unit_list), targets=len(target_list), digest=digest)


def rule_sets_of(period: Period, verdicts: Iterable[Verdict]) -> list[str]:
    used = {v.rule_set for v in verdicts if v.period_id == period.period_id}
    return sorted(used or {period.rule_set})


def content_hash(frozen: dict[str, Any]) -> str:
    """The hash of a final's content: everything but the hash itself and who froze it when."""
    content = {k: v for k, v in frozen.items() if k not in ("content_hash", "frozen_at", "frozen_by")}
    return hashlib.sha256(canonical(content)).hexdigest()


def verify(final: Final) -> bool:
    return content_hash(final.model_dump(mode="json")) == final.content_hash


def published_event(final: Final, at: datetime) -> ReportPublished:
    profile = final.profile
    return ReportPublished(
        event_id=natural_id("report.published", final.report_id),
        occurred_at=at,
        report_id=final.report_id,
        period_id=final.period_id,
        document_number=profile.document_number,
        deadline=profile.deadline,
        content_hash=final.content_hash,
        title=final.document.title,
        issued_on=profile.issue_date,
        report_to=profile.issuer_short,
        attachments=[a.title for a in final.document.attachments],
    )
