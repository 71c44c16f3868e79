"""A published notice (通报) reaches every unit, with the deadline it sets; the cases it lists take that deadline.

「请…于2022年10月14日前将整改情况报市政府办公室」: once the notice is out, its date is the deadline of every open
case of the period (deadline_source "notice", with its 文号), replacing the working-day count the case opened with.

The e-mail carries the notice itself: the frozen files (PDF and DOCX by default), named by its title as offices name
files, recorded as references and fetched from the reporter when each e-mail is sent (notice_files.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.clock import CHINA_TZ
from shared.events import ReportPublished
from shared.logging import get_logger

from . import texts
from .letters import chinese_date
from .models import Case, CaseStatus, DeadlineSource, TimelineEntry
from .notice_files import notice_refs
from .notices import Key
from .repository import NotifierRepository
from .texts import Listed, PublishedNotice

if TYPE_CHECKING:
    from .service import NotifierService

log = get_logger(__name__)


class Publication:
    def __init__(self, service: NotifierService, repo: NotifierRepository, formats: tuple[str, ...] = ()) -> None:
        self._service = service
        self._repo = repo
        self._formats = formats  # the notice's files attached to the e-mails; none without a reporter to fetch from

    async def on_published(self, event: ReportPublished) -> int:
        """Record the notice for every unit; returns how many units it went to."""
        notice = PublishedNotice(
            number=event.document_number,
            title=event.title or f"{event.period_id}检查情况通报",
            issued_on=event.issued_on or event.occurred_at.astimezone(CHINA_TZ).date(),
            deadline=event.deadline,
            report_to=event.report_to or self._service.office_name,
            attachments=tuple(event.attachments),
        )
        cases = [c for c in await self._repo.cases(event.period_id) if c.status is not CaseStatus.resolved]
        for case in cases:
            await self._take_deadline(case, event)
        units = await self._repo.units()
        files = notice_refs(event.report_id, notice.title, self._formats)
        for unit in units:
            listed = [await self._listed(c) for c in cases if c.unit_id == unit.unit_id]
            message = texts.report_published(notice, unit.name, self._service.office_name, listed)
            key = Key(f"report:{event.report_id}", "report_published", unit.unit_id, period_id=event.period_id)
            await self._service.notices.record(key, unit, message, files)
        log.info("report.distributed", report_id=event.report_id, units=len(units), cases=len(cases))
        return len(units)

    async def _take_deadline(self, case: Case, event: ReportPublished) -> None:
        if case.deadline_source is DeadlineSource.notice and case.deadline_document == event.document_number:
            return  # a redelivered notice
        note = f"通报{event.document_number}要求于{chinese_date(event.deadline)}前整改"
        entry = TimelineEntry(at=event.occurred_at, action="deadline_set", actor="notice", note=note)
        after = case.model_copy(
            update={
                "deadline": event.deadline,
                "deadline_exact": True,
                "deadline_source": DeadlineSource.notice,
                "deadline_document": event.document_number,
                "timeline": [*case.timeline, entry],
            }
        )
        await self._repo.save_case(case, after)

    async def _listed(self, case: Case) -> Listed:
        view, _ = await self._service.view(case)
        return Listed(view.title, case.problem)
