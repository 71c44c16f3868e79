"""The dispatcher (services/notifier/dispatch.py) on a real NotifierRepository (SecantusDB) with the real senders
against local fakes on real sockets: the Aliyun fake (tests/notifier/fake_sms.py), the SMTP sink, a WeCom robot.

Time is a FixedClock moved by hand and ``dispatch_due()`` is called directly: no background loop, no sleeps. A crash
between "send" and "record" is reproduced as the dead process left it: its row claimed ("sending") long ago, the
message at the provider or not. A fresh Dispatcher (the restarted process) must never send it again blindly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from aiohttp import web
from pydantic import SecretStr

from services.notifier.channels.aliyun_sms import AliyunSms
from services.notifier.channels.base import Sender
from services.notifier.channels.chat_settings import ChannelSettings
from services.notifier.channels.email import EmailSender, SmtpConfig
from services.notifier.channels.limits import Pacing
from services.notifier.channels.robot import Timeouts
from services.notifier.channels.sms_settings import SmsSettings
from services.notifier.channels.wecom import WeComSender
from services.notifier.dispatch import Dispatcher, DispatchPolicy, outbound
from services.notifier.models import Channel, Delivery, DeliveryStatus
from services.notifier.notices import Key, Notices
from services.notifier.repository import INDEXES, NotifierRepository
from services.notifier.texts import ChannelText, Texts
from shared.clock import CHINA_TZ, FixedClock
from shared.db import ensure_indexes, make_client
from shared.events import Contact, Unit
from tests.notifier.fake_sms import FakeAliyun
from tests.notifier.test_chat_channels import WECOM_KEY, FakeRobots
from xunjian.mailsink import start_mail_sink

MONDAY_10AM = datetime(2022, 10, 10, 10, 0, tzinfo=CHINA_TZ)
POLICY = DispatchPolicy()  # the production defaults: backoff 30 s, check after 60 s, lease 300 s
KEY_ID, SECRET, SIGN = "LTAI5tXunjianTest", "s3cr3t-for-tests", "云岭市政府办"
TEMPLATE = "SMS_480215001"
PARAMS = {
    "unit": "云岭市教育体育局",
    "target": "云岭市教育体育局门户网站",
    "problem": "首页栏目“通知公告”超过2周未更新",
    "deadline": "2022年10月14日",
}
MAIL_FROM = "云岭市人民政府办公室 <xunjian@example.gov.cn>"
MESSAGE_ID_DOMAIN = "xunjian.example.gov.cn"  # what EmailSender derives from MAIL_FROM
EMAIL, MOBILE = "jyj@example.gov.cn", "13800138000"
UNIT = Unit(unit_id="yl-jyj", name="云岭市教育体育局", county="市直", emails=[EMAIL], mobiles=[MOBILE])
TEXTS = Texts(
    email=ChannelText(
        Channel.email,
        "关于云岭市教育体育局门户网站存在问题的整改通知",
        "云岭市教育体育局：\n\n　　经检查，你单位门户网站首页栏目“通知公告”超过2周未更新，请于2022年10月14日前完成整改。\n",
    ),
    sms=ChannelText(
        Channel.sms,
        "",
        "云岭市教育体育局：你单位云岭市教育体育局门户网站首页栏目“通知公告”超过2周未更新，请于2022年10月14日前整改。",
        "case_opened",
        PARAMS,
    ),
    chat=ChannelText(Channel.dingtalk, "整改通知", "**问题**：首页栏目超过2周未更新\n\n**整改期限**：2022年10月14日前"),
)


def key(case_id: str = "case-yl-jyj-W-V3", step: str = "case_opened") -> Key:
    return Key(case_id=case_id, step=step, unit_id=UNIT.unit_id, target_id="yl-jyj-portal", period_id="2022Q3")


@dataclass
class World:
    repo: NotifierRepository
    clock: FixedClock
    aliyun: FakeAliyun
    sms: SmsSettings
    mail_dir: Path
    mail_port: int

    def senders(self) -> dict[Channel, Sender]:
        smtp = SmtpConfig(host="127.0.0.1", port=self.mail_port, mail_from=MAIL_FROM, timeout_s=5.0)
        return {Channel.sms: AliyunSms(self.sms), Channel.email: EmailSender(smtp, self.clock)}

    def dispatcher(self, pacing: Pacing | None = None, senders: dict[Channel, Sender] | None = None) -> Dispatcher:
        """A dispatcher as a freshly started process builds it (the channels' real limits unless told otherwise)."""
        pacing = pacing or Pacing.from_settings(ChannelSettings())
        return Dispatcher(self.repo, senders or self.senders(), self.clock, pacing, POLICY)

    def rows(self, unit: Unit = UNIT, k: Key | None = None, *channels: Channel) -> list[Delivery]:
        """The rows the service records for ``unit`` (services/notifier/notices.py), on ``channels`` (all: none)."""
        notices = Notices(self.repo, self.sms, MESSAGE_ID_DOMAIN, self.clock)
        rows = notices.rows(k or key(), unit, TEXTS)
        return [r for r in rows if not channels or r.channel in channels]

    async def record(self, *channels: Channel) -> list[Delivery]:
        rows = self.rows(UNIT, None, *channels)
        assert await self.repo.record_intents(rows) == len(rows)
        return rows

    async def row(self, delivery_id: str) -> Delivery:
        [found] = [r for r in await self.repo.deliveries() if r.delivery_id == delivery_id]
        return found

    def mails(self) -> list[EmailMessage]:
        parsed = [message_from_bytes(p.read_bytes(), policy=default) for p in sorted(self.mail_dir.glob("*.eml"))]
        assert all(isinstance(m, EmailMessage) for m in parsed)
        return [m for m in parsed if isinstance(m, EmailMessage)]

    def accepted(self, out_id: str) -> int:
        return sum(1 for a in self.aliyun.accepted if a.out_id == out_id)

    async def crash_mid_send(self, *, reached_provider: bool) -> Delivery:
        """What a notifier killed between "send" and "record" leaves: the due row claimed ("sending") by it, the
        message at the provider if ``reached_provider``, nothing recorded after."""
        claimed = await self.repo.claim_due(self.clock.now(), "notifier-7f9c-4711")
        assert claimed is not None and claimed.status is DeliveryStatus.sending
        if reached_provider:
            await self.senders()[claimed.channel].send(outbound(claimed))
        return claimed


@pytest.fixture
async def world(mongodb_uri: str, db_prefix: str, tmp_path: Path) -> AsyncIterator[World]:
    client = make_client(mongodb_uri)
    db = client[f"{db_prefix}_notifier"]
    await ensure_indexes(db, INDEXES)
    aliyun = FakeAliyun(KEY_ID, SECRET, SIGN, {TEMPLATE: list(PARAMS)})
    await aliyun.start()
    sms = SmsSettings(
        provider="aliyun",
        endpoint=aliyun.url,
        access_key_id=SecretStr(KEY_ID),
        access_key_secret=SecretStr(SECRET),
        sign_name=SIGN,
        templates={"case_opened": TEMPLATE},
        timeout_s=0.5,
    )
    sink, port = start_mail_sink(tmp_path / "mail", "127.0.0.1", 0)
    try:
        yield World(NotifierRepository(db), FixedClock(MONDAY_10AM), aliyun, sms, tmp_path / "mail", port)
    finally:
        sink.stop()
        await aliyun.stop()
        await client.close()


@pytest.fixture
async def robots() -> AsyncIterator[FakeRobots]:
    fake = FakeRobots()
    app = web.Application()
    app.router.add_post("/cgi-bin/webhook/send", fake.wecom)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    fake.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield fake
    fake.release.set()
    await runner.cleanup()


# ---- a crash between "send" and "record" -----------------------------------------------------------------------


async def test_an_sms_sent_by_a_process_killed_before_recording_it_is_recovered_by_out_id_and_never_resent(
    world: World,
) -> None:
    [row] = await world.record(Channel.sms)
    await world.crash_mid_send(reached_provider=True)
    assert world.accepted(row.delivery_id) == 1  # the dead process did send it

    # Within the lease the claim may still belong to a live process (another replica): left alone.
    world.clock.advance(timedelta(seconds=POLICY.claim_lease_s - 1))
    assert await world.dispatcher().dispatch_due() == 0
    assert (await world.row(row.delivery_id)).status is DeliveryStatus.sending

    # Past the lease the restarted process asks Aliyun (QuerySendDetails) for the OutId instead of sending.
    world.clock.advance(timedelta(seconds=2))
    assert await world.dispatcher().dispatch_due() == 1

    recovered = await world.row(row.delivery_id)
    assert recovered.status is DeliveryStatus.sent
    assert recovered.provider_id == f"OutId:{row.delivery_id}"
    assert "QuerySendDetails" in recovered.smtp_reply
    assert recovered.sent_at == world.clock.now() and recovered.attempts == 1  # the dead process's send
    assert world.accepted(row.delivery_id) == 1 and len(world.aliyun.accepted) == 1
    assert await world.dispatcher().dispatch_due() == 0 and len(world.aliyun.accepted) == 1


async def test_an_sms_lost_with_a_process_killed_before_it_reached_the_vendor_is_uncertain_and_not_sent(
    world: World,
) -> None:
    [row] = await world.record(Channel.sms)
    await world.crash_mid_send(reached_provider=False)
    world.clock.advance(timedelta(seconds=POLICY.claim_lease_s + 1))

    await world.dispatcher().dispatch_due()

    lost = await world.row(row.delivery_id)
    assert lost.status is DeliveryStatus.uncertain  # a person decides; it may never have gone, but who can say
    assert lost.last_error == "发送进程中断，待核实" and lost.attempts == 1
    assert world.aliyun.accepted == [] and world.aliyun.requests > 0  # asked, never sent
    world.clock.advance(timedelta(days=1))
    assert await world.dispatcher().dispatch_due() == 0 and world.aliyun.accepted == []


async def test_an_email_sent_by_a_process_killed_before_recording_it_is_uncertain_and_not_sent_again(
    world: World,
) -> None:
    [row] = await world.record(Channel.email)
    await world.crash_mid_send(reached_provider=True)
    assert len(world.mails()) == 1
    world.clock.advance(timedelta(seconds=POLICY.claim_lease_s + 1))

    await world.dispatcher().dispatch_due()

    lost = await world.row(row.delivery_id)
    assert lost.status is DeliveryStatus.uncertain  # SMTP has no status query: a person settles it
    assert lost.last_error == "发送进程中断，待核实" and lost.sent_at is None
    [mail] = world.mails()
    assert mail["Message-ID"] == row.message_id == f"<{row.delivery_id}@{MESSAGE_ID_DOMAIN}>"  # what to search for
    world.clock.advance(timedelta(days=1))
    assert await world.dispatcher().dispatch_due() == 0 and len(world.mails()) == 1


# ---- live outcomes ---------------------------------------------------------------------------------------------


async def test_an_sms_whose_answer_is_lost_is_checked_after_a_minute_and_recovered_without_a_second_send(
    world: World,
) -> None:
    [row] = await world.record(Channel.sms)
    world.aliyun.fail_next("hang_up")  # the vendor takes the message, then drops the connection without a word
    dispatcher = world.dispatcher()

    assert await dispatcher.dispatch_due() == 1
    unsure = await world.row(row.delivery_id)
    assert unsure.status is DeliveryStatus.checking and unsure.attempts == 1
    assert unsure.not_before == MONDAY_10AM + timedelta(seconds=POLICY.check_after_s)
    requests = world.aliyun.requests
    assert await dispatcher.dispatch_due() == 0 and world.aliyun.requests == requests  # not asked before its time

    world.clock.advance(timedelta(seconds=POLICY.check_after_s))
    assert await dispatcher.dispatch_due() == 1

    sent = await world.row(row.delivery_id)
    assert sent.status is DeliveryStatus.sent and sent.provider_id == f"OutId:{row.delivery_id}"
    assert sent.attempts == 1
    assert world.accepted(row.delivery_id) == 1 and len(world.aliyun.accepted) == 1


async def test_a_throttled_sms_is_retried_after_the_backoff_and_not_before(world: World) -> None:
    [row] = await world.record(Channel.sms)
    world.aliyun.fail_next("throttle")  # isv.BUSINESS_LIMIT_CONTROL: nothing was taken
    # Without our own per-number limit: it counts on the real monotonic clock, which this FixedClock does not move
    # (tests/notifier/test_limits.py covers it); the vendor's answer alone drives the retry here.
    dispatcher = world.dispatcher(Pacing.from_settings(ChannelSettings(rate_limits={Channel.sms: []})))

    await dispatcher.dispatch_due()
    retrying = await world.row(row.delivery_id)
    assert retrying.status is DeliveryStatus.retrying and retrying.attempts == 1
    assert retrying.not_before == MONDAY_10AM + timedelta(seconds=POLICY.backoff_s[0])
    assert "isv.BUSINESS_LIMIT_CONTROL" in retrying.last_error

    world.clock.advance(timedelta(seconds=POLICY.backoff_s[0] - 1))
    requests = world.aliyun.requests
    assert await dispatcher.dispatch_due() == 0 and world.aliyun.requests == requests

    world.clock.advance(timedelta(seconds=1))
    assert await dispatcher.dispatch_due() == 1
    sent = await world.row(row.delivery_id)
    assert sent.status is DeliveryStatus.sent and sent.attempts == 2
    [accepted] = world.aliyun.accepted
    assert sent.provider_id == accepted.provider_id and accepted.out_id == row.delivery_id


async def test_an_sms_refused_for_good_fails_and_its_fallback_email_is_recorded_and_sent(world: World) -> None:
    [sms] = await world.record(Channel.sms)  # only the SMS row: the e-mail exists only as its fallback here
    assert sms.payload["fallback_recipient"] == EMAIL
    world.aliyun.fail_next("bad_number")  # isv.MOBILE_NUMBER_ILLEGAL

    assert await world.dispatcher().dispatch_due() == 2  # the SMS, then the fallback recorded meanwhile

    failed = await world.row(sms.delivery_id)
    assert failed.status is DeliveryStatus.failed and failed.attempts == 1
    assert "isv.MOBILE_NUMBER_ILLEGAL" in failed.last_error
    [fallback] = [r for r in await world.repo.deliveries() if r.fallback_of == sms.delivery_id]
    assert fallback.delivery_id == Delivery.id_for(sms.case_id, sms.step, EMAIL, Channel.email)
    assert fallback.channel is Channel.email and fallback.recipient == EMAIL
    assert fallback.status is DeliveryStatus.sent and fallback.attempts == 1
    assert "template_code" not in fallback.payload and "fallback_recipient" not in fallback.payload
    [mail] = world.mails()
    plain = mail.get_body(("plain",))
    # The e-mail's own wording and subject, not the SMS template's.
    assert mail["To"] == EMAIL and plain is not None
    assert plain.get_content().replace("\r\n", "\n").strip() == TEXTS.email.text.strip()
    assert mail["Subject"] == TEXTS.email.subject == fallback.subject
    assert fallback.provider_id.endswith(".eml")  # the sink's queue id names the file it wrote
    assert world.aliyun.accepted == []


async def test_a_fallback_to_an_address_already_written_to_sends_no_second_email(world: World) -> None:
    rows = await world.record()  # as the service records it: the e-mail row and the SMS row falling back to it
    [sms] = [r for r in rows if r.channel is Channel.sms]
    [email] = [r for r in rows if r.channel is Channel.email]
    assert sms.payload["fallback_recipient"] == email.recipient
    world.aliyun.fail_next("bad_number")

    await world.dispatcher().dispatch_due()

    assert (await world.row(sms.delivery_id)).status is DeliveryStatus.failed
    assert (await world.row(email.delivery_id)).status is DeliveryStatus.sent
    assert len(await world.repo.deliveries()) == 2  # the fallback's key is the e-mail row's: nothing new
    [mail] = world.mails()
    assert mail["Message-ID"] == email.message_id


# ---- pacing ----------------------------------------------------------------------------------------------------


async def test_an_sms_due_at_11pm_waits_for_8am_while_the_email_goes_out(world: World) -> None:
    world.clock.set(datetime(2022, 10, 10, 23, 0, tzinfo=CHINA_TZ))
    rows = await world.record()
    [sms] = [r for r in rows if r.channel is Channel.sms]
    [email] = [r for r in rows if r.channel is Channel.email]
    dispatcher = world.dispatcher()

    await dispatcher.dispatch_due()

    held = await world.row(sms.delivery_id)
    assert held.status is DeliveryStatus.pending and held.attempts == 0
    assert held.not_before == datetime(2022, 10, 11, 8, 0, tzinfo=CHINA_TZ)
    assert world.aliyun.requests == 0
    assert (await world.row(email.delivery_id)).status is DeliveryStatus.sent and len(world.mails()) == 1

    world.clock.set(datetime(2022, 10, 11, 7, 59, tzinfo=CHINA_TZ))
    assert await dispatcher.dispatch_due() == 0 and world.aliyun.requests == 0
    world.clock.set(datetime(2022, 10, 11, 8, 0, tzinfo=CHINA_TZ))
    assert await dispatcher.dispatch_due() == 1
    sent = await world.row(sms.delivery_id)
    assert sent.status is DeliveryStatus.sent and sent.attempts == 1 and world.accepted(sms.delivery_id) == 1


async def test_the_21st_wecom_message_to_one_robot_within_a_minute_is_deferred(
    world: World, robots: FakeRobots
) -> None:
    webhook = robots.wecom_url()
    unit = UNIT.model_copy(update={"emails": [], "mobiles": [], "contacts": [Contact(name="王伟", chatbot=webhook)]})
    rows = [r for n in range(21) for r in world.rows(unit, key(f"case-{n:02d}"))]
    assert len(rows) == 21 and {r.channel for r in rows} == {Channel.wecom} and {r.recipient for r in rows} == {webhook}
    await world.repo.record_intents(rows)
    wecom = WeComSender(timeouts=Timeouts(total_s=2.0, connect_s=2.0))

    assert await world.dispatcher(senders={Channel.wecom: wecom}).dispatch_due() == 21

    assert len(robots.received) == 20 and all(q == {"key": WECOM_KEY} for q in robots.queries)
    stored = await world.repo.deliveries()
    assert sum(r.status is DeliveryStatus.sent for r in stored) == 20
    [held] = [r for r in stored if r.status is not DeliveryStatus.sent]
    assert held.status is DeliveryStatus.pending and held.attempts == 0
    assert held.not_before is not None
    wait = held.not_before - world.clock.now()
    assert timedelta(seconds=55) < wait <= timedelta(seconds=61)  # until the first of the 20 leaves the window


# ---- idempotent intents ----------------------------------------------------------------------------------------


async def test_intents_recorded_twice_are_stored_and_sent_once(world: World) -> None:
    rows = world.rows()
    assert {r.channel for r in rows} == {Channel.email, Channel.sms}
    assert await world.repo.record_intents(rows) == 2
    assert await world.repo.record_intents(world.rows()) == 0  # a redelivered event records the same rows

    dispatcher = world.dispatcher()
    assert await dispatcher.dispatch_due() == 2
    assert await world.repo.record_intents(world.rows()) == 0  # and once sent, recording them again changes nothing
    world.clock.advance(timedelta(days=1))
    assert await dispatcher.dispatch_due() == 0
    assert await world.dispatcher().dispatch_due() == 0  # nor does a restarted process

    stored = await world.repo.deliveries()
    assert len(stored) == 2 and all(r.status is DeliveryStatus.sent and r.attempts == 1 for r in stored)
    assert len(world.aliyun.accepted) == 1 and len(world.mails()) == 1


async def test_a_lost_sms_whose_recovery_cannot_even_ask_is_uncertain_and_does_not_stall_the_queue(
    world: World,
) -> None:
    # 128…: a number the registry accepts (1 and ten digits) but no carrier issues, so the sender refuses it before
    # asking anything. A process that claimed it and died before recording the refusal (MongoDB gone at that moment)
    # leaves it "sending"; its check must not raise on every pass and hold up every other delivery.
    unit = UNIT.model_copy(
        update={"emails": [], "mobiles": [], "contacts": [Contact(name="王伟", mobile="12800138000")]}
    )
    [sms] = world.rows(unit, key("case-a"))
    await world.repo.record_intents([sms])
    await world.crash_mid_send(reached_provider=False)
    world.clock.advance(timedelta(seconds=POLICY.claim_lease_s + 1))
    [email] = world.rows(UNIT, key("case-b"), Channel.email)
    await world.repo.record_intents([email])

    await world.dispatcher().dispatch_due()

    assert (await world.row(sms.delivery_id)).status is DeliveryStatus.uncertain
    assert (await world.row(email.delivery_id)).status is DeliveryStatus.sent and len(world.mails()) == 1
    assert world.aliyun.requests == 0
