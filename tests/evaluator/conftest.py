"""Fixtures of the evaluator's integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.evaluator.repository import INDEXES, EvaluatorRepository
from shared.db import ensure_indexes, make_client


@pytest.fixture
async def repo(mongodb_uri: str, db_prefix: str) -> AsyncIterator[EvaluatorRepository]:
    """The evaluator's repository on a fresh database of the session's SecantusDB."""
    client = make_client(mongodb_uri)
    db = client[f"{db_prefix}_evaluator"]
    await ensure_indexes(db, INDEXES)
    yield EvaluatorRepository(client, db)
    await client.close()
