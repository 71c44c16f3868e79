"""Every MongoDB query of the console: its sessions, and nothing else."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from services.console.sessions import Session, SessionUser
from shared.db import Indexes

SESSIONS = "sessions"

INDEXES = [
    Indexes(
        SESSIONS,
        (
            # MongoDB removes a session once its expiry has passed; the console checks expiry itself on every request,
            # so the TTL monitor's minute of lag never keeps a session alive.
            IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0, name="expires_ttl"),
            IndexModel([("user.user_id", ASCENDING)], name="by_user"),
        ),
    )
]


def _to_doc(id_hash: str, session: Session, expires_at: datetime) -> dict[str, Any]:
    user = session.user
    return {
        "_id": id_hash,
        "user": {
            "user_id": user.user_id,
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role,
            "unit_id": user.unit_id,
        },
        "token": session.token,
        "token_id": session.token_id,
        "token_expires_at": session.token_expires_at,
        "csrf": session.csrf,
        "created_at": session.created_at,
        "last_seen": session.last_seen,
        "expires_at": expires_at,
    }


def _from_doc(doc: dict[str, Any]) -> Session:
    return Session(
        user=SessionUser(**doc["user"]),
        token=doc["token"],
        token_id=doc.get("token_id", ""),
        csrf=doc["csrf"],
        created_at=doc["created_at"],
        last_seen=doc["last_seen"],
        token_expires_at=doc.get("token_expires_at"),
    )


class SessionRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._sessions = db[SESSIONS]

    async def insert(self, id_hash: str, session: Session, expires_at: datetime) -> None:
        await self._sessions.insert_one(_to_doc(id_hash, session, expires_at))

    async def find(self, id_hash: str) -> Session | None:
        doc = await self._sessions.find_one({"_id": id_hash})
        return _from_doc(doc) if doc else None

    async def touch(self, id_hash: str, last_seen: datetime, expires_at: datetime) -> None:
        await self._sessions.update_one({"_id": id_hash}, {"$set": {"last_seen": last_seen, "expires_at": expires_at}})

    async def delete(self, id_hash: str) -> Session | None:
        doc = await self._sessions.find_one_and_delete({"_id": id_hash})
        return _from_doc(doc) if doc else None
