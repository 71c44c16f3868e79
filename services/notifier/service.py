"""The notifier's orchestration: registry projections, cases from verdicts, and notices through the deliveries outbox.

Domain time comes from the events (a verdict's ``as_of``), never from the wall clock, so accelerated runs date their
cases and deadlines as the quarter they replay. The clock only stamps when a message actually went out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from services.notifier import lifecycle, texts
from services.notifier.cases import plan_cases, problem_of, resolved_event
from services.notifier.channels.email import parse_mail_from
from services.notifier.letters import target_title
from services.notifier.models import Case, CaseStatus, Delivery, DeliveryStatus
from services.notifier.notices import Key, Notices
from services.notifier.repository import NotifierRepository
from services.notifier.settings import NotifierSettings
from services.notifier.texts import CaseView
from shared.clock import CHINA_TZ, Clock
from shared.events import (
    CaseOpened,
    CaseResolved,
    IndicatorResult,
    PeriodChanged,
    Target,
    TargetChanged,
    Unit,
    UnitChanged,
    VerdictChanged,
    VerdictWarning,
    natural_id,
)
from shared.logging import get_logger

if TYPE_CHECKING:
    from services.notifier.dispatch import Dispatcher
    from services.notifier.publication import Publication
    from services.notifier.rectification import Rectifications
    from services.notifier.scheduling import Schedule
    from shared.identity import RegistryIdentity

log = get_logger(__name__)

CaseEvent = CaseOpened | CaseResolved
Publish = Callable[[CaseEvent], Awaitable[None]]
_CASE_EVENTS: dict[str, type[CaseEvent]] = {"case.opened": CaseOpened, "case.resolved": CaseResolved}


class UnknownReference(LookupError):
    """An event names a unit, target or case not known here yet (the registry's event may still be on its way)."""


class NotifierService:
    def __init__(
        self,
        repo: NotifierRepository,
        publish: Publish,
        settings: NotifierSettings,
        clock: Clock,
    ) -> None:
        self._repo = repo
        self.dispatcher: Dispatcher | None = None  # sends what is recorded (set by app.build)
        self.rectifications: Rectifications | None = None  # what units do about cases (set by app.build)
        self.identity: RegistryIdentity | None = None  # who calls the API (set by app.build)
        self.schedule: Schedule | None = None  # reminders, overdue, escalation (set by app.build)
        self.publication: Publication | None = None  # published notices to every unit (set by app.build)
        self._publish = publish
        self._settings = settings
        self._clock = clock
        self._sender = parse_mail_from(settings.mail_from)
        message_id_domain = settings.channels.smtp_message_id_domain or f"xunjian.{self._sender.domain}"
        self._calendar = settings.work_calendar()  # holidays configured for years chinese-calendar lacks
        self.notices = Notices(repo, settings.sms, message_id_domain, clock)
        self._office = self._sender.display_name or self._sender.addr_spec

    # --- registry ------------------------------------------------------------------------------------------------

    async def apply_registry(self, event: TargetChanged | UnitChanged | PeriodChanged) -> None:
        if isinstance(event, UnitChanged):
            await self._repo.save_unit(event.unit, event.occurred_at)
        elif isinstance(event, TargetChanged):
            await self._repo.save_target(event.target, event.occurred_at)
        else:
            await self._repo.save_period(event.period, event.occurred_at)

    async def _target(self, target_id: str) -> Target:
        target = await self._repo.target(target_id)
        if target is None:
            raise UnknownReference(f"target {target_id} is not in the registry projection yet")
        return target

    async def _unit(self, unit_id: str) -> Unit:
        unit = await self._repo.unit(unit_id)
        if unit is None:
            raise UnknownReference(f"unit {unit_id} is not in the registry projection yet")
        return unit

    # --- cases ---------------------------------------------------------------------------------------------------

    async def handle_verdict(self, event: VerdictChanged) -> None:
        """Open and resolve cases; publish their events; remember the revision so a replay changes nothing."""
        v = event.verdict
        if await self._repo.applied_revision(v.target_id, v.period_id) >= v.revision:
            log.info("verdict.already_applied", target_id=v.target_id, period_id=v.period_id, revision=v.revision)
            return
        plan = plan_cases(v)
        if plan.to_open:
            await self._target(v.target_id)
            await self._unit(v.unit_id)
            day = v.as_of.astimezone(CHINA_TZ).date()
            deadline = lifecycle.deadline_by_policy(
                day, self._settings.case_deadline_working_days, calendar=self._calendar
            )
            for result in plan.to_open:
                await self._open(event, result, deadline)
        for indicator_id in plan.to_resolve:
            await self._resolve(event, indicator_id)
        await self.publish_outbox(v.target_id, v.period_id)
        await self._repo.mark_applied(v.target_id, v.period_id, v.revision)

    async def _open(self, event: VerdictChanged, result: IndicatorResult, deadline: lifecycle.CaseDeadline) -> None:
        v = event.verdict
        case_id = Case.id_for(v.target_id, v.period_id, result.indicator_id)
        existing = await self._repo.case(case_id)
        if existing is not None and existing.status is not CaseStatus.resolved:
            return  # already being rectified, in whatever state: the problem is known
        case = Case(
            case_id=case_id,
            target_id=v.target_id,
            unit_id=v.unit_id,
            period_id=v.period_id,
            indicator_id=result.indicator_id,
            indicator_name=result.name,
            problem=problem_of(result),
            explanation=result.explanation,
            round=existing.round + 1 if existing else 1,
            opened_on=v.as_of.astimezone(CHINA_TZ).date(),
            deadline=deadline.deadline,
            deadline_exact=deadline.deadline_exact,
            deadline_source=deadline.deadline_source,
            opened_at=v.as_of,
            opened_revision=v.revision,
        )
        opened = CaseOpened(
            event_id=natural_id("case.opened", case_id, case.round),
            occurred_at=v.as_of,
            correlation_id=event.correlation_id,
            case_id=case_id,
            target_id=v.target_id,
            unit_id=v.unit_id,
            period_id=v.period_id,
            indicator_id=result.indicator_id,
            problem=case.problem,
            deadline=deadline.deadline,
        )
        stored = await (
            self._repo.insert_case(case, opened)
            if existing is None
            else self._repo.replace_case(existing, case, opened)
        )
        if not stored:
            return
        log.info("case.opened", case_id=case_id, target_id=v.target_id, problem=case.problem, round=case.round)
        if not deadline.deadline_exact:
            log.warning(
                "deadline.estimated", case_id=case_id, deadline=deadline.deadline.isoformat(), reason="no holiday data"
            )

    async def _resolve(self, event: VerdictChanged, indicator_id: str) -> None:
        v = event.verdict
        existing = await self._repo.case(Case.id_for(v.target_id, v.period_id, indicator_id))
        if existing is None or existing.status is CaseStatus.resolved:
            return
        resolved = lifecycle.resolve_by_verdict(existing, v.as_of, v.revision)
        event_out = resolved_event(existing, v.as_of, event.correlation_id)
        if await self._repo.replace_case(existing, resolved, event_out):
            log.info("case.resolved", case_id=existing.case_id, target_id=v.target_id, indicator_id=indicator_id)

    async def publish_outbox(self, target_id: str | None = None, period_id: str | None = None) -> int:
        """Publish the case events stored with their writes; a repeat is dropped by JetStream (same event_id)."""
        pending = await self._repo.outbox(target_id, period_id)
        for case_id, payload in pending:
            event = _CASE_EVENTS[payload["event_type"]].model_validate(payload)
            await self._publish(event)
            await self._repo.clear_outbox(case_id, event.event_id)
        return len(pending)

    async def notify_warning(self, event: VerdictWarning) -> int:
        """An early warning (预警) to the target's unit, once per warning event (at most one a day per warning)."""
        target = await self._target(event.target_id)
        unit = await self._unit(event.unit_id)
        site = await self._repo.target(target.site_id) if target.site_id else None
        day = event.as_of.astimezone(CHINA_TZ).date()
        title = target_title(target, site)
        message = texts.warning(
            title, target.url, unit.name, self._office, event.label, event.explanation, event.period_id, day
        )
        # Keyed by what the warning is (target, indicator, label, day), not by the event's id: a copy published under
        # another id is still the same warning.
        natural = VerdictWarning.id_for(event.target_id, event.period_id, event.indicator_id, event.label, day)
        key = Key(f"warning:{natural}", "warning", unit.unit_id, target.target_id, event.period_id)
        return await self.notices.record(key, unit, message)

    @property
    def office_name(self) -> str:
        """The inspecting office as messages name it (the display name of MAIL_FROM)."""
        return self._office

    async def case(self, case_id: str) -> Case | None:
        return await self._repo.case(case_id)

    async def attachment(self, case_id: str, attachment_id: str) -> tuple[str, bytes] | None:
        return await self._repo.attachment(case_id, attachment_id)

    async def cases(self, period_id: str | None = None) -> list[Case]:
        return await self._repo.cases(period_id)

    async def deliveries(self, status: DeliveryStatus | None = None, case_id: str | None = None) -> list[Delivery]:
        return await self._repo.deliveries(status, case_id)

    # --- notices: recorded here, sent by the dispatcher -----------------------------------------------------------

    async def notify_case_opened(self, event: CaseOpened) -> int:
        """Record the rectification notice for every address of the unit (notices.py) and mark the case notified.

        Nothing is sent here: the dispatcher sends what was recorded, so a redelivered event, a restart or a second
        replica finds the rows already there. Returns how many new rows were recorded.
        """
        case = await self._repo.case(event.case_id)
        if case is None:
            raise UnknownReference(f"case {event.case_id} is not stored")
        if case.status is CaseStatus.resolved:
            log.info("notice.skipped", case_id=case.case_id, reason="case already resolved")
            return 0
        view, unit = await self.view(case)
        key = Key(case.case_id, f"opened-{case.round}", case.unit_id, case.target_id, case.period_id)
        recorded = await self.notices.record(key, unit, texts.case_opened(view))
        if case.status is CaseStatus.open:
            await self._repo.save_case(case, lifecycle.notified(case, self._clock.now()))
        return recorded

    async def view(self, case: Case, with_supervisor: bool = False) -> tuple[CaseView, Unit]:
        """The case with the names its messages need, and its unit (whose addresses they go to)."""
        target = await self._target(case.target_id)
        unit = await self._unit(case.unit_id)
        site = await self._repo.target(target.site_id) if target.site_id else None
        supervisor = await self._repo.unit(unit.supervisor_id) if with_supervisor and unit.supervisor_id else None
        return CaseView.of(case, target, unit, self._office, site, supervisor), unit
