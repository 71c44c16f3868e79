"""A leader lease on a JetStream key-value bucket: of several replicas, only the holder does the singleton work.

The lease is one key whose value names its holder. It is taken with a create (only if absent) and renewed with an
update that names the revision last seen (compare-and-set), so two replicas can never both renew it. The bucket's
TTL removes a key nobody renewed: when the leader stops, another replica takes the key within the TTL. A leader
that stops cleanly deletes the key, and the next replica takes over at its next attempt.

The lease is not a fence: a leader paused past its TTL may still publish once. What it publishes carries natural
ids, so JetStream's de-duplication drops the double.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
import uuid

from nats.js.client import JetStreamContext
from nats.js.errors import BadRequestError, KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from shared.logging import get_logger

log = get_logger(__name__)


def holder_name() -> str:
    """Who holds a lease: host, process and a random suffix, so two schedulers in one process differ too."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Lease:
    def __init__(self, js: JetStreamContext, bucket: str, key: str, ttl_s: float, holder: str | None = None) -> None:
        self._js = js
        self._bucket = bucket
        self._key = key
        self._ttl_s = ttl_s
        self.holder = holder or holder_name()
        self._kv: KeyValue | None = None
        self._revision: int | None = None
        self._held_until = 0.0  # monotonic instant after which our own view of the lease is stale

    @property
    def held(self) -> bool:
        """Whether this replica held the lease at its last attempt, and that attempt is younger than the TTL."""
        return self._revision is not None and time.monotonic() < self._held_until

    async def hold(self) -> bool:
        """Take the lease or renew it; True while this replica is the leader. Errors count as not leading."""
        kv = await self._bucket_kv()
        started = time.monotonic()
        try:
            if self._revision is None:
                self._revision = await kv.create(self._key, self.holder.encode())
                log.info("lease.acquired", key=self._key, holder=self.holder)
            else:
                self._revision = await kv.update(self._key, self.holder.encode(), last=self._revision)
        except (KeyWrongLastSequenceError, KeyNotFoundError):
            # Someone else holds it (or it expired under a racing create): follow until it is free.
            if self._revision is not None:
                log.warning("lease.lost", key=self._key, holder=self.holder)
            self._revision = None
        except Exception as exc:
            # NATS unreachable: whoever can still reach it takes over once our key expires.
            log.warning("lease.unavailable", key=self._key, error=repr(exc))
            self._revision = None
        self._held_until = started + self._ttl_s if self._revision is not None else 0.0
        return self._revision is not None

    async def release(self) -> None:
        """Give the lease up at once (on shutdown), only if still ours."""
        revision, self._revision, self._held_until = self._revision, None, 0.0
        if revision is None or self._kv is None:
            return
        with contextlib.suppress(Exception):
            await self._kv.delete(self._key, last=revision)
            log.info("lease.released", key=self._key, holder=self.holder)

    async def current_holder(self) -> str | None:
        kv = await self._bucket_kv()
        try:
            entry = await kv.get(self._key)
        except KeyNotFoundError:
            return None
        return entry.value.decode() if entry.value else None

    async def _bucket_kv(self) -> KeyValue:
        if self._kv is None:
            try:
                self._kv = await self._js.create_key_value(bucket=self._bucket, ttl=self._ttl_s, history=1)
            except BadRequestError:
                # The bucket exists with another TTL (a replica configured differently): use it as it is.
                self._kv = await self._js.key_value(self._bucket)
                log.warning("lease.bucket_config_differs", bucket=self._bucket)
        return self._kv
