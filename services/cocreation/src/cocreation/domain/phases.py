"""The lifecycle of a co-creation process: its phases, in order, and what may be done in each.

"First co-creation, then the traditional decision model": participants are enrolled
and workshops scheduled while the process is prepared; inputs and plan needs come
from held workshops; the needs are then prioritised; the result is recommended, and
issuing the recommendation hands the process over to the formal track. Phases run
strictly in order and never back; nothing is added after the hand-over.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from cocreation.domain.vocabulary import ProcessPhase

PHASE_ORDER: tuple[ProcessPhase, ...] = (
    ProcessPhase.PREPARATION,
    ProcessPhase.WORKSHOPS,
    ProcessPhase.PRIORITISATION,
    ProcessPhase.RECOMMENDATION,
    ProcessPhase.HANDED_OVER,
)


class Activity(StrEnum):
    """What a command does to a process; the value is how a refusal names it."""

    ENROLL = "enroll participants"
    SCHEDULE_WORKSHOP = "schedule workshops"
    HOLD_WORKSHOP = "hold workshops"
    RECORD_INPUT = "record inputs"
    PROPOSE_PLAN_NEED = "propose plan needs"
    OPEN_PRIORITISATION = "open a prioritisation"
    CLOSE_PRIORITISATION = "close a prioritisation"
    ISSUE_RECOMMENDATION = "issue the recommendation"
    HAND_OVER = "hand over"


ALLOWED_IN: Mapping[Activity, tuple[ProcessPhase, ...]] = {
    Activity.ENROLL: (ProcessPhase.PREPARATION, ProcessPhase.WORKSHOPS),
    Activity.SCHEDULE_WORKSHOP: (ProcessPhase.PREPARATION, ProcessPhase.WORKSHOPS),
    Activity.HOLD_WORKSHOP: (ProcessPhase.WORKSHOPS,),
    Activity.RECORD_INPUT: (ProcessPhase.WORKSHOPS,),
    Activity.PROPOSE_PLAN_NEED: (ProcessPhase.WORKSHOPS,),
    Activity.OPEN_PRIORITISATION: (ProcessPhase.PRIORITISATION,),
    Activity.CLOSE_PRIORITISATION: (ProcessPhase.PRIORITISATION,),
    Activity.ISSUE_RECOMMENDATION: (ProcessPhase.RECOMMENDATION,),
    Activity.HAND_OVER: (ProcessPhase.RECOMMENDATION,),
}
"""The phases in which each activity is allowed (rule ``process.phase``)."""


def next_phase(phase: ProcessPhase) -> ProcessPhase | None:
    """The phase after ``phase``; None after the hand-over."""
    index = PHASE_ORDER.index(phase)
    return PHASE_ORDER[index + 1] if index + 1 < len(PHASE_ORDER) else None
