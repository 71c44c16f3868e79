"""The registry holds its target list in memory between writes: an import, a single save or another replica's write
shows in the next listing (and hierarchy), an import that fails leaves nothing, and the filters select what they
did in MongoDB."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import httpx
import pytest

from services.registry.app import SPEC
from services.registry.repository import INDEXES, RegistryRepository, TargetFilter
from shared.db import ensure_indexes, make_client
from shared.events import Inventory, Target, TargetStatus, TargetType
from tests.apps import running

from .inventory import PERIOD, TARGETS, UNITS, target
from .test_registry_service import ADMIN, settings

AT = datetime(2022, 9, 1, tzinfo=UTC)
Repositories = Callable[[], Awaitable[RegistryRepository]]


@pytest.fixture
async def repositories(mongodb_uri: str, db_prefix: str) -> AsyncIterator[Repositories]:
    """Registry repositories on one fresh database, each with its own client, as separate replicas would be."""
    clients = []

    async def another() -> RegistryRepository:
        client = make_client(mongodb_uri)
        clients.append(client)
        db = client[f"{db_prefix}_registry"]
        await ensure_indexes(db, INDEXES)
        return RegistryRepository(db)

    yield another
    for client in clients:
        await client.close()


def body(t: Target) -> dict[str, object]:
    return t.model_dump(mode="json")


async def ids(repo: RegistryRepository, where: TargetFilter | None = None) -> list[str]:
    return [t.target_id for t in await repo.list_targets(where)]


async def test_a_single_save_and_an_import_after_a_listing_are_in_the_next_listing(
    repositories: Repositories,
) -> None:
    repo = await repositories()
    await repo.save_version("target", body(target("a")), "test", "测试", AT)
    assert await ids(repo) == ["a"]
    await repo.save_version("target", body(target("b")), "test", "测试", AT)
    assert await ids(repo) == ["a", "b"]
    async with repo.transaction() as session:
        await repo.save_versions("target", [body(target("c")), body(target("a", version=2))], "t", "导入", AT, session)
    assert await ids(repo) == ["a", "b", "c"]
    assert [t.version for t in await repo.list_targets()] == [2, 1, 1]


async def test_an_import_that_fails_leaves_the_listing_as_it_was(repositories: Repositories) -> None:
    repo = await repositories()
    await repo.save_version("target", body(target("a")), "test", "测试", AT)
    assert await ids(repo) == ["a"]
    with pytest.raises(RuntimeError):
        async with repo.transaction() as session:
            await repo.save_versions("target", [body(target("z"))], "t", "导入", AT, session)
            raise RuntimeError("the import stops before its commit")
    assert await ids(repo) == ["a"]
    assert await ids(await repositories()) == ["a"]  # nothing committed: a fresh reader agrees


async def test_a_save_through_another_replica_is_in_this_ones_next_listing(repositories: Repositories) -> None:
    writer, reader = await repositories(), await repositories()
    await writer.save_version("target", body(target("a")), "test", "测试", AT)
    assert await ids(reader) == ["a"]  # held by the reader now
    closed = target("a", version=2, status=TargetStatus.closed)
    await writer.save_version("target", body(closed), "test", "关停", AT)
    await writer.save_version("target", body(target("b")), "test", "测试", AT)
    assert [(t.target_id, t.status) for t in await reader.list_targets()] == [
        ("a", TargetStatus.closed),
        ("b", TargetStatus.running),
    ]


async def test_the_filters_select_in_memory_what_they_selected_in_the_database(repositories: Repositories) -> None:
    repo = await repositories()
    stored = [
        target("w1", county="青山县"),
        target("w2", county="白沙县", unit_id="bs"),
        target("a1", TargetType.account, platform="微博", name="青山微博"),
        target("a2", TargetType.account, platform="抖音", status=TargetStatus.suspended),
    ]
    await repo.save_versions("target", [body(t) for t in stored], "test", "测试", AT)
    assert await ids(repo, TargetFilter(type=TargetType.account)) == ["a1", "a2"]
    assert await ids(repo, TargetFilter(unit_ids=frozenset({"bs"}))) == ["w2"]
    assert await ids(repo, TargetFilter(county="白沙县")) == ["w2"]
    assert await ids(repo, TargetFilter(county="", platform="")) == ["a1", "a2", "w1", "w2"]  # empty: any
    assert await ids(repo, TargetFilter(status=TargetStatus.suspended)) == ["a2"]
    assert await ids(repo, TargetFilter(platform="微博", text="青山")) == ["a1"]
    assert await ids(repo, TargetFilter(unit_ids=frozenset())) == []


async def test_a_target_changed_over_http_after_a_listing_is_in_the_next_listing(
    nats_url_: str, mongodb_uri: str, db_prefix: str
) -> None:
    inventory = Inventory(units=UNITS, targets=TARGETS, periods=[PERIOD])
    async with running(SPEC, settings(nats_url_, mongodb_uri, db_prefix)) as base, httpx.AsyncClient() as http:
        assert (await http.post(f"{base}/inventory", json=inventory.model_dump(mode="json"), headers=ADMIN)).is_success
        before = await http.get(f"{base}/targets", headers=ADMIN)
        assert {t["target_id"]: t["name"] for t in before.json()}["qs-portal"] == "青山县人民政府"
        renamed = {
            **before.json()[[t["target_id"] for t in before.json()].index("qs-portal")],
            "name": "青山县政府门户",
        }
        saved = await http.put(f"{base}/targets/qs-portal", json=renamed, headers=ADMIN)
        assert saved.status_code == 200, saved.text
        after = await http.get(f"{base}/targets", headers=ADMIN)
        assert {t["target_id"]: t["name"] for t in after.json()}["qs-portal"] == "青山县政府门户"


async def test_a_unit_moved_after_a_scope_was_computed_is_in_the_next_hierarchy(repositories: Repositories) -> None:
    writer, reader = await repositories(), await repositories()
    await writer.save_version("unit", UNITS[2].model_dump(mode="json"), "test", "测试", AT)
    assert await reader.unit_parents() == {"qs-edu": "qs"}  # held by the reader now
    moved = UNITS[2].model_copy(update={"parent_id": "bs", "version": 2})
    await writer.save_version("unit", moved.model_dump(mode="json"), "test", "调整隶属", AT)
    assert await reader.unit_parents() == {"qs-edu": "bs"}
