"""Finding targets as the console's inventory does: by 网站标识码 and by platform; a dry run checks the scope too."""

from __future__ import annotations

import httpx

from services.registry.app import SPEC
from services.registry.tabular import export_xlsx
from shared.events import Inventory, TargetType
from tests.apps import running

from .inventory import PERIOD, TARGETS, UNITS, site, target
from .test_registry_service import ADMIN, settings

ACCOUNTS = [
    target("qs-wx", TargetType.account, name="青山发布", unit_id="qs", county="青山县", platform="微信公众号"),
    target("qs-wb", TargetType.account, name="青山微博", unit_id="qs", county="青山县", platform="微博"),
    target("bs-wx", TargetType.account, name="白沙发布", unit_id="bs", county="白沙县", platform="微信公众号"),
]
CODED = [site("qs-coded", "青山县政务服务网", "qs", "青山县", site_code="5309220001")]


async def unit_user(http: httpx.AsyncClient, base: str, unit_id: str) -> dict[str, str]:
    user = {"username": f"user-{unit_id}", "display_name": "单位用户", "role": "unit_user", "unit_id": unit_id}
    created = await http.post(f"{base}/auth/users", json=user, headers=ADMIN)
    assert created.status_code == 201, created.text
    issued = await http.post(
        f"{base}/auth/tokens", json={"name": "测试", "user_id": created.json()["user_id"]}, headers=ADMIN
    )
    return {"Authorization": f"Bearer {issued.json()['token']}"}


async def test_targets_are_found_by_site_code_and_by_platform_within_the_callers_scope(
    nats_url_: str, mongodb_uri: str, db_prefix: str
) -> None:
    inventory = Inventory(units=UNITS, targets=[*TARGETS, *ACCOUNTS, *CODED], periods=[PERIOD])
    async with running(SPEC, settings(nats_url_, mongodb_uri, db_prefix)) as base, httpx.AsyncClient() as http:
        stored = await http.post(f"{base}/inventory", json=inventory.model_dump(mode="json"), headers=ADMIN)
        assert stored.status_code == 200, stored.text

        async def ids(headers: dict[str, str], **params: str) -> list[str]:
            found = await http.get(f"{base}/targets", params=params, headers=headers)
            assert found.status_code == 200, found.text
            return [t["target_id"] for t in found.json()]

        assert await ids(ADMIN, q="5309220001") == ["qs-coded"]
        assert await ids(ADMIN, q="53092200") == ["qs-coded"]  # part of the code, as typed
        assert await ids(ADMIN, platform="微信公众号") == ["bs-wx", "qs-wx"]
        assert await ids(ADMIN, platform="微信公众号", county="青山县") == ["qs-wx"]
        qs_user = await unit_user(http, base, "qs")
        assert await ids(qs_user, platform="微信公众号") == ["qs-wx"]  # never another unit's account


async def test_a_dry_run_refuses_what_the_caller_could_not_import_and_changes_nothing(
    nats_url_: str, mongodb_uri: str, db_prefix: str
) -> None:
    async with running(SPEC, settings(nats_url_, mongodb_uri, db_prefix)) as base, httpx.AsyncClient() as http:
        stored = await http.post(
            f"{base}/inventory", json=Inventory(units=UNITS, targets=TARGETS).model_dump(mode="json"), headers=ADMIN
        )
        assert stored.status_code == 200, stored.text
        qs_user = await unit_user(http, base, "qs")
        workbook = export_xlsx(Inventory(units=UNITS, targets=TARGETS))
        files = [("files", ("清单.xlsx", workbook))]
        refused = await http.post(f"{base}/imports", files=files, params={"dry_run": "true"}, headers=qs_user)
        checked = await http.post(f"{base}/imports", files=files, params={"dry_run": "true"}, headers=ADMIN)
    assert refused.status_code == 403 and "无权" in refused.json()["detail"]
    assert checked.status_code == 200 and checked.json()["targets"] == len(TARGETS)
