"""Indicators: what measures a goal, and its values over time (with their source, e.g. KOSTRA)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from plan_registry.domain.checks import check_period, required_text, to_decimal
from plan_registry.domain.errors import AlreadyDone, DuplicateMeasurement, InvalidValue, NotFound
from plan_registry.domain.goal import Goal
from plan_registry.domain.ids import STORED_TOPIC_MODULE
from plan_registry.domain.vocabulary import IndicatorSource, choice
from planspor_shared.meta import Meta

Amount = Decimal | float | str
"""A number as a caller may give it; stored exactly as a ``Decimal``."""


@dataclass
class Measurement:
    """The value of one period; a correction changes it and is counted."""

    value: Decimal
    measured_on: date | None
    corrections: int = 0


class Indicator(Aggregate):
    """What measures a goal; one measurement per period, and a correction is its own event."""

    __module__ = STORED_TOPIC_MODULE

    if TYPE_CHECKING:  # the event classes eventsourcing makes of the @event methods below
        Defined: ClassVar[type[Aggregate.Created]]
        Measured: ClassVar[type[Aggregate.Event]]
        MeasurementCorrected: ClassVar[type[Aggregate.Event]]

    @staticmethod
    def create_id(**_: Any) -> UUID:
        return uuid4()

    @classmethod
    def define(
        cls,
        *,
        goal: Goal,
        name: str,
        unit: str,
        source: IndicatorSource | str,
        source_reference: str = "",
        description: str = "",
        baseline_value: Amount | None = None,
        baseline_period: str | None = None,
        target_value: Amount | None = None,
        target_year: int | None = None,
        defined_on: date | None = None,
        meta: Meta,
    ) -> Indicator:
        name = required_text("name", name, "indicator.name_required")
        unit = required_text("unit", unit, "indicator.unit_required")
        known_source = choice(IndicatorSource, source, "indicator.source_known", "source")
        if (baseline_value is None) != (baseline_period is None):
            raise InvalidValue("indicator.baseline_complete", "baseline needs both a value and a period")
        if (target_value is None) != (target_year is None):
            raise InvalidValue("indicator.target_complete", "target needs both a value and a target year")
        if baseline_period is not None:
            check_period(baseline_period)
            if target_year is not None and target_year < int(baseline_period[:4]):
                raise InvalidValue(
                    "indicator.target_after_baseline",
                    f"target year {target_year} is before the baseline period {baseline_period}",
                )
        return cls(
            goal_id=goal.id,
            name=name,
            unit=unit,
            description=description or "",
            source=known_source.value,
            source_reference=source_reference or "",
            baseline_value=None if baseline_value is None else to_decimal("baseline_value", baseline_value),
            baseline_period=baseline_period,
            target_value=None if target_value is None else to_decimal("target_value", target_value),
            target_year=target_year,
            defined_on=defined_on,
            meta=meta,
        )

    @event("Defined")
    def __init__(
        self,
        *,
        goal_id: UUID,
        name: str,
        unit: str,
        description: str,
        source: str,
        source_reference: str,
        baseline_value: Decimal | None,
        baseline_period: str | None,
        target_value: Decimal | None,
        target_year: int | None,
        meta: Meta,
        defined_on: date | None = None,
    ) -> None:
        self.goal_id = goal_id
        self.defined_on = defined_on
        self.name = name
        self.unit = unit
        self.description = description
        self.source = IndicatorSource(source)
        self.source_reference = source_reference
        self.baseline_value = baseline_value
        self.baseline_period = baseline_period
        self.target_value = target_value
        self.target_year = target_year
        self.measurements: dict[str, Measurement] = {}

    def measure(self, *, period: str, value: Amount, measured_on: date | None = None, meta: Meta) -> None:
        check_period(period)
        if period in self.measurements:
            raise DuplicateMeasurement(
                "indicator.one_measurement_per_period",
                f"period {period} is already measured ({self.measurements[period].value}); record a correction",
            )
        self._measure(
            period=period,
            value=to_decimal("value", value),
            source=self.source.value,
            measured_on=measured_on,
            meta=meta,
        )

    @event("Measured")
    def _measure(self, period: str, value: Decimal, source: str, measured_on: date | None, meta: Meta) -> None:
        self.measurements[period] = Measurement(value=value, measured_on=measured_on)

    def correct_measurement(self, *, period: str, value: Amount, reason: str, meta: Meta) -> None:
        if period not in self.measurements:
            raise NotFound("indicator.correct_existing_measurement", f"period {period} has no measurement to correct")
        reason = required_text("reason", reason, "indicator.correction_reason_required")
        corrected = to_decimal("value", value)
        previous = self.measurements[period].value
        if corrected == previous:
            raise AlreadyDone("indicator.correction_changes_value", f"period {period} already has value {corrected}")
        self._correct(
            period=period,
            value=corrected,
            previous_value=previous,
            source=self.source.value,
            reason=reason,
            meta=meta,
            measured_on=self.measurements[period].measured_on,
        )

    @event("MeasurementCorrected")
    def _correct(
        self,
        period: str,
        value: Decimal,
        previous_value: Decimal,
        source: str,
        reason: str,
        meta: Meta,
        measured_on: date | None = None,
    ) -> None:
        """A correction refers to the same day as the value it corrects (``measured_on``): only what was
        known changes, not when the measurement applies."""
        measurement = self.measurements[period]
        measurement.value = value
        measurement.corrections += 1
