"""Wiring: the repository, the SMTP mailer and the case publishers into one NotifierService."""

from __future__ import annotations

from typing import cast

from services.notifier.api import api
from services.notifier.mailer import SmtpMailer
from services.notifier.repository import INDEXES, NotifierRepository
from services.notifier.service import CaseEvent, NotifierService
from services.notifier.settings import NotifierSettings
from services.notifier.subscribers import case_opened, case_resolved, router
from shared.events import CaseOpened
from shared.logging import get_logger
from shared.messaging import publish_event
from shared.runtime import Runtime, ServiceSpec
from shared.topology import CASES

log = get_logger(__name__)


async def build(runtime: Runtime) -> NotifierService:
    settings = cast(NotifierSettings, runtime.settings)

    async def publish(event: CaseEvent) -> None:
        publisher = case_opened if isinstance(event, CaseOpened) else case_resolved
        await publish_event(publisher, event, CASES)

    service = NotifierService(NotifierRepository(runtime.db), SmtpMailer(settings), publish, settings, runtime.clock)
    # Events whose publish failed for good (the verdict went to DEAD) are still in their cases' outbox.
    runtime.spawn(_flush_outbox(service), "notifier-outbox")
    return service


async def _flush_outbox(service: NotifierService) -> None:
    try:
        published = await service.publish_outbox()
    except Exception as exc:  # the next verdict for the same target publishes them too
        log.warning("outbox.flush_failed", error=repr(exc))
    else:
        if published:
            log.info("outbox.flushed", events=published)


SPEC = ServiceSpec(name="notifier", router=router, build=build, indexes=INDEXES, api=api)
