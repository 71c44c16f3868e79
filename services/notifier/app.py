"""Wiring: the repository, the channels, the dispatcher and the case publishers around one NotifierService."""

from __future__ import annotations

from typing import cast

from services.notifier.api import api
from services.notifier.channels.base import Sender
from services.notifier.channels.dingtalk import DingTalkSender
from services.notifier.channels.email import EmailSender, SmtpConfig
from services.notifier.channels.limits import Pacing
from services.notifier.channels.sms_settings import build_sms_sender
from services.notifier.channels.wecom import WeComSender
from services.notifier.dispatch import Dispatcher, DispatchPolicy
from services.notifier.metrics import DeliveryMetrics
from services.notifier.models import Channel
from services.notifier.notice_files import NoticeFiles
from services.notifier.publication import Publication
from services.notifier.rectification import Rectifications
from services.notifier.reminders import ReminderPolicy
from services.notifier.repository import INDEXES, NotifierRepository
from services.notifier.scheduling import Schedule
from services.notifier.service import CaseEvent, NotifierService
from services.notifier.settings import NotifierSettings
from services.notifier.subscribers import case_opened, case_resolved, router
from shared.clock import Clock
from shared.events import CaseOpened
from shared.identity import RegistryIdentity
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

    repo = NotifierRepository(runtime.db)
    runtime.metrics.add_source("deliveries", DeliveryMetrics(runtime.metrics).source(repo.delivery_counts))
    service = NotifierService(repo, publish, settings, runtime.clock)
    pacing = Pacing.from_settings(settings.channels)
    policy = DispatchPolicy.from_settings(settings)
    files = notice_files(settings)
    service.dispatcher = Dispatcher(repo, senders(settings, runtime.clock), runtime.clock, pacing, policy, files)
    service.notices.wake = service.dispatcher.wake
    service.identity = RegistryIdentity(settings.registry_url)
    service.rectifications = Rectifications(service, repo, settings, runtime.clock)
    policy_days = ReminderPolicy(settings.reminder_working_days, settings.escalate_after_working_days)
    calendar = settings.work_calendar()
    service.schedule = Schedule(service, repo, runtime.clock, calendar, policy_days, settings.schedule_tick_s)
    service.publication = Publication(service, repo, settings.notice_attachments if files is not None else ())
    runtime.spawn(service.dispatcher.run(), "notifier-dispatcher")
    runtime.spawn(service.schedule.run(), "notifier-schedule")
    # Events whose publish failed for good (the verdict went to DEAD) are still in their cases' outbox.
    runtime.spawn(_flush_outbox(service), "notifier-outbox")
    return service


def senders(settings: NotifierSettings, clock: Clock) -> dict[Channel, Sender]:
    """One sender per configured channel: e-mail and the robots always, SMS when a vendor is configured."""
    found: dict[Channel, Sender] = {
        Channel.email: EmailSender(SmtpConfig.from_settings(settings, settings.channels), clock),
        Channel.dingtalk: DingTalkSender.from_settings(settings.channels),
        Channel.wecom: WeComSender.from_settings(settings.channels),
    }
    sms = build_sms_sender(settings.sms)
    if sms is not None:
        found[Channel.sms] = sms
    return found


def notice_files(settings: NotifierSettings) -> NoticeFiles | None:
    """The reporter's frozen notice files, when the notifier knows where the reporter is."""
    if not settings.reporter_url:
        log.warning("notice_files.disabled", reason="REPORTER_URL is not set: notices are mailed without their files")
        return None
    token = settings.service_token.get_secret_value()
    return NoticeFiles(settings.reporter_url, token, settings.reporter_timeout_s)


async def _flush_outbox(service: NotifierService) -> None:
    try:
        published = await service.publish_outbox()
    except Exception as exc:  # the next verdict for the same target publishes them too
        log.warning("outbox.flush_failed", error=repr(exc))
    else:
        if published:
            log.info("outbox.flushed", events=published)


SPEC = ServiceSpec(name="notifier", router=router, build=build, indexes=INDEXES, api=api)
