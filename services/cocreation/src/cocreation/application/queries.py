"""The queries: one aggregate's view, the lists of a process, the participation report.

A read of one aggregate returns its view, whose ``version`` the API puts in the ``ETag``.
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from cocreation.application import views
from cocreation.application.base import CocreationBase
from cocreation.domain import Input, PlanNeed, Prioritisation, Process, Recommendation, Workshop

PartsOfProcess = Literal["workshops", "inputs", "plan_needs", "prioritisations"]


class Queries(CocreationBase):
    def list_processes(self) -> list[dict[str, Any]]:
        return [views.process_summary(self.get(Process, i)) for i in self.ids_created([Process.Started])]

    def get_process(self, process_id: UUID | str) -> dict[str, Any]:
        return views.process_view(self.get(Process, process_id))

    def get_workshop(self, workshop_id: UUID | str) -> dict[str, Any]:
        return views.workshop_view(self.get(Workshop, workshop_id))

    def get_input(self, input_id: UUID | str) -> dict[str, Any]:
        return views.input_view(self.get(Input, input_id))

    def get_plan_need(self, plan_need_id: UUID | str) -> dict[str, Any]:
        return views.plan_need_view(self.get(PlanNeed, plan_need_id))

    def get_prioritisation(self, prioritisation_id: UUID | str) -> dict[str, Any]:
        return views.prioritisation_view(self.get(Prioritisation, prioritisation_id))

    def get_recommendation(self, recommendation_id: UUID | str) -> dict[str, Any]:
        return views.recommendation_view(self.get(Recommendation, recommendation_id))

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
        recommendation = (self.get(Recommendation, process.recommendation_id)
                          if process.recommendation_id else None)
        return views.participation_report(
            process,
            workshops=[self.get(Workshop, w) for w in process.workshop_ids],
            inputs=[self.get(Input, i) for i in process.input_ids],
            prioritisations=[self.get(Prioritisation, p) for p in process.prioritisation_ids],
            recommendation=recommendation,
        )
