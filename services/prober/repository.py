"""Every MongoDB query of the prober: the evidence archive (raw responses, compressed, addressed by content hash)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from shared.db import Indexes

EVIDENCE = "evidence"

INDEXES: list[Indexes] = [
    # _id is the SHA-256 of the body, so the archive needs no unique index of its own; stored_at lets an
    # operator prune evidence older than the periods still open for review.
    Indexes(EVIDENCE, (IndexModel([("stored_at", ASCENDING)], name="stored_at"),)),
]


@dataclass(frozen=True)
class ArchivedEvidence:
    body: bytes
    content_type: str
    url: str
    stored_at: datetime
    target_ids: frozenset[str]  # the targets it was read for (empty for evidence archived before they were kept)


class EvidenceRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._evidence = db[EVIDENCE]

    async def store(
        self, sha256: str, body: bytes, content_type: str, url: str, at: datetime, target_id: str = ""
    ) -> None:
        """Archive a body once: the same bytes seen again change nothing but the targets it was read for.

        The targets let the evidence be shown to whoever may see one of them (evidence_api.py): the same page read
        for two targets (a website and its column) is stored once and named by both.
        """
        targets = {"$addToSet": {"target_ids": target_id}} if target_id else {}
        await self._evidence.update_one(
            {"_id": sha256},
            {
                **targets,
                "$setOnInsert": {
                    "body": zlib.compress(body, 6),
                    "encoding": "zlib",
                    "size": len(body),
                    "content_type": content_type,
                    "first_url": url,
                    "stored_at": at,
                },
            },
            upsert=True,
        )

    async def load(self, sha256: str) -> bytes | None:
        doc = await self._evidence.find_one({"_id": sha256}, {"body": 1})
        return zlib.decompress(doc["body"]) if doc else None

    async def find(self, sha256: str) -> ArchivedEvidence | None:
        doc = await self._evidence.find_one({"_id": sha256})
        if doc is None:
            return None
        return ArchivedEvidence(
            body=zlib.decompress(doc["body"]),
            content_type=doc.get("content_type", ""),
            url=doc.get("first_url", ""),
            stored_at=doc["stored_at"],
            target_ids=frozenset(doc.get("target_ids", [])),
        )
