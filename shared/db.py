"""The MongoDB client factory and index creation at start-up (PyMongo's native async API)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.database import AsyncDatabase


def make_client(uri: str) -> AsyncMongoClient[dict[str, Any]]:
    # tz_aware: every datetime that comes back is UTC-aware, like every datetime the services write.
    return AsyncMongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=10_000)


@dataclass(frozen=True)
class Indexes:
    """The indexes of one collection, declared next to the repository that queries it."""

    collection: str
    models: Sequence[IndexModel] = field(default_factory=tuple)


async def ensure_indexes(db: AsyncDatabase[dict[str, Any]], declared: Sequence[Indexes]) -> None:
    for spec in declared:
        if spec.models:
            await db[spec.collection].create_indexes(list(spec.models))
