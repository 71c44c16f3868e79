"""Streams, subjects and consumers, declared once for every service.

Streams are created (or updated) by whichever service starts first; ``ensure_streams`` is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass

from faststream.nats import JStream
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError

DAY_S = 86_400.0


@dataclass(frozen=True)
class Stream:
    name: str
    subjects: tuple[str, ...]
    retention: RetentionPolicy = RetentionPolicy.LIMITS
    max_age_s: float = 400 * DAY_S
    # JetStream drops a publish whose Nats-Msg-Id it saw within this window: restarts never double-publish.
    duplicate_window_s: float = DAY_S

    def config(self, replicas: int = 1) -> StreamConfig:
        return StreamConfig(
            name=self.name,
            subjects=list(self.subjects),
            retention=self.retention,
            max_age=self.max_age_s,
            duplicate_window=self.duplicate_window_s,
            storage=StorageType.FILE,
            num_replicas=replicas,
        )

    def ref(self) -> JStream:
        """The stream as FastStream subscribers name it; declared by ``ensure_streams``, not by FastStream."""
        return JStream(self.name, declare=False)


PROBES = Stream("PROBES", ("probe.requested.>",), retention=RetentionPolicy.WORK_QUEUE, max_age_s=7 * DAY_S)
# Kept past a year so a quarter, and the year before its monitoring point, can be re-evaluated.
OBSERVATIONS = Stream("OBSERVATIONS", ("observation.recorded.>",))
VERDICTS = Stream("VERDICTS", ("verdict.changed", "verdict.warning", "verdict.rechecked"))
CASES = Stream("CASES", ("case.>", "rectification.submitted"))
REPORTS = Stream("REPORTS", ("report.published",))
REGISTRY = Stream("REGISTRY", ("registry.*.changed",))
DEAD = Stream("DEAD", ("dead.>",))

ALL_STREAMS: tuple[Stream, ...] = (PROBES, OBSERVATIONS, VERDICTS, CASES, REPORTS, REGISTRY, DEAD)


def dead_subject(stream: str, consumer: str) -> str:
    return f"dead.{stream}.{consumer}"


async def ensure_streams(js: JetStreamContext, replicas: int = 1) -> None:
    for stream in ALL_STREAMS:
        config = stream.config(replicas)
        try:
            await js.stream_info(stream.name)
        except NotFoundError:
            await js.add_stream(config)
        else:
            await js.update_stream(config)
