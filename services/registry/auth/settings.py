"""Access-control settings, mixed into a service's settings class (``class RegistrySettings(ServiceSettings,
AuthSettings)``); the environment variables carry the same names in upper case."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class AuthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    # The launcher and the demo authenticate with this token as the city administrator `admin`; unset revokes it.
    # SecretStr: never shown by repr() or a settings dump in a log.
    registry_bootstrap_admin_token: SecretStr | None = None
    # Sets `admin`'s password at the first start only: a password changed later (the console's 账户 page) survives
    # restarts. RESET=true overwrites it with this one at the next start (a forgotten password); then unset it.
    registry_bootstrap_admin_password: SecretStr | None = None
    registry_bootstrap_admin_password_reset: bool = False
    # A log-in token lasts a working day with margin; API tokens for systems are created with their own expiry.
    auth_login_ttl_h: float = 12.0
    # argon2id cost (argon2-cffi's defaults, RFC 9106 low-memory profile: about 50 ms and 64 MiB per check).
    # Raising them rehashes each stored password at its owner's next log-in.
    auth_argon2_time_cost: int = 3
    auth_argon2_memory_kib: int = 65_536
    auth_argon2_parallelism: int = 4
