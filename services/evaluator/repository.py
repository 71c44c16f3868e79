"""Every MongoDB query of the evaluator.

Collections:
- ``observations``: append-only, one document per observation event (``_id`` = event_id, unique).
- ``availability_daily``: visits and failed visits per (target, period, Beijing date), what W-V2 reads.
- ``latest_facts``: the newest fetched page or feed per (target, period, kind), replaced only by a newer one.
- ``targets``, ``periods``: projections of the registry's events, kept at their newest version.
- ``verdicts``: one per (target, period): the current verdict, its revision, the history of changes, and
  ``pending``, the outbox of a ``verdict.changed`` event not yet confirmed published.
- ``rule_sets``: one document per rule set version (``_id`` = ``id@version``), immutable once stored.
- ``rechecks``: one per (re-check, target, period): the latest re-check result (``rechecks.py``), the number of
  observations it rests on (only ever grows), and ``pending``, the outbox of its ``verdict.rechecked`` event.
- ``versions``: a counter per period, bumped after every write of the period's verdicts. A period's outcomes and
  warnings (the console's inventory and overview) are kept in memory under it (shared/versioned.py): reading them
  scans every verdict of the period, which SecantusDB cannot answer from an index alone.

Counters stay exact under redelivery and crashes because one transaction inserts the observations that are new and
increments the counters for exactly those: a redelivered observation is found already inserted and counts nothing;
a crash before the commit leaves neither the observation nor its increment, so the redelivery counts it once.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, IndexModel, ReplaceOne, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.db import Indexes
from shared.events import ObservationRecorded, Period, Target, Unit
from shared.versioned import Versioned

from .recording import Latest, ObservationWrite
from .records import StoredVerdict, pair_key
from .rules import DayCount, RuleSet

Doc = dict[str, Any]
Pair = tuple[str, str]  # (target_id, period_id)

OBSERVATIONS = "observations"
DAILY = "availability_daily"
LATEST = "latest_facts"
TARGETS = "targets"
UNITS = "units"
PERIODS = "periods"
VERDICTS = "verdicts"
RULE_SETS = "rule_sets"
FLAGGED = "content_findings"
RECHECKS = "rechecks"
VERSIONS = "versions"

INDEXES: list[Indexes] = [
    # Unique on event_id through ``_id`` (= event_id). Every further index costs SecantusDB insert time, so only
    # what a query reads is indexed: the round counter of the launcher, and a target's history newest first (the
    # console's target page reads it with a limit, so it walks the index and stops).
    Indexes(
        OBSERVATIONS,
        (
            IndexModel([("correlation_id", ASCENDING)]),
            IndexModel([("target_id", ASCENDING), ("observed_at", DESCENDING)]),
        ),
    ),
    Indexes(
        DAILY, (IndexModel([("target_id", ASCENDING), ("period_id", ASCENDING), ("day", ASCENDING)], unique=True),)
    ),
    Indexes(
        LATEST, (IndexModel([("target_id", ASCENDING), ("period_id", ASCENDING), ("kind", ASCENDING)], unique=True),)
    ),
    Indexes(VERDICTS, (IndexModel([("target_id", ASCENDING), ("period_id", ASCENDING)], unique=True),)),
    # A rule set's versions, read by id and sorted by version (the latest is the highest).
    Indexes(RULE_SETS, (IndexModel([("id", ASCENDING), ("version", ASCENDING)], unique=True),)),
    Indexes(TARGETS, (IndexModel([("site_id", ASCENDING)]),)),  # a website's columns, boards and guide sources
    Indexes(FLAGGED, (IndexModel([("target_id", ASCENDING), ("period_id", ASCENDING)]),)),
    Indexes(RECHECKS, (IndexModel([("recheck_id", ASCENDING)]),)),  # a re-check's results, for GET /rechecks/{id}
]


class EvaluatorRepository:
    def __init__(self, client: AsyncMongoClient[Doc], db: AsyncDatabase[Doc]) -> None:
        self._client = client
        self._db = db
        self._outcomes: Versioned[str, list[Doc]] = Versioned()
        self._warnings: Versioned[str, list[Doc]] = Versioned()

    # --- observations and the counters derived from them ------------------------------------------------------

    async def record(self, writes: Sequence[ObservationWrite]) -> set[str]:
        """Insert the observations not seen before and apply their contributions, in one transaction.

        Returns the ids that were new. ``with_transaction`` retries the whole callback on a transient error
        (a write conflict with another evaluator), so the callback recomputes everything it decides.
        """
        new_ids: set[str] = set()

        async def body(session: AsyncClientSession) -> None:
            new_ids.clear()
            fresh = await self._unseen(writes, session)
            if not fresh:
                return
            await self._db[OBSERVATIONS].insert_many([_observation_doc(w) for w in fresh], session=session)
            await self._count_visits(fresh, session)
            await self._keep_latest([w.latest for w in fresh if w.latest is not None], session)
            flagged = [_flagged_doc(w.flagged) for w in fresh if w.flagged is not None]
            if flagged:
                await self._db[FLAGGED].insert_many(flagged, session=session)
            new_ids.update(w.event.event_id for w in fresh)

        async with self._client.start_session() as session:
            await session.with_transaction(body)
        return new_ids

    async def _unseen(self, writes: Sequence[ObservationWrite], session: AsyncClientSession) -> list[ObservationWrite]:
        ids = [w.event.event_id for w in writes]
        cursor = self._db[OBSERVATIONS].find({"_id": {"$in": ids}}, {"_id": 1}, session=session)
        seen = {doc["_id"] async for doc in cursor}
        fresh: list[ObservationWrite] = []
        for w in writes:  # a batch may hold the same event twice (redelivered while the batch was filling)
            if w.event.event_id not in seen:
                seen.add(w.event.event_id)
                fresh.append(w)
        return fresh

    async def _count_visits(self, fresh: Sequence[ObservationWrite], session: AsyncClientSession) -> None:
        counts: dict[tuple[str, str, date], list[int]] = defaultdict(lambda: [0, 0])
        for w in fresh:
            if w.visit is not None:
                slot = counts[(w.visit.target_id, w.visit.period_id, w.visit.day)]
                slot[0] += 1
                slot[1] += int(w.visit.failed)
        ops = [
            UpdateOne(
                {"target_id": t, "period_id": p, "day": d.isoformat()},
                {"$inc": {"visits": v, "failures": f}},
                upsert=True,
            )
            for (t, p, d), (v, f) in counts.items()
        ]
        if ops:
            await self._db[DAILY].bulk_write(ops, ordered=False, session=session)

    async def _keep_latest(self, candidates: Sequence[Latest], session: AsyncClientSession) -> None:
        newest: dict[str, Latest] = {}
        for c in candidates:
            key = f"{c.target_id}|{c.period_id}|{c.kind}"
            if key not in newest or c.observed_at > newest[key].observed_at:
                newest[key] = c
        if not newest:
            return
        cursor = self._db[LATEST].find({"_id": {"$in": list(newest)}}, {"observed_at": 1}, session=session)
        stored = {doc["_id"]: doc["observed_at"] async for doc in cursor}
        ops = [
            ReplaceOne({"_id": key}, _latest_doc(key, c), upsert=True)
            for key, c in newest.items()
            if key not in stored or c.observed_at > stored[key]
        ]
        if ops:
            await self._db[LATEST].bulk_write(ops, ordered=False, session=session)

    async def count_round(self, correlation_id: str) -> int:
        return await self._db[OBSERVATIONS].count_documents({"correlation_id": correlation_id})

    async def observations_of(
        self, target_id: str, period_id: str | None, kind: str | None, limit: int, before: datetime | None = None
    ) -> list[Doc]:
        """A target's observations (as ``ObservationRecorded`` JSON), newest first, at most ``limit``."""
        query: Doc = {"target_id": target_id}
        if period_id:
            query["period_id"] = period_id
        if kind:
            query["kind"] = kind
        if before is not None:
            query["observed_at"] = {"$lt": before}
        cursor = self._db[OBSERVATIONS].find(query, {"event": 1}).sort("observed_at", DESCENDING).limit(limit)
        return [doc["event"] async for doc in cursor]

    async def observation(self, target_id: str, observation_id: str) -> Doc | None:
        """One observation, only if it is the target's."""
        doc = await self._db[OBSERVATIONS].find_one({"_id": observation_id, "target_id": target_id}, {"event": 1})
        return doc["event"] if doc else None

    # --- what the rules read ------------------------------------------------------------------------------------

    async def daily_counts(self, pairs: Iterable[Pair]) -> dict[Pair, dict[date, DayCount]]:
        found: dict[Pair, dict[date, DayCount]] = defaultdict(dict)
        for period_id, target_ids in _by_period(pairs).items():
            query = {"period_id": period_id, "target_id": {"$in": target_ids}}
            async for doc in self._db[DAILY].find(query, {"_id": 0}):
                day = date.fromisoformat(doc["day"])
                found[(doc["target_id"], period_id)][day] = DayCount(doc["visits"], doc["failures"])
        return found

    async def latest_facts(self, pairs: Iterable[Pair]) -> dict[tuple[str, str, str], Latest]:
        found: dict[tuple[str, str, str], Latest] = {}
        for period_id, target_ids in _by_period(pairs).items():
            async for doc in self._db[LATEST].find({"period_id": period_id, "target_id": {"$in": target_ids}}):
                latest = _latest(doc)
                found[(latest.target_id, period_id, latest.kind)] = latest
        return found

    async def flagged_content(self, pairs: Iterable[Pair]) -> dict[Pair, list[Latest]]:
        """Every content check of the window that found something, oldest first."""
        found: dict[Pair, list[Latest]] = defaultdict(list)
        for period_id, target_ids in _by_period(pairs).items():
            query = {"period_id": period_id, "target_id": {"$in": target_ids}}
            async for doc in self._db[FLAGGED].find(query).sort("observed_at", ASCENDING):
                found[(doc["target_id"], period_id)].append(_latest(doc))
        return found

    async def children(self, site_ids: Iterable[str]) -> dict[str, list[Target]]:
        """The columns, message boards and service-guide sources registered under each website."""
        found: dict[str, list[Target]] = defaultdict(list)
        cursor = self._db[TARGETS].find({"site_id": {"$in": list(set(site_ids))}}, {"_id": 0})
        async for doc in cursor:
            target = Target.model_validate(doc)
            found[doc["site_id"]].append(target)
        return found

    # --- registry projections -----------------------------------------------------------------------------------

    async def upsert_target(self, target: Target) -> bool:
        """Store the target unless a newer version is stored already; True when it was stored."""
        doc = target.model_dump(mode="json")
        return await self._upsert_newer(TARGETS, target.target_id, "version", target.version, doc)

    async def upsert_unit(self, unit: Unit) -> bool:
        """Units matter to one rule: an abolished unit's accounts must be closed (未及时注销)."""
        return await self._upsert_newer(UNITS, unit.unit_id, "version", unit.version, unit.model_dump(mode="json"))

    async def units(self, unit_ids: Iterable[str]) -> dict[str, Unit]:
        cursor = self._db[UNITS].find({"_id": {"$in": list(set(unit_ids))}}, {"_id": 0})
        return {doc["unit_id"]: Unit.model_validate(doc) async for doc in cursor}

    async def upsert_period(self, period: Period, changed_at: datetime) -> bool:
        # A period has no version of its own: the registry event's time orders its changes.
        doc = {**period.model_dump(mode="json"), "changed_at": changed_at}
        return await self._upsert_newer(PERIODS, period.period_id, "changed_at", changed_at, doc)

    async def _upsert_newer(self, collection: str, key: str, field: str, value: Any, doc: Doc) -> bool:
        try:
            result = await self._db[collection].update_one(
                {"_id": key, field: {"$lte": value}}, {"$set": doc}, upsert=True
            )
        except DuplicateKeyError:
            return False  # a newer version is stored: the filter missed and the upsert collided with it
        return result.matched_count > 0 or result.upserted_id is not None

    async def targets(self, target_ids: Iterable[str]) -> dict[str, Target]:
        cursor = self._db[TARGETS].find({"_id": {"$in": list(set(target_ids))}}, {"_id": 0})
        return {doc["target_id"]: Target.model_validate(doc) async for doc in cursor}

    async def periods(self, period_ids: Iterable[str]) -> dict[str, Period]:
        cursor = self._db[PERIODS].find({"_id": {"$in": list(set(period_ids))}}, {"_id": 0, "changed_at": 0})
        return {doc["period_id"]: Period.model_validate(doc) async for doc in cursor}

    # --- verdicts and their outbox ------------------------------------------------------------------------------

    async def verdicts(self, pairs: Iterable[Pair]) -> dict[str, StoredVerdict]:
        keys = [pair_key(t, p) for t, p in set(pairs)]
        return {
            doc["_id"]: StoredVerdict.from_doc(doc) async for doc in self._db[VERDICTS].find({"_id": {"$in": keys}})
        }

    async def save_verdicts(self, changes: Sequence[tuple[StoredVerdict, int]]) -> None:
        """Write each verdict if its stored revision is still the one it was computed from.

        A concurrent writer that moved the revision makes the upsert collide on ``_id``: the batch fails and is
        retried with fresh reads, instead of overwriting a newer verdict.
        """
        ops = [
            ReplaceOne({"_id": v.key, "revision": read_revision}, v.to_doc(), upsert=True)
            for v, read_revision in changes
        ]
        if not ops:
            return
        try:
            await self._db[VERDICTS].bulk_write(ops, ordered=False)
        finally:  # unordered: a failed batch may still have written some verdicts
            for period_id in sorted({v.verdict["period_id"] for v, _ in changes}):
                await self._bump(period_id)

    async def _bump(self, period_id: str) -> None:
        """After the period's verdicts were written: what is held of them is read again. The epoch is new whenever
        the counter is created, so a database emptied under a running evaluator never matches a held version."""
        update = {"$inc": {"n": 1}, "$setOnInsert": {"epoch": uuid.uuid4().hex}}
        try:
            await self._db[VERSIONS].update_one({"_id": period_id}, update, upsert=True)
        except DuplicateKeyError:  # another writer created it first: it exists now
            await self._db[VERSIONS].update_one({"_id": period_id}, {"$inc": {"n": 1}})

    async def _version(self, period_id: str) -> Hashable:
        found = await self._db[VERSIONS].find_one({"_id": period_id})
        return (found["epoch"], found["n"]) if found else ("", 0)

    async def clear_pending(self, published: Sequence[tuple[str, str]]) -> None:
        """Mark (verdict key, event_id) pairs published; a pending event replaced meanwhile stays pending."""
        ops = [
            op
            for key, eid in published
            for op in (
                UpdateOne({"_id": key, "pending.event_id": eid}, {"$set": {"pending": None}}),
                UpdateOne({"_id": key}, {"$pull": {"pending_warnings": {"event_id": eid}}}),
            )
        ]
        if ops:
            await self._db[VERDICTS].bulk_write(ops, ordered=False)

    async def pending(self) -> list[StoredVerdict]:
        query = {"$or": [{"pending": {"$ne": None}}, {"pending_warnings.0": {"$exists": True}}]}
        return [StoredVerdict.from_doc(doc) async for doc in self._db[VERDICTS].find(query)]

    async def verdicts_for_period(self, period_id: str) -> list[Doc]:
        cursor = self._db[VERDICTS].find({"period_id": period_id}, {"verdict": 1}).sort("_id", ASCENDING)
        return [doc["verdict"] async for doc in cursor]

    async def outcomes(self, period_id: str) -> list[Doc]:
        """Every verdict of a period in brief: target, unit, outcome and the failed indicators' labels (lists); held
        until the period's verdicts are written again. The list is the caller's; its rows must not be changed."""
        held = await self._outcomes.get(
            period_id, lambda: self._version(period_id), lambda: self._read_outcomes(period_id)
        )
        return list(held)

    async def _read_outcomes(self, period_id: str) -> list[Doc]:
        fields = ("verdict.unit_id", "verdict.outcome", "verdict.indicators.status", "verdict.indicators.label")
        cursor = self._db[VERDICTS].find({"period_id": period_id}, dict.fromkeys(("target_id", *fields), 1))
        found = []
        async for doc in cursor.sort("_id", ASCENDING):
            verdict = doc["verdict"]
            failed = [i.get("label", "") for i in verdict.get("indicators", []) if i.get("status") == "fail"]
            found.append(
                {
                    "target_id": doc["target_id"],
                    "unit_id": verdict.get("unit_id", ""),
                    "outcome": verdict.get("outcome", ""),
                    "labels": list(dict.fromkeys(label for label in failed if label)),
                }
            )
        return found

    async def stored_verdicts(self, period_id: str) -> list[StoredVerdict]:
        cursor = self._db[VERDICTS].find({"period_id": period_id}).sort("_id", ASCENDING)
        return [StoredVerdict.from_doc(doc) async for doc in cursor]

    async def verdict(self, target_id: str, period_id: str) -> StoredVerdict | None:
        doc = await self._db[VERDICTS].find_one({"_id": pair_key(target_id, period_id)})
        return StoredVerdict.from_doc(doc) if doc else None

    async def warnings(self, period_id: str) -> list[Doc]:
        """The early warnings standing at each target's last evaluation in the period; held as the outcomes are."""
        held = await self._warnings.get(
            period_id, lambda: self._version(period_id), lambda: self._read_warnings(period_id)
        )
        return list(held)

    async def _read_warnings(self, period_id: str) -> list[Doc]:
        query = {"period_id": period_id, "warnings.0": {"$exists": True}}
        cursor = self._db[VERDICTS].find(query, {"warnings": 1}).sort("_id", ASCENDING)
        return [w async for doc in cursor for w in doc["warnings"]]

    # --- rule sets: immutable versions ----------------------------------------------------------------------------

    async def save_rule_set(self, record: StoredRuleSet) -> bool:
        """Store one rule set version; True when stored now, False when the identical rules were stored already.

        An id@version is never overwritten: other rules under a stored id@version raise ``RuleSetConflict``.
        """
        try:
            await self._db[RULE_SETS].insert_one(record.to_doc())
        except DuplicateKeyError:
            stored = await self.rule_set(record.id, record.version)
            if stored is not None and stored.sha256 == record.sha256:
                return False
            raise RuleSetConflict(record.ref, stored.sha256 if stored else "") from None
        return True

    async def rule_set(self, rule_set_id: str, version: int | None = None) -> StoredRuleSet | None:
        """One version of a rule set; without ``version``, its latest."""
        query: Doc = {"id": rule_set_id} if version is None else {"_id": f"{rule_set_id}@{version}"}
        async for doc in self._db[RULE_SETS].find(query).sort("version", -1).limit(1):
            return StoredRuleSet.from_doc(doc)
        return None

    async def rule_sets(self) -> list[StoredRuleSet]:
        """Every stored version of every rule set, by id and version."""
        cursor = self._db[RULE_SETS].find().sort([("id", ASCENDING), ("version", ASCENDING)])
        return [StoredRuleSet.from_doc(doc) async for doc in cursor]

    # --- re-checks (rechecks.py) ----------------------------------------------------------------------------------

    async def recheck_observations(self, recheck_id: str, target_ids: Iterable[str]) -> list[ObservationRecorded]:
        """Every observation of a re-check (its probes' correlation id) of the given targets, oldest first."""
        query = {"correlation_id": recheck_id, "target_id": {"$in": sorted(set(target_ids))}}
        cursor = self._db[OBSERVATIONS].find(query, {"event": 1}).sort([("observed_at", ASCENDING), ("_id", ASCENDING)])
        return [ObservationRecorded.model_validate(doc["event"]) async for doc in cursor]

    async def recheck(self, key: str) -> Doc | None:
        return await self._db[RECHECKS].find_one({"_id": key})

    async def save_recheck(self, doc: Doc) -> bool:
        """Store a re-check result unless one resting on as many observations or more is stored; True when stored."""
        try:
            result = await self._db[RECHECKS].replace_one(
                {"_id": doc["_id"], "observations": {"$lt": doc["observations"]}}, doc, upsert=True
            )
        except DuplicateKeyError:
            return False  # a result on more observations is stored (another evaluator, or a later batch)
        return result.matched_count > 0 or result.upserted_id is not None

    async def clear_recheck_pending(self, key: str, event_id: str) -> None:
        await self._db[RECHECKS].update_one({"_id": key, "pending.event_id": event_id}, {"$set": {"pending": None}})

    async def pending_rechecks(self) -> list[Doc]:
        return [doc async for doc in self._db[RECHECKS].find({"pending": {"$ne": None}})]

    async def rechecks(self, recheck_id: str) -> list[Doc]:
        cursor = self._db[RECHECKS].find({"recheck_id": recheck_id}).sort("_id", ASCENDING)
        return [doc async for doc in cursor]


def _by_period(pairs: Iterable[Pair]) -> dict[str, list[str]]:
    grouped: dict[str, set[str]] = defaultdict(set)
    for target_id, period_id in pairs:
        grouped[period_id].add(target_id)
    return {p: sorted(ts) for p, ts in grouped.items()}


def _observation_doc(write: ObservationWrite) -> Doc:
    event = write.event
    return {
        "_id": event.event_id,
        "event_id": event.event_id,
        "correlation_id": event.correlation_id,
        "target_id": event.target_id,
        "period_id": event.period_id,
        "kind": event.kind.value,
        "observed_at": event.observed_at,
        "event": event.model_dump(mode="json"),
    }


def _latest(doc: Doc) -> Latest:
    return Latest(
        doc["target_id"], doc["period_id"], doc["kind"], doc["observed_at"], doc["observation_id"], doc["facts"]
    )


def _flagged_doc(latest: Latest) -> Doc:
    return _latest_doc(latest.observation_id, latest)


def _latest_doc(key: str, latest: Latest) -> Doc:
    return {
        "_id": key,
        "target_id": latest.target_id,
        "period_id": latest.period_id,
        "kind": latest.kind,
        "observed_at": latest.observed_at,
        "observation_id": latest.observation_id,
        "facts": latest.facts,
    }


# --- rule sets --------------------------------------------------------------------------------------------------


class RuleSetConflict(Exception):
    """A rule set version is already stored with other rules: a change needs a new version."""

    def __init__(self, ref: str, stored_sha256: str) -> None:
        self.ref = ref
        self.stored_sha256 = stored_sha256
        super().__init__(f"规则集{ref}已存储且内容不同；修改规则请提高版本号（version）后重新提交")


@dataclass(frozen=True)
class StoredRuleSet:
    """A rule set version as stored: the YAML submitted, the full rules it stands for, and who stored it when.

    ``sha256`` is over the rules (canonical JSON), not the YAML text: the same rules written with other comments or
    layout are the same version, so re-storing the shipped files after a comment edit changes nothing.
    """

    id: str
    version: int
    title: str
    extends: str | None
    description: str
    yaml: str
    rules: Doc  # the RuleSet as JSON, with everything inherited through ``extends`` merged in
    sha256: str
    stored_by: str
    stored_at: datetime

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    @classmethod
    def of(cls, rule_set: RuleSet, yaml_text: str, stored_by: str, stored_at: datetime) -> StoredRuleSet:
        rules = rule_set.model_dump(mode="json")
        canonical = json.dumps(rules, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return cls(
            id=rule_set.id,
            version=rule_set.version,
            title=rule_set.title,
            extends=rule_set.extends,
            description=rule_set.description,
            yaml=yaml_text,
            rules=rules,
            sha256=hashlib.sha256(canonical.encode()).hexdigest(),
            stored_by=stored_by,
            stored_at=stored_at,
        )

    def rule_set(self) -> RuleSet:
        return RuleSet.model_validate(self.rules)

    @classmethod
    def from_doc(cls, doc: Doc) -> StoredRuleSet:
        fields = {k: doc[k] for k in ("id", "version", "title", "yaml", "rules", "sha256", "stored_by", "stored_at")}
        return cls(extends=doc.get("extends"), description=doc.get("description", ""), **fields)

    def to_doc(self) -> Doc:
        return {
            "_id": self.ref,
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "extends": self.extends,
            "description": self.description,
            "yaml": self.yaml,
            "rules": self.rules,
            "sha256": self.sha256,
            "stored_by": self.stored_by,
            "stored_at": self.stored_at,
        }
