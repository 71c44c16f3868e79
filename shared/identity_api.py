"""The FastAPI side of shared/identity.py: who calls, for every service's API but the registry's.

A service exposes its ``RegistryIdentity`` as ``identity`` on its service object (``app.state.service``); routes take
``Who`` (a known caller or 401/503) and ask ``in_scope`` before touching a target, ``visible`` before answering a
list, and ``require_read_all`` for what only the city's administrators and auditors read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Annotated, TypeVar

from fastapi import Depends, Header, HTTPException, Request

from .identity import Caller, IdentityUnavailable, RegistryIdentity

READ_ALL = frozenset({"city_admin", "auditor"})  # roles whose scope is every target
T = TypeVar("T")


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


def require_read_all(who: Caller, refusal: str) -> None:
    """403 with ``refusal`` unless the caller reads everything (city administrators and auditors)."""
    if who.role not in READ_ALL:
        raise HTTPException(403, refusal)


async def visible(request: Request, who: Caller, items: Sequence[T], unit_of: Callable[[T], str]) -> list[T]:
    """The items the caller may read, each filed under the unit ``unit_of`` names, in their order.

    Scope is per unit (a county administrator reads its county's units, a unit user its own), so the registry is
    asked once per unit, not per item, and the answers are cached by the identity client: a county's list of a
    thousand cases costs a few dozen cached reads. A unit user's list is narrowed to its own unit first.
    """
    if who.role in READ_ALL:
        return list(items)
    if who.role == "unit_user":  # narrows only: the registry still confirms the unit below
        items = [item for item in items if unit_of(item) == who.unit_id]
    units = sorted({unit_of(item) for item in items})
    identity = identity_of(request)
    answers = await asyncio.gather(*(identity.may_read_unit(who, unit_id) for unit_id in units))
    allowed = {unit_id for unit_id, seen in zip(units, answers, strict=True) if seen}
    return [item for item in items if unit_of(item) in allowed]
