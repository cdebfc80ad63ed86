"""The plan register's application suite, run on every store by subclassing.

A subclass provides ``make_app()``; each test reads as a story.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from plan_registry.application import PlanRegistry
from plan_registry.domain import (
    Amendment,
    AmendmentChange,
    DomainError,
    HierarchyCycle,
    Plan,
    PublicationTooLate,
    StatutoryProcessIncomplete,
    StrategyAction,
    strategy_id_for,
    strategy_item_id,
)
from planspor_runtime.application import AggregateNotFound, Changed, ConcurrencyConflict, IdempotencyKeyReused
from planspor_shared.meta import Meta

META = Meta.of({"id": "token:abc", "name": "Planner", "role": "planner"}, correlation_id="corr-1")


def recommendation(**overrides):
    needs = overrides.pop("needs", None) or [
        {
            "plan_need_id": str(uuid4()),
            "action": "new",
            "plan_title": "Plan for klimatilpasning",
            "timing": "2025",
            "rationale": "Høyest prioritert",
            "plan_type": "temaplan",
        },
        {
            "plan_need_id": str(uuid4()),
            "action": "revise",
            "plan_id": str(uuid4()),
            "plan_title": "Boligplan",
            "timing": "2026",
            "rationale": "",
        },
    ]
    return {
        "recommendation_id": str(uuid4()),
        "process_id": str(uuid4()),
        "election_period": "2024-2027",
        "council_constituted_on": date(2023, 10, 19),
        "summary": "Resultatet av samskapingen",
        "needs": needs,
        **overrides,
    }


class ApplicationSuite:
    def make_app(self) -> PlanRegistry:  # pragma: no cover - subclasses provide it
        raise NotImplementedError

    @pytest.fixture
    def app(self):
        app = self.make_app()
        yield app
        app.close()

    # -- helpers

    def plan(self, app, plan_type="temaplan", **kwargs) -> UUID:
        return app.propose_plan(
            name=kwargs.pop("name", "Temaplan"),
            plan_type=plan_type,
            legal_basis="PBL",
            owning_unit="Plan",
            initiated_through_strategy=False,
            meta=META,
            **kwargs,
        ).id

    def decision(self, app, meeting=date(2024, 10, 1), body="municipal_council", **kwargs) -> UUID:
        return app.record_decision(
            body=body,
            case_number=f"24/{uuid4().int % 9999}",
            meeting_date=meeting,
            subject="Sak",
            outcome=kwargs.pop("outcome", "adopted"),
            meta=META,
            **kwargs,
        ).id

    def count(self, app) -> int:
        return app.recorder.max_notification_id() or 0

    # -- goals, indicators

    def test_1_goals_and_indicators_are_defined_measured_and_corrected(self, app):
        goal = app.define_goal(title="Gode liv", sdg_targets=["3.4"], meta=META).id
        sub = app.define_goal(title="Aktive", parent_goal_id=goal, meta=META).id
        indicator = app.define_indicator(
            goal_id=sub,
            name="Fysisk aktive",
            unit="%",
            source="KOSTRA",
            baseline_value=Decimal("61.5"),
            baseline_period="2020",
            target_value=Decimal("70"),
            target_year=2030,
            meta=META,
        ).id
        measured = app.record_measurement(indicator, period="2023", value=Decimal("62.1"), meta=META)
        corrected = app.correct_measurement(
            indicator, period="2023", value=Decimal("62.4"), reason="Revidert", meta=META, expected_version=2
        )
        assert (measured.id, measured.version, corrected.version) == (indicator, 2, 3)
        state = app.state("indicator", indicator)
        assert state["measurements"] == [{"period": "2023", "value": "62.4", "measured_on": None, "corrections": 1}]
        assert app.state("goal", sub)["parent_id"] == str(goal) and app.state("goal", sub)["level"] == "sub_goal"
        assert {g["id"] for g in app.states("goal")} == {str(goal), str(sub)}
        assert [e["type"] for e in app.history_of("indicator", indicator)] == [
            "Indicator.Defined",
            "Indicator.Measured",
            "Indicator.MeasurementCorrected",
        ]

    def test_2_references_to_unknown_aggregates_are_not_found(self, app):
        goal = app.define_goal(title="Mål", meta=META).id
        for call, rule in (
            (lambda: app.define_goal(title="Sub", parent_goal_id=uuid4(), meta=META), "goal.exists"),
            (lambda: app.define_indicator(goal_id=uuid4(), name="n", unit="u", source="SSB", meta=META), "goal.exists"),
            (lambda: app.state("plan", uuid4()), "plan.exists"),
            (lambda: app.state("plan", goal), "plan.exists"),
            (lambda: app.history_of("decision", goal), "decision.exists"),
            (lambda: app.state("strategy", goal), "strategy.exists"),
            (lambda: app.anchor_plan(self.plan(app), goal_id=uuid4(), meta=META), "goal.exists"),
        ):
            with pytest.raises(AggregateNotFound) as refused:
                call()
            assert refused.value.rule == rule

    # -- plans

    def test_3_a_statutory_plan_goes_through_its_process_with_decisions(self, app):
        plan = self.plan(app, "kommunedelplan", name="Kommunedelplan for Fornebu")
        app.advance_plan(plan, to="notice_of_start", on=date(2024, 1, 10), meta=META)
        app.advance_plan(
            plan,
            to="planprogram_adopted",
            on=date(2024, 3, 1),
            decision_id=self.decision(app, date(2024, 3, 1), body="planning_committee"),
            meta=META,
        )
        app.advance_plan(plan, to="in_preparation", on=date(2024, 3, 2), meta=META)
        app.advance_plan(plan, to="consultation_open", on=date(2024, 4, 1), meta=META)
        app.advance_plan(plan, to="consultation_closed", on=date(2024, 4, 20), meta=META)
        before = self.count(app)
        with pytest.raises(StatutoryProcessIncomplete):
            app.adopt_plan(plan, decision_id=self.decision(app, date(2024, 6, 1)), meta=META)
        assert self.count(app) == before + 1  # only the decision was stored
        app.advance_plan(plan, to="consultation_open", on=date(2024, 6, 2), meta=META)
        app.advance_plan(plan, to="consultation_closed", on=date(2024, 7, 14), meta=META)
        adopting = self.decision(app, date(2024, 9, 1), plan_ids=[plan])
        app.adopt_plan(plan, decision_id=adopting, meta=META)
        state = app.state("plan", plan)
        assert state["status"] == "adopted" and state["adopted_by_decision_id"] == str(adopting)

    def test_4_the_hierarchy_refuses_cycles_across_plans(self, app):
        top, middle, leaf = (self.plan(app, name=n) for n in ("top", "middle", "leaf"))
        app.move_plan(middle, parent_plan_id=top, meta=META)
        app.move_plan(leaf, parent_plan_id=middle, meta=META)
        with pytest.raises(HierarchyCycle):
            app.move_plan(top, parent_plan_id=leaf, meta=META)
        assert app.state("plan", top)["parent_id"] is None
        child = self.plan(app, name="child", parent_plan_id=leaf)
        assert app.state("plan", child)["parent_id"] == str(leaf)

    def test_5_anchor_merge_replace_repeal_and_revision(self, app):
        goal = app.define_goal(title="Mål", meta=META).id
        a, b, c = (self.plan(app, name=n) for n in "abc")
        for plan in (a, b, c):
            app.advance_plan(plan, to="in_preparation", on=date(2024, 1, 1), meta=META)
            app.adopt_plan(
                plan, decision_id=self.decision(app, date(2024, 2, 1), body="executive_committee"), meta=META
            )
            app.advance_plan(plan, to="in_force", on=date(2024, 2, 2), meta=META)
        app.anchor_plan(a, goal_id=goal, meta=META)
        app.schedule_revision(a, due=date(2028, 1, 1), reason="Ny periode", meta=META)
        app.repeal_plan(c, decision_id=self.decision(app, date(2024, 5, 1)), meta=META)
        with pytest.raises(DomainError) as caught:
            app.merge_plan(b, target_id=c, decision_id=self.decision(app, date(2024, 6, 1)), meta=META)
        assert caught.value.rule == "plan.successor_not_ended"
        app.merge_plan(b, target_id=a, decision_id=self.decision(app, date(2024, 6, 1)), meta=META)
        assert app.state("plan", b)["successor_id"] == str(a)
        d = self.plan(app, name="d")
        app.advance_plan(d, to="in_preparation", on=date(2024, 1, 1), meta=META)
        app.adopt_plan(d, decision_id=self.decision(app, date(2024, 2, 1)), meta=META)
        app.advance_plan(d, to="in_force", on=date(2024, 2, 2), meta=META)
        app.replace_plan(a, successor_id=d, decision_id=self.decision(app, date(2024, 7, 1)), meta=META)
        state = app.state("plan", a)
        assert state["status"] == "replaced" and state["goal_ids"] == [str(goal)]
        assert state["revision_due"] == "2028-01-01"

    # -- concurrency and idempotency

    def test_6_a_stale_expected_version_is_a_conflict_and_stores_nothing(self, app):
        plan = self.plan(app)
        app.advance_plan(plan, to="in_preparation", on=date(2024, 1, 1), expected_version=1, meta=META)
        before = self.count(app)
        with pytest.raises(ConcurrencyConflict):
            app.schedule_revision(plan, due=date(2030, 1, 1), expected_version=1, meta=META)
        assert self.count(app) == before and app.state("plan", plan)["version"] == 2

    def test_7_a_concurrent_save_is_a_conflict(self, app):
        plan = self.plan(app)
        first, second = app.get(Plan, plan), app.get(Plan, plan)
        first.schedule_revision(due=date(2030, 1, 1), meta=META)
        second.schedule_revision(due=date(2031, 1, 1), meta=META)
        assert app.command("schedule", {}, lambda: Changed(first)).version == 2
        with pytest.raises(ConcurrencyConflict):
            app.command("schedule", {}, lambda: Changed(second))
        assert app.state("plan", plan)["revision_due"] == "2030-01-01"

    def test_8_a_retried_command_with_the_same_key_acts_once(self, app):
        key = f"key-{uuid4()}"
        first = app.propose_plan(
            name="Plan",
            plan_type="temaplan",
            legal_basis="",
            owning_unit="U",
            initiated_through_strategy=False,
            meta=META,
            idempotency_key=key,
        )
        count = self.count(app)
        again = app.propose_plan(
            name="Plan",
            plan_type="temaplan",
            legal_basis="",
            owning_unit="U",
            initiated_through_strategy=False,
            meta=META,
            idempotency_key=key,
        )
        assert again == first and self.count(app) == count
        with pytest.raises(IdempotencyKeyReused):
            app.propose_plan(
                name="Other",
                plan_type="temaplan",
                legal_basis="",
                owning_unit="U",
                initiated_through_strategy=False,
                meta=META,
                idempotency_key=key,
            )
        step = f"key-{uuid4()}"
        advanced = app.advance_plan(first.id, to="in_preparation", on=date(2024, 1, 1), meta=META, idempotency_key=step)
        retried = app.advance_plan(first.id, to="in_preparation", on=date(2024, 1, 1), meta=META, idempotency_key=step)
        assert advanced == retried and advanced.version == 2 and app.state("plan", first.id)["version"] == 2
        assert len(app.states("plan")) == 1

    def test_8b_the_version_a_command_expects_is_part_of_what_its_key_stands_for(self, app):
        plan = self.plan(app)
        key = f"key-{uuid4()}"
        app.schedule_revision(plan, due=date(2030, 1, 1), expected_version=1, meta=META, idempotency_key=key)
        with pytest.raises(IdempotencyKeyReused) as refused:
            app.schedule_revision(plan, due=date(2030, 1, 1), expected_version=2, meta=META, idempotency_key=key)
        assert refused.value.rule == "idempotency.key_reused"
        assert app.state("plan", plan)["version"] == 2

    def test_9_a_refused_command_with_a_key_records_no_key(self, app):
        key = f"key-{uuid4()}"
        with pytest.raises(DomainError):
            app.define_goal(title="", meta=META, idempotency_key=key)
        goal = app.define_goal(title="Mål", meta=META, idempotency_key=key).id
        assert app.state("goal", goal)["title"] == "Mål"

    # -- strategies

    def test_10_a_strategy_is_adopted_with_council_amendments(self, app):
        strategy = app.draft_strategy(
            election_period="2024-2027", council_constituted_on=date(2023, 10, 19), meta=META
        ).id
        kept, other = self.plan(app, name="Kulturplan"), self.plan(app, name="Idrettsplan")
        item = app.set_strategy_item(
            strategy, item_id=uuid4(), action="repeal", plan_id=kept, timing="2025", rationale="Utdatert", meta=META
        )
        assert item.version == 2
        item = item.id
        dropped = app.set_strategy_item(
            strategy, item_id=uuid4(), action="revise", plan_id=other, timing="2026", rationale="Behov", meta=META
        ).id
        with pytest.raises(AggregateNotFound):
            app.set_strategy_item(
                strategy, item_id=uuid4(), action="revise", plan_id=uuid4(), timing="2026", rationale="Behov", meta=META
            )
        app.assess_kommuneplan(strategy, samfunnsdel="continue", arealdel="revise", meta=META)
        app.receive_input(
            strategy,
            input_id=uuid4(),
            source="state",
            sender="Statsforvalteren",
            received_on=date(2024, 5, 1),
            summary="Klima og areal",
            meta=META,
        )
        app.cite_evidence(
            strategy,
            evidence_id=uuid4(),
            kind="public_health_overview",
            title="Folkehelseoversikt 2023",
            dated=date(2023, 6, 1),
            meta=META,
        )
        app.publish_strategy(strategy, on=date(2024, 9, 20), meta=META)
        too_early = self.decision(app, date(2024, 10, 1), strategy_id=strategy)
        before = self.count(app)
        with pytest.raises(PublicationTooLate) as caught:
            app.adopt_strategy(strategy, decision_id=too_early, meta=META)
        assert caught.value.message == "PBL §10-1: published 2024-09-20, meeting 2024-10-01, 30 days required"
        assert self.count(app) == before
        decision = self.decision(
            app,
            date(2024, 10, 23),
            strategy_id=strategy,
            outcome="adopted_with_amendments",
            amendments=[
                Amendment(
                    text="Kulturplanen videreføres",
                    change=AmendmentChange.SET_ITEM,
                    item_id=item,
                    action=StrategyAction.CONTINUE,
                    plan_id=kept,
                ),
                Amendment(text="Idrettsplanen utgår", change=AmendmentChange.REMOVE_ITEM, item_id=dropped),
                Amendment(
                    text="Ny beredskapsplan",
                    change=AmendmentChange.SET_ITEM,
                    action=StrategyAction.NEW,
                    plan_name="Beredskapsplan",
                    timing="2025",
                ),
            ],
        )
        app.adopt_strategy(strategy, decision_id=decision, meta=META)
        state = app.state("strategy", strategy)
        assert state["status"] == "adopted" and len(state["items"]) == 2
        assert {i["origin"] for i in state["items"]} == {"council_amendment"}
        history = app.history_of("strategy", strategy)
        assert [e["type"] for e in history[-4:]] == [
            "PlanStrategy.ItemSet",
            "PlanStrategy.ItemRemoved",
            "PlanStrategy.ItemSet",
            "PlanStrategy.Adopted",
        ]
        assert {e["causation_id"] for e in history[-4:]} == {str(decision)}
        assert history[-1]["actor"] == META.actor.as_dict()

    # -- reaction

    def test_11_a_recommendation_drafts_one_strategy_however_often_it_arrives(self, app):
        rec = recommendation()
        first = app.draft_from_recommendation(meta=META, **rec).id
        count = self.count(app)
        second = app.draft_from_recommendation(meta=META, **rec).id
        assert first == second == strategy_id_for(rec["recommendation_id"]) and self.count(app) == count
        state = app.state("strategy", first)
        assert state["recommendation_id"] == rec["recommendation_id"]
        assert {i["item_id"] for i in state["items"]} == {
            str(strategy_item_id(first, UUID(n["plan_need_id"]))) for n in rec["needs"]
        }
        assert {i["origin"] for i in state["items"]} == {"plan_need"}
        assert len(app.states("strategy")) == 1
