"""Who is calling: services other than the registry ask the registry, which holds users, tokens and scopes.

One bearer token works across the system. A service resolves it with ``GET /auth/me`` and asks whether the caller
may see a target with ``GET /targets/{id}`` (or a whole unit's items with ``GET /units/{id}``) under the caller's
own token, so the role × unit matrix is decided in one place (services/registry/auth/scope.py) and never copied. Answers are cached briefly: a revoked token stops
working within ``ttl_s``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

import httpx


class IdentityUnavailable(RuntimeError):
    """The registry could not be asked (down, or not configured): the request cannot be authorised."""


@dataclass(frozen=True)
class Caller:
    user_id: str
    username: str
    role: str
    unit_id: str | None
    token: str

    @property
    def actor(self) -> str:
        return self.username or self.user_id


class RegistryIdentity:
    def __init__(self, registry_url: str, ttl_s: float = 30.0, timeout_s: float = 5.0) -> None:
        self._base = registry_url.rstrip("/")
        self._ttl_s = ttl_s
        self._client = httpx.AsyncClient(timeout=timeout_s)
        self._cache: dict[tuple[str, str], tuple[float, object]] = {}

    async def caller(self, token: str) -> Caller | None:
        """The token's user, or None when the registry does not know the token."""
        found = await self._cached(("me", token), lambda: self._me(token))
        return found if isinstance(found, Caller) else None

    async def may_see(self, caller: Caller, target_id: str) -> bool:
        """Whether the caller's scope includes the target, as the registry decides it."""
        found = await self._cached(
            (f"target {target_id}", caller.token),
            lambda: self._sees(caller.token, f"/targets/{quote(target_id, safe='')}"),
        )
        return found is True

    async def may_read_unit(self, caller: Caller, unit_id: str) -> bool:
        """Whether the caller's scope includes the unit (and so every item filed under it), as the registry decides."""
        found = await self._cached(
            (f"unit {unit_id}", caller.token), lambda: self._sees(caller.token, f"/units/{quote(unit_id, safe='')}")
        )
        return found is True

    async def close(self) -> None:
        await self._client.aclose()

    async def _cached(self, key: tuple[str, str], load: Callable[[], Awaitable[object]]) -> object:
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and now - hit[0] < self._ttl_s:
            return hit[1]
        value = await load()
        if len(self._cache) > 10_000:
            self._cache.clear()  # bounded: a flood of bad tokens cannot grow it without end
        self._cache[key] = (now, value)
        return value

    async def _get(self, path: str, token: str) -> httpx.Response:
        if not self._base:
            raise IdentityUnavailable("REGISTRY_URL is not set: callers cannot be identified")
        try:
            return await self._client.get(f"{self._base}{path}", headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            raise IdentityUnavailable(f"the registry at {self._base} did not answer: {exc!r}") from exc

    async def _me(self, token: str) -> Caller | None:
        response = await self._get("/auth/me", token)
        if response.status_code in (401, 403):
            return None
        response.raise_for_status()
        user = response.json()["user"]
        if not user.get("active", True):
            return None
        return Caller(user["user_id"], user.get("username", ""), user["role"], user.get("unit_id"), token)

    async def _sees(self, token: str, path: str) -> bool:
        response = await self._get(path, token)
        return response.status_code == 200
