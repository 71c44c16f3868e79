"""Access control's orchestration: log-in, tokens, user management, bootstrap and the audit log."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from pymongo.asynchronous.database import AsyncDatabase

from shared.clock import Clock
from shared.events import natural_id
from shared.logging import get_logger

from . import scope
from .models import (
    AuditEntry,
    AuditFilter,
    IssuedToken,
    Me,
    TokenCreate,
    TokenInfo,
    User,
    UserCreate,
    UserRecord,
    UserUpdate,
    actor_of,
    changed_fields,
)
from .passwords import Argon2Params, Passwords, new_token, token_hash
from .repository import AuthRepository
from .scope import Hierarchy, Principal, Role
from .settings import AuthSettings

log = get_logger(__name__)
HierarchySource = Callable[[], Awaitable[Hierarchy]]
BOOTSTRAP_USERNAME = "admin"
MIN_BOOTSTRAP_TOKEN = 24  # a token checked with a fast hash must be long and random: refuse a guessable one


class AuthError(Exception):
    """A refusal the API turns into its status code and Chinese message."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(AuthError):
    status = 401


class Forbidden(AuthError):
    status = 403


class NotFound(AuthError):
    status = 404


class Conflict(AuthError):
    status = 409


class Invalid(AuthError):
    status = 422


BAD_LOGIN = "用户名或密码错误"
NOT_LOGGED_IN = "未登录或令牌已失效"


def user_id_for(username: str) -> str:
    """Users are keyed by their username, so a replayed or concurrent create (two replicas) collides."""
    return natural_id("user", username)


def _snapshot(value: BaseModel | dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    return value.model_dump(mode="json")


class AuthService:
    def __init__(
        self,
        repo: AuthRepository,
        clock: Clock,
        hierarchy: HierarchySource,
        passwords: Passwords,
        login_ttl: timedelta = timedelta(hours=12),
        touch_interval: timedelta = timedelta(minutes=1),
    ) -> None:
        self.repo = repo
        self.hierarchy = hierarchy
        self._clock = clock
        self._passwords = passwords
        self._login_ttl = login_ttl
        self._touch_interval = touch_interval

    # --- authentication ----------------------------------------------------------------------------------------

    async def login(self, username: str, password: str, request_id: str = "") -> IssuedToken:
        """Exchange a password for a token that expires; unknown user and wrong password fail alike."""
        user = await self.repo.get_user_by_username(username)
        stored = user.password_hash if user else None
        # argon2 is CPU-bound on purpose; a thread keeps the event loop answering other requests meanwhile.
        check = await asyncio.to_thread(self._passwords.verify, stored, password)
        if user is None or not check.ok or not user.active:
            # An unknown "username" may be a password typed in the wrong field: only known names are logged.
            log.info("auth.login_failed", username=user.username if user else None, request_id=request_id)
            raise Unauthenticated(BAD_LOGIN)
        if check.new_hash and stored:
            await self.repo.replace_password_hash(user.user_id, stored, check.new_hash)
        issued = await self._issue(user, "登录", "login", self._clock.now() + self._login_ttl)
        await self.record(user.principal(issued.token_id), "auth.login", "user", user.user_id, request_id=request_id)
        return issued

    async def authenticate(self, token: str | None) -> Principal:
        """The principal a bearer token stands for, or Unauthenticated (missing, unknown, expired, revoked)."""
        if not token:
            raise Unauthenticated(NOT_LOGGED_IN)
        info = await self.repo.find_token_by_hash(token_hash(token))
        now = self._clock.now()
        if info is None or info.revoked or (info.expires_at is not None and info.expires_at <= now):
            raise Unauthenticated(NOT_LOGGED_IN)
        user = await self.repo.get_user(info.user_id)
        if user is None or not user.active:
            raise Unauthenticated(NOT_LOGGED_IN)
        stale_before = now - self._touch_interval
        if info.last_used_at is None or info.last_used_at < stale_before:  # else the write would change nothing
            await self.repo.touch_token(info.token_id, now, stale_before)
        return user.principal(info.token_id)

    async def me(self, principal: Principal) -> Me:
        user = await self.repo.get_user(principal.user_id)
        if user is None:
            raise Unauthenticated(NOT_LOGGED_IN)
        return Me(user=user.public(), token_id=principal.token_id)

    # --- tokens ------------------------------------------------------------------------------------------------

    async def _issue(self, user: UserRecord, name: str, kind: str, expires_at: datetime | None) -> IssuedToken:
        secret = new_token()
        info = TokenInfo(
            token_id=uuid.uuid4().hex,
            name=name,
            user_id=user.user_id,
            kind=kind,
            created_at=self._clock.now(),
            expires_at=expires_at,
        )
        await self.repo.insert_token(info, token_hash(secret))
        return IssuedToken(**info.model_dump(), token=secret)

    async def create_token(self, principal: Principal, body: TokenCreate, request_id: str = "") -> IssuedToken:
        """A named API token for the caller, or (administrators) for a user in their scope."""
        user = await self._managed_user(principal, body.user_id or principal.user_id, allow_self=True)
        if not user.active:
            raise Invalid(f"用户「{user.username}」已停用，不能为其签发令牌")
        if body.expires_at is not None and body.expires_at <= self._clock.now():
            raise Invalid("令牌的失效时间必须晚于当前时间")
        issued = await self._issue(user, body.name, "api", body.expires_at)
        after = TokenInfo(**issued.model_dump(exclude={"token"}))
        await self.record(principal, "token.create", "token", issued.token_id, after=after, request_id=request_id)
        return issued

    async def list_tokens(self, principal: Principal, user_id: str | None = None) -> list[TokenInfo]:
        user = await self._managed_user(principal, user_id or principal.user_id, allow_self=True)
        return await self.repo.list_tokens(user.user_id)

    async def revoke_token(self, principal: Principal, token_id: str, request_id: str = "") -> None:
        """Revoke one's own token, or a token of a user one manages; revoking twice is harmless."""
        info = await self.repo.get_token(token_id)
        if info is None:
            raise NotFound("没有找到该令牌")
        await self._managed_user(principal, info.user_id, allow_self=True)
        if await self.repo.revoke_token(token_id, self._clock.now()):
            after = info.model_copy(update={"revoked": True})
            await self.record(principal, "token.revoke", "token", token_id, info, after, request_id=request_id)

    # --- users -------------------------------------------------------------------------------------------------

    async def _managed_user(self, principal: Principal, user_id: str, allow_self: bool = False) -> UserRecord:
        user = await self.repo.get_user(user_id)
        hierarchy = await self.hierarchy()
        if user is None or not scope.can_read_user(principal, user_id, user.role, user.unit_id, hierarchy):
            raise NotFound("没有找到该用户")
        if allow_self and user.user_id == principal.user_id:
            return user
        if not scope.can_manage_user(principal, user.role, user.unit_id, hierarchy):
            raise Forbidden("无权管理该用户")
        return user

    async def _check_grant(self, principal: Principal, role: Role, unit_id: str | None) -> None:
        if role.needs_unit and not unit_id:
            raise Invalid("县级管理员和单位用户必须指定所属单位（unit_id）")
        hierarchy = await self.hierarchy()
        if unit_id is not None and unit_id not in hierarchy:
            raise Invalid(f"单位「{unit_id}」不存在")
        if not scope.can_manage_user(principal, role, unit_id, hierarchy):
            raise Forbidden("无权创建或授予该角色：不能授予超出自身范围的权限")

    async def create_user(self, principal: Principal, body: UserCreate, request_id: str = "") -> User:
        await self._check_grant(principal, body.role, body.unit_id)
        user = UserRecord(
            user_id=user_id_for(body.username),
            username=body.username,
            display_name=body.display_name,
            role=body.role,
            unit_id=body.unit_id,
            created_at=self._clock.now(),
            password_hash=await self._hash(body.password),
        )
        if not await self.repo.insert_user(user):
            raise Conflict(f"用户名「{body.username}」已存在")
        await self.record(
            principal,
            "user.create",
            "user",
            user.user_id,
            after=user.public(),
            reason=body.reason,
            request_id=request_id,
        )
        return user.public()

    async def list_users(self, principal: Principal) -> list[User]:
        hierarchy = await self.hierarchy()
        return [
            u.public()
            for u in await self.repo.list_users()
            if scope.can_read_user(principal, u.user_id, u.role, u.unit_id, hierarchy)
        ]

    async def get_user(self, principal: Principal, user_id: str) -> User:
        user = await self.repo.get_user(user_id)
        hierarchy = await self.hierarchy()
        if user is None or not scope.can_read_user(principal, user_id, user.role, user.unit_id, hierarchy):
            raise NotFound("没有找到该用户")
        return user.public()

    async def update_user(self, principal: Principal, user_id: str, body: UserUpdate, request_id: str = "") -> User:
        """Change a user; one's own account only its display name and password (with the current password)."""
        current = await self._managed_user(principal, user_id, allow_self=True)
        fields = await self._update_fields(principal, current, body)
        if not fields:
            return current.public()
        updated = await self.repo.update_user(user_id, fields)
        if updated is None:
            raise NotFound("没有找到该用户")
        changed = changed_fields(current.public().model_dump(mode="json"), updated.public().model_dump(mode="json"))
        changed += ["password"] if "password_hash" in fields else []
        await self.record(
            principal,
            "user.update",
            "user",
            user_id,
            current.public(),
            updated.public(),
            reason=body.reason,
            request_id=request_id,
            changed=sorted(changed),
        )
        return updated.public()

    async def _update_fields(self, principal: Principal, current: UserRecord, body: UserUpdate) -> dict[str, Any]:
        given = body.model_dump(exclude_unset=True, exclude={"reason", "password", "current_password"})
        fields = {k: v for k, v in given.items() if getattr(current, k) != v}
        if current.user_id == principal.user_id:
            if fields.keys() - {"display_name"}:
                raise Forbidden("不能修改自己的角色、所属单位或启用状态")
            if body.password is not None and not await self._password_matches(current, body.current_password):
                raise Forbidden("当前密码不正确")
        elif {"role", "unit_id"} & fields.keys():
            await self._check_grant(principal, fields.get("role", current.role), fields.get("unit_id", current.unit_id))
        if body.password is not None:
            fields["password_hash"] = await self._hash(body.password)
        return fields

    async def _password_matches(self, user: UserRecord, password: str | None) -> bool:
        check = await asyncio.to_thread(self._passwords.verify, user.password_hash, password or "")
        return check.ok

    async def _hash(self, password: str | None) -> str | None:
        return None if password is None else await asyncio.to_thread(self._passwords.hash, password)

    # --- audit -------------------------------------------------------------------------------------------------

    async def record(
        self,
        principal: Principal | None,
        action: str,
        entity_type: str,
        entity_id: str,
        before: BaseModel | dict[str, Any] | None = None,
        after: BaseModel | dict[str, Any] | None = None,
        reason: str = "",
        request_id: str = "",
        entry_id: str | None = None,
        changed: list[str] | None = None,
    ) -> AuditEntry:
        """Append one entry to the audit log; call it after every write commits.

        ``principal=None`` is the system itself (bootstrap, NATS commands without a person). Pass ``entry_id`` from
        a natural key (e.g. ``natural_id("target", id, version)``) when the write may be retried: the log keeps one
        entry. ``before``/``after`` are snapshots (models or JSON dicts); ``changed`` defaults to their differing keys.
        """
        b, a = _snapshot(before), _snapshot(after)
        entry = AuditEntry(
            entry_id=entry_id or uuid.uuid4().hex,
            at=self._clock.now(),
            actor=actor_of(principal),
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            before=b,
            after=a,
            changed=changed if changed is not None else changed_fields(b, a),
            reason=reason,
            request_id=request_id,
        )
        await self.repo.append_audit(entry)
        return entry

    async def audit_log(self, principal: Principal, where: AuditFilter) -> list[AuditEntry]:
        if not scope.can_read_audit(principal):
            raise Forbidden("只有市级管理员和审计员可以查看审计日志")
        return await self.repo.find_audit(where)

    # --- bootstrap ---------------------------------------------------------------------------------------------

    async def bootstrap(self, token: str | None, password: str | None, reset_password: bool = False) -> None:
        """Ensure the city administrator ``admin`` exists with the given token and password; idempotent.

        The bootstrap token is valid exactly as long as the setting names it: a new value revokes the old one, and
        no value revokes it. The password is the first one only: once ``admin`` has a password (changed in the
        console, say), a restart keeps it, unless ``reset_password`` (an operator's break-glass) says otherwise.
        Secrets are never logged.
        """
        if token is not None and len(token) < MIN_BOOTSTRAP_TOKEN:
            raise ValueError(f"REGISTRY_BOOTSTRAP_ADMIN_TOKEN must be at least {MIN_BOOTSTRAP_TOKEN} random characters")
        keep = natural_id("bootstrap-token", token_hash(token)) if token else None
        revoked = await self.repo.revoke_bootstrap_tokens(keep, self._clock.now())
        if token is None and password is None:
            return
        admin = await self._ensure_admin()
        if password is not None and (reset_password or not admin.password_hash):
            await self._ensure_admin_password(admin, password)
        if token is not None and keep is not None:
            info = TokenInfo(
                token_id=keep,
                name="启动管理员令牌",
                user_id=admin.user_id,
                kind="bootstrap",
                created_at=self._clock.now(),
            )
            if await self.repo.ensure_bootstrap_token(info, token_hash(token)):
                await self.record(None, "token.bootstrap", "token", keep, after=info)
        log.info("auth.bootstrapped", username=admin.username, token=token is not None, revoked=revoked)

    async def _ensure_admin(self) -> UserRecord:
        user = UserRecord(
            user_id=user_id_for(BOOTSTRAP_USERNAME),
            username=BOOTSTRAP_USERNAME,
            display_name="系统管理员",
            role=Role.city_admin,
            created_at=self._clock.now(),
        )
        if await self.repo.insert_user(user):
            await self.record(None, "user.create", "user", user.user_id, after=user.public(), reason="启动时创建")
            return user
        current = await self.repo.get_user_by_username(BOOTSTRAP_USERNAME)
        if current is None:  # the name is free but the id is not: data written by hand
            raise RuntimeError("bootstrap admin id is taken by another username")
        if current.role is Role.city_admin and current.active:
            return current
        updated = await self.repo.update_user(current.user_id, {"role": Role.city_admin.value, "active": True})
        assert updated is not None
        await self.record(
            None, "user.update", "user", current.user_id, current.public(), updated.public(), "启动时恢复"
        )
        return updated

    async def _ensure_admin_password(self, admin: UserRecord, password: str) -> None:
        check = await asyncio.to_thread(self._passwords.verify, admin.password_hash, password)
        if check.ok and check.new_hash is None:
            return
        new_hash = check.new_hash or await asyncio.to_thread(self._passwords.hash, password)
        await self.repo.update_user(admin.user_id, {"password_hash": new_hash})
        if not check.ok:
            await self.record(None, "user.update", "user", admin.user_id, changed=["password"], reason="启动时设置密码")


async def build_auth(
    db: AsyncDatabase[dict[str, Any]], clock: Clock, settings: AuthSettings, hierarchy: HierarchySource
) -> AuthService:
    """Create the service on a service's database and run the bootstrap; call it from ``app.build``."""
    params = Argon2Params(
        settings.auth_argon2_time_cost, settings.auth_argon2_memory_kib, settings.auth_argon2_parallelism
    )
    auth = AuthService(
        AuthRepository(db), clock, hierarchy, Passwords(params), login_ttl=timedelta(hours=settings.auth_login_ttl_h)
    )
    token, password = settings.registry_bootstrap_admin_token, settings.registry_bootstrap_admin_password
    await auth.bootstrap(
        token.get_secret_value() if token else None,
        password.get_secret_value() if password else None,
        settings.registry_bootstrap_admin_password_reset,
    )
    return auth
