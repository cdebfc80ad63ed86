"""Why an integration event cannot be used; the knowledge projector keeps the reason as a dead letter."""

from __future__ import annotations


class ContractError(ValueError):
    """An event that does not meet the contracts of ``planspor_shared``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidEnvelope(ContractError):
    """The bytes are not a well-formed envelope (bad JSON, missing or malformed field, float)."""


class UnknownEventType(ContractError):
    """No payload model is registered for this (event_type, schema_version)."""

    def __init__(self, event_type: str, schema_version: int, reason: str | None = None) -> None:
        super().__init__(reason or f"unknown event type {event_type!r} version {schema_version}")
        self.event_type = event_type
        self.schema_version = schema_version


class InvalidPayload(ContractError):
    """The payload does not validate against the model of its event type and version."""
