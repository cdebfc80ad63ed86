"""The co-creation application: commands (get -> call -> save), queries as plain
data, the history of any aggregate, the participation report, and the local plan
catalogue kept from plan-registry's ``plan.*`` events.

Guarantees:
- a command saves all the aggregates it changed in one ``save`` (one transaction);
- ``expected_version`` that does not match, and a concurrent save of the same
  aggregate, both raise ``ConcurrencyConflict``;
- a command given an ``idempotency_key`` stores its first response in an
  ``IdempotencyRecord`` saved in the same transaction, so a retry returns it
  and changes nothing;
- ``on_plan_event`` can be given the same event any number of times, in any
  order, and the catalogue ends the same.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import date, datetime, timezone
from typing import Any, Callable, Iterable, Mapping, Sequence, TypeVar
from uuid import UUID, uuid4, uuid5

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError, JSONTranscoder
from eventsourcing.utils import get_topic

from cocreation.domain import (
    NAMESPACE,
    TRANSCODINGS,
    Ballot,
    Input,
    Meta,
    Phase,
    PlanNeed,
    Prioritisation,
    Process,
    Recommendation,
    RecommendedAction,
    RecommendedNeed,
    Workshop,
    recommendation_id_for,
)

Clock = Callable[[], datetime]
A = TypeVar("A", bound=Aggregate)


class ApplicationError(Exception):
    rule = "cocreation.application"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def as_dict(self) -> dict[str, Any]:
        return {"error": self.rule, "paragraph": None, "message": self.message}


class NotFound(ApplicationError):
    rule = "not_found"

    def __init__(self, kind: str, id: Any) -> None:
        super().__init__(f"no {kind} with id {id}")
        self.kind = kind
        self.id = str(id)


class ConcurrencyConflict(ApplicationError):
    """Someone else changed the aggregate since the caller read it."""

    rule = "concurrency.version_conflict"


class IdempotencyKeyReused(ApplicationError):
    """The same Idempotency-Key was sent with a different request."""

    rule = "idempotency.key_reused"


# --------------------------------------------------------------------------- support aggregates


class IdempotencyRecord(Aggregate):
    """The first response to a command sent with an Idempotency-Key; its id is uuid5(key)."""

    @staticmethod
    def id_for(key: str) -> UUID:
        return uuid5(NAMESPACE, f"idempotency:{key}")

    @event("Recorded")
    def __init__(self, *, id: UUID, key: str, command: str, fingerprint: str, response: dict) -> None:
        self.key = key
        self.command = command
        self.fingerprint = fingerprint
        self.response = response


CATALOGUE_FIELDS = ("title", "plan_type", "status")


class CataloguedPlan(Aggregate):
    """What co-creation knows of a plan in plan-registry, keyed uuid5(plan id).

    Each field keeps the source position of the event that set it; an event
    changes a field only if its position is higher. So redelivered and
    reordered events leave the same state.
    """

    @staticmethod
    def id_for(plan_id: str) -> UUID:
        return uuid5(NAMESPACE, f"plan:{plan_id}")

    @event("Catalogued")
    def __init__(self, *, id: UUID, plan_id: str) -> None:
        self.plan_id = plan_id
        self.title: str | None = None
        self.plan_type: str | None = None
        self.status: str | None = None
        self.positions: dict[str, int] = {}
        self.position = 0

    def absorb(self, position: int, fields: Mapping[str, Any]) -> bool:
        changes = {f: v for f, v in fields.items() if position > self.positions.get(f, 0)}
        if not changes and position <= self.position:
            return False
        self._observed(position=position, changes=changes)
        return True

    @event("Observed")
    def _observed(self, position: int, changes: dict) -> None:
        for name, value in changes.items():
            setattr(self, name, value)
            self.positions[name] = position
        self.position = max(self.position, position)


def _plan_fields(event_type: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    if event_type == "plan.proposed":
        return {"title": payload.get("title"), "plan_type": payload.get("plan_type"), "status": "proposed"}
    if event_type == "plan.status_changed":
        return {"status": payload.get("to_status")}
    return {}


# --------------------------------------------------------------------------- the application


def _json_default(value: Any) -> Any:
    if isinstance(value, (date, datetime, UUID)):
        return str(value)
    if isinstance(value, Meta):
        return value.as_dict()
    raise TypeError(f"cannot fingerprint {type(value).__name__}")


def fingerprint(command: str, request: Mapping[str, Any]) -> str:
    body = json.dumps({"command": command, "request": request}, sort_keys=True, default=_json_default)
    return hashlib.sha256(body.encode()).hexdigest()


class CocreationApplication(Application[UUID]):
    """Co-creation's commands and queries over one event store."""

    name = "Cocreation"
    log_section_size = 1000

    def __init__(self, env: Mapping[str, str] | None = None, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or (lambda: datetime.now(timezone.utc))
        super().__init__(env=dict(env or {}))

    def construct_env(self, name: str, env: Mapping[str, str] | None = None):  # type: ignore[override]
        """Only the given env configures the store: settings are the one reader of the environment."""
        from eventsourcing.utils import Environment

        merged = dict(type(self).env)
        merged.update(env or {})
        return Environment(name, merged)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in TRANSCODINGS:
            transcoder.register(transcoding)

    # ------------------------------------------------------------------ plumbing

    def today(self) -> date:
        return self.clock().date()

    def _get(self, cls: type[A], id: UUID | str, kind: str, expected_version: int | None = None) -> A:
        try:
            aggregate_id = id if isinstance(id, UUID) else UUID(str(id))
            aggregate = self.repository.get(aggregate_id)
        except (AggregateNotFoundError, ValueError):
            raise NotFound(kind, id) from None
        if not isinstance(aggregate, cls):
            raise NotFound(kind, id)
        if expected_version is not None and aggregate.version != expected_version:
            raise ConcurrencyConflict(
                f"{kind} {id} is at version {aggregate.version}, not {expected_version}: reload and retry"
            )
        return aggregate

    def _command(
        self,
        command: str,
        idempotency_key: str | None,
        request: Mapping[str, Any],
        run: Callable[[], tuple[dict[str, Any], Sequence[Aggregate]]],
    ) -> dict[str, Any]:
        """Run ``run`` and save what it changed, with the idempotency record when keyed."""
        record_id = IdempotencyRecord.id_for(idempotency_key) if idempotency_key else None
        print_ = fingerprint(command, request)
        if record_id is not None:
            earlier = self._idempotent_response(record_id, command, print_)
            if earlier is not None:
                return earlier
        response, aggregates = run()
        to_save: list[Aggregate] = list(aggregates)
        if record_id is not None:
            to_save.append(
                IdempotencyRecord(
                    id=record_id, key=idempotency_key, command=command, fingerprint=print_, response=response
                )
            )
        try:
            self.save(*to_save)
        except IntegrityError:
            if record_id is not None:
                earlier = self._idempotent_response(record_id, command, print_)
                if earlier is not None:
                    return earlier
            raise ConcurrencyConflict("changed concurrently by another command: reload and retry") from None
        return response

    def _idempotent_response(self, record_id: UUID, command: str, print_: str) -> dict[str, Any] | None:
        try:
            record = self.repository.get(record_id)
        except AggregateNotFoundError:
            return None
        if record.fingerprint != print_:
            raise IdempotencyKeyReused(
                f"Idempotency-Key {record.key} was first used for a different request ({record.command}): "
                "use a new key for a new request"
            )
        return dict(record.response)

    # ------------------------------------------------------------------ commands

    def start_process(
        self,
        *,
        title: str,
        purpose: str,
        election_period: str,
        roles_and_limits: str,
        all_officials_invited: bool,
        follow_up_days: int,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        request = dict(title=title, purpose=purpose, election_period=election_period,
                       roles_and_limits=roles_and_limits, all_officials_invited=all_officials_invited,
                       follow_up_days=follow_up_days)

        def run():
            process = Process.start(meta=meta, **request)
            return {"process_id": str(process.id), "version": process.version}, [process]

        return self._command("start_process", idempotency_key, request, run)

    def enroll_participant(
        self,
        process_id: UUID | str,
        *,
        name: str,
        kind: str,
        role: str,
        party: str | None = None,
        body: str | None = None,
        unit: str | None = None,
        substitute: bool = False,
        meta: Meta,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        request = dict(process_id=str(process_id), name=name, kind=kind, role=role, party=party, body=body,
                       unit=unit, substitute=substitute, expected_version=expected_version)

        def run():
            process = self._get(Process, process_id, "process", expected_version)
            participant_id = str(uuid4())
            process.enroll(participant_id=participant_id, name=name, kind=kind, role=role, party=party, body=body,
                           unit=unit, substitute=substitute, meta=meta)
            return {"process_id": str(process.id), "participant_id": participant_id,
                    "version": process.version}, [process]

        return self._command("enroll_participant", idempotency_key, request, run)

    def advance_phase(
        self,
        process_id: UUID | str,
        *,
        to: str,
        meta: Meta,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        request = dict(process_id=str(process_id), to=to, expected_version=expected_version)

        def run():
            process = self._get(Process, process_id, "process", expected_version)
            workshops = [self._get(Workshop, w, "workshop") for w in process.workshop_ids]
            votes = [self._get(Prioritisation, p, "prioritisation") for p in process.prioritisation_ids]
            process.advance(
                to=to,
                held_workshops=sum(1 for w in workshops if w.is_held),
                plan_needs=len(process.plan_need_ids),
                made_prioritisations=sum(1 for p in votes if p.is_made),
                meta=meta,
            )
            return {"process_id": str(process.id), "phase": process.phase.value, "version": process.version}, [
                process
            ]

        return self._command("advance_phase", idempotency_key, request, run)

    def schedule_workshop(
        self,
        process_id: UUID | str,
        *,
        title: str,
        on: date,
        format: str,
        agenda: Sequence[str],
        location: str | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        request = dict(process_id=str(process_id), title=title, on=on, format=format, agenda=list(agenda),
                       location=location)

        def run():
            process = self._get(Process, process_id, "process")
            workshop = Workshop.schedule(process=process, title=title, on=on, format=format, agenda=agenda,
                                         location=location, meta=meta)
            return {"workshop_id": str(workshop.id), "version": workshop.version}, [process, workshop]

        return self._command("schedule_workshop", idempotency_key, request, run)

    def hold_workshop(
        self,
        workshop_id: UUID | str,
        *,
        held_on: date,
        attendee_ids: Sequence[str],
        meta: Meta,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        request = dict(workshop_id=str(workshop_id), held_on=held_on, attendee_ids=list(attendee_ids),
                       expected_version=expected_version)

        def run():
            workshop = self._get(Workshop, workshop_id, "workshop", expected_version)
            process = self._get(Process, workshop.process_id, "process")
            workshop.hold(process=process, held_on=held_on, attendees=list(attendee_ids), today=self.today(),
                          meta=meta)
            return {"workshop_id": str(workshop.id), "version": workshop.version}, [workshop]

        return self._command("hold_workshop", idempotency_key, request, run)

    def record_input(
        self,
        workshop_id: UUID | str,
        *,
        author_id: str,
        kind: str,
        text: str,
        plan_ids: Sequence[str] = (),
        goal_ids: Sequence[str] = (),
        recorded_on: date | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        request = dict(workshop_id=str(workshop_id), author_id=author_id, kind=kind, text=text,
                       plan_ids=list(plan_ids), goal_ids=list(goal_ids))
        if recorded_on is not None:
            request["recorded_on"] = recorded_on

        def run():
            workshop = self._get(Workshop, workshop_id, "workshop")
            process = self._get(Process, workshop.process_id, "process")
            item = Input.record(process=process, workshop=workshop, author_id=author_id, kind=kind, text=text,
                                plan_ids=list(plan_ids), goal_ids=list(goal_ids), unknown_plans=self.unknown_plans,
                                today=self.today(), recorded_on=recorded_on, meta=meta)
            return {"input_id": str(item.id), "version": item.version}, [process, item]

        return self._command("record_input", idempotency_key, request, run)

    def propose_plan_need(
        self,
        process_id: UUID | str,
        *,
        input_ids: Sequence[str],
        kind: str,
        title: str,
        rationale: str = "",
        plan_id: str | None = None,
        merge_into_plan_id: str | None = None,
        plan_type: str | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        request = dict(process_id=str(process_id), input_ids=list(input_ids), kind=kind, title=title,
                       rationale=rationale, plan_id=plan_id, merge_into_plan_id=merge_into_plan_id,
                       plan_type=plan_type)

        def run():
            process = self._get(Process, process_id, "process")
            need = PlanNeed.propose(process=process, input_ids=list(input_ids), kind=kind, title=title,
                                    rationale=rationale, plan_id=plan_id, merge_into_plan_id=merge_into_plan_id,
                                    plan_type=plan_type, unknown_plans=self.unknown_plans, meta=meta)
            return {"plan_need_id": str(need.id), "version": need.version}, [process, need]

        return self._command("propose_plan_need", idempotency_key, request, run)

    def open_prioritisation(
        self,
        process_id: UUID | str,
        *,
        title: str,
        method: str,
        candidate_ids: Sequence[str],
        eligible_ids: Sequence[str] | None,
        quorum: int,
        dots_per_participant: int | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """``eligible_ids`` None means every enrolled elected official."""
        request = dict(process_id=str(process_id), title=title, method=method, candidate_ids=list(candidate_ids),
                       eligible_ids=None if eligible_ids is None else list(eligible_ids), quorum=quorum,
                       dots_per_participant=dots_per_participant)

        def run():
            process = self._get(Process, process_id, "process")
            eligible = [p.id for p in process.elected_officials] if eligible_ids is None else list(eligible_ids)
            vote = Prioritisation.open(process=process, title=title, method=method,
                                       candidate_ids=list(candidate_ids), eligible_ids=eligible, quorum=quorum,
                                       dots_per_participant=dots_per_participant, meta=meta)
            return {"prioritisation_id": str(vote.id), "version": vote.version}, [process, vote]

        return self._command("open_prioritisation", idempotency_key, request, run)

    def cast_ballot(
        self,
        prioritisation_id: UUID | str,
        *,
        participant_id: str,
        ranking: Sequence[str] = (),
        approvals: Sequence[str] = (),
        dots: Mapping[str, int] | None = None,
        meta: Meta,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        request = dict(prioritisation_id=str(prioritisation_id), participant_id=participant_id,
                       ranking=list(ranking), approvals=list(approvals), dots=dict(dots or {}),
                       expected_version=expected_version)

        def run():
            vote = self._get(Prioritisation, prioritisation_id, "prioritisation", expected_version)
            ballot = Ballot(ranking=tuple(ranking), approvals=tuple(approvals), dots=dict(dots or {}))
            replaced = participant_id in vote.ballots
            ballot_id = vote.cast_ballot(participant_id=participant_id, ballot=ballot, meta=meta)
            return {"prioritisation_id": str(vote.id), "ballot_id": ballot_id, "replaced": replaced,
                    "version": vote.version}, [vote]

        return self._command("cast_ballot", idempotency_key, request, run)

    def close_prioritisation(
        self,
        prioritisation_id: UUID | str,
        *,
        meta: Meta,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        request = dict(prioritisation_id=str(prioritisation_id), expected_version=expected_version)

        def run():
            vote = self._get(Prioritisation, prioritisation_id, "prioritisation", expected_version)
            process = self._get(Process, vote.process_id, "process")
            result = vote.close(process=process, meta=meta)
            return {"prioritisation_id": str(vote.id), "result": [r.as_dict() for r in result],
                    "version": vote.version}, [vote]

        return self._command("close_prioritisation", idempotency_key, request, run)

    def issue_recommendation(
        self,
        process_id: UUID | str,
        *,
        prioritisation_id: str,
        items: Sequence[Mapping[str, Any]],
        summary: str = "",
        council_constituted_on: date | None = None,
        meta: Meta,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """``items``: {need_id, action, start_year, note}. Issuing hands the process over."""
        request = dict(process_id=str(process_id), prioritisation_id=str(prioritisation_id),
                       items=[dict(i) for i in items], summary=summary, expected_version=expected_version)
        if council_constituted_on is not None:
            request["council_constituted_on"] = council_constituted_on

        def run():
            process = self._get(Process, process_id, "process", expected_version)
            vote = self._get(Prioritisation, prioritisation_id, "prioritisation")
            wanted = [
                RecommendedNeed(need_id=str(i["need_id"]), action=RecommendedAction(i["action"]),
                                start_year=int(i["start_year"]), note=str(i.get("note") or ""))
                for i in items
            ]
            needs = {
                n.need_id: self._get(PlanNeed, n.need_id, "plan need")
                for n in wanted
                if n.need_id in vote.candidate_ids
            }
            titles = {}
            for need in needs.values():
                if need.plan_id:
                    entry = self._catalogued(need.plan_id)
                    if entry is not None and entry.title:
                        titles[need.plan_id] = entry.title
            recommendation = Recommendation.issue(process=process, prioritisation=vote, needs=needs, items=wanted,
                                                  summary=summary, plan_titles=titles, today=self.today(),
                                                  meta=meta, council_constituted_on=council_constituted_on)
            return {"recommendation_id": str(recommendation.id), "process_id": str(process.id),
                    "version": recommendation.version}, [process, recommendation]

        return self._command("issue_recommendation", idempotency_key, request, run)

    # ------------------------------------------------------------------ the plan catalogue

    def on_plan_event(self, envelope: Any) -> bool:
        """Keep the plan catalogue from one of plan-registry's ``plan.*`` events.

        Idempotent and order-independent: see ``CataloguedPlan``. Returns whether
        anything changed. Other events are ignored.
        """
        get = envelope.get if isinstance(envelope, Mapping) else lambda name: getattr(envelope, name)
        event_type = str(get("event_type"))
        if get("source") != "plan-registry" or not event_type.startswith("plan."):
            return False
        payload = get("payload") or {}
        plan_id = str(payload.get("plan_id") or get("aggregate_id"))
        position = int(get("position"))
        fields = _plan_fields(event_type, payload)
        for _ in range(5):
            entry = self._catalogued(plan_id)
            created = entry is None
            if entry is None:
                entry = CataloguedPlan(id=CataloguedPlan.id_for(plan_id), plan_id=plan_id)
            changed = entry.absorb(position, fields) or created
            if not changed:
                return False
            try:
                self.save(entry)
                return True
            except IntegrityError:
                continue
        raise ConcurrencyConflict(f"plan {plan_id} in the catalogue kept changing concurrently")

    def _catalogued(self, plan_id: str) -> CataloguedPlan | None:
        try:
            return self.repository.get(CataloguedPlan.id_for(plan_id))
        except AggregateNotFoundError:
            return None

    def unknown_plans(self, plan_ids: Iterable[str]) -> set[str]:
        return {p for p in plan_ids if self._catalogued(p) is None}

    def get_plan(self, plan_id: str) -> dict[str, Any]:
        entry = self._catalogued(plan_id)
        if entry is None:
            raise NotFound("plan", plan_id)
        return self._plan_dict(entry)

    def list_plans(self) -> list[dict[str, Any]]:
        ids = self._ids_with_topic(CataloguedPlan.Catalogued)
        return [self._plan_dict(self.repository.get(i)) for i in ids]

    @staticmethod
    def _plan_dict(entry: CataloguedPlan) -> dict[str, Any]:
        return {"plan_id": entry.plan_id, "title": entry.title, "plan_type": entry.plan_type,
                "status": entry.status, "position": entry.position}

    # ------------------------------------------------------------------ queries

    def _ids_with_topic(self, event_class: type) -> list[UUID]:
        topic = get_topic(event_class)
        ids: list[UUID] = []
        start = 1
        while True:
            page = self.notification_log.select(start, self.log_section_size, topics=[topic])
            ids.extend(n.originator_id for n in page)
            if len(page) < self.log_section_size:
                return ids
            start = page[-1].id + 1

    def list_processes(self) -> list[dict[str, Any]]:
        return [self._process_summary(self.repository.get(i)) for i in self._ids_with_topic(Process.Started)]

    @staticmethod
    def _process_summary(process: Process) -> dict[str, Any]:
        return {"process_id": str(process.id), "title": process.title, "election_period": process.election_period,
                "phase": process.phase.value, "version": process.version}

    def get_process(self, process_id: UUID | str) -> dict[str, Any]:
        p = self._get(Process, process_id, "process")
        return {
            **self._process_summary(p),
            "purpose": p.purpose,
            "roles_and_limits": p.roles_and_limits,
            "all_officials_invited": p.all_officials_invited,
            "follow_up_days": p.follow_up_days,
            "participants": [x.as_dict() for x in p.participants.values()],
            "workshop_ids": list(p.workshop_ids),
            "input_ids": list(p.input_ids),
            "plan_need_ids": list(p.plan_need_ids),
            "prioritisation_ids": list(p.prioritisation_ids),
            "recommendation_id": p.recommendation_id,
            "started_at": p.created_on.isoformat(),
        }

    def get_workshop(self, workshop_id: UUID | str) -> dict[str, Any]:
        w = self._get(Workshop, workshop_id, "workshop")
        return {"workshop_id": str(w.id), "process_id": w.process_id, "title": w.title, "on": w.on.isoformat(),
                "format": w.format.value, "location": w.location, "agenda": list(w.agenda),
                "held_on": w.held_on.isoformat() if w.held_on else None,
                "inputs_until": w.inputs_until.isoformat() if w.inputs_until else None,
                "attendee_ids": list(w.attendees), "version": w.version}

    def get_input(self, input_id: UUID | str) -> dict[str, Any]:
        i = self._get(Input, input_id, "input")
        return {"input_id": str(i.id), "process_id": i.process_id, "workshop_id": i.workshop_id,
                "author_id": i.author_id, "kind": i.kind.value, "text": i.text, "plan_ids": list(i.plan_ids),
                "goal_ids": list(i.goal_ids), "recorded_on": i.recorded_on.isoformat(), "version": i.version}

    def get_plan_need(self, plan_need_id: UUID | str) -> dict[str, Any]:
        n = self._get(PlanNeed, plan_need_id, "plan need")
        return {"plan_need_id": str(n.id), "process_id": n.process_id, "kind": n.kind.value, "title": n.title,
                "rationale": n.rationale, "plan_id": n.plan_id, "merge_into_plan_id": n.merge_into_plan_id,
                "plan_type": n.plan_type, "input_ids": list(n.input_ids), "version": n.version}

    def get_prioritisation(self, prioritisation_id: UUID | str) -> dict[str, Any]:
        v = self._get(Prioritisation, prioritisation_id, "prioritisation")
        return {
            "prioritisation_id": str(v.id), "process_id": v.process_id, "title": v.title, "method": v.method.value,
            "candidate_ids": list(v.candidate_ids), "eligible_ids": list(v.eligible_ids), "quorum": v.quorum,
            "dots_per_participant": v.dots_per_participant, "tie_break": v.tie_break,
            "status": "made" if v.is_made else "open",
            "ballots": [
                {"participant_id": p, "ballot_id": v.ballot_ids[p], **b.as_dict()} for p, b in v.ballots.items()
            ],
            "result": [r.as_dict() for r in v.result] if v.result is not None else None,
            "version": v.version,
        }

    def get_recommendation(self, recommendation_id: UUID | str) -> dict[str, Any]:
        r = self._get(Recommendation, recommendation_id, "recommendation")
        return {"recommendation_id": str(r.id), "process_id": r.process_id, "prioritisation_id": r.prioritisation_id,
                "election_period": r.election_period, "issued_on": r.issued_on.isoformat(), "summary": r.summary,
                "items": [dict(i) for i in r.items], "version": r.version,
                "council_constituted_on": (getattr(r, "council_constituted_on", None) or None) and
                r.council_constituted_on.isoformat()}

    def list_of(self, process_id: UUID | str, what: str) -> list[dict[str, Any]]:
        """The workshops, inputs, plan_needs or prioritisations of a process."""
        process = self._get(Process, process_id, "process")
        ids, getter = {
            "workshops": (process.workshop_ids, self.get_workshop),
            "inputs": (process.input_ids, self.get_input),
            "plan_needs": (process.plan_need_ids, self.get_plan_need),
            "prioritisations": (process.prioritisation_ids, self.get_prioritisation),
        }[what]
        return [getter(i) for i in ids]

    def history(self, aggregate_id: UUID | str) -> list[dict[str, Any]]:
        """The stored domain events of an aggregate, oldest first, as plain data."""
        try:
            originator = aggregate_id if isinstance(aggregate_id, UUID) else UUID(str(aggregate_id))
        except ValueError:
            raise NotFound("aggregate", aggregate_id) from None
        events = list(self.events.get(originator))
        if not events:
            raise NotFound("aggregate", aggregate_id)
        return [_event_dict(e) for e in events]

    def participation_report(self, process_id: UUID | str) -> dict[str, Any]:
        """Who took part in what, by party and body; the share of elected officials who
        took part; and the days from the first input to the recommendation."""
        process = self._get(Process, process_id, "process")
        workshops = [self._get(Workshop, w, "workshop") for w in process.workshop_ids]
        inputs = [self._get(Input, i, "input") for i in process.input_ids]
        votes = [self._get(Prioritisation, p, "prioritisation") for p in process.prioritisation_ids]
        attended = Counter(a for w in workshops for a in w.attendees)
        authored = Counter(i.author_id for i in inputs)
        voted = Counter(p for v in votes for p in v.ballots)
        rows = []
        for participant in process.participants.values():
            pid = participant.id
            rows.append({
                **participant.as_dict(),
                "workshops_attended": attended[pid],
                "inputs": authored[pid],
                "ballots_cast": voted[pid],
                "took_part": bool(attended[pid] or authored[pid] or voted[pid]),
            })
        officials = [r for r in rows if r["kind"] == "elected_official"]
        took_part = [r for r in officials if r["took_part"]]
        first_input = min((i.recorded_on for i in inputs), default=None)
        issued_on = None
        if process.recommendation_id:
            issued_on = self._get(Recommendation, process.recommendation_id, "recommendation").issued_on
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
            "first_input_on": first_input.isoformat() if first_input else None,
            "recommendation_issued_on": issued_on.isoformat() if issued_on else None,
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


def _plain(value: Any) -> Any:
    if isinstance(value, Meta):
        return value.as_dict()
    if isinstance(value, (date, datetime, UUID)):
        return value.isoformat() if not isinstance(value, UUID) else str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _event_dict(domain_event: Any) -> dict[str, Any]:
    data = {
        k: _plain(v)
        for k, v in domain_event.__dict__.items()
        if k not in ("originator_id", "originator_version", "timestamp", "originator_topic")
    }
    return {
        "aggregate_id": str(domain_event.originator_id),
        "version": domain_event.originator_version,
        "type": type(domain_event).__qualname__,
        "timestamp": domain_event.timestamp.isoformat(),
        "data": data,
    }


def in_memory(clock: Clock | None = None) -> CocreationApplication:
    """The application on the in-memory (POPO) store, for unit tests and demos."""
    return CocreationApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock)


__all__ = [
    "CataloguedPlan",
    "CocreationApplication",
    "ConcurrencyConflict",
    "IdempotencyKeyReused",
    "IdempotencyRecord",
    "NotFound",
    "Phase",
    "in_memory",
    "recommendation_id_for",
]
