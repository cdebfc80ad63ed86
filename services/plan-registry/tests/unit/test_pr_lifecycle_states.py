"""Random command sequences on a plan and a strategy: whatever is accepted leaves a
state the rules allow, whatever is refused changes nothing, and replaying the stored
events gives the same state."""

from datetime import date, timedelta
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from plan_registry.application import PlanRegistry
from plan_registry.application.views import plan_view, strategy_view
from plan_registry.domain import (
    CONSULTATION_MINIMUM_DAYS,
    DATED_STEPS,
    ENDED_PLAN_STATUSES,
    PLAN_TRANSITIONS,
    PUBLICATION_MINIMUM_DAYS,
    STRATEGY_TRANSITIONS,
    Amendment,
    AmendmentChange,
    Body,
    Decision,
    DecisionOutcome,
    DomainError,
    Plan,
    PlanStatus,
    PlanStrategy,
    PlanType,
    StrategyAction,
    StrategyStatus,
)
from planspor_shared.meta import Meta

pytestmark = pytest.mark.unit

META = Meta.of({"id": "token:h", "name": "Hypothesis", "role": "planner"})
START = date(2024, 1, 1)
days = st.integers(min_value=0, max_value=60)
bodies = st.one_of(st.just(Body.MUNICIPAL_COUNCIL), st.sampled_from(list(Body)))
outcomes = st.one_of(st.just(DecisionOutcome.ADOPTED), st.sampled_from(list(DecisionOutcome)))


class Lifecycles(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.app = PlanRegistry(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
        self.today = START
        self.plan = None
        self.other = Plan.propose(
            name="Other",
            plan_type=PlanType.TEMAPLAN,
            legal_basis="",
            owning_unit="Plan",
            initiated_through_strategy=False,
            meta=META,
        )
        self.strategy = PlanStrategy.draft(
            election_period="2024-2027", council_constituted_on=date(2023, 10, 19), meta=META
        )
        self.item_ids: list = []
        self.strategy_status = StrategyStatus.DRAFT
        self.app.save(self.other, self.strategy)

    @initialize(
        plan_type=st.sampled_from([PlanType.KOMMUNEPLAN_SAMFUNNSDEL, PlanType.KOMMUNEDELPLAN, PlanType.TEMAPLAN])
    )
    def propose(self, plan_type):
        self.plan = Plan.propose(
            name="Plan",
            plan_type=plan_type,
            legal_basis="PBL",
            owning_unit="Plan",
            initiated_through_strategy=False,
            meta=META,
        )
        self.app.save(self.plan)

    def _decision(self, body, outcome, amendments=()):
        decision = Decision.record(
            body=body,
            case_number="24/1",
            meeting_date=self.today,
            subject="Sak",
            outcome=outcome,
            amendments=amendments,
            strategy_id=self.strategy.id if amendments else None,
            meta=META,
        )
        self.app.save(decision)
        return decision

    def _attempt(self, aggregate, command):
        """Runs a command on a copy; saves it if accepted, so a refusal leaves nothing behind."""
        fresh = self.app.repository.get(aggregate.id)
        try:
            command(fresh)
        except DomainError:
            assert self.app.repository.get(aggregate.id).version == aggregate.version
            return aggregate
        self.app.save(fresh)
        return self.app.repository.get(aggregate.id)

    @rule(wait=days)
    def time_passes(self, wait):
        self.today += timedelta(days=wait)

    # -- plan

    @rule(data=st.data(), anything=st.integers(0, 4))
    def plan_step(self, data, anything):
        allowed = sorted(PLAN_TRANSITIONS[self.plan.status] & DATED_STEPS)
        to = data.draw(st.sampled_from(sorted(DATED_STEPS) if anything == 0 or not allowed else allowed))
        before = self.plan.status
        self.plan = self._attempt(self.plan, lambda p: p.advance(to=to, on=self.today, meta=META))
        assert self.plan.status in (before, to)
        if self.plan.status is not before:
            assert to in PLAN_TRANSITIONS[before]

    @rule(body=bodies, outcome=outcomes)
    def plan_adopt(self, body, outcome):
        decision = self._decision(body, outcome)
        self.plan = self._attempt(self.plan, lambda p: p.adopt(decision=decision, meta=META))

    @rule(body=bodies, outcome=outcomes, end=st.sampled_from(["repeal", "merge", "replace", "merge_self"]))
    def plan_end(self, body, outcome, end):
        decision = self._decision(body, outcome)
        other = self.app.repository.get(self.other.id)
        commands = {
            "repeal": lambda p: p.repeal(decision=decision, meta=META),
            "merge": lambda p: p.merge_into(target=other, decision=decision, meta=META),
            "replace": lambda p: p.replace_by(successor=other, decision=decision, meta=META),
            "merge_self": lambda p: p.merge_into(target=p, decision=decision, meta=META),
        }
        self.plan = self._attempt(self.plan, commands[end])

    @precondition(lambda self: self.plan is not None)
    @invariant()
    def plan_state_is_allowed(self):
        plan = self.plan
        statuses = [h["status"] for h in plan.status_history]
        previous = PlanStatus.PROPOSED
        for status in map(PlanStatus, statuses):
            assert status in PLAN_TRANSITIONS[previous]
            previous = status
        if plan.is_statutory and plan.adopted_on is not None and plan.status not in ENDED_PLAN_STATUSES:
            adoption = max(i for i, h in enumerate(plan.status_history) if h["status"] == "adopted")
            since_revision = [h["status"] for h in plan.status_history[:adoption]]
            if "under_revision" in since_revision:
                since_revision = since_revision[len(since_revision) - since_revision[::-1].index("under_revision") :]
            assert "planprogram_adopted" in since_revision
            history = plan.status_history[:adoption]
            opened = None
            ok = False
            for h in history:
                if h["status"] == "consultation_open":
                    opened = h["on"]
                if h["status"] == "consultation_closed" and opened is not None:
                    ok = ok or (h["on"] - opened).days >= CONSULTATION_MINIMUM_DAYS
            assert ok
        if plan.status in ENDED_PLAN_STATUSES:
            assert plan.ended_by is not None and plan.successor_id != plan.id

    # -- strategy

    @rule(action=st.sampled_from(list(StrategyAction)))
    def strategy_item(self, action):
        item_id = uuid4()
        plan_id = None if action is StrategyAction.NEW else self.other.id
        merge_into = self.plan.id if action is StrategyAction.MERGE else None

        def command(s):
            s.set_item(
                item_id=item_id,
                action=action,
                plan_id=plan_id,
                plan_name="Ny plan",
                timing="2025",
                rationale="Behov",
                origin="administration",
                merge_into_plan_id=merge_into,
                meta=META,
            )

        before = self.strategy.version
        self.strategy = self._attempt(self.strategy, command)
        if self.strategy.version > before:
            self.item_ids.append(item_id)

    @rule(samfunnsdel=st.sampled_from(["revise", "continue"]), arealdel=st.sampled_from(["revise", "continue"]))
    def strategy_assess(self, samfunnsdel, arealdel):
        self.strategy = self._attempt(
            self.strategy, lambda s: s.assess_kommuneplan(samfunnsdel=samfunnsdel, arealdel=arealdel, meta=META)
        )

    @rule()
    def strategy_publish(self):
        self.strategy = self._attempt(self.strategy, lambda s: s.publish(on=self.today, meta=META))

    @rule(body=bodies, outcome=outcomes, amend=st.booleans())
    def strategy_adopt(self, body, outcome, amend):
        amendments = []
        if amend and self.item_ids:
            amendments = [Amendment(text="Utgår", change=AmendmentChange.REMOVE_ITEM, item_id=self.item_ids[-1])]
            outcome = DecisionOutcome.ADOPTED_WITH_AMENDMENTS
        decision = self._decision(body, outcome, amendments)
        self.strategy = self._attempt(self.strategy, lambda s: s.adopt(decision=decision, meta=META))

    @invariant()
    def strategy_state_is_allowed(self):
        s = self.strategy
        if s.status is not self.strategy_status:
            assert s.status in STRATEGY_TRANSITIONS[self.strategy_status]
            self.strategy_status = s.status
        if s.status is StrategyStatus.ADOPTED:
            decision = self.app.repository.get(s.adopted_by)
            assert decision.body is Body.MUNICIPAL_COUNCIL
            assert decision.outcome in (DecisionOutcome.ADOPTED, DecisionOutcome.ADOPTED_WITH_AMENDMENTS)
            assert s.samfunnsdel is not None and s.arealdel is not None
            assert (s.adopted_on - s.published_on).days >= PUBLICATION_MINIMUM_DAYS
        if s.status is StrategyStatus.DRAFT:
            assert s.published_on is None

    # -- replay

    @precondition(lambda self: self.plan is not None)
    @invariant()
    def replaying_the_stored_events_gives_the_same_state(self):
        for aggregate, view in ((self.plan, plan_view), (self.strategy, strategy_view)):
            replayed = self.app.repository.get(aggregate.id)
            assert replayed.version == aggregate.version
            assert view(replayed) == view(aggregate)
            events = list(self.app.events.get(aggregate.id))
            rebuilt = None
            for stored in events:
                rebuilt = stored.mutate(rebuilt)
            assert view(rebuilt) == view(aggregate)

    def teardown(self):
        event(f"plan ended {self.plan.status.value}; strategy ended {self.strategy.status.value}")
        self.app.close()


Lifecycles.TestCase.settings = settings(
    max_examples=80, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestLifecycles = Lifecycles.TestCase
