"""Reading archived evidence over HTTP: the exact bytes, only of targets the caller may see (asked of the registry)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from services.prober.app import SPEC
from services.prober.repository import EvidenceRepository
from services.prober.settings import ProberSettings
from services.registry.app import SPEC as REGISTRY
from services.registry.settings import RegistrySettings
from shared.db import make_client
from shared.events import Inventory
from tests.apps import running
from tests.evaluator.test_reviews import ADMIN, BS, PERIOD, QS, county, user_token

QS_PAGE = "<html><head><meta charset=gbk></head><body><li>青山县召开会议 2022年9月1日</li></body></html>".encode("gbk")
BS_PAGE = b"<html><body><li>bs 2022-09-25</li></body></html>"
AT = datetime(2022, 9, 29, 2, 0, tzinfo=UTC)


@dataclass
class Stack:
    http: httpx.AsyncClient
    prober: str
    tokens: dict[str, dict[str, str]]

    async def evidence(self, who: str, body: bytes, target_id: str | None = None) -> httpx.Response:
        params = {"target_id": target_id} if target_id else {}
        url = f"{self.prober}/evidence/{hashlib.sha256(body).hexdigest()}"
        return await self.http.get(url, params=params, headers=self.tokens.get(who, {}))


@pytest.fixture
async def stack(nats_url_: str, mongodb_uri: str, db_prefix: str) -> AsyncIterator[Stack]:
    common = {"nats_url": nats_url_, "mongodb_uri": mongodb_uri, "mongodb_db_prefix": db_prefix}
    registry_settings = RegistrySettings.model_validate({**common, "registry_bootstrap_admin_token": ADMIN})
    async with running(REGISTRY, registry_settings) as registry, httpx.AsyncClient() as http:
        prober_settings = ProberSettings.model_validate({**common, "registry_url": registry})
        async with running(SPEC, prober_settings) as prober:  # the registry's URL is known only now
            inventory = Inventory(
                units=county("qs", "青山县") + county("bs", "边山县"), targets=[QS, BS], periods=[PERIOD]
            )
            admin = {"Authorization": f"Bearer {ADMIN}"}
            imported = await http.post(f"{registry}/inventory", json=inventory.model_dump(mode="json"), headers=admin)
            assert imported.status_code == 200, imported.text
            client = make_client(mongodb_uri)
            archive = EvidenceRepository(client[f"{db_prefix}_prober"])
            for target, body in ((QS, QS_PAGE), (BS, BS_PAGE)):
                sha = hashlib.sha256(body).hexdigest()
                await archive.store(sha, body, "text/html; charset=gbk", target.url, AT, target.target_id)
            await client.close()
            tokens = {"city": admin, "qs-unit": await user_token(http, registry, "qs-unit", "unit_user", "qs-office")}
            yield Stack(http, prober, tokens)


async def test_a_unit_reads_its_own_targets_evidence_byte_for_byte_with_how_it_was_served(stack: Stack) -> None:
    got = await stack.evidence("qs-unit", QS_PAGE, "qs-portal")
    assert got.status_code == 200, got.text
    assert got.content == QS_PAGE  # GBK bytes as archived, decoded by the reader
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["x-evidence-content-type"] == "text/html; charset=gbk"
    assert got.headers["x-evidence-url"] == QS.url
    assert got.headers["content-security-policy"].startswith("sandbox")


async def test_evidence_of_a_target_outside_the_callers_scope_is_never_served(stack: Stack) -> None:
    assert (await stack.evidence("qs-unit", BS_PAGE, "bs-portal")).status_code == 403
    # Its own target named with another target's evidence: the archive says the page is not its target's.
    assert (await stack.evidence("qs-unit", BS_PAGE, "qs-portal")).status_code == 404
    assert (await stack.evidence("qs-unit", BS_PAGE)).status_code == 403  # a unit must name its target
    assert (await stack.evidence("anonymous", QS_PAGE, "qs-portal")).status_code == 401
    city = await stack.evidence("city", BS_PAGE)
    assert city.status_code == 200 and city.content == BS_PAGE
    assert (await stack.evidence("city", b"never archived")).status_code == 404
    bad = await stack.http.get(f"{stack.prober}/evidence/not-a-hash", headers=stack.tokens["city"])
    assert bad.status_code == 422
