"""The base of every integration event payload, its registry, and the vocabulary both sources share.

A payload model is a frozen pydantic model (unknown fields refused) with two class
constants: ``event_type`` (``"plan.proposed"``) and ``schema_version`` (1, 2, ...).
The registry maps ``(event_type, schema_version)`` to the model, so a consumer can
validate any envelope's payload and producers can migrate one event at a time.

Adding a version 2 of an event beside version 1 is a local change in the source's
module: keep the v1 class, add the v2 class and register it too::

    @register
    class PlanProposed(PlanRegistryEvent):            # v1 stays, consumers still accept it
        event_type: ClassVar[str] = "plan.proposed"
        ...

    @register
    class PlanProposedV2(PlanRegistryEvent):
        event_type: ClassVar[str] = "plan.proposed"
        schema_version: ClassVar[int] = 2
        ...                                           # the breaking change

Then run ``python -m planspor_shared.schemas`` to write ``plan.proposed.v2.json``.
Producers switch to ``PlanProposedV2`` when they are ready; consumers handle both
until the last producer has moved. A field added with a default is not breaking
and stays in the same version.

Conventions: ids are strings (UUIDs in practice); calendar facts are ``date``;
instants are aware ``datetime`` (stored in UTC); numbers are ``Decimal``, never
float; closed vocabularies are ``StrEnum`` with the domain's English terms
(the Norwegian term is in the docstring). Every text has a maximum: it is one of
the bounded types below (``Text``, ``Description``, ``Title``, ``Name``, ``Label``,
``Reference``, ``Url``), and every list has a maximum length (``planspor_shared.limits``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal, TypeVar
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema

from planspor_shared.errors import InvalidPayload, UnknownEventType
from planspor_shared.limits import (
    ID_MAX,
    IDS_MAX,
    LABEL_MAX,
    NAME_MAX,
    NUMBER_DIGITS_MAX,
    REFERENCE_MAX,
    TEXT_MAX,
    TEXTS_MAX,
    TITLE_MAX,
    URL_MAX,
)

Source = Literal["plan-registry", "cocreation"]
SOURCES: tuple[str, ...] = ("plan-registry", "cocreation")

Id = Annotated[str, Field(min_length=1, max_length=ID_MAX, pattern=r"^\S+$")]
"""An identifier: no whitespace; a UUID in practice."""

NonBlank = Field(min_length=1, pattern=r"\S")
"""Added to a bounded text type, it must say something: ``Annotated[Name, NonBlank]``."""

Text = Annotated[str, Field(min_length=1, max_length=TEXT_MAX, pattern=r"\S")]
"""A text that must say something (not empty, not only whitespace), at most 20,000 characters."""

Description = Annotated[str, Field(max_length=TEXT_MAX)]
"""A text that may be empty: a description, a reason, a note; at most 20,000 characters."""

Title = Annotated[str, Field(min_length=1, max_length=TITLE_MAX, pattern=r"\S")]
"""A title or subject that must say something, at most 500 characters."""

Heading = Annotated[str, Field(max_length=TITLE_MAX)]
"""A title that may be left empty (the service then makes one, or there is none), at most 500 characters."""

Name = Annotated[str, Field(max_length=NAME_MAX)]
"""A name of a person, a body, a unit or a place, at most 300 characters."""

Label = Annotated[str, Field(max_length=LABEL_MAX)]
"""A short label or code (a party, a role, a legal basis, a period), at most 100 characters."""

Reference = Annotated[str, Field(max_length=REFERENCE_MAX)]
"""A case number, a document reference or a statistics table id, at most 200 characters."""

Url = Annotated[str, Field(max_length=URL_MAX)]
"""A web address, at most 2,000 characters."""

Texts = Annotated[tuple[Text, ...], Field(max_length=TEXTS_MAX)]
"""Texts in order (an agenda, ground rules), at most 100."""

Number = Annotated[
    Decimal,
    Field(allow_inf_nan=False, max_digits=NUMBER_DIGITS_MAX),
    WithJsonSchema(
        {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "maxLength": NUMBER_DIGITS_MAX + 2, "examples": ["1.50"]}
    ),
]
"""An exact number, written on the wire as a decimal string (``"1.50"``), at most 30 digits; floats are refused."""


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""An instant; naive datetimes are refused, aware ones are kept in UTC."""


def _unique(values: tuple[Any, ...]) -> tuple[Any, ...]:
    seen = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{value!r} appears more than once")
        seen.add(value)
    return values


IdSet = Annotated[tuple[Id, ...], Field(max_length=IDS_MAX), AfterValidator(_unique)]
"""Ids without repetition, in the order the producer gave them; at most 1,000."""

NonEmptyIdSet = Annotated[tuple[Id, ...], Field(min_length=1, max_length=IDS_MAX), AfterValidator(_unique)]
"""An ``IdSet`` of at least one id."""


ElectionPeriod = Annotated[str, Field(pattern=r"^\d{4}-\d{4}$", examples=["2024-2027"])]
"""A municipal election period (valgperiode), four years, e.g. ``2024-2027``."""

MunicipalityNumber = Annotated[str, Field(pattern=r"^\d{4}$", examples=["3201"])]
"""The municipality's number (kommunenummer), e.g. ``3201`` for Bærum."""


def check_election_period(period: str) -> str:
    start, end = (int(part) for part in period.split("-"))
    if end != start + 3:
        raise ValueError(f"election period {period} must span four years, e.g. {start}-{start + 3}")
    return period


class Body(StrEnum):
    """A political or administrative body that decides or takes part (Popolo: organization)."""

    MUNICIPAL_COUNCIL = "municipal_council"  # kommunestyre
    EXECUTIVE_COMMITTEE = "executive_committee"  # formannskap
    PLANNING_COMMITTEE = "planning_committee"  # planutvalg
    CONTROL_COMMITTEE = "control_committee"  # kontrollutvalg
    SECTOR_COMMITTEE = "sector_committee"  # hovedutvalg / fagutvalg
    ADMINISTRATION = "administration"  # kommunedirektør, delegated decisions
    OTHER = "other"


class StrategyAction(StrEnum):
    """What a plan strategy decides for a plan (videreføre, revidere, ny, oppheve, slå sammen)."""

    CONTINUE = "continue"
    REVISE = "revise"
    NEW = "new"
    REPEAL = "repeal"
    MERGE = "merge"


class PlanType(StrEnum):
    """The plan types of the municipal plan system (domain.md, "Terms").

    A planprogram is not among them: PBL §4-1 makes it a step of a kommuneplan's process
    (the plan's status ``planprogram_adopted``), not a plan of the plan system.
    """

    KOMMUNEPLAN_SAMFUNNSDEL = "kommuneplan_samfunnsdel"  # kommuneplanens samfunnsdel, social element
    KOMMUNEPLAN_AREALDEL = "kommuneplan_arealdel"  # kommuneplanens arealdel, land use
    HANDLINGSDEL = "handlingsdel"  # action part, revised yearly (PBL §11-1, §11-4)
    KOMMUNEDELPLAN = "kommunedelplan"  # municipal sub-plan
    TEMAPLAN = "temaplan"  # thematic plan
    SEKTORPLAN = "sektorplan"  # sector plan
    STRATEGI = "strategi"  # strategy
    OMRADEREGULERINGSPLAN = "omradereguleringsplan"  # area zoning plan
    DETALJREGULERINGSPLAN = "detaljreguleringsplan"  # detailed zoning plan
    INTERKOMMUNAL_PLAN = "interkommunal_plan"  # inter-municipal plan
    OTHER = "other"


STATUTORY_PLAN_TYPES: frozenset[PlanType] = frozenset(
    {
        PlanType.KOMMUNEPLAN_SAMFUNNSDEL,
        PlanType.KOMMUNEPLAN_AREALDEL,
        PlanType.KOMMUNEDELPLAN,
    }
)
"""Plans adopted only after the statutory process of a kommuneplan: an adopted planprogram
(PBL §4-1) and a consultation of at least six weeks (PBL §11-14) on record.

The handlingsdel is a part of the kommuneplan but is revised every year with the
økonomiplan (PBL §11-4) and has no planprogram; zoning plans follow PBL chapter 12,
where a planprogram is needed only for plans with significant effects, which the
register does not judge; lighter plans (temaplan, sektorplan, strategi) have no
statutory process (domain.md, "Lifecycle of a statutory plan").
"""


class ValueObject(BaseModel):
    """A part of a payload (votes, a ballot line): frozen, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class IntegrationEvent(BaseModel):
    """A public fact one service tells the others; the ``payload`` of an envelope."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1
    event_source: ClassVar[str]
    """The envelope ``source`` that publishes it (``plan-registry`` | ``cocreation``)."""
    effective_field: ClassVar[str | None] = None
    """The payload's date field that says when the fact happened in the municipality (its effective
    time: the meeting, the seminar, the day work started); ``None`` when the event has none, and then
    the day it was recorded stands in (``effective_date``)."""

    omitted_when_none: ClassVar[frozenset[str]] = frozenset()
    """Optional fields added to a version after its events were first sealed: left out of the payload while
    ``None``, so an event that does not use them has the bytes, and the hash, it had before they existed."""

    def effective_on(self) -> date | None:
        """The day this fact happened in the municipality, if the payload says so."""
        if self.effective_field is None:
            return None
        value = getattr(self, self.effective_field)
        return value if isinstance(value, date) else None

    def to_payload(self) -> dict[str, Any]:
        """The payload as plain values (Decimal, date, datetime, enums kept), without the ``omitted_when_none``
        fields that are ``None``."""
        values = self.model_dump(mode="python")
        for name in self.omitted_when_none:
            if values.get(name) is None:
                values.pop(name, None)
        return values


MUNICIPAL_TIMEZONE = ZoneInfo("Europe/Oslo")
"""The municipality's calendar: a recorded instant becomes a day in Norwegian time."""


def municipal_day(instant: datetime) -> date:
    """The calendar day in Norway of an aware instant (23:30 UTC on 31 December is 1 January)."""
    return instant.astimezone(MUNICIPAL_TIMEZONE).date()


def effective_date(event: IntegrationEvent, occurred_at: datetime) -> date:
    """Effective time of a fact: the payload's own date, else the Norwegian day it was recorded (``occurred_at``)."""
    return event.effective_on() or municipal_day(occurred_at)


E = TypeVar("E", bound=type[IntegrationEvent])


class EventRegistry:
    """Payload models by ``(event_type, schema_version)``."""

    def __init__(self, models: tuple[type[IntegrationEvent], ...] = ()) -> None:
        self._models: dict[tuple[str, int], type[IntegrationEvent]] = {}
        for model in models:
            self.register(model)

    def register(self, model: E) -> E:
        """Register ``model``; usable as a class decorator. Registering a second model for a key is an error."""
        event_type = getattr(model, "event_type", None)
        source = getattr(model, "event_source", None)
        if not isinstance(event_type, str) or source not in SOURCES:
            raise TypeError(f"{model.__name__} needs class-level event_type and an event_source of {SOURCES}")
        key = (event_type, model.schema_version)
        existing = self._models.get(key)
        if existing is not None and existing is not model:
            raise ValueError(f"{event_type} v{model.schema_version} is already registered as {existing.__name__}")
        self._models[key] = model
        return model

    def model_for(self, event_type: str, schema_version: int) -> type[IntegrationEvent]:
        try:
            return self._models[(event_type, schema_version)]
        except KeyError:
            known = sorted(v for (t, v) in self._models if t == event_type)
            if known:
                reason = f"event type {event_type!r} has no schema version {schema_version} (known: {known})"
            else:
                reason = f"unknown event type {event_type!r} (schema version {schema_version})"
            raise UnknownEventType(event_type, schema_version, reason) from None

    def latest(self, event_type: str) -> type[IntegrationEvent]:
        versions = [v for (t, v) in self._models if t == event_type]
        if not versions:
            raise UnknownEventType(event_type, 0, f"unknown event type {event_type!r}")
        return self._models[(event_type, max(versions))]

    def validate(self, event_type: str, schema_version: int, source: str, payload: Any) -> IntegrationEvent:
        """The typed payload, or ``UnknownEventType`` / ``InvalidPayload`` saying why not."""
        model = self.model_for(event_type, schema_version)
        if source != model.event_source:
            raise InvalidPayload(f"{event_type} v{schema_version} is published by {model.event_source}, not {source}")
        try:
            return model.model_validate(payload)
        except ValidationError as error:
            raise InvalidPayload(f"{event_type} v{schema_version}: {describe_validation_error(error)}") from None

    def copy(self) -> EventRegistry:
        clone = EventRegistry()
        clone._models = dict(self._models)
        return clone

    def __iter__(self) -> Iterator[type[IntegrationEvent]]:
        """Models sorted by source, event type and version: a stable order for schemas and docs."""
        return iter(
            self._models[key] for key in sorted(self._models, key=lambda k: (self._models[k].event_source, k[0], k[1]))
        )

    def __len__(self) -> int:
        return len(self._models)

    def __contains__(self, key: object) -> bool:
        return key in self._models


def describe_validation_error(error: ValidationError) -> str:
    """One line per problem, naming the field: what a dead letter or a 422 shows."""
    parts = []
    for problem in error.errors(include_url=False):
        location = ".".join(str(part) for part in problem["loc"]) or "(payload)"
        parts.append(f"{location}: {problem['msg']}")
    return "; ".join(parts)


REGISTRY = EventRegistry()
"""Every event of the catalogue; filled when ``planspor_shared.events`` is imported."""

register = REGISTRY.register
