"""Schemathesis against the evaluator's, notifier's, reporter's and prober's OpenAPI, on running services.

Each service runs as its own process beside a registry that knows the administrator's token (the services identify
callers through it), so generated requests reach the handlers rather than stopping at 401. No input may give a 5xx.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import chaos_scale
from tests.fuzz import no_server_errors, service_process
from xunjian.embedded import Embedded

ADMIN_TOKEN = "faults-admin-token-0123456789abcdef"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
# Bounded in `make test` (derandomised: the same requests every run); 1,000 per service under `make chaos`.
EXAMPLES = chaos_scale(100)
# Operations each run must reach at least: most of the service's API, not one endpoint over and over.
SERVICES = {"evaluator": 8, "notifier": 6, "reporter": 8, "prober": 2}


@pytest.fixture
def registry_url(nats_server: Embedded, mongo_server: Embedded, db_prefix: str, tmp_path: Path) -> Iterator[str]:
    env = {"REGISTRY_BOOTSTRAP_ADMIN_TOKEN": ADMIN_TOKEN}
    with service_process("registry", nats_server, mongo_server, db_prefix, tmp_path, env) as url:
        yield url


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_no_generated_request_makes_a_service_fail_with_a_server_error(
    name: str, registry_url: str, nats_server: Embedded, mongo_server: Embedded, db_prefix: str, tmp_path: Path
) -> None:
    # The prober's export upload takes a token of its own; unset, it answers 503 (uploads switched off) to everyone.
    env = {"REGISTRY_URL": registry_url, "SERVICE_TOKEN": ADMIN_TOKEN, "PROBE_API_TOKEN": ADMIN_TOKEN}
    with service_process(name, nats_server, mongo_server, db_prefix, tmp_path, env) as url:
        seen = no_server_errors(url, ADMIN, EXAMPLES)
    print(f"{name}: schemathesis sent {EXAMPLES} requests to {len(seen)} operations")
    assert len(seen) >= SERVICES[name], sorted(seen)
