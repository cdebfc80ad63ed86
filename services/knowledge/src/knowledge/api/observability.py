"""knowledge's probes and metrics, in the runtime's shapes (``planspor_runtime.health``, ``.metrics``).

Ready (``/readyz``) when Neo4j answers, the projector (where it runs) is connected to NATS, and it is not
stuck: its last batch did not fail, and it has not left messages waiting for ``STALL_SECONDS``.

Metrics: per source the applied position (the graph's checkpoints); the consumer's lag; batch sizes and
durations; events applied, dead letters made, failed batches (counters: their rate is events per second);
dead letters open; Neo4j and NATS reachability.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from knowledge.graph.bookkeeping import count_dead_letters, read_checkpoints
from planspor_runtime.health import Check, CheckResult
from planspor_runtime.metrics import Metrics

if TYPE_CHECKING:
    from knowledge.bootstrap import Container
    from knowledge.pipeline.graph_writer import BatchResult

STALL_SECONDS = 30.0
"""Messages waiting and no batch applied for this long: the projector is stuck, even without an error."""
BATCH_SIZES = (1, 5, 10, 25, 50, 100, 200, 500, 1000, 5000)
BATCH_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


async def graph_reachable(container: Container) -> CheckResult:
    try:
        await asyncio.wait_for(container.driver.verify_connectivity(), 1.5)
    except TimeoutError:
        return f"Neo4j does not answer at {container.settings.neo4j_uri} within 1.5 s"
    except Exception as error:  # noqa: BLE001 - whatever the driver says: the graph is not reachable
        return f"Neo4j does not answer at {container.settings.neo4j_uri}: {type(error).__name__}: {error}"
    return None


def projector_stuck(container: Container, lag: int | None) -> CheckResult:
    projector = container.projector
    if not projector.running:
        return None
    if projector.warming is not None:
        planned, of = projector.warming
        return f"the projector is planning its statements before its first batch ({planned} of {of})"
    where = ", ".join(f"{s} at {p}" for s, p in sorted(projector.positions.items())) or "no batch yet"
    if projector.last_error is not None and projector.last_error.startswith("subscribe:"):
        return f"the projector has no subscription to its stream yet, and tries again: {projector.last_error}"
    if projector.last_error is not None:
        return f"the projector's last batch failed ({where}; {lag if lag is not None else '?'} waiting): {projector.last_error}"
    idle = time.monotonic() - projector.last_batch_at
    if lag and idle > STALL_SECONDS:
        return f"the projector applied nothing for {idle:.0f} s with {lag} messages waiting ({where})"
    return None


def readiness_checks(container: Container) -> list[Check]:
    async def graph() -> CheckResult:
        return await graph_reachable(container)

    async def broker() -> CheckResult:
        return None if container.projector.connected else "the projector is not connected to NATS"

    async def projector() -> CheckResult:
        return projector_stuck(container, await container.projector.pending())

    checks = [Check("graph", graph)]
    if container.projector.running:
        checks += [Check("broker", broker), Check("projector", projector)]
    return checks


class ProjectorCollector:
    """Gauges read at each scrape (``refresh``): positions, lag, dead letters open, reachability."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.values: dict[str, Any] = {}

    async def refresh(self) -> None:
        container = self.container
        values: dict[str, Any] = {}
        self.values = values
        values["neo4j_up"] = 1 if await graph_reachable(container) is None else 0
        values["lag"] = await container.projector.pending()
        if values["neo4j_up"]:
            database = container.settings.neo4j_database
            async with container.driver.session(database=database) as session:
                values["positions"] = {s: p for s, (p, _) in (await session.execute_read(read_checkpoints)).items()}
                values["dead_letters_open"] = await session.execute_read(count_dead_letters, "open")
        self.values = values

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        values, projector = self.values, self.container.projector
        positions = values.get("positions") or projector.positions
        family = GaugeMetricFamily(
            "planspor_projector_position", "The last position the graph applied, per source", labels=["source"]
        )
        for source, position in sorted(positions.items()):
            family.add_metric([source], position)
        yield family
        if values.get("lag") is not None:
            yield GaugeMetricFamily(
                "planspor_projector_lag",
                "Messages of the stream the projector has not had acknowledged yet",
                value=values["lag"],
            )
        if "dead_letters_open" in values:
            yield GaugeMetricFamily(
                "planspor_dead_letters_open", "Dead letters waiting for an operator", value=values["dead_letters_open"]
            )
        if "neo4j_up" in values:
            yield GaugeMetricFamily("planspor_neo4j_up", "1 while Neo4j answers", value=values["neo4j_up"])
        yield CounterMetricFamily(
            "planspor_projector_unwarmed_shapes",
            "Statement shapes a batch met that the warm-up had not planned (each planned by that batch, once)",
            value=self.container.writer.unwarmed,
        )
        if projector.running:
            yield GaugeMetricFamily(
                "planspor_nats_up", "1 while the projector's connection to NATS is up", value=int(projector.connected)
            )
            stuck = projector_stuck(self.container, values.get("lag"))
            yield GaugeMetricFamily(
                "planspor_projector_up", "1 while the projector runs and keeps up; 0 when stuck", value=int(not stuck)
            )


def install_projector_metrics(metrics: Metrics, container: Container) -> None:
    registry = metrics.registry
    sizes = Histogram("planspor_projector_batch_size", "Messages in each batch", buckets=BATCH_SIZES, registry=registry)
    durations = Histogram(
        "planspor_projector_batch_duration_seconds",
        "Time to apply a batch (gaps filled, one Neo4j transaction)",
        buckets=BATCH_SECONDS,
        registry=registry,
    )
    applied = Counter("planspor_projector_events_applied", "Events applied to the graph", registry=registry)
    letters = Counter("planspor_projector_dead_letters", "Events set aside as dead letters", registry=registry)
    failed = Counter("planspor_projector_batch_failures", "Batches that failed and were nacked", registry=registry)

    def observe(result: BatchResult | None, size: int, seconds: float) -> None:
        sizes.observe(size)
        durations.observe(seconds)
        if result is None:
            failed.inc()
            return
        applied.inc(result.applied)
        letters.inc(result.dead_letters)

    container.projector.observers.append(observe)
    collector = ProjectorCollector(container)
    metrics.register(collector)
    metrics.on_scrape(collector.refresh)
