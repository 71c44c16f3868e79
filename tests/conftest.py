"""Real servers for the integration tests: one nats-server and one SecantusDB per test session."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from xunjian.embedded import Embedded, mongo_uri, nats_url, start_mongo, start_nats

T = TypeVar("T")


def chaos_full() -> bool:
    """True under `make chaos` (XUNJIAN_CHAOS=full): fault tests run their full form and chaos-marked tests run."""
    return os.environ.get("XUNJIAN_CHAOS", "") == "full"


def chaos_scale(bounded: int, full: int = 1000) -> int:
    """How many generated inputs a fault test tries: ``bounded`` in `make test`, ``full`` under `make chaos`."""
    return full if chaos_full() else bounded


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``@pytest.mark.chaos`` run only under `make chaos`; `make test` keeps the bounded forms."""
    if chaos_full():
        return
    skip = pytest.mark.skip(reason="a chaos test: runs under `make chaos` (XUNJIAN_CHAOS=full)")
    for item in items:
        if "chaos" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def servers_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("servers")


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[Embedded]:
    """A nats-server of its own for every test (it starts in milliseconds): streams never leak between tests."""
    server = start_nats(tmp_path / "nats")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mongo_server(servers_dir: Path) -> Iterator[Embedded]:
    server = start_mongo(servers_dir / "mongodb")
    yield server
    server.stop()


@pytest.fixture
def nats_url_(nats_server: Embedded) -> str:
    return nats_url(nats_server.port)


@pytest.fixture
def mongodb_uri(mongo_server: Embedded) -> str:
    return mongo_uri(mongo_server.port)


@pytest.fixture
def db_prefix() -> str:
    """A database prefix of its own for every test: nothing leaks between tests."""
    return f"t{uuid.uuid4().hex[:10]}"


async def wait_until(
    probe: Callable[[], Awaitable[T]], timeout: float = 30.0, interval: float = 0.05, what: str = "condition"
) -> T:
    """Poll an async probe until it returns a truthy value; never a bare sleep to synchronise."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}; last value: {last!r}")


@pytest.fixture
def wait() -> Callable[..., Awaitable[Any]]:
    return wait_until


@pytest.fixture
async def jetstream(nats_url_: str) -> AsyncIterator[Any]:
    import nats

    nc = await nats.connect(nats_url_)
    yield nc.jetstream()
    await nc.close()
