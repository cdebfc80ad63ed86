"""The ids co-creation derives (uuid5) instead of drawing, so that replaying or retrying gives the same ones."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

NAMESPACE = uuid5(NAMESPACE_URL, "https://planspor.no/cocreation")
"""Root of the deterministic ids this service derives."""

STORED_TOPIC_PREFIX = "cocreation.domain:"
"""Stored events name their class under the domain package, not the module it lives in (see ``stored_topic``)."""


def stored_topic(qualname: str) -> str:
    """The topic an event is stored under, e.g. ``cocreation.domain:Process.Started``.

    Fixed by name rather than derived from the defining module, so moving a class
    between modules never changes what is stored, and queries by topic (the list of
    processes) find events stored before and after the move alike.
    """
    return STORED_TOPIC_PREFIX + qualname


def ballot_id_for(prioritisation_id: UUID | str, cast_number: int) -> UUID:
    """A ballot's id from its prioritisation and the number of the cast (1, 2, ...)."""
    return uuid5(NAMESPACE, f"ballot:{prioritisation_id}:{cast_number}")


def recommendation_id_for(process_id: UUID | str) -> UUID:
    """One recommendation per process: its id is derived from the process."""
    return uuid5(NAMESPACE, f"recommendation:{process_id}")
