"""The notifier's orchestration: registry projections, cases from verdicts, and notices through the deliveries outbox.

Domain time comes from the events (a verdict's ``as_of``), never from the wall clock, so accelerated runs date their
cases and deadlines as the quarter they replay. The clock only stamps when a message actually went out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from services.notifier.cases import plan_cases, problem_of
from services.notifier.deadlines import Deadline, add_working_days
from services.notifier.letters import Letter, build_email, message_id_for, render_case_notice, sender_address
from services.notifier.mailer import Mailer, MaybeSent, NotSent, Refused
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

log = get_logger(__name__)

CaseEvent = CaseOpened | CaseResolved
Publish = Callable[[CaseEvent], Awaitable[None]]
_CASE_EVENTS: dict[str, type[CaseEvent]] = {"case.opened": CaseOpened, "case.resolved": CaseResolved}


class UnknownReference(LookupError):
    """An event names a unit, target or case not known here yet (the registry's event may still be on its way)."""


class DeliveryFailed(RuntimeError):
    """Some recipients could not be reached; the message is retried later, the sent ones are not resent."""


class NotifierService:
    def __init__(
        self,
        repo: NotifierRepository,
        mailer: Mailer,
        publish: Publish,
        settings: NotifierSettings,
        clock: Clock,
    ) -> None:
        self._repo = repo
        self._mailer = mailer
        self._publish = publish
        self._settings = settings
        self._clock = clock
        self._sender = sender_address(settings.mail_from)
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

    # --- notices -------------------------------------------------------------------------------------------------

    async def notify_case_opened(self, event: CaseOpened, final_attempt: bool = False) -> None:
        """Mail the rectification notice to each address of the unit, at most once per address.

        ``final_attempt``: this is the message's last delivery, so a failed send ends "failed" instead of retrying.
        """
        case = await self._repo.case(event.case_id)
        if case is None:
            raise UnknownReference(f"case {event.case_id} is not stored")
        if case.status is not CaseStatus.open:
            log.info("notice.skipped", case_id=case.case_id, reason="case already resolved")
            return
        target = await self._target(case.target_id)
        unit = await self._unit(case.unit_id)
        site = await self._repo.target(target.site_id) if target.site_id else None
        letter = render_case_notice(case, target, unit.name, self._office, site)
        step = f"opened-{case.round}"
        if not unit.emails:
            await self._no_recipient(case, step, letter)
            return
        failures = []
        for recipient in unit.emails:
            try:
                await self._deliver(case, step, recipient, letter, final_attempt)
            except NotSent as exc:
                failures.append(f"{recipient}: {exc}")
        if failures:
            raise DeliveryFailed("; ".join(failures))

    def _row(self, case: Case, step: str, recipient: str, letter: Letter, status: DeliveryStatus) -> Delivery:
        now = self._clock.now()
        delivery_id = Delivery.id_for(case.case_id, step, recipient, Channel.email)
        return Delivery(
            delivery_id=delivery_id,
            case_id=case.case_id,
            step=step,
            recipient=recipient,
            channel=Channel.email,
            status=status,
            unit_id=case.unit_id,
            target_id=case.target_id,
            period_id=case.period_id,
            message_id=message_id_for(delivery_id, self._sender) if recipient else "",
            subject=letter.subject,
            attempts=1 if status is DeliveryStatus.sending else 0,
            created_at=now,
            updated_at=now,
        )

    async def _no_recipient(self, case: Case, step: str, letter: Letter) -> None:
        await self._repo.insert_delivery(self._row(case, step, "", letter, DeliveryStatus.no_recipient))
        log.warning("notice.no_recipient", case_id=case.case_id, unit_id=case.unit_id)

    async def _deliver(self, case: Case, step: str, recipient: str, letter: Letter, final_attempt: bool) -> None:
        row = self._row(case, step, recipient, letter, DeliveryStatus.sending)
        prior = await self._repo.claim_delivery(row)
        if prior is DeliveryStatus.sending:
            # Left by a process that died between sending and recording: it may have gone out. A person decides.
            await self._settle(
                row, DeliveryStatus.uncertain, last_error="found still sending: the sender stopped mid-send"
            )
            log.warning("delivery.uncertain", delivery_id=row.delivery_id, case_id=case.case_id, recipient=recipient)
            return
        if prior is not None:
            log.info("delivery.skipped", delivery_id=row.delivery_id, status=prior.value)
            return
        message = build_email(letter, self._sender, recipient, row.message_id, self._clock.now())
        try:
            reply = await self._mailer.send(message, self._sender.addr_spec, recipient)
        except MaybeSent as exc:
            await self._settle(row, DeliveryStatus.uncertain, last_error=str(exc))
            log.warning("delivery.uncertain", delivery_id=row.delivery_id, recipient=recipient, error=str(exc))
            return
        except NotSent as exc:
            final = final_attempt or isinstance(exc, Refused)
            await self._settle(row, DeliveryStatus.failed if final else DeliveryStatus.retrying, last_error=str(exc))
            log.warning(
                "delivery.not_sent", delivery_id=row.delivery_id, recipient=recipient, final=final, error=str(exc)
            )
            if not final:
                raise
            return
        await self._settle(row, DeliveryStatus.sent, sent_at=self._clock.now(), smtp_reply=reply)
        log.info("delivery.sent", delivery_id=row.delivery_id, case_id=case.case_id, recipient=recipient)

    async def _settle(self, row: Delivery, status: DeliveryStatus, **fields: Any) -> None:
        await self._repo.settle_delivery(row.delivery_id, DeliveryStatus.sending, status, self._clock.now(), **fields)
