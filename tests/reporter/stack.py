"""The reporter as it runs, beside the registry that tells it who is calling, and a quarter seeded on its streams.

Fixtures here are registered by tests/reporter/conftest.py; other packages import them from this module."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from services.registry.app import SPEC as REGISTRY
from services.registry.settings import RegistrySettings
from services.reporter.app import SPEC
from services.reporter.settings import ReporterSettings
from shared.events import Outcome, PeriodChanged, UnitChanged, natural_id
from tests.apps import running
from tests.reporter.builders import MESSAGES, Q3, account, county_units, verdict, website
from tests.reporter.streams import NOW, consumer_caught_up, publish, target_changed, verdict_changed

Wait = Callable[..., Awaitable[Any]]

ADMIN = "reporter-test-admin-token-0123456789"


@dataclass
class ReporterStack:
    client: httpx.AsyncClient  # signed in as the city administrator
    registry: str

    async def token_for(self, username: str, role: str, unit_id: str | None = None) -> dict[str, str]:
        """A signed-in user of ``role``: created in the registry, with an API token."""
        admin = {"Authorization": f"Bearer {ADMIN}"}
        user = {"username": username, "display_name": username, "role": role, "unit_id": unit_id}
        async with httpx.AsyncClient(base_url=self.registry, headers=admin, timeout=30) as http:
            created = await http.post("/auth/users", json=user)
            assert created.status_code == 201, created.text
            issued = await http.post("/auth/tokens", json={"name": "通报", "user_id": created.json()["user_id"]})
            assert issued.status_code == 201, issued.text
        return {"Authorization": f"Bearer {issued.json()['token']}"}


@pytest.fixture
async def reporter_stack(nats_url_: str, mongodb_uri: str, db_prefix: str) -> AsyncIterator[ReporterStack]:
    """Both FastAPI apps served by uvicorn on real ports, on a real nats-server and SecantusDB."""
    base = {"nats_url": nats_url_, "mongodb_uri": mongodb_uri, "mongodb_db_prefix": db_prefix}
    registry_settings = RegistrySettings.model_validate({**base, "registry_bootstrap_admin_token": ADMIN})
    async with running(REGISTRY, registry_settings) as registry:
        settings = ReporterSettings.model_validate({**base, "rounding": "truncate", "registry_url": registry})
        headers = {"Authorization": f"Bearer {ADMIN}"}
        async with running(SPEC, settings) as url, httpx.AsyncClient(base_url=url, timeout=60, headers=headers) as c:
            yield ReporterStack(c, registry)


@pytest.fixture
def reporter(reporter_stack: ReporterStack) -> httpx.AsyncClient:
    return reporter_stack.client


ZK = website("w-zk", "镇康县人民政府", "镇康县")
YX = website("w-yx", "云县人民政府", "云县")
EDU = account("a1", "云县教育体育局", "云县")


async def seeded(stack: ReporterStack, js: Any, wait: Wait) -> None:
    """Q3 with two websites (one failing) and an account, as the registry and the evaluator publish them."""
    for unit in county_units():
        await publish(js, UnitChanged(event_id=natural_id("u", unit.unit_id), occurred_at=NOW, unit=unit))
    await publish(js, PeriodChanged(event_id="period-q3", occurred_at=NOW, period=Q3))
    for target in (ZK, YX, EDU):
        await publish(js, target_changed(target))
    for v in (verdict(ZK, Outcome.unqualified, (MESSAGES,)), verdict(YX, Outcome.qualified)):
        await publish(js, verdict_changed(v))
    await publish(js, verdict_changed(verdict(EDU, Outcome.qualified)))

    async def caught_up() -> bool:
        pairs = (("REGISTRY", "reporter-registry"), ("VERDICTS", "reporter"))
        return all([await consumer_caught_up(js, stream, durable) for stream, durable in pairs])

    await wait(caught_up, timeout=20, what="the reporter's projections")
