"""What an operator sees of a relay: its report (``/health``), whether it is stuck (``/readyz``), its metrics.

The report compares the relay's recorded state with the store's head (the last notification id the event
store holds), so its lag is the stored events not yet on the stream, whether the relay runs in this process
or not.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

if TYPE_CHECKING:
    from planspor_runtime.application import ServiceApplication
    from planspor_runtime.relay.core import Relay
    from planspor_runtime.relay.store import RelayStore

STALL_SECONDS = 30.0
"""A relay with stored events waiting that recorded nothing for this long is stuck, even without an error."""


@dataclass
class RelayReport:
    source: str
    running: bool
    """A relay runs in this process (the service's relay setting is on)."""
    writing: bool
    """It holds the store's writer lock (a second relay on the same store stands by)."""
    connected: bool
    position: int
    """The last position published and recorded."""
    notification_id: int
    """The last stored event it has published."""
    store_head: int
    """The last stored event of the event store."""
    lag: int
    """Stored events not yet published."""
    published: int
    failures: int
    last_error: str | None
    failing_for_seconds: float | None
    idle_for_seconds: float | None
    """Since it last recorded a batch or found nothing to publish."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def stuck(self, stall_seconds: float = STALL_SECONDS) -> str | None:
        """Why the relay cannot do its work, or None (no relay here, one standing by, or one that keeps up)."""
        if not self.running or not self.writing and self.last_error is None:
            return None
        waiting = f"{self.lag} stored events waiting" if self.lag else "nothing waiting"
        if self.last_error is not None:
            since = f" for {self.failing_for_seconds:.0f} s" if self.failing_for_seconds is not None else ""
            return (
                f"relay {self.source} cannot publish after position {self.position} ({waiting}){since}: "
                f"{self.last_error}"
            )
        if self.lag and self.idle_for_seconds is not None and self.idle_for_seconds > stall_seconds:
            return (
                f"relay {self.source} recorded nothing for {self.idle_for_seconds:.0f} s at position {self.position} "
                f"({waiting})"
            )
        return None


def store_head(application: ServiceApplication) -> int:
    return int(application.recorder.max_notification_id() or 0)


async def relay_report(
    source: str, relay: Relay | None, store: RelayStore, application: ServiceApplication
) -> RelayReport:
    """The relay's state against the store's head (reads the store: run it in a request, not in a loop)."""
    head = await asyncio.to_thread(store_head, application)
    state = relay.state if relay is not None and relay.state is not None else await asyncio.to_thread(store.load_state)
    now = time.monotonic()
    return RelayReport(
        source=source,
        running=relay is not None,
        writing=relay is not None and relay.writing,
        connected=relay is not None and relay.connected,
        position=state.position,
        notification_id=state.notification_id,
        store_head=head,
        lag=max(0, head - state.notification_id),
        published=relay.published if relay is not None else 0,
        failures=relay.failures if relay is not None else 0,
        last_error=relay.last_error if relay is not None else None,
        failing_for_seconds=None if relay is None or relay.failing_since is None else now - relay.failing_since,
        idle_for_seconds=None if relay is None else now - relay.last_progress_at,
    )


class RelayCollector:
    """The relay's metrics from the last report (``refresh`` makes one before each scrape)."""

    def __init__(self, source: str, report: Any) -> None:
        self.source = source
        self._make_report = report
        self.report: RelayReport | None = None

    async def refresh(self) -> None:
        self.report = await self._make_report()

    def describe(self) -> list[Metric]:
        return []  # values appear only once a report was made; nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        report = self.report
        if report is None:
            return
        labels = [self.source]

        def gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
            family = GaugeMetricFamily(name, text, labels=["source"])
            family.add_metric(labels, value)
            return family

        def counter(name: str, text: str, value: float) -> CounterMetricFamily:
            family = CounterMetricFamily(name, text, labels=["source"])
            family.add_metric(labels, value)
            return family

        yield gauge("planspor_relay_position", "The last position the relay published and recorded", report.position)
        yield gauge(
            "planspor_relay_notification_id", "The last stored event the relay published", report.notification_id
        )
        yield gauge(
            "planspor_store_head", "The last stored event of the event store (its notification id)", report.store_head
        )
        yield gauge("planspor_relay_lag", "Stored events not yet published (store head minus relay)", report.lag)
        yield gauge(
            "planspor_relay_up",
            "1 while the relay runs here and publishes (or stands by); 0 when it is failing or stuck",
            1 if report.running and report.stuck() is None else 0,
        )
        yield counter("planspor_relay_published", "Envelopes published since the process started", report.published)
        yield counter(
            "planspor_relay_failures", "Failed attempts to connect, publish or record since the start", report.failures
        )
        if report.running and report.writing:
            yield gauge("planspor_nats_up", "1 while the connection to NATS is up", 1 if report.connected else 0)
