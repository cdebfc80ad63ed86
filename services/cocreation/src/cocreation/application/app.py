"""The co-creation application: its commands, queries and the plan catalogue on one event store."""

from __future__ import annotations

from cocreation.application.base import Clock
from cocreation.application.prioritisations import PrioritisationCommands
from cocreation.application.processes import ProcessCommands
from cocreation.application.views import Reads
from cocreation.application.workshops import WorkshopCommands


class CocreationApplication(ProcessCommands, WorkshopCommands, PrioritisationCommands, Reads):
    """Co-creation on ``planspor_runtime.application.ServiceApplication``: every command runs through
    ``command`` (one transaction, idempotency, optimistic concurrency), every read through ``get``."""

    name = "Cocreation"
    """Names the store's tables; it stays what it was when the first events were stored."""


def in_memory(clock: Clock | None = None) -> CocreationApplication:
    """The application on the in-memory (POPO) store, for unit tests and demos."""
    return CocreationApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock)
