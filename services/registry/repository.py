"""Every MongoDB query of the registry."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.db import Indexes
from shared.events import Period, Target, Unit

INDEXES = [
    Indexes("targets", (IndexModel([("unit_id", ASCENDING)]), IndexModel([("type", ASCENDING)]))),
    Indexes("target_versions", (IndexModel([("target_id", ASCENDING), ("version", ASCENDING)], unique=True),)),
    Indexes("units", (IndexModel([("order", ASCENDING)]),)),
]


def _strip(doc: dict[str, Any]) -> dict[str, Any]:
    doc = dict(doc)
    doc.pop("_id", None)
    return doc


class RegistryRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._db = db

    async def get_target(self, target_id: str) -> Target | None:
        doc = await self._db.targets.find_one({"_id": target_id})
        return Target.model_validate(_strip(doc)) if doc else None

    async def save_target(self, target: Target, actor: str, reason: str, at: datetime) -> None:
        """Store the new current version and its history entry; re-saving the same version changes nothing."""
        body = target.model_dump(mode="json")
        await self._db.target_versions.update_one(
            {"target_id": target.target_id, "version": target.version},
            {"$setOnInsert": {"snapshot": body, "changed_by": actor, "reason": reason, "changed_at": at}},
            upsert=True,
        )
        # A newer version already current makes the upsert collide: an older write arriving late must not win.
        with contextlib.suppress(DuplicateKeyError):
            await self._db.targets.replace_one(
                {"_id": target.target_id, "version": {"$lte": target.version}}, body, upsert=True
            )

    async def target_history(self, target_id: str) -> list[dict[str, Any]]:
        cursor = self._db.target_versions.find({"target_id": target_id}).sort("version", ASCENDING)
        return [_strip(doc) async for doc in cursor]

    async def list_targets(self) -> list[Target]:
        return [Target.model_validate(_strip(doc)) async for doc in self._db.targets.find().sort("_id", ASCENDING)]

    async def get_unit(self, unit_id: str) -> Unit | None:
        doc = await self._db.units.find_one({"_id": unit_id})
        return Unit.model_validate(_strip(doc)) if doc else None

    async def save_unit(self, unit: Unit) -> None:
        await self._db.units.replace_one({"_id": unit.unit_id}, unit.model_dump(mode="json"), upsert=True)

    async def list_units(self) -> list[Unit]:
        cursor = self._db.units.find().sort([("order", ASCENDING), ("_id", ASCENDING)])
        return [Unit.model_validate(_strip(doc)) async for doc in cursor]

    async def save_period(self, period: Period) -> None:
        await self._db.periods.replace_one({"_id": period.period_id}, period.model_dump(), upsert=True)

    async def get_period(self, period_id: str) -> Period | None:
        doc = await self._db.periods.find_one({"_id": period_id})
        return Period.model_validate(_strip(doc)) if doc else None

    async def list_periods(self) -> list[Period]:
        return [Period.model_validate(_strip(doc)) async for doc in self._db.periods.find().sort("_id", ASCENDING)]

    async def create_round(self, round_id: str, period_id: str, total: int, at: datetime) -> dict[str, Any]:
        await self._db.rounds.update_one(
            {"_id": round_id},
            {"$setOnInsert": {"period_id": period_id, "total": total, "published": 0, "done": False, "created_at": at}},
            upsert=True,
        )
        return await self.get_round(round_id) or {}

    async def advance_round(self, round_id: str, published: int, done: bool) -> None:
        # $max: a resumed publisher that re-sends a chunk never moves the cursor backwards.
        await self._db.rounds.update_one({"_id": round_id}, {"$max": {"published": published}, "$set": {"done": done}})

    async def get_round(self, round_id: str) -> dict[str, Any] | None:
        doc = await self._db.rounds.find_one({"_id": round_id})
        if doc is None:
            return None
        doc["round_id"] = doc.pop("_id")
        return doc

    async def unfinished_rounds(self) -> list[dict[str, Any]]:
        return [doc async for doc in self._db.rounds.find({"done": False})]
