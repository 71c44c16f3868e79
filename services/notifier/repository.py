"""Every MongoDB query of the notifier: registry projections, cases with their event outbox, the deliveries outbox."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pydantic import BaseModel
from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.notifier.models import Case, CaseStatus, Delivery, DeliveryStatus
from shared.db import Indexes
from shared.events import Event, Period, Target, Unit, natural_id

Doc = dict[str, Any]

INDEXES: list[Indexes] = [
    Indexes(
        "cases",
        (
            IndexModel([("period_id", ASCENDING), ("status", ASCENDING)]),
            IndexModel("target_id"),
            IndexModel("recheck_id"),
        ),
    ),
    Indexes(
        "deliveries",
        (
            # The outbox key: one message per case step, recipient and channel, ever.
            IndexModel(
                [("case_id", ASCENDING), ("step", ASCENDING), ("recipient", ASCENDING), ("channel", ASCENDING)],
                unique=True,
                name="delivery_key",
            ),
            IndexModel("status"),
            IndexModel([("status", ASCENDING), ("not_before", ASCENDING)], name="due"),  # the dispatcher's queue
        ),
    ),
]


def _doc(model: BaseModel) -> Doc:
    """JSON-safe fields (dates as ISO strings, enums as values) but datetimes kept as BSON dates."""
    data = model.model_dump(mode="json")
    for name, value in model:
        if isinstance(value, datetime):
            data[name] = value
    return data


class NotifierRepository:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self._units = db["units"]
        self._targets = db["targets"]
        self._periods = db["periods"]
        self._progress = db["verdict_progress"]
        self._cases = db["cases"]
        self._deliveries = db["deliveries"]
        self._files = AsyncGridFSBucket(db, bucket_name="report_files")

    # --- registry projections: newest wins, an older redelivery changes nothing ------------------------------

    async def _replace_if_newer(self, coll: Any, key: str, order: Doc, body: Doc) -> None:
        newer = {f: {"$lte": v} for f, v in order.items()}
        # A stored copy that is newer makes the upsert's insert collide with it: nothing to do.
        with contextlib.suppress(DuplicateKeyError):
            await coll.update_one({"_id": key, **newer}, {"$set": {**order, **body}}, upsert=True)

    async def save_unit(self, unit: Unit, occurred_at: datetime) -> None:
        await self._replace_if_newer(self._units, unit.unit_id, {"occurred_at": occurred_at}, {"unit": _doc(unit)})

    async def save_target(self, target: Target, occurred_at: datetime) -> None:
        order = {"version": target.version, "occurred_at": occurred_at}
        await self._replace_if_newer(self._targets, target.target_id, order, {"target": _doc(target)})

    async def save_period(self, period: Period, occurred_at: datetime) -> None:
        body = {"period": _doc(period)}
        await self._replace_if_newer(self._periods, period.period_id, {"occurred_at": occurred_at}, body)

    async def units(self) -> list[Unit]:
        return [Unit.model_validate(doc["unit"]) async for doc in self._units.find().sort("_id", ASCENDING)]

    async def unit(self, unit_id: str) -> Unit | None:
        doc = await self._units.find_one({"_id": unit_id})
        return Unit.model_validate(doc["unit"]) if doc else None

    async def target(self, target_id: str) -> Target | None:
        doc = await self._targets.find_one({"_id": target_id})
        return Target.model_validate(doc["target"]) if doc else None

    # --- verdict progress: the newest revision applied per target and period ----------------------------------

    async def applied_revision(self, target_id: str, period_id: str) -> int:
        doc = await self._progress.find_one({"_id": natural_id(target_id, period_id)})
        return int(doc["revision"]) if doc else 0

    async def mark_applied(self, target_id: str, period_id: str, revision: int) -> None:
        key = natural_id(target_id, period_id)
        body = {"target_id": target_id, "period_id": period_id}
        await self._replace_if_newer(self._progress, key, {"revision": revision}, body)

    # --- cases, each with the events still to publish (its outbox) --------------------------------------------

    async def case(self, case_id: str) -> Case | None:
        doc = await self._cases.find_one({"_id": case_id})
        return Case.model_validate(doc) if doc else None

    async def insert_case(self, case: Case, event: Event) -> bool:
        doc = {"_id": case.case_id, **_doc(case), "outbox": [event.model_dump(mode="json")]}
        try:
            await self._cases.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def replace_case(self, before: Case, after: Case, event: Event) -> bool:
        """Move a case from the state it was read in to the next; False if someone moved it first."""
        result = await self._cases.update_one(
            {"_id": before.case_id, "status": before.status.value, "round": before.round},
            {"$set": _doc(after), "$push": {"outbox": event.model_dump(mode="json")}},
        )
        return result.modified_count == 1

    async def save_case(self, before: Case, after: Case, event: Event | None = None) -> bool:
        """A case moved by a person or the schedule: stored only if nobody moved it since it was read."""
        change: Doc = {"$set": _doc(after)}
        if event is not None:
            change["$push"] = {"outbox": event.model_dump(mode="json")}
        result = await self._cases.update_one(
            {
                "_id": before.case_id,
                "status": before.status.value,
                "round": before.round,
                "timeline": _doc(before)["timeline"],
            },
            change,
        )
        return result.modified_count == 1

    async def cases_rechecked(self, recheck_id: str) -> list[Case]:
        return [Case.model_validate(d) async for d in self._cases.find({"recheck_id": recheck_id})]

    async def save_attachment(self, case_id: str, name: str, data: bytes, sha256: str) -> str:
        """A report's file in GridFS (reports can exceed a document's 16 MB); its id."""
        file_id = await self._files.upload_from_stream(name, data, metadata={"case_id": case_id, "sha256": sha256})
        return str(file_id)

    async def attachment(self, case_id: str, attachment_id: str) -> tuple[str, bytes] | None:
        """A report's file by id, only under its own case."""
        try:
            stream = await self._files.open_download_stream(ObjectId(attachment_id))
        except (NoFile, InvalidId):
            return None
        metadata = stream.metadata or {}
        if metadata.get("case_id") != case_id:
            return None
        return stream.filename or "附件", await stream.read()

    async def active_cases(self) -> list[Case]:
        """Every case not yet resolved: what the daily schedule looks at."""
        cursor = self._cases.find({"status": {"$ne": CaseStatus.resolved.value}}).sort("_id", ASCENDING)
        return [Case.model_validate(d) async for d in cursor]

    async def outbox(self, target_id: str | None = None, period_id: str | None = None) -> list[tuple[str, Doc]]:
        query: Doc = {"outbox": {"$ne": []}}
        if target_id is not None:
            query |= {"target_id": target_id, "period_id": period_id}
        pending: list[tuple[str, Doc]] = []
        async for doc in self._cases.find(query, {"outbox": 1}):
            pending.extend((doc["_id"], event) for event in doc.get("outbox", []))
        return pending

    async def clear_outbox(self, case_id: str, event_id: str) -> None:
        await self._cases.update_one({"_id": case_id}, {"$pull": {"outbox": {"event_id": event_id}}})

    async def cases(self, period_id: str | None = None) -> list[Case]:
        query = {"period_id": period_id} if period_id else {}
        return [Case.model_validate(d) async for d in self._cases.find(query).sort("_id", ASCENDING)]

    # --- deliveries outbox -------------------------------------------------------------------------------------

    async def insert_delivery(self, delivery: Delivery) -> None:
        """A row that is final at once (no_recipient); a duplicate is the same row."""
        with contextlib.suppress(DuplicateKeyError):
            await self._deliveries.insert_one({"_id": delivery.delivery_id, **_doc(delivery)})

    async def settle_delivery(
        self, delivery_id: str, expected: DeliveryStatus, status: DeliveryStatus, at: datetime, **fields: Any
    ) -> bool:
        """Move a row from ``expected`` to ``status``; False if it was not in ``expected``."""
        result = await self._deliveries.update_one(
            {"_id": delivery_id, "status": expected.value},
            {"$set": {"status": status.value, "updated_at": at, **fields}},
        )
        return result.modified_count == 1

    async def deliveries(self, status: DeliveryStatus | None = None, case_id: str | None = None) -> list[Delivery]:
        query: Doc = {}
        if status is not None:
            query["status"] = status.value
        if case_id is not None:
            query["case_id"] = case_id
        cursor = self._deliveries.find(query).sort("created_at", ASCENDING)
        return [Delivery.model_validate(d) async for d in cursor]

    async def delivery_counts(self) -> list[tuple[str, str, int]]:
        """(channel, status, rows) over the whole outbox, for /metrics: counts only, never a recipient."""
        pipeline: list[Doc] = [{"$group": {"_id": {"channel": "$channel", "status": "$status"}, "n": {"$sum": 1}}}]
        cursor = await self._deliveries.aggregate(pipeline)
        return [(str(d["_id"].get("channel")), str(d["_id"].get("status")), int(d["n"])) async for d in cursor]

    # --- the dispatcher's queue ------------------------------------------------------------------------------

    async def record_intents(self, rows: list[Delivery]) -> int:
        """Record deliveries to make before anything is sent; a row already recorded stays as it is."""
        if not rows:
            return 0
        try:
            result = await self._deliveries.insert_many(
                [{"_id": r.delivery_id, **_doc(r)} for r in rows], ordered=False
            )
            return len(result.inserted_ids)
        except BulkWriteError as exc:
            return int(exc.details.get("nInserted", 0))

    async def claim_due(self, now: datetime, claimed_by: str) -> Delivery | None:
        """Take the next delivery whose time has come, marking it "sending" before anything goes out."""
        doc = await self._deliveries.find_one_and_update(
            {
                "status": {"$in": [DeliveryStatus.pending.value, DeliveryStatus.retrying.value]},
                "not_before": {"$lte": now},
            },
            {
                "$set": {
                    "status": DeliveryStatus.sending.value,
                    "claimed_at": now,
                    "claimed_by": claimed_by,
                    "updated_at": now,
                }
            },
            sort=[("not_before", ASCENDING)],
            return_document=ReturnDocument.AFTER,
        )
        return Delivery.model_validate(doc) if doc else None

    async def defer(self, delivery_id: str, status: DeliveryStatus, not_before: datetime, at: datetime) -> None:
        """Give back a claimed delivery that must wait (rate limit, quiet hours) without counting an attempt."""
        await self._deliveries.update_one(
            {"_id": delivery_id, "status": DeliveryStatus.sending.value},
            {"$set": {"status": status.value, "not_before": not_before, "updated_at": at}},
        )

    async def abandoned(self, claimed_before: datetime) -> list[Delivery]:
        """Deliveries left "sending" by a process that died mid-send (claimed before ``claimed_before``)."""
        query = {"status": DeliveryStatus.sending.value, "claimed_at": {"$lt": claimed_before}}
        return [Delivery.model_validate(d) async for d in self._deliveries.find(query)]

    async def checking_due(self, now: datetime) -> list[Delivery]:
        query = {"status": DeliveryStatus.checking.value, "not_before": {"$lte": now}}
        return [Delivery.model_validate(d) async for d in self._deliveries.find(query).limit(50)]
