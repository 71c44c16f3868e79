"""The notifier's orchestration: registry projections, cases from verdicts, and notices through the deliveries outbox.

Domain time comes from the events (a verdict's ``as_of``), never from the wall clock, so accelerated runs date their
cases and deadlines as the quarter they replay. The clock only stamps when a message actually went out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from services.notifier.addresses import addresses, clip_params
from services.notifier.cases import plan_cases, problem_of
from services.notifier.channels.email import message_id_for, parse_mail_from
from services.notifier.deadlines import Deadline, add_working_days
from services.notifier.letters import (
    Letter,
    chinese_date,
    render_case_notice,
    target_title,
)
from services.notifier.models import Case, CaseStatus, Channel, Delivery, DeliveryStatus
from services.notifier.repository import NotifierRepository
from services.notifier.settings import NotifierSettings
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
    natural_id,
)
from shared.logging import get_logger

if TYPE_CHECKING:
    from services.notifier.dispatch import Dispatcher

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
        self._publish = publish
        self._settings = settings
        self._clock = clock
        self._sender = parse_mail_from(settings.mail_from)
        self._message_id_domain = settings.channels.smtp_message_id_domain or f"xunjian.{self._sender.domain}"
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
            deadline = add_working_days(day, self._settings.case_deadline_working_days)
            for result in plan.to_open:
                await self._open(event, result, deadline)
        for indicator_id in plan.to_resolve:
            await self._resolve(event, indicator_id)
        await self.publish_outbox(v.target_id, v.period_id)
        await self._repo.mark_applied(v.target_id, v.period_id, v.revision)

    async def _open(self, event: VerdictChanged, result: IndicatorResult, deadline: Deadline) -> None:
        v = event.verdict
        case_id = Case.id_for(v.target_id, v.period_id, result.indicator_id)
        existing = await self._repo.case(case_id)
        if existing is not None and existing.status is CaseStatus.open:
            return
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
            deadline=deadline.due,
            deadline_exact=deadline.exact,
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
            deadline=deadline.due,
        )
        stored = await (
            self._repo.insert_case(case, opened)
            if existing is None
            else self._repo.replace_case(existing, case, opened)
        )
        if not stored:
            return
        log.info("case.opened", case_id=case_id, target_id=v.target_id, problem=case.problem, round=case.round)
        if not deadline.exact:
            log.warning(
                "deadline.estimated", case_id=case_id, deadline=deadline.due.isoformat(), reason="no holiday data"
            )

    async def _resolve(self, event: VerdictChanged, indicator_id: str) -> None:
        v = event.verdict
        existing = await self._repo.case(Case.id_for(v.target_id, v.period_id, indicator_id))
        if existing is None or existing.status is not CaseStatus.open:
            return
        resolved = existing.model_copy(
            update={"status": CaseStatus.resolved, "resolved_at": v.as_of, "resolved_revision": v.revision}
        )
        event_out = CaseResolved(
            event_id=natural_id("case.resolved", existing.case_id, existing.round),
            occurred_at=v.as_of,
            correlation_id=event.correlation_id,
            case_id=existing.case_id,
            target_id=v.target_id,
            period_id=v.period_id,
            indicator_id=indicator_id,
        )
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

    async def cases(self, period_id: str | None = None) -> list[Case]:
        return await self._repo.cases(period_id)

    async def deliveries(self, status: DeliveryStatus | None = None) -> list[Delivery]:
        return await self._repo.deliveries(status)

    # --- notices: recorded here, sent by the dispatcher -----------------------------------------------------------

    async def notify_case_opened(self, event: CaseOpened) -> int:
        """Record the rectification notice for every address of the unit, once per (step, recipient, channel).

        Nothing is sent here: the dispatcher sends what was recorded (dispatch.py), so a redelivered event, a restart
        or a second replica finds the rows already there. Returns how many new rows were recorded.
        """
        case = await self._repo.case(event.case_id)
        if case is None:
            raise UnknownReference(f"case {event.case_id} is not stored")
        if case.status is CaseStatus.resolved:
            log.info("notice.skipped", case_id=case.case_id, reason="case already resolved")
            return 0
        target = await self._target(case.target_id)
        unit = await self._unit(case.unit_id)
        site = await self._repo.target(target.site_id) if target.site_id else None
        letter = render_case_notice(case, target, unit.name, self._office, site)
        sms = {"unit": unit.short_name or unit.name, "target": target_title(target, site), "problem": case.problem}
        sms["deadline"] = chinese_date(case.deadline)
        rows = self._rows(case, f"opened-{case.round}", unit, letter, sms)
        recorded = await self._repo.record_intents(rows)
        if not rows:
            await self._repo.insert_delivery(self._row(case, f"opened-{case.round}", Channel.email, "", letter, {}))
            log.warning("notice.no_recipient", case_id=case.case_id, unit_id=case.unit_id)
        if self.dispatcher is not None:
            self.dispatcher.wake()
        return recorded

    def _rows(self, case: Case, step: str, unit: Unit, letter: Letter, sms_params: dict[str, str]) -> list[Delivery]:
        direct, robots = addresses(unit)
        first_email = direct[Channel.email][0] if direct[Channel.email] else ""
        rows = [self._row(case, step, Channel.email, to, letter, {}) for to in direct[Channel.email]]
        if template := self._sms_template(step):
            sms = {
                "template_code": template,
                "template_params": clip_params(sms_params),
                "fallback_recipient": first_email,
            }
            rows += [self._row(case, step, Channel.sms, to, letter, sms) for to in direct[Channel.sms]]
        for channel, hooks in robots.items():
            rows += [self._row(case, step, channel, url, letter, {"secret": secret}) for url, secret in hooks]
        return rows

    def _sms_template(self, step: str) -> str:
        # Step keys carry the case round ("opened-2"); templates are registered per kind of step ("case_opened").
        sms = self._settings.sms
        kind = "case_opened" if step.startswith("opened-") else step.rsplit("-", 1)[0]
        return sms.template_for(kind) if sms.provider != "none" else ""

    def _row(self, case: Case, step: str, channel: Channel, to: str, letter: Letter, extra: dict[str, Any]) -> Delivery:
        now = self._clock.now()
        delivery_id = Delivery.id_for(case.case_id, step, to, channel)
        return Delivery(
            delivery_id=delivery_id,
            case_id=case.case_id,
            step=step,
            recipient=to,
            channel=channel,
            status=DeliveryStatus.pending if to else DeliveryStatus.no_recipient,
            unit_id=case.unit_id,
            target_id=case.target_id,
            period_id=case.period_id,
            message_id=message_id_for(delivery_id, self._message_id_domain) if channel is Channel.email and to else "",
            subject=letter.subject,
            created_at=now,
            updated_at=now,
            not_before=now,
            payload={"subject": letter.subject, "text": letter.body, **extra},
        )
