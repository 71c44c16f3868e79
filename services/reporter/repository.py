"""Every MongoDB query of the reporter: projections of REGISTRY, VERDICTS and CASES; drafts, finals and their files.

Projections are idempotent and order-tolerant: a write only lands when it is not older than what is stored
(a target's version, a verdict's revision, a unit's or period's event time), so a redelivered or late event never
overwrites a newer one.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Hashable, Mapping
from datetime import datetime
from typing import Any

from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.reporter.finals import Draft, Final
from services.reporter.stats import CaseRecord
from shared.db import Indexes
from shared.events import Outcome, Period, Target, Unit, Verdict

UNITS, TARGETS, PERIODS, VERDICTS, CASES = "units", "targets", "periods", "verdicts", "cases"
DRAFTS, FINALS, PUBLICATIONS, FILES = "drafts", "finals", "publications", "notice_files"
VERSIONS = "versions"  # a counter per projection, bumped after each write that changes it (shared/versioned.py)
REGISTRY_VERSION = "registry"  # units and targets

INDEXES: list[Indexes] = [
    Indexes(VERDICTS, [IndexModel([("period_id", ASCENDING), ("target_id", ASCENDING)], unique=True)]),
    Indexes(CASES, [IndexModel([("period_id", ASCENDING)])]),
    Indexes(DRAFTS, [IndexModel([("period_id", ASCENDING)])]),
    Indexes(FINALS, [IndexModel([("period_id", ASCENDING)])]),
    Indexes(PUBLICATIONS, [IndexModel([("sent", ASCENDING)])]),
]


class VersionConflict(RuntimeError):
    """The draft changed since the caller read it."""


class AlreadyFrozen(RuntimeError):
    """A final with this id exists: finals are written once."""


Doc = dict[str, Any]


def verdict_key(target_id: str, period_id: str) -> str:
    return f"{period_id}/{target_id}"


def verdicts_version(period_id: str) -> str:
    return f"verdicts/{period_id}"


class ReporterRepository:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.db = db
        self._files = AsyncGridFSBucket(db, bucket_name=FILES)

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

    # --- versions of the projections ------------------------------------------------------------------------

    async def bump(self, name: str) -> None:
        """After a write to a projection: readers holding it read it again. The epoch is new whenever the counter
        is created, so a database emptied under a running reporter never matches a version held from before."""
        update = {"$inc": {"n": 1}, "$setOnInsert": {"epoch": uuid.uuid4().hex}}
        try:
            await self.db[VERSIONS].update_one({"_id": name}, update, upsert=True)
        except DuplicateKeyError:  # another writer created it first: it exists now
            await self.db[VERSIONS].update_one({"_id": name}, {"$inc": {"n": 1}})

    async def version(self, name: str) -> Hashable:
        found = await self.db[VERSIONS].find_one({"_id": name})
        return (found["epoch"], found["n"]) if found else ("", 0)

    # --- registry -----------------------------------------------------------------------------------------------

    async def upsert_target(self, target: Target) -> bool:
        doc = {"doc": target.model_dump(mode="json")}
        applied = await self._upsert_if_not_older(TARGETS, target.target_id, {"version": target.version}, doc)
        if applied:
            await self.bump(REGISTRY_VERSION)
        return applied

    async def upsert_unit(self, unit: Unit, occurred_at: datetime) -> bool:
        doc = {"doc": unit.model_dump(mode="json")}
        applied = await self._upsert_if_not_older(UNITS, unit.unit_id, {"occurred_at": occurred_at}, doc)
        if applied:
            await self.bump(REGISTRY_VERSION)
        return applied

    async def upsert_period(self, period: Period, occurred_at: datetime) -> bool:
        doc = {"doc": period.model_dump(mode="json")}
        return await self._upsert_if_not_older(PERIODS, period.period_id, {"occurred_at": occurred_at}, doc)

    async def targets(self, ordered: bool = True) -> list[Target]:
        """Every target; ``ordered=False`` when the caller sorts them itself (a sorted read costs twice as much)."""
        sort = [("_id", ASCENDING)] if ordered else None
        return [Target.model_validate(d["doc"]) async for d in self.db[TARGETS].find({}, sort=sort)]

    async def units(self) -> list[Unit]:
        return [Unit.model_validate(d["doc"]) async for d in self.db[UNITS].find({}, sort=[("_id", ASCENDING)])]

    async def period(self, period_id: str) -> Period | None:
        found = await self.db[PERIODS].find_one({"_id": period_id})
        return Period.model_validate(found["doc"]) if found else None

    # --- verdicts -----------------------------------------------------------------------------------------------

    async def upsert_verdict(self, verdict: Verdict) -> bool:
        key = verdict_key(verdict.target_id, verdict.period_id)
        doc = {"target_id": verdict.target_id, "period_id": verdict.period_id, "doc": verdict.model_dump(mode="json")}
        applied = await self._upsert_if_not_older(VERDICTS, key, {"revision": verdict.revision}, doc)
        if applied:
            await self.bump(verdicts_version(verdict.period_id))
        return applied

    async def verdicts(self, period_id: str) -> list[Verdict]:
        cursor = self.db[VERDICTS].find({"period_id": period_id}, sort=[("target_id", ASCENDING)])
        return [Verdict.model_validate(d["doc"]) async for d in cursor]

    async def outcomes(self, period_id: str) -> dict[str, Outcome]:
        """Each target's outcome in the period: what pass rates count, without reading every verdict's evidence."""
        cursor = self.db[VERDICTS].find({"period_id": period_id}, {"target_id": 1, "doc.outcome": 1})
        return {d["target_id"]: Outcome(d["doc"]["outcome"]) async for d in cursor}

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

    async def draft(self, draft_id: str) -> Draft | None:
        found = await self.db[DRAFTS].find_one({"_id": draft_id})
        return Draft.model_validate(_without_id(found)) if found else None

    async def drafts(self, period_id: str) -> list[Draft]:
        cursor = self.db[DRAFTS].find({"period_id": period_id}, sort=[("updated_at", DESCENDING), ("_id", ASCENDING)])
        return [Draft.model_validate(_without_id(d)) async for d in cursor]

    async def save_draft(self, draft: Draft) -> Draft:
        """Create the draft at version 1, or replace version ``draft.version - 1`` with it; else VersionConflict."""
        doc = {"_id": draft.draft_id, **draft.model_dump(mode="json")}
        if draft.version == 1:
            try:
                await self.db[DRAFTS].insert_one(doc)
            except DuplicateKeyError:
                raise VersionConflict(draft.draft_id) from None
            return draft
        replaced = await self.db[DRAFTS].find_one_and_replace(
            {"_id": draft.draft_id, "version": draft.version - 1}, doc, return_document=ReturnDocument.AFTER
        )
        if replaced is None:
            raise VersionConflict(draft.draft_id)
        return draft

    # --- finals and their files ---------------------------------------------------------------------------------

    async def final(self, report_id: str) -> Final | None:
        found = await self.db[FINALS].find_one({"_id": report_id}, projection={"files": 0})
        return Final.model_validate(_without_id(found)) if found else None

    async def finals(self, period_id: str) -> list[Final]:
        cursor = self.db[FINALS].find({"period_id": period_id}, projection={"files": 0}, sort=[("_id", ASCENDING)])
        return [Final.model_validate(_without_id(d)) async for d in cursor]

    async def freeze(self, final: Final, files: Mapping[str, tuple[str, bytes, str]]) -> None:
        """Store the final and its files (format → (filename, bytes, sha256)); the final document is written last.

        Files left by an earlier attempt that died before its final was written are removed first, and the files
        of this attempt are removed again when another process froze the same final meanwhile.
        """
        if await self.db[FINALS].find_one({"_id": final.report_id}, projection={"_id": 1}):
            raise AlreadyFrozen(final.report_id)
        await self._drop_files(final.report_id)
        stored: Doc = {}
        for fmt, (name, data, sha256) in sorted(files.items()):
            metadata = {"report_id": final.report_id, "format": fmt, "sha256": sha256}
            file_id = await self._files.upload_from_stream(name, data, metadata=metadata)
            stored[fmt] = {"file_id": file_id, "filename": name, "sha256": sha256, "size": len(data)}
        try:
            await self.db[FINALS].insert_one({"_id": final.report_id, **final.model_dump(mode="json"), "files": stored})
        except DuplicateKeyError:
            for entry in stored.values():
                await self._files.delete(entry["file_id"])
            raise AlreadyFrozen(final.report_id) from None

    async def _drop_files(self, report_id: str) -> None:
        async for orphan in self._files.find({"metadata.report_id": report_id}):
            with contextlib.suppress(NoFile):  # another attempt removed it first
                await self._files.delete(orphan._id)

    async def final_file(self, report_id: str, fmt: str) -> tuple[str, bytes, str] | None:
        """(filename, bytes, sha256) of a final's file in ``fmt``."""
        found = await self.db[FINALS].find_one({"_id": report_id}, projection={f"files.{fmt}": 1})
        entry = (found or {}).get("files", {}).get(fmt)
        if entry is None:
            return None
        stream = await self._files.open_download_stream(entry["file_id"])
        return entry["filename"], await stream.read(), entry["sha256"]

    async def file_digests(self, report_id: str) -> dict[str, str]:
        found = await self.db[FINALS].find_one({"_id": report_id}, projection={"files": 1})
        return {fmt: entry["sha256"] for fmt, entry in sorted((found or {}).get("files", {}).items())}

    # --- publication (an outbox: the event is stored before it is sent) ------------------------------------------

    async def publication(self, report_id: str) -> Doc | None:
        return await self.db[PUBLICATIONS].find_one({"_id": report_id})

    async def record_publication(self, report_id: str, event: Doc, by: str, at: datetime) -> Doc:
        """The first publication wins; publishing again returns it unchanged."""
        doc = {"_id": report_id, "event": event, "published_by": by, "published_at": at, "sent": False}
        try:
            await self.db[PUBLICATIONS].insert_one(doc)
        except DuplicateKeyError:
            existing = await self.publication(report_id)
            assert existing is not None
            return existing
        return doc

    async def unsent_publications(self) -> list[Doc]:
        return [d async for d in self.db[PUBLICATIONS].find({"sent": False}, sort=[("_id", ASCENDING)])]

    async def mark_sent(self, report_id: str) -> None:
        await self.db[PUBLICATIONS].update_one({"_id": report_id}, {"$set": {"sent": True}})


def _without_id(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if k not in ("_id", "files")}
