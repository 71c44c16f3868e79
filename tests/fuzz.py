"""Schemathesis on a running service: helpers shared by the registry's fuzz test and tests/faults.

A service runs as its own process (``python -m services.<name>``), as in production: schemathesis calls it with a
blocking HTTP client, which would stall a server running on the test's own event loop.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.apps import wait_for
from xunjian.embedded import Embedded, free_port, mongo_uri, nats_url


@contextmanager
def service_process(
    name: str, nats: Embedded, mongo: Embedded, db_prefix: str, logs: Path, env: Mapping[str, str] = {}
) -> Iterator[str]:
    """Run ``services.<name>`` on a free port until the block ends; yields its base URL once /readyz answers 200."""
    port = free_port()
    full_env = {
        **os.environ,
        "NATS_URL": nats_url(nats.port),
        "MONGODB_URI": mongo_uri(mongo.port),
        "MONGODB_DB_PREFIX": db_prefix,
        "HTTP_PORT": str(port),
        "LOG_FORMAT": "json",
        **env,
    }
    log_path = logs / f"{name}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", f"services.{name}"], env=full_env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        assert proc.poll() is None, log_path.read_text()[-2000:]
        try:
            return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(ready, 60, f"the {name} to be ready")
        yield url
    finally:
        proc.terminate()
        proc.wait(20)


def no_server_errors(base_url: str, headers: Mapping[str, str], examples: int) -> set[tuple[str, str]]:
    """Generated requests against every operation of the service's OpenAPI; fails on the first 5xx.

    Derandomised with no example database: the same examples every run, so a failure reproduces. Returns the
    (method, path) operations reached.
    """
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    seen: set[tuple[str, str]] = set()

    @given(case=schema.as_strategy())
    @settings(
        max_examples=examples, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
    )
    def no_server_error(case: schemathesis.Case[Any]) -> None:
        response = case.call(base_url=base_url, headers=dict(headers), timeout=30)
        seen.add((case.method, case.operation.path))
        assert response.status_code < 500, (case.method, case.formatted_path, response.status_code, response.text[:500])

    no_server_error()
    return seen
