"""The evaluator as it runs beside the registry that identifies its callers, for tests that read its HTTP API.

Every read of the evaluator's API names its caller (shared/identity_api.py), so a test that lists verdicts or counts
a round's observations needs a registry, even when what it tests is not access. ``AUTH`` is the registry's
bootstrap city administrator, who sees everything.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from services.evaluator.app import SPEC
from services.evaluator.settings import EvaluatorSettings
from services.registry.app import SPEC as REGISTRY
from services.registry.settings import RegistrySettings
from tests.apps import running

ADMIN = "evaluator-test-admin-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {ADMIN}"}


@asynccontextmanager
async def evaluator_beside_registry(settings: EvaluatorSettings) -> AsyncIterator[str]:
    """Serve a registry (whose city administrator's token is ``ADMIN``) and the evaluator asking it; yields the
    evaluator's URL."""
    registry_settings = RegistrySettings.model_validate(
        {
            "nats_url": settings.nats_url,
            "mongodb_uri": settings.mongodb_uri,
            "mongodb_db_prefix": settings.mongodb_db_prefix,
            "registry_bootstrap_admin_token": ADMIN,
            "log_level": "WARNING",
        }
    )
    async with (
        running(REGISTRY, registry_settings) as registry,
        running(SPEC, settings.model_copy(update={"registry_url": registry})) as base,
    ):
        yield base
