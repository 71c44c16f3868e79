"""Every MongoDB query of the registry.

Units and targets are versioned: the current document lives in ``units`` / ``targets`` and every version, with who
changed it, why and when, in ``unit_versions`` / ``target_versions``. Reading "as it stood" at an instant takes, per
entity, the newest version recorded at or before it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pymongo import ASCENDING, DESCENDING, IndexModel, ReplaceOne, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.db import Indexes
from shared.events import Period, Target, TargetStatus, TargetType, Unit

Kind = Literal["unit", "target"]
_CURRENT = {"unit": "units", "target": "targets"}
_VERSIONS = {"unit": "unit_versions", "target": "target_versions"}
_KEY = {"unit": "unit_id", "target": "target_id"}

INDEXES = [
    Indexes("targets", (IndexModel([("unit_id", ASCENDING)]), IndexModel([("type", ASCENDING)]))),
    Indexes("units", (IndexModel([("order", ASCENDING)]),)),
    *(
        Indexes(
            _VERSIONS[kind],
            (
                IndexModel([(_KEY[kind], ASCENDING), ("version", ASCENDING)], unique=True),
                IndexModel([("changed_at", ASCENDING)]),
            ),
        )
        for kind in ("unit", "target")
    ),
]


def _strip(doc: dict[str, Any]) -> dict[str, Any]:
    doc = dict(doc)
    doc.pop("_id", None)
    return doc


@dataclass(frozen=True)
class TargetFilter:
    type: TargetType | None = None
    unit_ids: frozenset[str] | None = None  # None: every unit
    county: str | None = None
    status: TargetStatus | None = None
    text: str | None = None  # part of the name, URL or 网站标识码
    platform: str | None = None  # new media: 微信公众号, 微博, …

    def query(self) -> dict[str, Any]:
        query: dict[str, Any] = {}
        if self.type is not None:
            query["type"] = self.type.value
        if self.unit_ids is not None:
            query["unit_id"] = {"$in": sorted(self.unit_ids)}
        if self.county:
            query["county"] = self.county
        if self.status is not None:
            query["status"] = self.status.value
        if self.platform:
            query["platform"] = self.platform
        return query

    def matches_text(self, target: Target) -> bool:
        return not self.text or self.text in target.name or self.text in target.url or self.text in target.site_code


class RegistryRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._db = db

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncClientSession]:
        """Every write inside commits together or not at all (imports are all-or-nothing)."""
        async with self._db.client.start_session() as session, await session.start_transaction():
            yield session

    # --- versioned writes ----------------------------------------------------------------------------------------

    async def save_version(
        self,
        kind: Kind,
        body: dict[str, Any],
        actor: str,
        reason: str,
        at: datetime,
        session: AsyncClientSession | None = None,
    ) -> None:
        """Store a version and make it current; re-saving the same version changes nothing."""
        key, version = body[_KEY[kind]], body["version"]
        await self._db[_VERSIONS[kind]].update_one(
            {_KEY[kind]: key, "version": version},
            {"$setOnInsert": {"snapshot": body, "changed_by": actor, "reason": reason, "changed_at": at}},
            upsert=True,
            session=session,
        )
        # A newer version already current makes the upsert collide: an older write arriving late must not win.
        with contextlib.suppress(DuplicateKeyError):
            await self._db[_CURRENT[kind]].replace_one(
                {"_id": key, "version": {"$lte": version}}, {**body, "_id": key}, upsert=True, session=session
            )

    async def save_versions(
        self,
        kind: Kind,
        bodies: list[dict[str, Any]],
        actor: str,
        reason: str,
        at: datetime,
        session: AsyncClientSession | None = None,
    ) -> None:
        """``save_version`` for many entities in two bulk writes (an import of 10,000 targets is one request each)."""
        if not bodies:
            return
        key = _KEY[kind]
        versions = [
            UpdateOne(
                {key: body[key], "version": body["version"]},
                {"$setOnInsert": {"snapshot": body, "changed_by": actor, "reason": reason, "changed_at": at}},
                upsert=True,
            )
            for body in bodies
        ]
        await self._db[_VERSIONS[kind]].bulk_write(versions, ordered=False, session=session)
        current = [ReplaceOne({"_id": body[key]}, {**body, "_id": body[key]}, upsert=True) for body in bodies]
        await self._db[_CURRENT[kind]].bulk_write(current, ordered=False, session=session)

    async def history(self, kind: Kind, key: str) -> list[dict[str, Any]]:
        cursor = self._db[_VERSIONS[kind]].find({_KEY[kind]: key}).sort("version", ASCENDING)
        return [_strip(doc) async for doc in cursor]

    async def as_of(self, kind: Kind, at: datetime) -> list[dict[str, Any]]:
        """The newest version of every entity recorded at or before ``at``."""
        cursor = (
            self._db[_VERSIONS[kind]]
            .find({"changed_at": {"$lte": at}})
            .sort([(_KEY[kind], ASCENDING), ("version", DESCENDING)])
        )
        latest: dict[str, dict[str, Any]] = {}
        async for doc in cursor:
            latest.setdefault(doc[_KEY[kind]], doc["snapshot"])
        return list(latest.values())

    # --- targets -------------------------------------------------------------------------------------------------

    async def get_target(self, target_id: str) -> Target | None:
        doc = await self._db.targets.find_one({"_id": target_id})
        return Target.model_validate(_strip(doc)) if doc else None

    async def get_targets(self, target_ids: Iterable[str]) -> dict[str, Target]:
        cursor = self._db.targets.find({"_id": {"$in": sorted(set(target_ids))}})
        return {doc["_id"]: Target.model_validate(_strip(doc)) async for doc in cursor}

    async def list_targets(self, where: TargetFilter | None = None) -> list[Target]:
        where = where or TargetFilter()
        cursor = self._db.targets.find(where.query()).sort("_id", ASCENDING)
        targets = [Target.model_validate(_strip(doc)) async for doc in cursor]
        return [t for t in targets if where.matches_text(t)]

    # --- units ---------------------------------------------------------------------------------------------------

    async def get_unit(self, unit_id: str) -> Unit | None:
        doc = await self._db.units.find_one({"_id": unit_id})
        return Unit.model_validate(_strip(doc)) if doc else None

    async def get_units(self, unit_ids: Iterable[str]) -> dict[str, Unit]:
        cursor = self._db.units.find({"_id": {"$in": sorted(set(unit_ids))}})
        return {doc["_id"]: Unit.model_validate(_strip(doc)) async for doc in cursor}

    async def list_units(self) -> list[Unit]:
        cursor = self._db.units.find().sort([("order", ASCENDING), ("_id", ASCENDING)])
        return [Unit.model_validate(_strip(doc)) async for doc in cursor]

    async def unit_parents(self) -> dict[str, str | None]:
        """The hierarchy (unit → parent) that access scopes are computed from."""
        return {doc["_id"]: doc.get("parent_id") async for doc in self._db.units.find({}, {"parent_id": 1})}

    # --- the real-time scheduler's cursor ----------------------------------------------------------------------

    async def schedule_cursor(self, name: str) -> datetime | None:
        doc = await self._db.schedule_cursors.find_one({"_id": name})
        return doc["scheduled_until"] if doc else None

    async def advance_schedule_cursor(self, name: str, until: datetime) -> None:
        # $max: a replica with a lagging clock, or a late write, never moves the cursor backwards.
        await self._db.schedule_cursors.update_one({"_id": name}, {"$max": {"scheduled_until": until}}, upsert=True)

    # --- periods and rounds --------------------------------------------------------------------------------------

    async def save_period(self, period: Period, session: AsyncClientSession | None = None) -> None:
        await self._db.periods.replace_one({"_id": period.period_id}, period.model_dump(), upsert=True, session=session)

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

    async def latest_rounds(self, limit: int) -> list[dict[str, Any]]:
        """The newest rounds first (by when they were started), at most ``limit``."""
        cursor = self._db.rounds.find().sort([("created_at", DESCENDING), ("_id", DESCENDING)]).limit(limit)
        return [{"round_id": doc.pop("_id"), **doc} async for doc in cursor]

    async def unfinished_rounds(self) -> list[dict[str, Any]]:
        return [doc async for doc in self._db.rounds.find({"done": False})]
