"""The registry's NATS surface: it consumes nothing yet, and publishes inventory changes and probe requests."""

from faststream.nats import NatsRouter

from shared.events import PeriodChanged, ProbeRequested, TargetChanged, UnitChanged

router = NatsRouter()

target_changed = router.publisher("registry.target.changed", schema=TargetChanged, title="registry.target.changed")
unit_changed = router.publisher("registry.unit.changed", schema=UnitChanged, title="registry.unit.changed")
period_changed = router.publisher("registry.period.changed", schema=PeriodChanged, title="registry.period.changed")
probe_requested = router.publisher("probe.requested.*", schema=ProbeRequested, title="probe.requested")
