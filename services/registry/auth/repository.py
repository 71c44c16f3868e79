"""Every MongoDB query of access control: users, API tokens and the append-only audit log.

The audit collection is written with ``insert_one`` only; nothing in the code base updates or deletes it. Production
enforces that below the application: the service connects as a MongoDB user whose custom role grants ``find`` and
``insert`` on ``audit`` and no ``update``, ``remove`` or ``dropCollection`` there (e.g.
``db.createRole({role: "registryAudit", privileges: [{resource: {db: "xunjian_registry", collection: "audit"},
actions: ["find", "insert", "createIndex"]}], roles: []})``, granted alongside readWrite on the other collections
only), and the nightly backup keeps the collection's history beyond any one server.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.db import Indexes

from .models import AuditEntry, AuditFilter, TokenInfo, UserRecord

USERS = "users"
TOKENS = "api_tokens"
AUDIT = "audit"

INDEXES = [
    Indexes(USERS, (IndexModel([("username", ASCENDING)], unique=True), IndexModel([("unit_id", ASCENDING)]))),
    Indexes(TOKENS, (IndexModel([("hash", ASCENDING)], unique=True), IndexModel([("user_id", ASCENDING)]))),
    Indexes(
        AUDIT,
        (
            IndexModel([("at", DESCENDING), ("seq", DESCENDING)]),
            IndexModel([("entity_type", ASCENDING), ("entity_id", ASCENDING), ("at", DESCENDING)]),
            IndexModel([("actor.user_id", ASCENDING), ("at", DESCENDING)]),
        ),
    ),
]


def _user(doc: dict[str, Any]) -> UserRecord:
    return UserRecord.model_validate({**doc, "user_id": doc["_id"]})


def _token(doc: dict[str, Any]) -> TokenInfo:
    return TokenInfo.model_validate({**doc, "token_id": doc["_id"]})


def _entry(doc: dict[str, Any]) -> AuditEntry:
    doc.pop("seq", None)
    return AuditEntry.model_validate({**doc, "entry_id": doc.pop("_id")})


def _audit_query(where: AuditFilter) -> dict[str, Any]:
    query: dict[str, Any] = {}
    for field, value in (
        ("actor.user_id", where.actor_id),
        ("action", where.action),
        ("entity_type", where.entity_type),
        ("entity_id", where.entity_id),
    ):
        if value is not None:
            query[field] = value
    span = {op: at for op, at in (("$gte", where.since), ("$lt", where.until)) if at is not None}
    if span:
        query["at"] = span
    return query


class AuthRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._db = db

    # --- users -------------------------------------------------------------------------------------------------

    async def insert_user(self, user: UserRecord) -> bool:
        """Store a new user; False when the id or username is taken (a replayed or concurrent create)."""
        doc = user.model_dump(mode="python", exclude={"user_id"})
        try:
            await self._db[USERS].insert_one({"_id": user.user_id, **doc})
        except DuplicateKeyError:
            return False
        return True

    async def get_user(self, user_id: str) -> UserRecord | None:
        doc = await self._db[USERS].find_one({"_id": user_id})
        return _user(doc) if doc else None

    async def get_user_by_username(self, username: str) -> UserRecord | None:
        doc = await self._db[USERS].find_one({"username": username})
        return _user(doc) if doc else None

    async def list_users(self) -> list[UserRecord]:
        return [_user(doc) async for doc in self._db[USERS].find().sort("username", ASCENDING)]

    async def update_user(self, user_id: str, fields: dict[str, Any]) -> UserRecord | None:
        doc = await self._db[USERS].find_one_and_update(
            {"_id": user_id}, {"$set": fields}, return_document=ReturnDocument.AFTER
        )
        return _user(doc) if doc else None

    async def replace_password_hash(self, user_id: str, old_hash: str, new_hash: str) -> None:
        """Store a rehash only if the password did not change meanwhile (a concurrent password change wins)."""
        await self._db[USERS].update_one(
            {"_id": user_id, "password_hash": old_hash}, {"$set": {"password_hash": new_hash}}
        )

    # --- tokens ------------------------------------------------------------------------------------------------

    async def insert_token(self, info: TokenInfo, token_hash: str) -> None:
        doc = info.model_dump(mode="python", exclude={"token_id"})
        await self._db[TOKENS].insert_one({"_id": info.token_id, "hash": token_hash, **doc})

    async def find_token_by_hash(self, token_hash: str) -> TokenInfo | None:
        doc = await self._db[TOKENS].find_one({"hash": token_hash})
        return _token(doc) if doc else None

    async def get_token(self, token_id: str) -> TokenInfo | None:
        doc = await self._db[TOKENS].find_one({"_id": token_id})
        return _token(doc) if doc else None

    async def list_tokens(self, user_id: str) -> list[TokenInfo]:
        cursor = self._db[TOKENS].find({"user_id": user_id}).sort("created_at", DESCENDING)
        return [_token(doc) async for doc in cursor]

    async def touch_token(self, token_id: str, at: datetime, stale_before: datetime) -> None:
        """Record use, at most once per interval, so that reads do not each cost a write."""
        await self._db[TOKENS].update_one(
            {"_id": token_id, "$or": [{"last_used_at": None}, {"last_used_at": {"$lt": stale_before}}]},
            {"$set": {"last_used_at": at}},
        )

    async def revoke_token(self, token_id: str, at: datetime) -> bool:
        """Revoke a token; False when it was already revoked (or does not exist)."""
        result = await self._db[TOKENS].update_one(
            {"_id": token_id, "revoked": False}, {"$set": {"revoked": True, "revoked_at": at}}
        )
        return result.modified_count == 1

    async def ensure_bootstrap_token(self, info: TokenInfo, token_hash: str) -> bool:
        """Make the bootstrap token valid for its user; True when this changed anything."""
        try:
            result = await self._db[TOKENS].update_one(
                {"_id": info.token_id},
                {
                    "$set": {"hash": token_hash, "user_id": info.user_id, "revoked": False, "expires_at": None},
                    "$setOnInsert": {"name": info.name, "kind": info.kind, "created_at": info.created_at},
                },
                upsert=True,
            )
        except DuplicateKeyError:  # a second replica inserted the same token in the same instant
            return False
        return result.upserted_id is not None or result.modified_count == 1

    async def revoke_bootstrap_tokens(self, keep_id: str | None, at: datetime) -> int:
        """Revoke every bootstrap token but ``keep_id``: the bootstrap token lives as long as its setting."""
        result = await self._db[TOKENS].update_many(
            {"kind": "bootstrap", "revoked": False, "_id": {"$ne": keep_id}},
            {"$set": {"revoked": True, "revoked_at": at}},
        )
        return result.modified_count

    # --- audit (insert and find only) --------------------------------------------------------------------------

    async def append_audit(self, entry: AuditEntry) -> bool:
        """Append an entry; a replay with the same entry id changes nothing (False)."""
        doc = entry.model_dump(mode="python", exclude={"entry_id"})
        # An ObjectId grows within a process: it orders entries written in the same instant as they were written.
        try:
            await self._db[AUDIT].insert_one({"_id": entry.entry_id, "seq": ObjectId(), **doc})
        except DuplicateKeyError:
            return False
        return True

    async def find_audit(self, where: AuditFilter) -> list[AuditEntry]:
        cursor = self._db[AUDIT].find(_audit_query(where)).sort([("at", DESCENDING), ("seq", DESCENDING)])
        cursor = cursor.limit(where.limit)
        return [_entry(doc) async for doc in cursor]
