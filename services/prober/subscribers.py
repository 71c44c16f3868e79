"""The prober's NATS surface: one durable work-queue consumer on PROBES, one observation publisher."""

from __future__ import annotations

from typing import Annotated

from faststream import Context
from faststream.nats import NatsMessage, NatsRouter

from shared.events import ObservationRecorded, ProbeRequested
from shared.inflight import InFlight
from shared.messaging import DeliveryPolicy, subscriber_options
from shared.topology import PROBES

from .service import ProberService
from .settings import ProberSettings

router = NatsRouter()
POLICY = DeliveryPolicy.from_settings(ProberSettings())

# observation.recorded.<kind> on OBSERVATIONS; publish_event sets the subject from the event.
observation_recorded = router.publisher(
    "observation.recorded.*", schema=ObservationRecorded, title="observation.recorded"
)


_OPTIONS = subscriber_options(PROBES, "prober", POLICY, batch_size=100, manual_ack=True)


@router.subscriber("probe.requested.>", **_OPTIONS)  # type: ignore[untyped-decorator]
async def on_probe_requested(
    request: ProbeRequested,
    msg: NatsMessage,
    service: Annotated[ProberService, Context("service")],
    inflight: Annotated[InFlight, Context("inflight")],
) -> None:
    # Returns once the probe is running (or waits for a free slot); InFlight acks after the observation is published.
    await inflight.submit(msg, lambda: service.probe(request))
