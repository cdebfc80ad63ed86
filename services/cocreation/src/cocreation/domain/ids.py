"""The names co-creation fixes instead of drawing: derived ids (uuid5), so that replaying or retrying gives the
same ones, and the module its stored topics name."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

NAMESPACE = uuid5(NAMESPACE_URL, "https://planspor.no/cocreation")
"""Root of the deterministic ids this service derives."""

STORED_TOPIC_MODULE = "cocreation.domain"
"""The module every aggregate names in its stored topics (``cocreation.domain:Process.Started``).

The aggregates live in one module each, but events stored before the domain became a
package name ``cocreation.domain``; the aggregates keep that name (``__module__``), so old
and new events carry one topic, are listed together by topic (the list of processes), and
resolve through the package's re-exports."""


def ballot_id_for(prioritisation_id: UUID | str, cast_number: int) -> UUID:
    """A ballot's id from its prioritisation and the number of the cast (1, 2, ...)."""
    return uuid5(NAMESPACE, f"ballot:{prioritisation_id}:{cast_number}")


def recommendation_id_for(process_id: UUID | str) -> UUID:
    """One recommendation per process: its id is derived from the process."""
    return uuid5(NAMESPACE, f"recommendation:{process_id}")
