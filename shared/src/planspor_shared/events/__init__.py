"""The event catalogue of design.md: one module per source, one registry for all.

Importing this package registers every payload model in ``REGISTRY``.
"""

from planspor_shared.events import cocreation, plan_registry
from planspor_shared.events.base import (
    REGISTRY,
    SOURCES,
    EventRegistry,
    IntegrationEvent,
    ValueObject,
    describe_validation_error,
    register,
)

__all__ = [
    "REGISTRY",
    "SOURCES",
    "EventRegistry",
    "IntegrationEvent",
    "ValueObject",
    "cocreation",
    "describe_validation_error",
    "plan_registry",
    "register",
]
