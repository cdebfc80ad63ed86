"""The reads: an aggregate's current state as plain JSON data, the lists of a process, the participation report.

The views are pure functions of the aggregates; ``Reads`` fetches and shapes. ``version``
in a view is the aggregate's recorded version, the same the read's ``ETag`` carries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any, Literal
from uuid import UUID

from cocreation.application.base import CocreationBase
from cocreation.domain import Input, Participant, PlanNeed, Prioritisation, Process, Recommendation, Workshop
from planspor_runtime.application import attributes


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def participant_view(p: Participant) -> dict[str, Any]:
    return {
        **attributes(p, "id name kind role party"),
        "body": p.body.value if p.body else None,
        "substitute": p.substitute,
        "unit": p.unit,
    }


def process_summary(p: Process) -> dict[str, Any]:
    return {
        "process_id": str(p.id),
        **attributes(p, "title election_period phase version"),
    }


def process_view(p: Process) -> dict[str, Any]:
    return {
        **process_summary(p),
        **attributes(p, "purpose roles_and_limits all_officials_invited follow_up_days"),
        "participants": [participant_view(x) for x in p.participants.values()],
        "workshop_ids": list(p.workshop_ids),
        "input_ids": list(p.input_ids),
        "plan_need_ids": list(p.plan_need_ids),
        "prioritisation_ids": list(p.prioritisation_ids),
        "recommendation_id": p.recommendation_id,
        "started_at": p.created_on.isoformat(),
    }


def workshop_view(w: Workshop) -> dict[str, Any]:
    return {
        "workshop_id": str(w.id),
        "process_id": w.process_id,
        "title": w.title,
        "on": w.on.isoformat(),
        "format": w.format.value,
        "location": w.location,
        "agenda": list(w.agenda),
        "held_on": _iso(w.held_on),
        "inputs_until": _iso(w.inputs_until),
        "attendee_ids": list(w.attendees),
        "version": w.version,
    }


def input_view(i: Input) -> dict[str, Any]:
    return {
        "input_id": str(i.id),
        **attributes(i, "process_id workshop_id author_id kind text"),
        "plan_ids": list(i.plan_ids),
        "goal_ids": list(i.goal_ids),
        "recorded_on": i.recorded_on.isoformat(),
        "version": i.version,
    }


def plan_need_view(n: PlanNeed) -> dict[str, Any]:
    return {
        "plan_need_id": str(n.id),
        **attributes(n, "process_id kind title rationale plan_id merge_into_plan_id plan_type"),
        "input_ids": list(n.input_ids),
        "version": n.version,
    }


def prioritisation_view(v: Prioritisation) -> dict[str, Any]:
    return {
        "prioritisation_id": str(v.id),
        **attributes(v, "process_id title method"),
        "candidate_ids": list(v.candidate_ids),
        "eligible_ids": list(v.eligible_ids),
        **attributes(v, "quorum dots_per_participant tie_break"),
        "status": "made" if v.is_made else "open",
        "ballots": [{"participant_id": p, "ballot_id": v.ballot_ids[p], **b.as_dict()} for p, b in v.ballots.items()],
        "result": [r.as_dict() for r in v.result] if v.result is not None else None,
        "version": v.version,
    }


def recommendation_view(r: Recommendation) -> dict[str, Any]:
    return {
        "recommendation_id": str(r.id),
        **attributes(r, "process_id prioritisation_id election_period"),
        "issued_on": r.issued_on.isoformat(),
        "summary": r.summary,
        "items": [dict(i) for i in r.items],
        "version": r.version,
        "council_constituted_on": _iso(r.council_constituted_on),
    }


def participation_view(
    process: Process,
    workshops: Sequence[Workshop],
    inputs: Sequence[Input],
    prioritisations: Sequence[Prioritisation],
    recommendation: Recommendation | None,
) -> dict[str, Any]:
    """Who took part in what, by party and body; the share of elected officials who took part;
    and the days from the first input to the recommendation."""
    attended = Counter(a for w in workshops for a in w.attendees)
    authored = Counter(i.author_id for i in inputs)
    voted = Counter(p for v in prioritisations for p in v.ballots)
    rows = []
    for participant in process.participants.values():
        pid = participant.id
        rows.append(
            {
                **participant_view(participant),
                "workshops_attended": attended[pid],
                "inputs": authored[pid],
                "ballots_cast": voted[pid],
                "took_part": bool(attended[pid] or authored[pid] or voted[pid]),
            }
        )
    officials = [r for r in rows if r["kind"] == "elected_official"]
    took_part = [r for r in officials if r["took_part"]]
    first_input = min((i.recorded_on for i in inputs), default=None)
    issued_on = recommendation.issued_on if recommendation is not None else None
    days = (issued_on - first_input).days if first_input is not None and issued_on is not None else None
    return {
        "process_id": str(process.id),
        "participants": rows,
        "by_party": _group(officials, "party"),
        "by_body": _group(officials, "body"),
        "elected_officials": len(officials),
        "elected_officials_took_part": len(took_part),
        "share_of_elected_officials_took_part": round(len(took_part) / len(officials), 4) if officials else None,
        "workshops_held": sum(1 for w in workshops if w.is_held),
        "first_input_on": _iso(first_input),
        "recommendation_issued_on": _iso(issued_on),
        "days_from_first_input_to_recommendation": days,
    }


def _group(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row[key] or "(none)", []).append(row)
    return [
        {
            key: name,
            "enrolled": len(members),
            "took_part": sum(1 for m in members if m["took_part"]),
            "workshops_attended": sum(m["workshops_attended"] for m in members),
            "inputs": sum(m["inputs"] for m in members),
            "ballots_cast": sum(m["ballots_cast"] for m in members),
        }
        for name, members in sorted(groups.items())
    ]


PartsOfProcess = Literal["workshops", "inputs", "plan_needs", "prioritisations"]


class Reads(CocreationBase):
    """The queries: one aggregate's view (whose ``version`` the API puts in the ``ETag``), the lists of a
    process, the participation report."""

    def list_processes(self) -> list[dict[str, Any]]:
        return [process_summary(self.get(Process, i)) for i in self.ids_created([Process.Started])]

    def get_process(self, process_id: UUID | str) -> dict[str, Any]:
        return process_view(self.get(Process, process_id))

    def get_workshop(self, workshop_id: UUID | str) -> dict[str, Any]:
        return workshop_view(self.get(Workshop, workshop_id))

    def get_input(self, input_id: UUID | str) -> dict[str, Any]:
        return input_view(self.get(Input, input_id))

    def get_plan_need(self, plan_need_id: UUID | str) -> dict[str, Any]:
        return plan_need_view(self.get(PlanNeed, plan_need_id))

    def get_prioritisation(self, prioritisation_id: UUID | str) -> dict[str, Any]:
        return prioritisation_view(self.get(Prioritisation, prioritisation_id))

    def get_recommendation(self, recommendation_id: UUID | str) -> dict[str, Any]:
        return recommendation_view(self.get(Recommendation, recommendation_id))

    def processes_page(self, *, limit: int, after: int = 0) -> tuple[list[dict[str, Any]], int | None]:
        """A page of ``list_processes`` after the log position ``after``, and the position to continue after."""
        ids, last = self.created_page([Process.Started], limit=limit, after=after)
        return [process_summary(self.get(Process, i)) for i in ids], last

    def page_of(
        self, process_id: UUID | str, what: PartsOfProcess, *, limit: int, after: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """A page of ``list_of``: at most ``limit`` after the one with id ``after``, and the id to continue after
        (None on the last page). A process only ever adds parts, so a page stays the same while it grows; an
        ``after`` that is not a part of the process raises ``LookupError``."""
        process = self.get(Process, process_id)
        ids = [str(i) for i in getattr(process, f"{what[:-1]}_ids")]
        start = 0
        if after is not None:
            if after not in ids:
                raise LookupError(after)
            start = ids.index(after) + 1
        chosen = ids[start : start + limit]
        more = start + limit < len(ids)
        view = {
            "workshops": self.get_workshop,
            "inputs": self.get_input,
            "plan_needs": self.get_plan_need,
            "prioritisations": self.get_prioritisation,
        }[what]
        return [view(i) for i in chosen], (chosen[-1] if more and chosen else None)

    def list_of(self, process_id: UUID | str, what: PartsOfProcess) -> list[dict[str, Any]]:
        """The workshops, inputs, plan needs or prioritisations of a process, in the order they were added."""
        process = self.get(Process, process_id)
        if what == "workshops":
            return [self.get_workshop(i) for i in process.workshop_ids]
        if what == "inputs":
            return [self.get_input(i) for i in process.input_ids]
        if what == "plan_needs":
            return [self.get_plan_need(i) for i in process.plan_need_ids]
        return [self.get_prioritisation(i) for i in process.prioritisation_ids]

    def participation_report(self, process_id: UUID | str) -> dict[str, Any]:
        process = self.get(Process, process_id)
        recommendation = self.get(Recommendation, process.recommendation_id) if process.recommendation_id else None
        return participation_view(
            process,
            workshops=[self.get(Workshop, w) for w in process.workshop_ids],
            inputs=[self.get(Input, i) for i in process.input_ids],
            prioritisations=[self.get(Prioritisation, p) for p in process.prioritisation_ids],
            recommendation=recommendation,
        )
