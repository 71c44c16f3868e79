"""Every HTTP route of the five services names its caller, but health, readiness and signing in.

Read from each app's OpenAPI document: a route names its caller when it takes the ``Authorization`` header
(``shared.identity_api.Who``, the evaluator's rule set tokens, the prober's upload token) or declares the bearer
scheme (the registry's own ``Who``). A new route that forgets it fails here, before anyone lists cases anonymously.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from shared.runtime import create_app
from shared.settings import ServiceSettings

SERVICES = ("registry", "prober", "evaluator", "notifier", "reporter")
OPEN = {("get", "/healthz"), ("get", "/readyz"), ("post", "/auth/login")}


def names_its_caller(operation: dict[str, Any]) -> bool:
    headers = {p["name"].lower() for p in operation.get("parameters", []) if p["in"] == "header"}
    return bool(operation.get("security")) or "authorization" in headers


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_but_health_readiness_and_login_names_its_caller(service: str) -> None:
    spec = importlib.import_module(f"services.{service}.app").SPEC
    schema = create_app(spec, ServiceSettings()).openapi()
    operations = [(method, path, op) for path, ops in schema["paths"].items() for method, op in ops.items()]
    assert len(operations) > len(OPEN)  # the service's routes were read, not only the health checks
    anonymous = sorted((m, p) for m, p, op in operations if not names_its_caller(op))
    assert set(anonymous) <= OPEN, anonymous


def test_the_lists_that_once_answered_anyone_are_among_the_routes_checked() -> None:
    """The guard reads the routes it is there for: /cases, /deliveries, /verdicts and /rounds/{id} answered anyone."""
    seen = {
        (service, path)
        for service in ("evaluator", "notifier")
        for path in create_app(importlib.import_module(f"services.{service}.app").SPEC, ServiceSettings()).openapi()[
            "paths"
        ]
    }
    assert {("notifier", "/cases"), ("notifier", "/deliveries"), ("evaluator", "/verdicts")} <= seen
    assert ("evaluator", "/rounds/{correlation_id}") in seen
