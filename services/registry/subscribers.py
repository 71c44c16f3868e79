"""The registry's NATS surface: inventory commands in; inventory changes and probe requests out."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated, Any

from faststream import Context
from faststream.nats import NatsMessage, NatsRouter

from shared.events import DeadLetter, PeriodChanged, ProbeRequested, TargetChanged, UnitChanged
from shared.topology import DEAD, dead_subject

from .commands import CommandReply, execute
from .service import RegistryService

router = NatsRouter()
Service = Annotated[RegistryService, Context("service")]

target_changed = router.publisher("registry.target.changed", schema=TargetChanged, title="registry.target.changed")
unit_changed = router.publisher("registry.unit.changed", schema=UnitChanged, title="registry.unit.changed")
period_changed = router.publisher("registry.period.changed", schema=PeriodChanged, title="registry.period.changed")
probe_requested = router.publisher("probe.requested.*", schema=ProbeRequested, title="probe.requested")
dead_commands = router.publisher(
    dead_subject("REGISTRY", "commands"), schema=DeadLetter, title="dead.REGISTRY.commands"
)


# A queue group: with several registry replicas, each command is handled once.
@router.subscriber("registry.command.{name}", queue="registry", title="registry.command")
async def on_command(body: Any, service: Service, msg: NatsMessage) -> dict[str, Any]:
    name = msg.path.get("name", "")
    reply = await execute(service, name, body)
    if not reply.ok and not msg.raw_message.reply:
        await _dead_letter(msg, reply)
    return reply.model_dump(mode="json")


async def _dead_letter(msg: NatsMessage, reply: CommandReply) -> None:
    raw = msg.raw_message
    letter = DeadLetter(
        stream="REGISTRY",
        consumer="commands",
        subject=raw.subject,
        reason="；".join(reply.problems)[:2000],
        deliveries=1,
        failed_at=datetime.now(UTC),
        headers=dict(raw.headers or {}),
        payload=raw.data.decode("utf-8", errors="replace"),
        payload_sha256=hashlib.sha256(raw.data).hexdigest(),
    )
    await dead_commands.publish(letter.model_dump(mode="json"), stream=DEAD.name)


__all__ = ["CommandReply", "router"]
