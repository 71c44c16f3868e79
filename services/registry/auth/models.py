"""Users, tokens and audit entries: what is stored and what the API accepts and returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from .scope import Principal, Role

USERNAME = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$"


class User(BaseModel):
    """A user as the API shows it: never its password hash."""

    user_id: str
    username: str
    display_name: str
    role: Role
    unit_id: str | None = None
    active: bool = True
    created_at: datetime


class UserRecord(User):
    """A user as stored."""

    password_hash: str | None = None

    def public(self) -> User:
        return User.model_validate(self.model_dump(exclude={"password_hash"}))

    def principal(self, token_id: str = "") -> Principal:
        return Principal(self.user_id, self.role, self.unit_id, self.username, token_id)


def _require_unit(role: Role | None, unit_id: str | None) -> None:
    if role is not None and role.needs_unit and not unit_id:
        raise ValueError("县级管理员和单位用户必须指定所属单位（unit_id）")


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=USERNAME, description="login name: letters, digits, _ . @ -")
    display_name: str = Field(min_length=1, max_length=50, description="e.g. 张三（镇康县政务公开办）")
    role: Role
    unit_id: str | None = Field(default=None, description="required for county_admin and unit_user")
    password: str | None = Field(default=None, min_length=8, max_length=256, description="omit for token-only users")
    reason: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _unit_for_role(self) -> UserCreate:
        _require_unit(self.role, self.unit_id)
        return self


class UserUpdate(BaseModel):
    """Only the fields given change; ``unit_id`` may be set to null only for roles that need no unit."""

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, min_length=1, max_length=50)
    role: Role | None = None
    unit_id: str | None = None
    active: bool | None = None
    password: str | None = Field(default=None, min_length=8, max_length=256)
    current_password: str | None = Field(default=None, max_length=256, description="required to change your own")
    reason: str = Field(default="", max_length=500)


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="what the token is for, e.g. 报送系统对接")
    user_id: str | None = Field(default=None, description="another user's id (administrators only); default: you")
    expires_at: AwareDatetime | None = Field(default=None, description="omit for a token that does not expire")


class TokenInfo(BaseModel):
    """A token as listed: never its secret nor its hash."""

    token_id: str
    name: str
    user_id: str
    kind: str = Field(description="login, api or bootstrap")
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked: bool = False


class IssuedToken(TokenInfo):
    token: str = Field(description="the secret itself: shown this once, store it now")


class Me(BaseModel):
    user: User
    token_id: str


class AuditActor(BaseModel):
    user_id: str
    username: str = ""
    role: Role | None = None
    token_id: str = ""


SYSTEM_ACTOR = AuditActor(user_id="system", username="system")


class AuditEntry(BaseModel):
    entry_id: str
    at: datetime
    actor: AuditActor
    action: str = Field(description="e.g. target.update, user.create, token.revoke")
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    changed: list[str] = Field(default_factory=list, description="top-level fields that differ")
    reason: str = ""
    request_id: str = ""


@dataclass(frozen=True)
class AuditFilter:
    """Which audit entries to list, newest first."""

    actor_id: str | None = None
    action: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100


def actor_of(principal: Principal | None) -> AuditActor:
    if principal is None:
        return SYSTEM_ACTOR
    return AuditActor(
        user_id=principal.user_id, username=principal.username, role=principal.role, token_id=principal.token_id
    )


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    """The top-level keys whose values differ between two snapshots (all keys of a creation or deletion)."""
    b, a = before or {}, after or {}
    return sorted(k for k in b.keys() | a.keys() if b.get(k, _MISSING) != a.get(k, _MISSING))


_MISSING = object()
