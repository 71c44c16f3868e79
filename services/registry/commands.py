"""Inventory changes sent as NATS commands by other systems (a provincial platform, the national systems' exports).

Same validation and audit as the HTTP API. A command is answered on its reply subject; one sent without a reply
subject that fails goes to DEAD (``dead.REGISTRY.commands``) with the reason, so nothing fails silently.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from shared.events import Target, TargetStatus, Unit, natural_id

from .service import Conflict, InvalidChange, NotFound, RegistryService


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actor: str = Field(min_length=1, max_length=100, description="the sending system, recorded as nats:<actor>")
    reason: str = Field(min_length=1, max_length=500)


class UpsertTarget(_Command):
    command: Literal["upsert_target"] = "upsert_target"
    target: Target
    expected_version: int | None = None


class UpsertUnit(_Command):
    command: Literal["upsert_unit"] = "upsert_unit"
    unit: Unit
    expected_version: int | None = None


class CloseTarget(_Command):
    command: Literal["close_target"] = "close_target"
    target_id: str
    closed_on: date
    status: TargetStatus = TargetStatus.closed


Command = Annotated[UpsertTarget | UpsertUnit | CloseTarget, Field(discriminator="command")]
_COMMAND = TypeAdapter(Command)


class CommandReply(BaseModel):
    ok: bool
    result: dict[str, Any] | None = None
    problems: list[str] = Field(default_factory=list)


def _problems(exc: ValidationError) -> list[str]:
    return [f"{'.'.join(str(p) for p in err['loc'])}：{err['msg']}" for err in exc.errors()]


async def execute(service: RegistryService, name: str, body: Any) -> CommandReply:
    """Run one command; every refusal comes back as problems, never as an exception."""
    try:
        command = _COMMAND.validate_python({**body, "command": name} if isinstance(body, dict) else body)
    except ValidationError as exc:
        return CommandReply(ok=False, problems=_problems(exc))
    actor = f"nats:{command.actor}"
    try:
        if isinstance(command, UpsertTarget):
            saved: Target | Unit = await service.save_target(
                command.target, actor, command.reason, command.expected_version
            )
        elif isinstance(command, UpsertUnit):
            saved = await service.save_unit(command.unit, actor, command.reason, command.expected_version)
        else:
            saved = await service.close_target(
                command.target_id, command.closed_on, command.status, actor, command.reason
            )
    except InvalidChange as exc:
        return CommandReply(ok=False, problems=exc.problems)
    except (Conflict, NotFound) as exc:
        return CommandReply(ok=False, problems=[str(exc) if isinstance(exc, Conflict) else f"没有找到「{exc}」"])
    entity = "unit" if isinstance(saved, Unit) else "target"
    key = saved.unit_id if isinstance(saved, Unit) else saved.target_id
    # No person stands behind a command: the audit log records the sending system as the reason's author.
    await service.auth.record(
        None,
        f"{entity}.{name}",
        entity,
        key,
        None,
        saved,
        f"{actor}：{command.reason}",
        entry_id=natural_id(entity, key, saved.version),
    )
    return CommandReply(ok=True, result=saved.model_dump(mode="json"))
