"""Sessions: opened at sign-in, resumed on every page, ended at sign-out or expiry."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from services.console.clients import ConsolePool
from services.console.repository import SessionRepository
from services.console.sessions import (
    Session,
    SessionPolicy,
    SessionUser,
    expires_at,
    hashed,
    is_live,
    needs_touch,
    new_secret,
)
from shared.clock import Clock
from shared.logging import get_logger

log = get_logger(__name__)


class ConsoleService:
    def __init__(
        self, repo: SessionRepository, policy: SessionPolicy, pool: ConsolePool, clock: Clock, cookie_secure: bool
    ) -> None:
        self.repo = repo
        self.cookie_secure = cookie_secure
        self.policy = policy
        self.pool = pool
        self.clock = clock

    async def open(
        self, user: SessionUser, token: str, token_id: str, token_expires_at: datetime | None
    ) -> tuple[str, Session]:
        """A new session for a user the registry has just authenticated; returns the cookie value and the session."""
        now = self.clock.now()
        session = Session(user, token, token_id, new_secret(), now, now, token_expires_at)
        sid = new_secret()
        await self.repo.insert(hashed(sid), session, expires_at(self.policy, session))
        log.info("session.opened", user_id=user.user_id, role=user.role)
        return sid, session

    async def resume(self, sid: str) -> Session | None:
        """The live session behind a cookie, or None (unknown, ended or expired; an expired one is removed)."""
        if not sid:
            return None
        key = hashed(sid)
        session = await self.repo.find(key)
        if session is None:
            return None
        now = self.clock.now()
        if not is_live(self.policy, session, now):
            await self.repo.delete(key)
            log.info("session.expired", user_id=session.user.user_id)
            return None
        if needs_touch(session, now):
            session = replace(session, last_seen=now)
            await self.repo.touch(key, now, expires_at(self.policy, session))
        return session

    def expiry(self, session: Session) -> datetime:
        return expires_at(self.policy, session)

    async def end(self, sid: str) -> Session | None:
        session = await self.repo.delete(hashed(sid)) if sid else None
        if session is not None:
            log.info("session.ended", user_id=session.user.user_id)
        return session

    async def close(self) -> None:
        await self.pool.close()
