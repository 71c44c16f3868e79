"""The FastAPI side of shared/identity.py: who calls, for every service's API but the registry's.

A service exposes its ``RegistryIdentity`` as ``identity`` on its service object (``app.state.service``); routes take
``Who`` (a known caller or 401/503) and ask ``in_scope`` before touching a target.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from .identity import Caller, IdentityUnavailable, RegistryIdentity

READ_ALL = frozenset({"city_admin", "auditor"})  # roles whose scope is every target


def identity_of(request: Request) -> RegistryIdentity:
    found: RegistryIdentity | None = request.app.state.service.identity
    assert found is not None, "app.build sets the identity"
    return found


async def caller(request: Request, authorization: Annotated[str | None, Header()] = None) -> Caller:
    token = authorization.removeprefix("Bearer ").strip() if authorization else ""
    if not token:
        raise HTTPException(401, "未登录或令牌已失效", headers={"WWW-Authenticate": "Bearer"})
    try:
        found = await identity_of(request).caller(token)
    except IdentityUnavailable as exc:
        raise HTTPException(503, "暂时无法核验身份（名录服务不可用），请稍后再试") from exc
    if found is None:
        raise HTTPException(401, "未登录或令牌已失效", headers={"WWW-Authenticate": "Bearer"})
    return found


Who = Annotated[Caller, Depends(caller)]


async def in_scope(request: Request, who: Caller, target_id: str) -> None:
    """403 unless the registry says the caller may see the target."""
    if who.role not in READ_ALL and not await identity_of(request).may_see(who, target_id):
        raise HTTPException(403, "无权查看或处理该对象")
