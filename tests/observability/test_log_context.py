"""JSON log lines name the event or request they belong to, and never a secret, on a real service and NATS."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import structlog
from fastapi import APIRouter
from faststream.nats import NatsRouter
from pydantic import SecretStr

from shared.events import Unit, UnitChanged
from shared.messaging import DeliveryPolicy, subscriber_options
from shared.runtime import Runtime, ServiceSpec
from shared.settings import ServiceSettings
from shared.topology import REGISTRY
from tests.apps import running

Wait = Callable[..., Awaitable[Any]]
SECRET = "s3cret-service-token-never-logged"

router = NatsRouter()
api = APIRouter()
handled: list[str] = []


@router.subscriber("registry.unit.changed", **subscriber_options(REGISTRY, "logtest", DeliveryPolicy(3, (0.1,), 5)))  # type: ignore[untyped-decorator]
async def on_unit(event: UnitChanged) -> None:
    # A logger of its own: the module loggers of other services may already be bound to an earlier test's stderr.
    structlog.get_logger("logtest").info("unit.seen", unit_id=event.unit.unit_id)
    handled.append(event.event_id)


@api.get("/fail")
async def fail() -> None:
    token = ServiceSettings(service_token=SecretStr(SECRET)).service_token.get_secret_value()
    try:
        raise RuntimeError("upstream refused")
    except RuntimeError:
        structlog.get_logger("logtest").exception("call.failed", length=len(token))


async def build(runtime: Runtime) -> object:
    return object()


SPEC = ServiceSpec(name="logtest", router=router, build=build, api=api)


def json_lines(err: str) -> list[dict[str, Any]]:
    lines = []
    for line in err.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


async def test_a_handlers_json_log_line_carries_the_events_correlation_and_event_ids(
    nats_url_: str, mongodb_uri: str, db_prefix: str, jetstream: Any, wait: Wait, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = ServiceSettings(
        nats_url=nats_url_, mongodb_uri=mongodb_uri, mongodb_db_prefix=db_prefix, log_format="json",
        service_token=SecretStr(SECRET),
    )  # fmt: skip
    event = UnitChanged(
        event_id="unit-changed-1", occurred_at="2022-10-01T00:00:00Z", correlation_id="import-2022-10-01",
        unit=Unit(unit_id="u1", name="云县人民政府", county="云县"),
    )  # fmt: skip
    async with running(SPEC, settings) as url:
        # Published as another service would (shared.messaging.publish_event sets the same headers).
        body = json.dumps(event.model_dump(mode="json")).encode()
        headers = {"Nats-Msg-Id": event.event_id, "X-Correlation-Id": event.correlation_id}
        await jetstream.publish(event.subject(), body, headers=headers)

        async def seen() -> bool:
            return event.event_id in handled

        await wait(seen, timeout=10, what="the handler to run")
        async with httpx.AsyncClient(base_url=url) as client:
            assert (await client.get("/fail", headers={"X-Request-ID": "req-77"})).status_code == 200

    lines = json_lines(capsys.readouterr().err)
    handler = [line for line in lines if line.get("event") == "unit.seen"]
    assert handler, lines
    assert handler[0]["correlation_id"] == "import-2022-10-01"
    assert handler[0]["event_id"] == "unit-changed-1"
    assert handler[0]["service"] == "logtest" and handler[0]["unit_id"] == "u1"
    failed = [line for line in lines if line.get("event") == "call.failed"]
    assert failed and failed[0]["request_id"] == "req-77"
    assert failed[0]["exception"][0]["exc_value"] == "upstream refused"  # the traceback is there …
    assert all(SECRET not in json.dumps(line) for line in lines)  # … without the frame's locals
