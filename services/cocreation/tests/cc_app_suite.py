"""The application test suite, run on every store by subclassing (eventsourcing's way).

A subclass provides ``make_app(clock)``; each test reads as a numbered story.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from cocreation.application import CataloguedPlan, CocreationApplication
from cocreation.domain import DomainError, recommendation_id_for
from planspor_runtime.application import AggregateNotFound, Changed, ConcurrencyConflict, IdempotencyKeyReused
from planspor_shared.meta import Meta

META = Meta.of({"id": "token:abc", "name": "Facilitator", "role": "facilitator"}, correlation_id="corr-1")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs) -> None:
        self.now += timedelta(**kwargs)


def plan_event(plan_id: str, position: int, event_type: str = "plan.proposed", **payload) -> dict:
    body = {"plan_id": plan_id}
    if event_type == "plan.proposed":
        body.update(title=payload.pop("title", f"Plan {plan_id[:6]}"), plan_type="temaplan")
    body.update(payload)
    return {
        "event_type": event_type,
        "source": "plan-registry",
        "position": position,
        "aggregate_id": plan_id,
        "payload": body,
    }


class ApplicationSuite:
    """Every command, query and refusal of the application, on one store."""

    def make_app(self, clock: Clock) -> CocreationApplication:  # pragma: no cover - subclasses provide it
        raise NotImplementedError

    @pytest.fixture
    def clock(self) -> Clock:
        return Clock(datetime(2024, 3, 1, 9, 0, tzinfo=UTC))

    @pytest.fixture
    def app(self, clock):
        app = self.make_app(clock)
        yield app
        app.close()

    # ------------------------------------------------------------------ helpers

    def start(self, app, **overrides) -> str:
        args = dict(
            title="Plan strategy 2024-2027",
            purpose="Prioritise planning work",
            election_period="2024-2027",
            roles_and_limits="Officials prioritise; the administration advises",
            all_officials_invited=True,
            follow_up_days=14,
            meta=META,
        )
        args.update(overrides)
        return str(app.start_process(**args).id)

    def enroll(self, app, process_id, party="H", body="municipal_council", name=None) -> str:
        return app.enroll_participant(
            process_id,
            name=name or f"Official {uuid4().hex[:6]}",
            kind="elected_official",
            role="member",
            party=party,
            body=body,
            meta=META,
        ).extra["participant_id"]

    def to_workshops(self, app):
        process_id = self.start(app)
        officials = [self.enroll(app, process_id, party=p) for p in ("H", "Ap", "V")]
        app.enroll_participant(
            process_id, name="Planner", kind="administration", role="planner", unit="Plan", meta=META
        )
        app.advance_phase(process_id, to="workshops", meta=META)
        workshop_id = app.schedule_workshop(
            process_id,
            title="Council seminar",
            on=date(2024, 3, 1),
            format="in_person",
            agenda=["Plan system"],
            meta=META,
        ).extra["workshop_id"]
        app.hold_workshop(workshop_id, held_on=date(2024, 3, 1), attendee_ids=officials[:2], meta=META)
        return process_id, officials, workshop_id

    def to_prioritisation(self, app):
        process_id, officials, workshop_id = self.to_workshops(app)
        plan_id = f"plan-{uuid4()}"
        app.on_plan_event(plan_event(plan_id, 1, title="Transport plan"))
        input_id = app.record_input(
            workshop_id, author_id=officials[0], kind="need", text="Fewer plans", plan_ids=[plan_id], meta=META
        ).extra["input_id"]
        needs = [
            app.propose_plan_need(process_id, input_ids=[input_id], kind="new", title="Climate plan", meta=META).extra[
                "plan_need_id"
            ],
            app.propose_plan_need(
                process_id, input_ids=[input_id], kind="revise", title="Revise transport", plan_id=plan_id, meta=META
            ).extra["plan_need_id"],
        ]
        app.advance_phase(process_id, to="prioritisation", meta=META)
        return process_id, officials, needs, plan_id

    # ------------------------------------------------------------------ stories

    def test_a_process_runs_from_start_to_hand_over(self, app):
        # 1. a process goes through workshops to prioritisation
        process_id, officials, (climate, transport), plan_id = self.to_prioritisation(app)
        # 2. a Borda vote among all elected officials (the default)
        vote_id = app.open_prioritisation(
            process_id,
            title="Round 1",
            method="borda",
            candidate_ids=[climate, transport],
            eligible_ids=None,
            quorum=2,
            meta=META,
        ).extra["prioritisation_id"]
        assert app.get_prioritisation(vote_id)["eligible_ids"] == officials
        app.cast_ballot(vote_id, participant_id=officials[0], ranking=[transport, climate], meta=META)
        app.cast_ballot(vote_id, participant_id=officials[1], ranking=[transport, climate], meta=META)
        result = app.close_prioritisation(vote_id, meta=META).extra["result"]
        assert [r["need_id"] for r in result] == [transport, climate]
        # 3. the recommendation hands the process over
        app.advance_phase(process_id, to="recommendation", meta=META)
        issued = app.issue_recommendation(
            process_id,
            prioritisation_id=vote_id,
            summary="Revise transport first",
            items=[{"need_id": transport, "action": "revise", "start_year": 2025}],
            meta=META,
        )
        assert issued.extra["recommendation_id"] == str(recommendation_id_for(process_id))
        recommendation = app.get_recommendation(issued.extra["recommendation_id"])
        assert recommendation["items"][0]["plan_title"] == "Transport plan"
        assert recommendation["items"][0]["plan_id"] == plan_id
        assert app.get_process(process_id)["phase"] == "handed_over"
        # 4. nothing is added after hand-over
        with pytest.raises(DomainError) as error:
            self.enroll(app, process_id)
        assert error.value.rule == "process.nothing_after_hand_over"

    def test_queries_return_plain_current_state(self, app):
        process_id, officials, needs, plan_id = self.to_prioritisation(app)
        process = app.get_process(process_id)
        assert process["phase"] == "prioritisation" and len(process["participants"]) == 4
        assert [p["process_id"] for p in app.list_processes()].count(process_id) == 1
        workshops = app.list_of(process_id, "workshops")
        assert workshops[0]["attendee_ids"] == officials[:2]
        assert workshops[0]["inputs_until"] == "2024-03-15"
        inputs = app.list_of(process_id, "inputs")
        assert inputs[0]["plan_ids"] == [plan_id]
        assert [n["plan_need_id"] for n in app.list_of(process_id, "plan_needs")] == needs
        assert app.get_input(inputs[0]["input_id"])["author_id"] == officials[0]
        assert app.get_plan_need(needs[1])["plan_id"] == plan_id

    def test_history_lists_the_stored_events_with_their_meta(self, app):
        process_id = self.start(app)
        self.enroll(app, process_id)
        history = app.history(process_id)
        assert [h["type"] for h in history] == ["Process.Started", "Process.ParticipantEnrolled"]
        assert [h["version"] for h in history] == [1, 2]
        assert history[0]["actor"]["role"] == "facilitator"
        assert history[0]["correlation_id"] == "corr-1"
        with pytest.raises(AggregateNotFound):
            app.history(uuid4())
        with pytest.raises(AggregateNotFound):
            app.history("not-a-uuid")

    def test_unknown_ids_are_not_found(self, app):
        process_id = self.start(app)
        with pytest.raises(AggregateNotFound):
            app.get_process(uuid4())
        with pytest.raises(AggregateNotFound):
            app.get_workshop(process_id)  # a process is not a workshop
        with pytest.raises(AggregateNotFound):
            app.enroll_participant(uuid4(), name="x", kind="administration", role="r", meta=META)
        with pytest.raises(AggregateNotFound):
            app.get_plan("no-such-plan")

    def test_expected_version_guards_against_concurrent_change(self, app):
        process_id = self.start(app)
        self.enroll(app, process_id)
        with pytest.raises(ConcurrencyConflict, match="version 2"):
            app.enroll_participant(
                process_id,
                name="Kari",
                kind="elected_official",
                role="m",
                party="Ap",
                body="municipal_council",
                expected_version=1,
                meta=META,
            )
        app.enroll_participant(
            process_id,
            name="Kari",
            kind="elected_official",
            role="m",
            party="Ap",
            body="municipal_council",
            expected_version=2,
            meta=META,
        )

    def test_a_lost_update_is_a_concurrency_conflict(self, app):
        # 1. two commands read the same version of the process
        process_id = self.start(app)
        first = app.repository.get(UUID(process_id))
        second = app.repository.get(UUID(process_id))
        first.enroll(
            participant_id="a",
            name="A",
            kind="elected_official",
            role="m",
            party="H",
            body="municipal_council",
            substitute=False,
            meta=META,
        )
        second.enroll(
            participant_id="b",
            name="B",
            kind="elected_official",
            role="m",
            party="H",
            body="municipal_council",
            substitute=False,
            meta=META,
        )
        # 2. the first saves; the second save is refused by the store, mapped by the application
        app.save(first)

        with pytest.raises(ConcurrencyConflict):
            app.command("enroll_participant", {}, lambda: Changed(second))
        assert [p["id"] for p in app.get_process(process_id)["participants"]] == ["a"]

    def test_an_idempotency_key_returns_the_first_response(self, app):
        key = f"key-{uuid4()}"
        first = self.start(app, idempotency_key=key)
        again = self.start(app, idempotency_key=key)
        assert first == again
        assert [p["process_id"] for p in app.list_processes()].count(first) == 1
        # the same key for a different request is refused
        with pytest.raises(IdempotencyKeyReused):
            self.start(app, idempotency_key=key, title="Another")

    def test_a_retried_enrolment_enrolls_once(self, app):
        process_id = self.start(app)
        key = f"key-{uuid4()}"
        first = app.enroll_participant(
            process_id,
            name="Kari",
            kind="elected_official",
            role="m",
            party="Ap",
            body="municipal_council",
            meta=META,
            idempotency_key=key,
        )
        second = app.enroll_participant(
            process_id,
            name="Kari",
            kind="elected_official",
            role="m",
            party="Ap",
            body="municipal_council",
            meta=META,
            idempotency_key=key,
        )
        assert first == second
        assert len(app.get_process(process_id)["participants"]) == 1

    def test_a_refused_command_changes_nothing(self, app):
        process_id = self.start(app)
        with pytest.raises(DomainError):
            app.advance_phase(process_id, to="workshops", meta=META)
        assert app.get_process(process_id)["version"] == 1
        key = f"key-{uuid4()}"
        with pytest.raises(DomainError):
            app.advance_phase(process_id, to="workshops", meta=META, idempotency_key=key)
        self.enroll(app, process_id)
        # the key stored nothing: once the rule is met, the same key runs the command
        advanced = app.advance_phase(process_id, to="workshops", meta=META, idempotency_key=key)
        assert advanced.extra["phase"] == "workshops"

    def test_inputs_are_refused_for_unknown_plans_and_after_the_window(self, app, clock):
        process_id, officials, workshop_id = self.to_workshops(app)
        with pytest.raises(DomainError, match="plan-unknown") as error:
            app.record_input(
                workshop_id, author_id=officials[0], kind="idea", text="t", plan_ids=["plan-unknown"], meta=META
            )
        assert error.value.rule == "input.plan_known"
        clock.advance(days=15)
        with pytest.raises(DomainError) as error:
            app.record_input(workshop_id, author_id=officials[0], kind="idea", text="t", meta=META)
        assert error.value.rule == "input.within_follow_up_window"
        assert app.get_process(process_id)["input_ids"] == []

    def test_workshop_is_held_with_the_application_clock(self, app, clock):
        process_id = self.start(app)
        official = self.enroll(app, process_id)
        app.advance_phase(process_id, to="workshops", meta=META)
        workshop_id = app.schedule_workshop(
            process_id, title="S", on=date(2024, 3, 5), format="digital", agenda=["a"], meta=META
        ).extra["workshop_id"]
        with pytest.raises(DomainError) as error:
            app.hold_workshop(workshop_id, held_on=date(2024, 3, 5), attendee_ids=[official], meta=META)
        assert error.value.rule == "workshop.held_in_past"
        clock.advance(days=4)
        app.hold_workshop(workshop_id, held_on=date(2024, 3, 5), attendee_ids=[official], meta=META, expected_version=1)
        assert app.get_workshop(workshop_id)["held_on"] == "2024-03-05"

    def test_a_replaced_ballot_counts_once(self, app):
        process_id, officials, (climate, transport), _ = self.to_prioritisation(app)
        vote_id = app.open_prioritisation(
            process_id,
            title="Dots",
            method="dot",
            candidate_ids=[climate, transport],
            eligible_ids=officials[:2],
            quorum=1,
            dots_per_participant=3,
            meta=META,
        ).extra["prioritisation_id"]
        first = app.cast_ballot(vote_id, participant_id=officials[0], dots={climate: 3}, meta=META)
        second = app.cast_ballot(vote_id, participant_id=officials[0], dots={transport: 2, climate: 1}, meta=META)
        assert (first.extra["replaced"], second.extra["replaced"]) == (False, True)
        made = app.close_prioritisation(vote_id, meta=META, expected_version=second.version)
        assert {r["need_id"]: r["score"] for r in made.extra["result"]} == {transport: 2, climate: 1}
        assert len(app.get_prioritisation(vote_id)["ballots"]) == 1

    def test_quorum_and_closed_prioritisation_are_refused(self, app):
        process_id, officials, needs, _ = self.to_prioritisation(app)
        vote_id = app.open_prioritisation(
            process_id, title="", method="approval", candidate_ids=needs, eligible_ids=officials, quorum=2, meta=META
        ).extra["prioritisation_id"]
        app.cast_ballot(vote_id, participant_id=officials[0], approvals=[needs[0]], meta=META)
        with pytest.raises(DomainError) as error:
            app.close_prioritisation(vote_id, meta=META)
        assert error.value.rule == "prioritisation.quorum"
        app.cast_ballot(vote_id, participant_id=officials[1], approvals=[needs[1]], meta=META)
        app.close_prioritisation(vote_id, meta=META)
        with pytest.raises(DomainError) as error:
            app.cast_ballot(vote_id, participant_id=officials[2], approvals=[needs[1]], meta=META)
        assert error.value.rule == "prioritisation.open"

    def test_the_recommendation_is_issued_once(self, app):
        process_id, officials, needs, _ = self.to_prioritisation(app)
        vote_id = app.open_prioritisation(
            process_id, title="", method="approval", candidate_ids=needs, eligible_ids=officials, quorum=1, meta=META
        ).extra["prioritisation_id"]
        app.cast_ballot(vote_id, participant_id=officials[0], approvals=[needs[0]], meta=META)
        app.close_prioritisation(vote_id, meta=META)
        app.advance_phase(process_id, to="recommendation", meta=META)
        items = [{"need_id": needs[0], "action": "new", "start_year": 2025}]
        app.issue_recommendation(process_id, prioritisation_id=vote_id, items=items, meta=META)
        with pytest.raises(DomainError) as error:
            app.issue_recommendation(process_id, prioritisation_id=vote_id, items=items, meta=META)
        assert error.value.rule == "process.nothing_after_hand_over"

    def test_participation_report(self, app, clock):
        # 1. three officials (H, Ap, V) and a planner; H and Ap attend, H writes an input
        process_id, officials, needs, _ = self.to_prioritisation(app)
        # 2. V votes only; the recommendation comes ten days after the first input
        vote_id = app.open_prioritisation(
            process_id, title="", method="approval", candidate_ids=needs, eligible_ids=officials, quorum=1, meta=META
        ).extra["prioritisation_id"]
        app.cast_ballot(vote_id, participant_id=officials[2], approvals=[needs[0]], meta=META)
        app.close_prioritisation(vote_id, meta=META)
        app.advance_phase(process_id, to="recommendation", meta=META)
        report_before = app.participation_report(process_id)
        assert report_before["days_from_first_input_to_recommendation"] is None
        clock.advance(days=10)
        app.issue_recommendation(
            process_id,
            prioritisation_id=vote_id,
            items=[{"need_id": needs[0], "action": "new", "start_year": 2025}],
            meta=META,
        )
        report = app.participation_report(process_id)
        assert report["elected_officials"] == 3
        assert report["elected_officials_took_part"] == 3
        assert report["share_of_elected_officials_took_part"] == 1.0
        by_party = {row["party"]: row for row in report["by_party"]}
        assert by_party["H"]["inputs"] == 1 and by_party["H"]["workshops_attended"] == 1
        assert by_party["V"]["workshops_attended"] == 0 and by_party["V"]["ballots_cast"] == 1
        assert report["by_body"] == [
            {
                "body": "municipal_council",
                "enrolled": 3,
                "took_part": 3,
                "workshops_attended": 2,
                "inputs": 1,
                "ballots_cast": 1,
            }
        ]
        planner = next(p for p in report["participants"] if p["kind"] == "administration")
        assert planner["took_part"] is False
        assert report["first_input_on"] == "2024-03-01"
        assert report["recommendation_issued_on"] == "2024-03-11"
        assert report["days_from_first_input_to_recommendation"] == 10

    def test_participation_share_counts_officials_who_did_nothing(self, app):
        process_id, officials, workshop_id = self.to_workshops(app)
        report = app.participation_report(process_id)
        assert report["elected_officials_took_part"] == 2
        assert report["share_of_elected_officials_took_part"] == round(2 / 3, 4)

    # ------------------------------------------------------------------ the plan catalogue

    def test_the_catalogue_is_the_same_however_often_and_in_whatever_order(self, app):
        plan_id = f"plan-{uuid4()}"
        proposed = plan_event(plan_id, 3, title="Climate plan")
        adopted = plan_event(plan_id, 7, "plan.status_changed", from_status="proposed", to_status="adopted")
        anchored = plan_event(plan_id, 9, "plan.anchored", goal_id="g1")
        in_force = plan_event(plan_id, 12, "plan.status_changed", from_status="adopted", to_status="in_force")
        # 1. delivered out of order and twice
        for envelope in (in_force, anchored, proposed, adopted, proposed, in_force, adopted):
            app.on_plan_event(envelope)
        plan = app.get_plan(plan_id)
        assert plan == {
            "plan_id": plan_id,
            "title": "Climate plan",
            "plan_type": "temaplan",
            "status": "in_force",
            "position": 12,
        }
        # 2. a redelivery stores nothing new
        stored = len(app.history(CataloguedPlan.id_for(plan_id)))
        assert app.on_plan_event(adopted) is False
        assert app.on_plan_event(in_force) is False
        assert len(app.history(CataloguedPlan.id_for(plan_id))) == stored
        assert plan_id in [p["plan_id"] for p in app.list_plans()]

    def test_the_catalogue_ignores_other_events(self, app):
        assert (
            app.on_plan_event(
                {
                    "event_type": "goal.defined",
                    "source": "plan-registry",
                    "position": 1,
                    "aggregate_id": "g",
                    "payload": {"goal_id": "g"},
                }
            )
            is False
        )
        assert (
            app.on_plan_event(
                {
                    "event_type": "plan.proposed",
                    "source": "cocreation",
                    "position": 1,
                    "aggregate_id": "p",
                    "payload": {"plan_id": "p"},
                }
            )
            is False
        )
        with pytest.raises(AggregateNotFound):
            app.get_plan("p")

    def test_a_plan_known_only_by_a_later_event_is_known(self, app):
        process_id, officials, workshop_id = self.to_workshops(app)
        plan_id = f"plan-{uuid4()}"
        app.on_plan_event(plan_event(plan_id, 5, "plan.revision_scheduled", revision_due="2026-01-01"))
        app.record_input(workshop_id, author_id=officials[0], kind="concern", text="t", plan_ids=[plan_id], meta=META)
