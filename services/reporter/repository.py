"""Every MongoDB query of the reporter: projections of REGISTRY, VERDICTS and CASES, and the drafts it rendered.

Projections are idempotent and order-tolerant: a write only lands when it is not older than what is stored
(a target's version, a verdict's revision, a unit's or period's event time), so a redelivered or late event never
overwrites a newer one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.reporter.stats import CaseRecord
from shared.db import Indexes
from shared.events import Period, Target, Unit, Verdict

UNITS, TARGETS, PERIODS, VERDICTS, CASES, REPORTS = "units", "targets", "periods", "verdicts", "cases", "reports"

INDEXES: list[Indexes] = [
    Indexes(VERDICTS, [IndexModel([("period_id", ASCENDING), ("target_id", ASCENDING)], unique=True)]),
    Indexes(CASES, [IndexModel([("period_id", ASCENDING)])]),
    Indexes(REPORTS, [IndexModel([("period_id", ASCENDING)])]),
]

Doc = dict[str, Any]


def verdict_key(target_id: str, period_id: str) -> str:
    return f"{period_id}/{target_id}"


class ReporterRepository:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.db = db

    async def _upsert_if_not_older(self, collection: str, key: str, order: Mapping[str, Any], doc: Doc) -> bool:
        """Write ``doc`` unless the stored one is newer; True when it was written.

        The filter matches only a stored document that is not newer; when none matches, the upsert's insert
        collides with the newer document's _id and is dropped.
        """
        ((field, value),) = order.items()
        try:
            await self.db[collection].update_one(
                {"_id": key, field: {"$lte": value}}, {"$set": {**doc, field: value}}, upsert=True
            )
        except DuplicateKeyError:
            return False
        return True

    # --- registry -----------------------------------------------------------------------------------------------

    async def upsert_target(self, target: Target) -> bool:
        doc = {"doc": target.model_dump(mode="json")}
        return await self._upsert_if_not_older(TARGETS, target.target_id, {"version": target.version}, doc)

    async def upsert_unit(self, unit: Unit, occurred_at: datetime) -> bool:
        doc = {"doc": unit.model_dump(mode="json")}
        return await self._upsert_if_not_older(UNITS, unit.unit_id, {"occurred_at": occurred_at}, doc)

    async def upsert_period(self, period: Period, occurred_at: datetime) -> bool:
        doc = {"doc": period.model_dump(mode="json")}
        return await self._upsert_if_not_older(PERIODS, period.period_id, {"occurred_at": occurred_at}, doc)

    async def targets(self) -> list[Target]:
        return [Target.model_validate(d["doc"]) async for d in self.db[TARGETS].find({}, sort=[("_id", ASCENDING)])]

    async def units(self) -> list[Unit]:
        return [Unit.model_validate(d["doc"]) async for d in self.db[UNITS].find({}, sort=[("_id", ASCENDING)])]

    async def period(self, period_id: str) -> Period | None:
        found = await self.db[PERIODS].find_one({"_id": period_id})
        return Period.model_validate(found["doc"]) if found else None

    # --- verdicts -----------------------------------------------------------------------------------------------

    async def upsert_verdict(self, verdict: Verdict) -> bool:
        key = verdict_key(verdict.target_id, verdict.period_id)
        doc = {"target_id": verdict.target_id, "period_id": verdict.period_id, "doc": verdict.model_dump(mode="json")}
        return await self._upsert_if_not_older(VERDICTS, key, {"revision": verdict.revision}, doc)

    async def verdicts(self, period_id: str) -> list[Verdict]:
        cursor = self.db[VERDICTS].find({"period_id": period_id}, sort=[("target_id", ASCENDING)])
        return [Verdict.model_validate(d["doc"]) async for d in cursor]

    # --- cases --------------------------------------------------------------------------------------------------

    async def case_opened(self, case_id: str, target_id: str, period_id: str, indicator_id: str) -> None:
        # $set of the same fields is idempotent and commutes with case_resolved: arrival order does not matter.
        fields = {"target_id": target_id, "period_id": period_id, "indicator_id": indicator_id, "opened": True}
        await self.db[CASES].update_one({"_id": case_id}, {"$set": fields}, upsert=True)

    async def case_resolved(self, case_id: str, target_id: str, period_id: str, indicator_id: str) -> None:
        fields = {"target_id": target_id, "period_id": period_id, "indicator_id": indicator_id, "resolved": True}
        await self.db[CASES].update_one({"_id": case_id}, {"$set": fields}, upsert=True)

    async def cases(self, period_id: str) -> list[CaseRecord]:
        cursor = self.db[CASES].find({"period_id": period_id}, sort=[("_id", ASCENDING)])
        return [
            CaseRecord(
                case_id=d["_id"],
                target_id=d["target_id"],
                period_id=d["period_id"],
                indicator_id=d.get("indicator_id", ""),
                opened=d.get("opened", False),
                resolved=d.get("resolved", False),
            )
            async for d in cursor
        ]

    # --- drafts -------------------------------------------------------------------------------------------------

    async def save_draft(
        self, draft_id: str, period_id: str, document_number: str, content_hash: str, doc: Doc
    ) -> None:
        fields = {"period_id": period_id, "document_number": document_number, "content_hash": content_hash, **doc}
        await self.db[REPORTS].update_one({"_id": draft_id}, {"$set": fields}, upsert=True)
