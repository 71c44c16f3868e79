"""Schemathesis against the registry's published OpenAPI spec, on a running registry: no input gives a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fuzz import no_server_errors, service_process
from xunjian.embedded import Embedded

from .test_registry_service import ADMIN, ADMIN_TOKEN

# Bounded: a fixed number of generated requests, derandomised so a failure reproduces on the next run.
EXAMPLES = 400


@pytest.fixture
def registry_url(nats_server: Embedded, mongo_server: Embedded, db_prefix: str, tmp_path: Path) -> Iterator[str]:
    env = {"REGISTRY_BOOTSTRAP_ADMIN_TOKEN": ADMIN_TOKEN}
    with service_process("registry", nats_server, mongo_server, db_prefix, tmp_path, env) as url:
        yield url


def test_no_generated_request_makes_the_registry_fail_with_a_server_error(registry_url: str) -> None:
    seen = no_server_errors(registry_url, ADMIN, EXAMPLES)
    print(f"schemathesis reached {len(seen)} operations")
    assert len(seen) >= 15  # the run reached most operations, not one endpoint over and over
