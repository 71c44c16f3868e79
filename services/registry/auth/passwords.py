"""Password hashing with argon2id (argon2-cffi), rehash-on-login, and token hashing.

Passwords are low-entropy secrets people choose, so they get a slow, memory-hard hash. API tokens are 256-bit random
strings: no dictionary or brute-force attack can reach them, so a fast SHA-256 is the right hash there — it lets
every request be checked by one indexed lookup instead of an argon2 computation.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


@dataclass(frozen=True)
class Argon2Params:
    # argon2-cffi's defaults: RFC 9106's second recommended profile (t=3, 64 MiB, p=4), about 50 ms per check.
    time_cost: int = 3
    memory_cost_kib: int = 65_536
    parallelism: int = 4


@dataclass(frozen=True)
class PasswordCheck:
    ok: bool
    new_hash: str | None = None  # set when the stored hash used older parameters: store it


class Passwords:
    """Hash and verify passwords; a check against a user who does not exist costs the same as a real one."""

    def __init__(self, params: Argon2Params | None = None) -> None:
        p = params or Argon2Params()
        self._hasher = PasswordHasher(time_cost=p.time_cost, memory_cost=p.memory_cost_kib, parallelism=p.parallelism)
        # Verified when there is no user (or no password): same parameters, same time, always a mismatch.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> PasswordCheck:
        """Check a password; ``stored_hash=None`` (unknown user) still runs one argon2 verification."""
        try:
            self._hasher.verify(stored_hash or self._dummy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return PasswordCheck(ok=False)
        if stored_hash is None:
            return PasswordCheck(ok=False)
        rehash = self._hasher.check_needs_rehash(stored_hash)
        return PasswordCheck(ok=True, new_hash=self._hasher.hash(password) if rehash else None)


def new_token() -> str:
    """A fresh API token: 32 random bytes, URL-safe; shown to its owner once and never stored."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The stored form of a token (see the module docstring for why SHA-256 and not argon2)."""
    return hashlib.sha256(token.encode()).hexdigest()
