"""Access control of the registry (and later the console): users, passwords, API tokens, roles, scopes, audit.

Wiring (in a service's ``app.build``): ``service.auth = await build_auth(runtime.db, runtime.clock, settings,
hierarchy)``; add ``INDEXES`` to the ServiceSpec and include ``router`` in the API. Endpoints take ``Who`` or
``CurrentScope`` from ``dependencies``.
"""

from .api import router
from .dependencies import CurrentScope, Scope, Who, authenticate, current_scope, require_roles
from .repository import INDEXES
from .scope import Principal, Role
from .service import AuthService, build_auth
from .settings import AuthSettings

__all__ = [
    "INDEXES",
    "AuthService",
    "AuthSettings",
    "CurrentScope",
    "Principal",
    "Role",
    "Scope",
    "Who",
    "authenticate",
    "build_auth",
    "current_scope",
    "require_roles",
    "router",
]
