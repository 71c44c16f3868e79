"""Schemathesis against the registry's published OpenAPI spec, on a running registry: no input gives a 5xx."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.apps import wait_for
from xunjian.embedded import Embedded, free_port, mongo_uri, nats_url

from .test_registry_service import ADMIN, ADMIN_TOKEN

# Bounded: a fixed number of generated requests, derandomised so a failure reproduces on the next run.
EXAMPLES = 400


@pytest.fixture
def registry_url(nats_server: Embedded, mongo_server: Embedded, db_prefix: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "NATS_URL": nats_url(nats_server.port),
        "MONGODB_URI": mongo_uri(mongo_server.port),
        "MONGODB_DB_PREFIX": db_prefix,
        "HTTP_PORT": str(port),
        "REGISTRY_BOOTSTRAP_ADMIN_TOKEN": ADMIN_TOKEN,
        "LOG_FORMAT": "json",
    }
    with (tmp_path / "registry.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "services.registry"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        assert proc.poll() is None, (tmp_path / "registry.log").read_text()[-2000:]
        try:
            return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(ready, 60, "the registry to be ready")
        yield url
    finally:
        proc.terminate()
        proc.wait(20)


def test_no_generated_request_makes_the_registry_fail_with_a_server_error(registry_url: str) -> None:
    schema = schemathesis.openapi.from_url(f"{registry_url}/openapi.json")
    seen: set[tuple[str, str]] = set()

    @given(case=schema.as_strategy())
    @settings(
        max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
    )
    def no_server_error(case: schemathesis.Case[Any]) -> None:
        response = case.call(base_url=registry_url, headers=ADMIN, timeout=30)
        seen.add((case.method, case.operation.path))
        assert response.status_code < 500, (case.method, case.formatted_path, response.status_code, response.text[:500])

    no_server_error()
    print(f"schemathesis reached {len(seen)} operations")
    assert len(seen) >= 15  # the run reached most operations, not one endpoint over and over
