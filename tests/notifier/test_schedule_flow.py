"""The daily schedule on real servers: reminders before the deadline, the overdue notice, escalation to the
supervising unit — each once, however often the day is run."""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage

from services.notifier.reminders import digest_key
from shared.events import IndicatorStatus, TargetType

from .test_notifier_flow import CASE_ID, SITE, UNIT, Notifier, Wait, notifier, registry_events, verdict_changed

__all__ = ["notifier"]  # the fixture, shared with the flow tests

SUPERVISOR = UNIT.model_copy(
    update={
        "unit_id": "qingshan-county",
        "name": "青山县人民政府",
        "emails": ["qsxzf@example.gov.cn"],
        "supervisor_id": None,
    }
)
SUPERVISED = UNIT.model_copy(update={"supervisor_id": SUPERVISOR.unit_id})


async def opened(notifier: Notifier, wait: Wait) -> None:
    """The unit with its supervisor, and a case opened on 10月7日 with its deadline on 10月14日."""
    for event in registry_events(SUPERVISED, SITE):
        await notifier.publish(event)
    await notifier.publish(registry_events(SUPERVISOR, SITE)[0])
    await notifier.publish(verdict_changed(IndicatorStatus.failed, revision=1))
    await wait(lambda: _sent_to(notifier, "qsx@example.gov.cn"), what="the rectification notice")


async def _sent_to(notifier: Notifier, address: str) -> list[str]:
    return [m["Subject"] for m in notifier.emails() if m["To"] == address]


async def _day(notifier: Notifier, day: date) -> int:
    assert notifier.service.schedule is not None
    return await notifier.service.schedule.tick(day)


async def test_reminders_overdue_and_escalation_each_go_once_on_their_days(notifier: Notifier, wait: Wait) -> None:
    await opened(notifier, wait)
    assert await _day(notifier, date(2022, 10, 10)) == 0  # 4 working days left: nothing yet

    assert await _day(notifier, date(2022, 10, 11)) == 1  # 3 working days left: 12日、13日、14日
    await wait(lambda: _has(notifier, "qsx@example.gov.cn", 2), what="the first reminder")
    assert await _day(notifier, date(2022, 10, 11)) == 0  # the same day again: nothing more

    assert await _day(notifier, date(2022, 10, 13)) == 1
    await wait(lambda: _has(notifier, "qsx@example.gov.cn", 3), what="the last reminder")

    assert await _day(notifier, date(2022, 10, 15)) == 1  # the day after the deadline: overdue
    await wait(lambda: _has(notifier, "qsx@example.gov.cn", 4), what="the overdue notice")
    [case] = await notifier.get("/cases", period_id="2022Q3")
    assert case["status"] == "overdue"

    assert await _day(notifier, date(2022, 10, 17)) == 1  # the first working day after: 督办 to the county
    [escalation] = await wait(lambda: _sent_to(notifier, "qsxzf@example.gov.cn"), what="the escalation")
    assert "青山县人民政府办公室" in _body(notifier, "qsxzf@example.gov.cn") and "督办" in escalation
    [case] = await notifier.get("/cases", period_id="2022Q3")
    assert case["status"] == "escalated"
    assert await _day(notifier, date(2022, 10, 18)) == 0

    subjects = await _sent_to(notifier, "qsx@example.gov.cn")
    assert len(subjects) == 4 and sum("【整改提醒】" in s for s in subjects) == 2 and "【逾期提醒】" in subjects[-1]
    steps = [d["step"] for d in await notifier.get("/deliveries") if d["recipient"] == "qsx@example.gov.cn"]
    assert len(steps) == len(set(steps)) == 4
    assert all(not s.startswith(digest_key(date(2022, 10, 11))) for s in steps)  # one item: its own message
    assert CASE_ID in {d["case_id"] for d in await notifier.get("/deliveries")}


async def _has(notifier: Notifier, address: str, count: int) -> bool:
    return len(await _sent_to(notifier, address)) >= count


def _body(notifier: Notifier, address: str) -> str:
    [mail] = [m for m in notifier.emails() if m["To"] == address]
    return _body_of(mail)


async def test_two_cases_due_the_same_day_reach_the_unit_in_one_digest(notifier: Notifier, wait: Wait) -> None:
    column = SITE.model_copy(
        update={"target_id": "qingshan-tzgg", "name": "通知公告", "type": TargetType.column, "site_id": SITE.target_id}
    )
    await opened(notifier, wait)
    for event in registry_events(SUPERVISED, column)[1:]:
        await notifier.publish(event)
    await notifier.publish(verdict_changed(IndicatorStatus.failed, revision=1, target=column))
    await wait(lambda: _has(notifier, "qsx@example.gov.cn", 2), what="the second rectification notice")

    assert await _day(notifier, date(2022, 10, 11)) == 2  # both cases: 3 working days left
    mails = await wait(lambda: _new_mails(notifier, "qsx@example.gov.cn", 3), what="the digest")
    assert len(mails) == 3 and "2项" in mails[-1]["Subject"]
    text = _body_of(mails[-1])
    assert "云岭市青山县人民政府网站" in text and "通知公告" in text and "2022年10月14日" in text
    digests = [d for d in await notifier.get("/deliveries") if d["step"].startswith(digest_key(date(2022, 10, 11)))]
    assert len(digests) == 1
    assert await _day(notifier, date(2022, 10, 11)) == 0


async def _new_mails(notifier: Notifier, address: str, count: int) -> list[EmailMessage] | None:
    found = [m for m in notifier.emails() if m["To"] == address]
    return found if len(found) >= count else None


def _body_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())
