"""The notifier on a real nats-server, SecantusDB and SMTP sink: verdicts in, cases and one email per recipient out."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.notifier.app import SPEC
from services.notifier.models import Case, Channel, Delivery, DeliveryStatus
from services.notifier.repository import NotifierRepository
from services.notifier.service import NotifierService
from services.notifier.settings import NotifierSettings
from services.registry.app import SPEC as REGISTRY
from services.registry.settings import RegistrySettings
from shared.clock import CHINA_TZ
from shared.db import make_client
from shared.events import (
    Event,
    IndicatorResult,
    IndicatorStatus,
    Outcome,
    Target,
    TargetChanged,
    TargetType,
    Unit,
    UnitChanged,
    Verdict,
    VerdictChanged,
    VerdictWarning,
    natural_id,
)
from shared.runtime import create_app
from tests.apps import running
from xunjian.embedded import free_port
from xunjian.mailsink import start_mail_sink

Wait = Callable[..., Awaitable[Any]]
PERIOD = "2022Q3"
AS_OF = datetime(2022, 10, 7, 10, 0, tzinfo=CHINA_TZ)
UNIT = Unit(unit_id="qingshan-gov", name="青山县人民政府办公室", county="青山县", emails=["qsx@example.gov.cn"])
SITE = Target(
    target_id="qingshan",
    type=TargetType.website,
    name="云岭市青山县人民政府",
    url="http://127.0.0.1:8200/sites/qingshan/",
    unit_id=UNIT.unit_id,
    county="青山县",
    registered_on=date(2019, 1, 1),
)
CASE_ID = Case.id_for(SITE.target_id, PERIOD, "W-V3")
ADMIN = "notifier-test-admin-token-0123456789abcdef"  # the registry's bootstrap city administrator
AUTH = {"Authorization": f"Bearer {ADMIN}"}


@dataclass
class Notifier:
    http: httpx.AsyncClient
    js: Any
    repo: NotifierRepository
    mail_dir: Path
    service: NotifierService
    registry: str  # the registry's URL; its bootstrap administrator's token is ADMIN

    async def publish(self, event: Event) -> int:
        ack = await self.js.publish(
            event.subject(), event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.event_id}
        )
        return int(ack.seq)

    async def get(self, path: str, **params: str) -> list[dict[str, Any]]:
        response = await self.http.get(path, params=params)
        response.raise_for_status()
        result: list[dict[str, Any]] = response.json()
        return result

    async def received(self) -> list[EmailMessage]:
        return self.emails()

    def emails(self) -> list[EmailMessage]:
        files = sorted(self.mail_dir.glob("*.eml"))
        return [message_from_bytes(p.read_bytes(), policy=default) for p in files]

    async def consumed(self, stream: str, durable: str, seq: int) -> bool:
        """The durable consumer has seen ``seq`` and has nothing pending or unacknowledged."""
        info = await self.js.consumer_info(stream, durable)
        return bool(info.delivered.stream_seq >= seq and info.num_pending == 0 and info.num_ack_pending == 0)


@asynccontextmanager
async def running_notifier(
    mail_dir: Path, nats_url_: str, mongodb_uri: str, db_prefix: str, js: Any, smtp_port: int, **extra: Any
) -> AsyncIterator[Notifier]:
    """The notifier in-process, beside the registry that identifies its callers; ``http`` is the city administrator."""
    common = {"nats_url": nats_url_, "mongodb_uri": mongodb_uri, "mongodb_db_prefix": db_prefix}
    registry_settings = RegistrySettings.model_validate(
        {**common, "registry_bootstrap_admin_token": ADMIN, "log_level": "WARNING"}
    )
    mongo = make_client(mongodb_uri)
    try:
        async with running(REGISTRY, registry_settings) as registry:
            settings = NotifierSettings(
                nats_url=nats_url_,
                mongodb_uri=mongodb_uri,
                mongodb_db_prefix=db_prefix,
                registry_url=registry,
                smtp_port=smtp_port,
                redelivery_backoff_s=(0.1,),
                dispatch_backoff_s=(0.1,),  # retries in tenths of a second; a lost send is abandoned after 1 s
                dispatch_claim_lease_s=1.0,
                dispatch_check_after_s=0.0,
                log_level="WARNING",
                **extra,
            )
            app = create_app(SPEC, settings)
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://notifier", headers=AUTH) as http:
                    repo = NotifierRepository(mongo[settings.database_name("notifier")])
                    yield Notifier(http, js, repo, mail_dir, app.state.service, registry)
    finally:
        await mongo.close()


@pytest.fixture
async def notifier(
    tmp_path: Path, nats_url_: str, mongodb_uri: str, db_prefix: str, jetstream: Any
) -> AsyncIterator[Notifier]:
    sink, port = start_mail_sink(tmp_path / "mail", "127.0.0.1", 0)
    try:
        async with running_notifier(tmp_path / "mail", nats_url_, mongodb_uri, db_prefix, jetstream, port) as n:
            yield n
    finally:
        sink.stop()


def registry_events(unit: Unit = UNIT, target: Target = SITE) -> list[Event]:
    at = datetime(2022, 7, 1, tzinfo=UTC)
    return [
        UnitChanged(event_id=natural_id("unit", unit.unit_id, at), occurred_at=at, unit=unit),
        TargetChanged(event_id=natural_id("target", target.target_id, at), occurred_at=at, target=target),
    ]


def verdict_changed(
    status: IndicatorStatus, revision: int, event_id: str | None = None, target: Target = SITE
) -> VerdictChanged:
    failed = status is IndicatorStatus.failed
    verdict = Verdict(
        target_id=target.target_id,
        target_type=target.type,
        unit_id=target.unit_id,
        period_id=PERIOD,
        outcome=Outcome.unqualified if failed else Outcome.qualified,
        indicators=[
            IndicatorResult(indicator_id="W-V2", name="站点无法访问", status=IndicatorStatus.passed),
            IndicatorResult(
                indicator_id="W-V3",
                name="首页栏目信息更新",
                status=status,
                label="首页长期不更新" if failed else "",
                explanation="首页最新信息发布于2022年9月8日，已连续29天未更新。" if failed else "",
            ),
        ],
        as_of=AS_OF if failed else datetime(2022, 10, 12, 9, 0, tzinfo=CHINA_TZ),
        revision=revision,
    )
    return VerdictChanged(
        event_id=event_id or VerdictChanged.id_for(target.target_id, PERIOD, revision),
        occurred_at=verdict.as_of,
        verdict=verdict,
    )


async def test_an_unqualified_verdict_opens_one_case_and_mails_the_unit_once_then_a_pass_resolves_it(
    notifier: Notifier, wait: Wait
) -> None:
    # The verdict may arrive before the registry events: it is nak'ed and retried until they are in.
    first = verdict_changed(IndicatorStatus.failed, revision=1)
    await notifier.publish(first)
    for event in registry_events():
        await notifier.publish(event)

    await wait(notifier.received, timeout=20, what="the rectification email")
    [case] = await notifier.get("/cases", period_id=PERIOD)
    assert case["case_id"] == CASE_ID and case["status"] == "notified"
    assert [e["action"] for e in case["timeline"]] == ["notified"]
    assert case["problem"] == "首页长期不更新" and case["deadline"] == "2022-10-14"
    [mail] = notifier.emails()
    assert mail["To"] == "qsx@example.gov.cn"
    assert mail["Subject"] == "【整改通知】云岭市青山县人民政府网站：首页长期不更新（请于2022年10月14日前整改）"
    assert "http://127.0.0.1:8200/sites/qingshan/" in _plain(mail)
    [row] = await wait(lambda: notifier.get("/deliveries", status="sent"), what="the delivery recorded as sent")
    assert row["message_id"] == mail["Message-ID"] and row["smtp_reply"].startswith("250")
    opened = await notifier.js.get_last_msg("CASES", "case.opened")
    assert b'"deadline":"2022-10-14"' in opened.data

    # The same verdict again under a new event id: no second case, no second email.
    seq = await notifier.publish(verdict_changed(IndicatorStatus.failed, revision=1, event_id="replayed-" + "0" * 16))
    await wait(lambda: notifier.consumed("VERDICTS", "notifier", seq), what="the replayed verdict consumed")
    cases_seq = (await notifier.js.stream_info("CASES")).state.last_seq
    await wait(lambda: notifier.consumed("CASES", "notifier-cases", cases_seq), what="case events consumed")
    assert len(notifier.emails()) == 1
    assert len(await notifier.get("/cases", period_id=PERIOD)) == 1
    assert len(await notifier.get("/deliveries")) == 1

    # The indicator passes again: the case is resolved and case.resolved published.
    await notifier.publish(verdict_changed(IndicatorStatus.passed, revision=2))
    resolved = await wait(lambda: _resolved_cases(notifier), what="the case resolved")
    assert resolved[0]["resolved_at"].startswith("2022-10-12T01:00:00")
    event = await notifier.js.get_last_msg("CASES", "case.resolved")
    assert CASE_ID.encode() in event.data
    assert len(notifier.emails()) == 1

    # An old verdict delivered late (a lower revision) does not reopen the case.
    seq = await notifier.publish(verdict_changed(IndicatorStatus.failed, revision=1, event_id="late-" + "0" * 16))
    await wait(lambda: notifier.consumed("VERDICTS", "notifier", seq), what="the late verdict consumed")
    assert len(await _resolved_cases(notifier)) == 1


async def test_a_delivery_left_sending_by_a_crash_is_marked_uncertain_and_not_resent(
    notifier: Notifier, wait: Wait
) -> None:
    # The process died after handing the message to the server and before recording it: the row is still "sending".
    claimed = datetime.now(UTC) - timedelta(minutes=10)
    delivery_id = Delivery.id_for(CASE_ID, "opened-1", UNIT.emails[0], Channel.email)
    crashed = Delivery(
        delivery_id=delivery_id,
        case_id=CASE_ID,
        step="opened-1",
        recipient=UNIT.emails[0],
        channel=Channel.email,
        status=DeliveryStatus.sending,
        unit_id=UNIT.unit_id,
        target_id=SITE.target_id,
        period_id=PERIOD,
        created_at=claimed,
        updated_at=claimed,
        claimed_at=claimed,
    )
    assert await notifier.repo.record_intents([crashed]) == 1
    for event in registry_events():
        await notifier.publish(event)
    await notifier.publish(verdict_changed(IndicatorStatus.failed, revision=1))

    # SMTP cannot be asked whether it took the message: a person decides, it is not sent again.
    [row] = await wait(lambda: notifier.get("/deliveries", status="uncertain"), what="the row marked uncertain")
    assert row["delivery_id"] == delivery_id and "中断" in row["last_error"]
    cases_seq = (await notifier.js.stream_info("CASES")).state.last_seq
    await wait(lambda: notifier.consumed("CASES", "notifier-cases", cases_seq), what="case.opened consumed")
    assert notifier.emails() == []
    assert [d["status"] for d in await notifier.get("/deliveries")] == ["uncertain"]


async def test_a_unit_without_email_gets_a_no_recipient_row(notifier: Notifier, wait: Wait) -> None:
    unit = UNIT.model_copy(update={"unit_id": "silent-unit", "emails": []})
    site = SITE.model_copy(update={"target_id": "silent-site", "unit_id": "silent-unit"})
    for event in registry_events(unit, site):
        await notifier.publish(event)
    await notifier.publish(verdict_changed(IndicatorStatus.failed, revision=1, target=site))

    [row] = await wait(lambda: notifier.get("/deliveries", status="no_recipient"), what="the no_recipient row")
    assert row["recipient"] == "" and row["target_id"] == "silent-site"
    assert notifier.emails() == []


async def _resolved_cases(notifier: Notifier) -> list[dict[str, Any]]:
    return [c for c in await notifier.get("/cases", period_id=PERIOD) if c["status"] == "resolved"]


async def test_a_notice_the_mail_server_never_takes_is_retried_and_ends_failed_after_the_last_try(
    tmp_path: Path, nats_url_: str, mongodb_uri: str, db_prefix: str, jetstream: Any, wait: Wait
) -> None:
    closed_port = free_port()  # nothing listens there: every connection is refused
    async with running_notifier(tmp_path / "mail", nats_url_, mongodb_uri, db_prefix, jetstream, closed_port) as n:
        for event in registry_events():
            await n.publish(event)
        await n.publish(verdict_changed(IndicatorStatus.failed, revision=1))

        [row] = await wait(lambda: n.get("/deliveries", status="failed"), what="the delivery given up as failed")
        assert row["attempts"] == NotifierSettings().dispatch_max_attempts
        assert "Connect" in row["last_error"] and row["sent_at"] is None
        dead = await n.js.stream_info("DEAD")
        assert dead.state.messages == 0  # given up in the outbox, where a person looks, not dead-lettered


def _plain(mail: EmailMessage) -> str:
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None, "the notice has a plain-text part"
    return str(body.get_content())


async def test_an_early_warning_reaches_the_unit_once_however_often_it_is_delivered(
    notifier: Notifier, wait: Wait
) -> None:
    for event in registry_events():
        await notifier.publish(event)
    as_of = datetime(2022, 9, 29, 20, 0, tzinfo=CHINA_TZ)
    warning = VerdictWarning(
        event_id=VerdictWarning.id_for(SITE.target_id, PERIOD, "W-V3", "首页即将超期未更新", as_of.date()),
        occurred_at=as_of,
        target_id=SITE.target_id,
        target_type=SITE.type,
        unit_id=UNIT.unit_id,
        period_id=PERIOD,
        indicator_id="W-V3",
        label="首页即将超期未更新",
        explanation="首页最新信息发布于9月18日，至9月29日已11天未更新，再过4天仍不更新即单项否决",
        as_of=as_of,
    )
    await notifier.publish(warning)
    seq = await notifier.publish(warning.model_copy(update={"event_id": "redelivered-" + "0" * 20}))
    [mail] = await wait(notifier.received, what="the warning e-mail")
    assert mail["Subject"] == "【预警提醒】云岭市青山县人民政府网站：首页即将超期未更新"
    assert "再过4天仍不更新即单项否决" in _plain(mail) and "不作为检查结论" in _plain(mail)
    await wait(lambda: notifier.consumed("VERDICTS", "notifier-warnings", seq), what="both copies consumed")
    assert len(notifier.emails()) == 1
    assert await notifier.get("/cases") == []  # a warning opens no case
