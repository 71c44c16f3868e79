"""Every MongoDB query of the registry.

Units and targets are versioned: the current document lives in ``units`` / ``targets`` and every version, with who
changed it, why and when, in ``unit_versions`` / ``target_versions``. Reading "as it stood" at an instant takes, per
entity, the newest version recorded at or before it.

Every target is listed on each inventory page and each scheduler tick, and SecantusDB takes tens of milliseconds to
read a city's targets: the list (and the unit hierarchy every scoped request reads) is kept in memory under ``versions.inventory`` (shared/versioned.py), a counter
bumped by every write of units or targets — inside an import's transaction as its first write (so it commits with
the import, and a concurrent bump waits for the commit instead of failing it), after a single save, and when a
registry process starts (one that died between a save and its bump leaves no other replica holding the old list).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pymongo import ASCENDING, DESCENDING, IndexModel, ReplaceOne, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.db import Indexes
from shared.events import Period, Target, TargetStatus, TargetType, Unit
from shared.versioned import Versioned

Kind = Literal["unit", "target"]
_CURRENT = {"unit": "units", "target": "targets"}
_VERSIONS = {"unit": "unit_versions", "target": "target_versions"}
_KEY = {"unit": "unit_id", "target": "target_id"}
VERSIONS = "versions"
INVENTORY = "inventory"  # the counter of unit and target writes

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

    def matches_text(self, target: Target) -> bool:
        return not self.text or self.text in target.name or self.text in target.url or self.text in target.site_code

    def matches(self, target: Target) -> bool:
        """Whether the target is selected: every condition set (an empty string or None is no condition), in memory."""
        return (
            (self.type is None or target.type is self.type)
            and (self.unit_ids is None or target.unit_id in self.unit_ids)
            and (not self.county or target.county == self.county)
            and (self.status is None or target.status is self.status)
            and (not self.platform or target.platform == self.platform)
            and self.matches_text(target)
        )


class RegistryRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._db = db
        self._targets: Versioned[str, list[Target]] = Versioned()
        self._parents: Versioned[str, dict[str, str | None]] = Versioned()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncClientSession]:
        """Every write inside commits together or not at all (imports are all-or-nothing)."""
        async with self._db.client.start_session() as session, await session.start_transaction():
            await self.bump_inventory(session)
            yield session

    async def bump_inventory(self, session: AsyncClientSession | None = None) -> None:
        """Lists held in memory are read again. The epoch is new whenever the counter is created, so a database
        emptied under a running registry never matches a version held from before."""
        update = {"$inc": {"n": 1}, "$setOnInsert": {"epoch": uuid.uuid4().hex}}
        try:
            await self._db[VERSIONS].update_one({"_id": INVENTORY}, update, upsert=True, session=session)
        except DuplicateKeyError:  # another writer created it first: it exists now
            await self._db[VERSIONS].update_one({"_id": INVENTORY}, {"$inc": {"n": 1}}, session=session)

    async def _inventory_version(self) -> Hashable:
        found = await self._db[VERSIONS].find_one({"_id": INVENTORY})
        return (found["epoch"], found["n"]) if found else ("", 0)

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
        try:
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
        finally:
            if session is None:  # a transaction bumped it already (``transaction``)
                await self.bump_inventory()

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
        current = [ReplaceOne({"_id": body[key]}, {**body, "_id": body[key]}, upsert=True) for body in bodies]
        try:
            await self._db[_VERSIONS[kind]].bulk_write(versions, ordered=False, session=session)
            await self._db[_CURRENT[kind]].bulk_write(current, ordered=False, session=session)
        finally:
            if session is None:
                await self.bump_inventory()

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
        """The current targets ``where`` selects, by id; filtered in memory from every target, held until a write."""
        where = where or TargetFilter()
        every = await self._targets.get(INVENTORY, self._inventory_version, self._read_targets)
        return [t for t in every if where.matches(t)]

    async def _read_targets(self) -> list[Target]:
        cursor = self._db.targets.find({}).sort("_id", ASCENDING)
        return [Target.model_validate(_strip(doc)) async for doc in cursor]

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
        """The hierarchy (unit → parent) that access scopes are computed from: every request with a scope asks it,
        so it is held like the target list (a unit's write bumps the same counter)."""
        held = await self._parents.get(INVENTORY, self._inventory_version, self._read_parents)
        return dict(held)

    async def _read_parents(self) -> dict[str, str | None]:
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
