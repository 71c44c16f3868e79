"""What units do about their cases: acknowledge, report the rectification with attachments, and have it checked.

Reporting asks the registry for a re-check (复查) at once: the target is probed again under the id
``recheck-<case>-<n>``, the evaluator judges the failed indicator on those fresh observations and answers with
``verdict.rechecked``. The case resolves when the problem is gone; otherwise it goes back with the reason
(lifecycle.recheck). A re-check that could not be asked (registry away) is asked again by the schedule.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import httpx

from shared.clock import CHINA_TZ, Clock
from shared.events import IndicatorStatus, VerdictRechecked
from shared.logging import get_logger

from . import lifecycle, texts
from .cases import resolved_event
from .models import Case, CaseStatus, RectificationReport, ReportAttachment
from .notices import Key
from .repository import NotifierRepository
from .settings import NotifierSettings

if TYPE_CHECKING:
    from .service import NotifierService

log = get_logger(__name__)

MAX_FILES = 10
MAX_FILE_BYTES = 20 * 1024 * 1024  # a scanned 整改报告 or a few screenshots; GridFS holds larger, offices need not
FILE_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".zip": "application/zip",
}


class SubmissionRefused(ValueError):
    """The report cannot be taken as sent (too many files, a file too large or of another type); says why in Chinese."""


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


class Rectifications:
    def __init__(
        self, service: NotifierService, repo: NotifierRepository, settings: NotifierSettings, clock: Clock
    ) -> None:
        self._service = service  # it names cases for messages (view), records them (notices), publishes case events
        self._repo = repo
        self._settings = settings
        self._clock = clock

    async def acknowledge(self, case: Case, actor: str) -> Case:
        after = lifecycle.acknowledge(case, actor, self._clock.now())
        return await self._save(case, after)

    async def submit(self, case: Case, text: str, uploads: list[Upload], actor: str) -> Case:
        check_uploads(uploads)
        attachments = [await self._store(case, u) for u in uploads]
        report = RectificationReport(text=text, attachments=attachments, submitted_by=actor)
        submitted = await self._save(case, lifecycle.submit(case, report, actor, self._clock.now()))
        log.info("case.submitted", case_id=case.case_id, attachments=len(attachments), by=actor)
        return await self.request_recheck(submitted)

    async def request_recheck(self, case: Case) -> Case:
        """Ask the registry to probe the target again now; the case waits for the evaluator's answer.

        The re-check's id is stored before it is asked for: the answer can come back before this returns.
        """
        recheck_id = case.recheck_id or f"recheck-{case.case_id}-{case.round}-{len(case.timeline)}"
        if recheck_id != case.recheck_id:
            case = await self._save(case, case.model_copy(update={"recheck_id": recheck_id}))
        try:
            await self._ask_registry(case, recheck_id)
        except httpx.HTTPError as exc:
            log.warning("recheck.not_requested", case_id=case.case_id, error=repr(exc))
            return case  # still "submitted": the schedule asks again (same id: the registry drops copies)
        fresh = await self._repo.case(case.case_id)
        if fresh is None or fresh.status is not CaseStatus.submitted:
            return fresh or case  # the answer came first and was applied
        return await self._save(fresh, lifecycle.start_verifying(fresh, self._clock.now()))

    async def on_recheck(self, event: VerdictRechecked) -> None:
        """The evaluator's answer: resolve the cases it clears, send back those it does not; wait when unsure."""
        for case in await self._repo.cases_rechecked(event.recheck_id):
            result = next((r for r in event.results if r.indicator_id == case.indicator_id), None)
            if case.status not in (CaseStatus.submitted, CaseStatus.verifying) or result is None:
                continue
            if result.status is IndicatorStatus.insufficient:
                log.info("recheck.waiting", case_id=case.case_id, observations=event.observations)
                continue
            passed = result.status is IndicatorStatus.passed
            verifying = case if case.status is CaseStatus.verifying else lifecycle.start_verifying(case, event.as_of)
            after = lifecycle.recheck(verifying, passed, result.explanation, event.as_of)
            closed = resolved_event(case, event.as_of, event.recheck_id)
            if not await self._repo.save_case(case, after, closed if passed else None):
                continue  # moved meanwhile (a redelivered answer): it was handled
            await self._tell(after, "resolved" if passed else "reopened", event.as_of.astimezone(CHINA_TZ).date())
            log.info("case.rechecked", case_id=case.case_id, passed=passed)
        await self._service.publish_outbox()

    async def _tell(self, case: Case, step: str, today: date) -> None:
        """The re-check's outcome to the unit, dated as the re-check (domain time, not the wall clock)."""
        view, unit = await self._service.view(case)
        message = texts.resolved(view, today) if step == "resolved" else texts.reopened(view, today)
        key = Key(
            case.case_id, f"{step}-{case.round}-{len(case.timeline)}", case.unit_id, case.target_id, case.period_id
        )
        await self._service.notices.record(key, unit, message)

    async def _ask_registry(self, case: Case, recheck_id: str) -> None:
        base = self._settings.registry_url.rstrip("/")
        if not base:
            raise httpx.HTTPError("REGISTRY_URL is not set")
        token = self._settings.service_token.get_secret_value()
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.post(
                f"{base}/targets/{case.target_id}/reprobe",
                json={"period_id": case.period_id, "recheck_id": recheck_id},
                headers={"Authorization": f"Bearer {token}"},
            )
            response.raise_for_status()

    async def _store(self, case: Case, upload: Upload) -> ReportAttachment:
        digest = hashlib.sha256(upload.data).hexdigest()
        attachment_id = await self._repo.save_attachment(case.case_id, upload.name, upload.data, digest)
        return ReportAttachment(attachment_id=attachment_id, name=upload.name, size=len(upload.data), sha256=digest)

    async def _save(self, before: Case, after: Case) -> Case:
        if not await self._repo.save_case(before, after):
            raise lifecycle.TransitionRefused(before, "save", "该整改事项刚被他人处理，请刷新后重试")
        return after


def check_uploads(uploads: list[Upload]) -> None:
    if len(uploads) > MAX_FILES:
        raise SubmissionRefused(f"附件不能超过{MAX_FILES}个")
    for u in uploads:
        suffix = "." + u.name.rsplit(".", 1)[-1].lower() if "." in u.name else ""
        if suffix not in FILE_TYPES:
            raise SubmissionRefused(f"附件「{u.name}」的类型不受支持，请上传 PDF、Word、Excel、图片或 ZIP 文件")
        if len(u.data) > MAX_FILE_BYTES:
            raise SubmissionRefused(f"附件「{u.name}」超过{MAX_FILE_BYTES // 1024 // 1024}MB")
        if not u.data:
            raise SubmissionRefused(f"附件「{u.name}」是空文件")
