"""The reporter as it runs, beside the registry that tells it who is calling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from services.registry.app import SPEC as REGISTRY
from services.registry.settings import RegistrySettings
from services.reporter.app import SPEC
from services.reporter.settings import ReporterSettings
from tests.apps import running

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
