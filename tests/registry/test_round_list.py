"""GET /rounds: the latest probe rounds, newest first, with the PROBES backlog (the console's 「采集是否跟得上」)."""

from __future__ import annotations

from typing import Any

import httpx

from services.registry.app import SPEC
from tests.apps import running
from tests.registry.test_registry_service import ADMIN, inventory, settings


async def test_the_latest_rounds_come_newest_first_with_the_probes_not_yet_taken(
    nats_url_: str, mongodb_uri: str, db_prefix: str, wait: Any
) -> None:
    async with (
        running(SPEC, settings(nats_url_, mongodb_uri, db_prefix)) as base,
        httpx.AsyncClient(base_url=base, headers=ADMIN) as http,
    ):
        assert (await http.post("/inventory", json=inventory().model_dump(mode="json"))).status_code == 200
        for round_id in ("first", "second"):
            assert (await http.post("/rounds", json={"period_id": "2022Q3", "round_id": round_id})).status_code == 202

            async def published(round_id: str = round_id) -> bool:
                return bool((await http.get(f"/rounds/{round_id}")).json()["done"])

            await wait(published, timeout=30, what=f"round {round_id} published")
        listing = (await http.get("/rounds")).json()
        one = (await http.get("/rounds", params={"limit": 1})).json()
        refused = await http.get("/rounds", headers={"Authorization": "Bearer nobody"})

    assert [r["round_id"] for r in listing["rounds"]] == ["second", "first"]
    first = listing["rounds"][1]
    assert first["period_id"] == "2022Q3" and first["published"] == first["total"] == 215 and first["done"]
    # No prober runs here, so every probe is still in PROBES; a probe id comes from (target, kind, instant), not the
    # round, so the second round's probes were dropped as duplicates of the first's.
    assert listing["probes_backlog"] == 215 and listing["max_outstanding"] == 2000
    assert [r["round_id"] for r in one["rounds"]] == ["second"]
    assert refused.status_code == 401
