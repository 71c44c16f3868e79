"""FastAPI dependencies: who is calling (``authenticate``) and what they may touch (``Scope``).

The service object of the app (``request.app.state.service``) exposes the ``AuthService`` as ``.auth``.
Endpoints take ``Who`` (the principal) or ``CurrentScope`` (principal + hierarchy, loaded once per request) and call
one ``scope.require_…`` before changing anything: a refusal is a 403 and nothing has been written.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from . import scope as rules
from .models import AuditEntry
from .scope import Hierarchy, Principal, Role
from .service import NOT_LOGGED_IN, AuthError, AuthService

UNIT_FORBIDDEN = "无权操作该单位的数据"
ROLE_FORBIDDEN = "当前角色无权执行该操作"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_bearer = HTTPBearer(auto_error=False, description="登录或 API 令牌：Authorization: Bearer <令牌>")


def auth_service(request: Request) -> AuthService:
    auth: AuthService = request.app.state.service.auth
    return auth


def request_id(request: Request) -> str:
    """The caller's X-Request-ID when it is sane, else a fresh one; the same value for the whole request."""
    cached: str | None = getattr(request.state, "request_id", None)
    if cached is None:
        given = request.headers.get("x-request-id", "")
        cached = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        request.state.request_id = cached
    return cached


def http_error(exc: AuthError) -> HTTPException:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return HTTPException(exc.status, exc.message, headers=headers)


async def authenticate(
    auth: Annotated[AuthService, Depends(auth_service)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from ``Authorization: Bearer <token>``; 401 「未登录或令牌已失效」 otherwise."""
    if credentials is None:
        raise HTTPException(401, NOT_LOGGED_IN, headers={"WWW-Authenticate": "Bearer"})
    try:
        return await auth.authenticate(credentials.credentials)
    except AuthError as exc:
        raise http_error(exc) from exc


Who = Annotated[Principal, Depends(authenticate)]


def forbidden(message: str = UNIT_FORBIDDEN) -> HTTPException:
    return HTTPException(403, message)


@dataclass(frozen=True)
class Scope:
    """The caller of one request with the unit hierarchy as it stood when the request began."""

    principal: Principal
    hierarchy: Hierarchy
    auth: AuthService
    request_id: str

    @property
    def sees_everything(self) -> bool:
        return rules.sees_everything(self.principal)

    def visible_units(self) -> frozenset[str] | None:
        """Units to filter listings by (``unit_id $in``); None when the caller reads every unit."""
        return None if self.sees_everything else rules.visible_units(self.principal, self.hierarchy)

    def can_read(self, unit_id: str) -> bool:
        return rules.can_read_unit(self.principal, unit_id, self.hierarchy)

    def require_read(self, *unit_ids: str) -> None:
        if not all(self.can_read(u) for u in unit_ids):
            raise forbidden()

    def require_write(self, *unit_ids: str) -> None:
        """Inventory writes: city administrators anywhere, county administrators within their county."""
        if not all(rules.can_write_unit(self.principal, u, self.hierarchy) for u in unit_ids):
            raise forbidden()

    def require_case_action(self, *unit_ids: str) -> None:
        """Acknowledging a case, submitting a rectification report: the unit itself or an administrator over it."""
        if not all(rules.can_act_on_case(self.principal, u, self.hierarchy) for u in unit_ids):
            raise forbidden()

    def require_unit_record(self, unit_id: str, new_parent: str | None) -> None:
        """Creating or changing a unit record (its parent may not move it into or out of the caller's scope)."""
        if not rules.can_write_unit_record(self.principal, unit_id, new_parent, self.hierarchy):
            raise forbidden()

    def require_inventory(self, unit_parents: Mapping[str, str | None], target_unit_ids: Iterable[str]) -> None:
        """A whole import: every unit record and every target's unit (old and new), checked before anything."""
        denied = rules.denied_inventory_units(self.principal, self.hierarchy, unit_parents, target_unit_ids)
        if denied:
            raise forbidden(f"{UNIT_FORBIDDEN}：{'、'.join(denied[:20])}")

    def require_role(self, *roles: Role) -> None:
        if self.principal.role not in roles:
            raise forbidden(ROLE_FORBIDDEN)

    async def audit(
        self,
        action: str,
        entity_type: str,
        entity_id: str,
        before: BaseModel | dict[str, Any] | None = None,
        after: BaseModel | dict[str, Any] | None = None,
        reason: str = "",
        entry_id: str | None = None,
    ) -> AuditEntry:
        """Record a committed write by this caller in the audit log (see ``AuthService.record``)."""
        return await self.auth.record(
            self.principal, action, entity_type, entity_id, before, after, reason, self.request_id, entry_id
        )


async def current_scope(
    principal: Who,
    auth: Annotated[AuthService, Depends(auth_service)],
    rid: Annotated[str, Depends(request_id)],
) -> Scope:
    return Scope(principal, await auth.hierarchy(), auth, rid)


CurrentScope = Annotated[Scope, Depends(current_scope)]


def require_roles(*roles: Role) -> Any:
    """A dependency for routes only some roles may call at all: ``dependencies=[require_roles(Role.city_admin)]``."""

    async def check(principal: Who) -> Principal:
        if principal.role not in roles:
            raise forbidden(ROLE_FORBIDDEN)
        return principal

    return Depends(check)
