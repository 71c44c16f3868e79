"""HTTP surface of access control: /auth/login, /auth/me, /auth/tokens, /auth/users and /audit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from shared.clock import ensure_aware

from .dependencies import Who, auth_service, http_error, request_id
from .models import (
    AuditEntry,
    AuditFilter,
    IssuedToken,
    LoginRequest,
    Me,
    TokenCreate,
    TokenInfo,
    User,
    UserCreate,
    UserUpdate,
)
from .service import AuthError, AuthService

router = APIRouter()
Auth = Annotated[AuthService, Depends(auth_service)]
RequestId = Annotated[str, Depends(request_id)]


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except AuthError as exc:
        raise http_error(exc) from exc


def _no_store(response: Response) -> None:
    # A response that carries a secret must not be kept by a browser or a proxy.
    response.headers["Cache-Control"] = "no-store"


@router.post("/auth/login", response_model=IssuedToken, tags=["auth"])
async def login(body: LoginRequest, auth: Auth, rid: RequestId, response: Response) -> IssuedToken:
    """Exchange a username and password for a token that expires (12 h by default)."""
    _no_store(response)
    with _refusals():
        return await auth.login(body.username, body.password, rid)


@router.get("/auth/me", response_model=Me, tags=["auth"])
async def me(who: Who, auth: Auth) -> Me:
    with _refusals():
        return await auth.me(who)


@router.post("/auth/tokens", response_model=IssuedToken, status_code=201, tags=["auth"])
async def create_token(body: TokenCreate, who: Who, auth: Auth, rid: RequestId, response: Response) -> IssuedToken:
    """A named API token, shown this once; administrators may create one for a user in their scope."""
    _no_store(response)
    with _refusals():
        return await auth.create_token(who, body, rid)


@router.get("/auth/tokens", response_model=list[TokenInfo], tags=["auth"])
async def list_tokens(who: Who, auth: Auth, user_id: str | None = None) -> list[TokenInfo]:
    with _refusals():
        return await auth.list_tokens(who, user_id)


@router.delete("/auth/tokens/{token_id}", status_code=204, tags=["auth"])
async def revoke_token(token_id: str, who: Who, auth: Auth, rid: RequestId) -> Response:
    with _refusals():
        await auth.revoke_token(who, token_id, rid)
    return Response(status_code=204)


@router.post("/auth/users", response_model=User, status_code=201, tags=["auth"])
async def create_user(body: UserCreate, who: Who, auth: Auth, rid: RequestId) -> User:
    with _refusals():
        return await auth.create_user(who, body, rid)


@router.get("/auth/users", response_model=list[User], tags=["auth"])
async def list_users(who: Who, auth: Auth) -> list[User]:
    return await auth.list_users(who)


@router.get("/auth/users/{user_id}", response_model=User, tags=["auth"])
async def get_user(user_id: str, who: Who, auth: Auth) -> User:
    with _refusals():
        return await auth.get_user(who, user_id)


@router.patch("/auth/users/{user_id}", response_model=User, tags=["auth"])
async def update_user(user_id: str, body: UserUpdate, who: Who, auth: Auth, rid: RequestId) -> User:
    with _refusals():
        return await auth.update_user(who, user_id, body, rid)


@router.get("/audit", response_model=list[AuditEntry], tags=["audit"])
async def audit_log(
    who: Who,
    auth: Auth,
    actor_id: str | None = None,
    action: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    since: Annotated[datetime | None, Query(description="entries at or after this instant")] = None,
    until: Annotated[datetime | None, Query(description="entries before this instant")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditEntry]:
    """The audit log, newest first (city administrators and auditors)."""
    # A time without a zone is Beijing time, as offices write it.
    since, until = (ensure_aware(t) if t else None for t in (since, until))
    where = AuditFilter(actor_id, action, entity_type, entity_id, since, until, limit)
    with _refusals():
        return await auth.audit_log(who, where)
