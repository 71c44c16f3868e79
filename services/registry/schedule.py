"""Which probes a target needs and when: a pure function of the target, the check kind and a time span.

Slots are deterministic (jitter comes from a hash, not a random generator), so a restarted or second scheduler
computes the very same slots and JetStream's de-duplication drops any double publish.

A spot-check period (抽查) probes only its sample (shared/sampling.py): the sampled types' targets drawn from those
running when the window opens, every target of the other types.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta

from shared.clock import CHINA_TZ
from shared.events import CheckKind, Period, Target, TargetType
from shared.sampling import Sampling, checked, checked_in

KINDS: dict[TargetType, tuple[CheckKind, ...]] = {
    TargetType.website: (CheckKind.availability, CheckKind.homepage),
    TargetType.column: (CheckKind.columns,),
    TargetType.account: (CheckKind.newmedia,),
    TargetType.message_board: (CheckKind.interaction,),
    TargetType.service_guide: (CheckKind.service_guides,),
}


def _fraction(*parts: object) -> float:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def day_slots(target_id: str, kind: CheckKind, day: date, per_day: int) -> list[datetime]:
    """The instants of one Beijing day at which a target is probed for one kind."""
    start = datetime.combine(day, time(0), CHINA_TZ)
    if kind is not CheckKind.availability:
        # Once a day, at an hour of the working day that differs per target, to spread load.
        minute = 8 * 60 + int(_fraction(target_id, kind.value) * 10 * 60)
        return [start + timedelta(minutes=minute)]
    spacing = 86_400 / per_day
    # ±30 % jitter keeps visits spaced (never two in the same gap) yet not on a fixed grid sites could game.
    return [
        start + timedelta(seconds=int(spacing * (i + 0.5 + 0.6 * (_fraction(target_id, day, i) - 0.5))))
        for i in range(per_day)
    ]


def monitored_on(target: Target, day: date) -> bool:
    if not target.status.exists and target.closed_on is None:
        return False
    return target.registered_on <= day and (target.closed_on is None or day < target.closed_on)


def slots(target: Target, start: datetime, end: datetime, per_day: int) -> Iterator[tuple[CheckKind, datetime]]:
    """Every (kind, instant) with start <= instant < end at which the target is to be probed."""
    day = start.astimezone(CHINA_TZ).date()
    last = end.astimezone(CHINA_TZ).date()
    while day <= last:
        if monitored_on(target, day):
            for kind in KINDS[target.type]:
                for at in day_slots(target.target_id, kind, day, per_day):
                    if start <= at < end:
                        yield kind, at
        day += timedelta(days=1)


def round_plan(
    targets: list[Target], start: datetime, end: datetime, per_day: int, sampling: Sampling | None = None
) -> list[tuple[datetime, Target, CheckKind]]:
    """All probes of a span for many targets, in time order, so accelerated time moves forward evenly.

    With a spot check's ``sampling`` only its sample is planned, drawn from the targets running on ``start``'s day
    (the period's window start, as ``shared.sampling.checked_in`` draws it).
    """
    targets = checked(sampling, targets, start.astimezone(CHINA_TZ).date())
    plan = [(at, target, kind) for target in targets for kind, at in slots(target, start, end, per_day)]
    plan.sort(key=lambda item: (item[0], item[1].target_id, item[2].value))
    return plan


def period_on(periods: Sequence[Period], day: date) -> Period | None:
    """The period whose window holds a Beijing day (the first one, should windows overlap)."""
    for period in sorted(periods, key=lambda p: p.window_start):
        if (
            period.window_start.astimezone(CHINA_TZ).date()
            <= day
            <= period.monitoring_point.astimezone(CHINA_TZ).date()
        ):
            return period
    return None


def checked_on(periods: Sequence[Period], targets: Sequence[Target], day: date) -> list[Target]:
    """The targets the real-time schedule probes on a day: the sample of the period holding the day; all outside."""
    period = period_on(periods, day)
    return list(targets) if period is None else checked_in(period, targets)
