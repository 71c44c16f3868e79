"""A published notice reaches every unit once, names the listed unit's problem, and sets the cases' deadline."""

from __future__ import annotations

from datetime import date, datetime
from email.message import EmailMessage

from shared.clock import CHINA_TZ
from shared.events import IndicatorStatus, ReportPublished, natural_id

from .test_notifier_flow import UNIT, Notifier, Wait, notifier, registry_events, verdict_changed

__all__ = ["notifier"]  # the fixture, shared with the flow tests

OTHER = UNIT.model_copy(
    update={"unit_id": "baisha-gov", "name": "白沙县人民政府办公室", "emails": ["bsx@example.gov.cn"]}
)
NOTICE = ReportPublished(
    event_id=natural_id("report", "2022Q3", 1),
    occurred_at=datetime(2022, 10, 10, 9, 0, tzinfo=CHINA_TZ),
    report_id="2022Q3-1",
    period_id="2022Q3",
    document_number="云政办字〔2022〕87号",
    deadline=date(2022, 10, 21),
    content_hash="0" * 64,
    title="云岭市人民政府办公室关于2022年三季度全市政府网站和政府系统政务新媒体检查情况的通报",
    issued_on=date(2022, 10, 10),
    report_to="市政府办公室",
    attachments=["2022年三季度政府网站抽查情况", "2022年三季度政务新媒体抽查情况"],
)


async def test_the_notice_goes_to_every_unit_once_and_its_deadline_replaces_the_working_day_count(
    notifier: Notifier, wait: Wait
) -> None:
    for event in [*registry_events(), registry_events(OTHER)[0]]:
        await notifier.publish(event)
    await notifier.publish(verdict_changed(IndicatorStatus.failed, revision=1))
    await wait(lambda: _mails_to(notifier, "qsx@example.gov.cn", 1), what="the rectification notice")

    await notifier.publish(NOTICE)
    await notifier.publish(NOTICE.model_copy(update={"event_id": "redelivered-" + "0" * 20}))
    await wait(lambda: _mails_to(notifier, "bsx@example.gov.cn", 1), what="the notice at the unit it does not list")
    [listed] = (await wait(lambda: _mails_to(notifier, "qsx@example.gov.cn", 2), what="the notice at the listed unit"))[
        1:
    ]

    assert "云政办字〔2022〕87号" in listed["Subject"]
    text = _text(listed)
    assert "首页长期不更新" in text and "2022年10月21日" in text and "市政府办公室" in text
    [other] = [m for m in notifier.emails() if m["To"] == "bsx@example.gov.cn"]
    assert "首页长期不更新" not in _text(other) and "2022年10月21日" in _text(other)
    [case] = await notifier.get("/cases", period_id="2022Q3")
    assert (case["deadline"], case["deadline_source"], case["deadline_document"]) == (
        "2022-10-21",
        "notice",
        "云政办字〔2022〕87号",
    )
    assert len(notifier.emails()) == 3  # the notice once to each unit, though it was delivered twice


async def _mails_to(notifier: Notifier, address: str, count: int) -> list[EmailMessage] | None:
    found = [m for m in notifier.emails() if m["To"] == address]
    return found if len(found) >= count else None


def _text(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())
