"""The plan register's rules, one story per rule, refusals included."""

from datetime import date, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from plan_registry.domain import (
    PLAN_TRANSITIONS,
    AlreadyDone,
    Amendment,
    AmendmentChange,
    Body,
    Decision,
    DecisionDoesNotAdopt,
    DecisionOutcome,
    DuplicateMeasurement,
    Goal,
    HierarchyCycle,
    Indicator,
    InvalidMergeTarget,
    InvalidValue,
    ItemsFrozen,
    KommuneplanAssessment,
    KommuneplanNotAssessed,
    Measurement,
    NotFound,
    Plan,
    PlanStatus,
    PlanStrategy,
    PlanType,
    PublicationTooLate,
    StatutoryProcessIncomplete,
    StrategyAction,
    StrategyStatus,
    TransitionNotAllowed,
    WrongBody,
    amendment_item_id,
    check_no_cycle,
    strategy_id_for,
    strategy_item_id,
)
from planspor_shared.meta import Meta

pytestmark = pytest.mark.unit

META = Meta.of({"id": "token:abc", "name": "planner", "role": "planner"})


def decision(
    body=Body.MUNICIPAL_COUNCIL,
    meeting=date(2024, 10, 1),
    outcome=DecisionOutcome.ADOPTED,
    strategy_id=None,
    plan_ids=(),
    amendments=(),
):
    return Decision.record(
        body=body,
        case_number=f"24/{uuid4().int % 100000}",
        meeting_date=meeting,
        subject="Sak",
        outcome=outcome,
        strategy_id=strategy_id,
        plan_ids=plan_ids,
        votes_for=30,
        votes_against=10,
        votes_blank=1,
        amendments=amendments,
        meta=META,
    )


def plan(plan_type=PlanType.TEMAPLAN, parent=None, **kwargs):
    return Plan.propose(
        name=kwargs.pop("name", "Temaplan for idrett"),
        plan_type=plan_type,
        legal_basis="PBL §11-1",
        owning_unit="Plan og utvikling",
        parent=parent,
        initiated_through_strategy=kwargs.pop("initiated_through_strategy", False),
        meta=META,
        **kwargs,
    )


def statutory_plan_ready_for_adoption(consultation_days=42):
    p = plan(PlanType.KOMMUNEPLAN_SAMFUNNSDEL, name="Kommuneplanens samfunnsdel 2024-2040")
    p.advance(to="notice_of_start", on=date(2024, 1, 10), meta=META)
    p.adopt_planprogram(on=date(2024, 3, 1), meta=META)
    p.start_preparation(on=date(2024, 3, 2), meta=META)
    p.open_consultation(on=date(2024, 5, 1), meta=META)
    p.close_consultation(on=date(2024, 5, 1) + timedelta(days=consultation_days), meta=META)
    return p


def strategy():
    return PlanStrategy.draft(election_period="2024-2027", council_constituted_on=date(2023, 10, 19), meta=META)


def ready_strategy(published=date(2024, 8, 30)):
    s = strategy()
    s.assess_kommuneplan(samfunnsdel="continue", arealdel="revise", meta=META)
    s.publish(on=published, meta=META)
    return s


# ---------------------------------------------------------------- Goal


def test_a_goal_is_defined_with_sdg_targets_and_a_sub_goal_under_it():
    goal = Goal.define(title="Gode liv i Bærum", sdg_targets=["3.4", "11.a", "3.4"], meta=META)
    sub = Goal.define(title="Aktive innbyggere", parent=goal, meta=META)
    assert sub.parent_id == goal.id and sub.level == "sub_goal" and goal.level == "main_goal"
    assert goal.sdg_targets == ("11.a", "3.4")


@pytest.mark.parametrize("target", ["18.1", "0.1", "3", "x.1", "3.4.5", "3.0"])
def test_a_goal_refuses_a_malformed_sdg_target(target):
    with pytest.raises(InvalidValue) as caught:
        Goal.define(title="Mål", sdg_targets=[target], meta=META)
    assert caught.value.rule == "goal.sdg_target_format"


def test_a_goal_needs_a_title():
    with pytest.raises(InvalidValue, match="title"):
        Goal.define(title="  ", meta=META)


# ---------------------------------------------------------------- Indicator


def indicator():
    goal = Goal.define(title="Mål", meta=META)
    return Indicator.define(
        goal=goal,
        name="Andel fysisk aktive",
        unit="%",
        source="KOSTRA",
        baseline_value=61.0,
        baseline_period="2020",
        target_value=70.0,
        target_year=2030,
        meta=META,
    )


def test_an_indicator_is_measured_per_period_and_a_correction_is_its_own_event():
    ind = indicator()
    ind.measure(period="2023", value=62.5, meta=META)
    ind.measure(period="2024-Q1", value=63, meta=META)
    ind.correct_measurement(period="2023", value=62.0, reason="KOSTRA revidert", meta=META)
    assert [type(e).__name__ for e in ind.collect_events()] == [
        "Defined",
        "Measured",
        "Measured",
        "MeasurementCorrected",
    ]
    assert ind.measurements["2023"] == Measurement(value=Decimal("62.0"), measured_on=None, corrections=1)
    with pytest.raises(AlreadyDone):
        ind.correct_measurement(period="2023", value="62.0", reason="samme", meta=META)


def test_an_indicator_refuses_a_second_measurement_of_a_period_and_a_correction_of_nothing():
    ind = indicator()
    ind.measure(period="2023", value=1, meta=META)
    with pytest.raises(DuplicateMeasurement) as caught:
        ind.measure(period="2023", value=2, meta=META)
    assert caught.value.rule == "indicator.one_measurement_per_period"
    with pytest.raises(NotFound):
        ind.correct_measurement(period="2022", value=1, reason="x", meta=META)
    with pytest.raises(InvalidValue, match="reason"):
        ind.correct_measurement(period="2023", value=1, reason="", meta=META)
    with pytest.raises(InvalidValue) as caught:
        ind.measure(period="23", value=1, meta=META)
    assert caught.value.rule == "indicator.period_format"


@pytest.mark.parametrize(
    "changes, rule",
    [
        ({"source": "twitter"}, "indicator.source_known"),
        ({"baseline_period": None}, "indicator.baseline_complete"),
        ({"target_value": None}, "indicator.target_complete"),
        ({"target_year": 2019}, "indicator.target_after_baseline"),
        ({"baseline_period": "20"}, "indicator.period_format"),
        ({"target_value": "many"}, "value.number"),
        ({"unit": ""}, "indicator.unit_required"),
        ({"name": ""}, "indicator.name_required"),
    ],
)
def test_an_indicator_definition_is_refused_when_incomplete(changes, rule):
    arguments = dict(
        goal=Goal.define(title="Mål", meta=META),
        name="n",
        unit="%",
        source="SSB",
        baseline_value=1.0,
        baseline_period="2020",
        target_value=2.0,
        target_year=2030,
        meta=META,
    )
    arguments.update(changes)
    with pytest.raises(InvalidValue) as caught:
        Indicator.define(**arguments)
    assert caught.value.rule == rule


# ---------------------------------------------------------------- Decision


def test_a_decision_records_body_votes_and_amendments():
    item = uuid4()
    d = decision(
        outcome=DecisionOutcome.ADOPTED_WITH_AMENDMENTS,
        strategy_id=uuid4(),
        amendments=[
            Amendment(text="Behold temaplan for kultur", change=AmendmentChange.REMOVE_ITEM, item_id=item),
            Amendment(
                text="Ny plan for beredskap",
                change=AmendmentChange.SET_ITEM,
                action=StrategyAction.NEW,
                plan_name="Beredskapsplan",
            ),
            Amendment(text="Protokolltilførsel"),
        ],
    )
    assert d.body is Body.MUNICIPAL_COUNCIL and d.votes == {"for": 30, "against": 10, "blank": 1}
    assert d.amendments[0].item_id == item and d.amendments[2].change is None


@pytest.mark.parametrize(
    "changes, rule",
    [
        ({"body": "bystyre"}, "decision.body_known"),
        ({"outcome": "maybe"}, "decision.outcome_known"),
        ({"case_number": ""}, "decision.case_number_required"),
        ({"subject": " "}, "decision.subject_required"),
        ({"votes_against": -1}, "decision.votes_not_negative"),
        ({"amendments": [Amendment(text="")]}, "decision.amendment_text_required"),
        ({"amendments": [Amendment(text="x", change=AmendmentChange.REMOVE_ITEM)]}, "decision.amendment_names_item"),
        ({"amendments": [Amendment(text="x", change=AmendmentChange.SET_ITEM)]}, "decision.amendment_item_action"),
        (
            {"amendments": [Amendment(text="x", change=AmendmentChange.SET_ITEM, action=StrategyAction.REVISE)]},
            "strategy.item_concerns_plan",
        ),
        (
            {
                "amendments": [
                    Amendment(text="x", change=AmendmentChange.SET_ITEM, action=StrategyAction.MERGE, plan_id=uuid4())
                ]
            },
            "strategy.merge_names_target",
        ),
        (
            {
                "outcome": "adopted",
                "amendments": [Amendment(text="x", change=AmendmentChange.REMOVE_ITEM, item_id=uuid4())],
            },
            "decision.amendments_need_amended_outcome",
        ),
        (
            {"amendments": [Amendment(text="x", change=AmendmentChange.REMOVE_ITEM, item_id=uuid4())]},
            "decision.amendments_name_strategy",
        ),
        ({"votes_for": 3}, "decision.votes_complete"),
        ({"unanimous": True, "votes_for": 3, "votes_against": 1}, "decision.unanimous_without_votes_against"),
    ],
)
def test_a_decision_is_refused_when_malformed(changes, rule):
    arguments = dict(
        body="municipal_council",
        case_number="24/1",
        meeting_date=date(2024, 10, 1),
        subject="Sak",
        outcome="adopted_with_amendments",
        meta=META,
    )
    arguments.update(changes)
    with pytest.raises(InvalidValue) as caught:
        Decision.record(**arguments)
    assert caught.value.rule == rule


# ---------------------------------------------------------------- Plan


def test_a_plan_is_proposed_with_its_type_basis_unit_parent_and_origin():
    parent = plan(PlanType.KOMMUNEPLAN_SAMFUNNSDEL)
    strategy_id = uuid4()
    child = plan(PlanType.SEKTORPLAN, parent=parent, initiated_through_strategy=True, strategy_id=strategy_id)
    assert child.status is PlanStatus.PROPOSED and child.parent_id == parent.id
    assert child.initiated_through_strategy and child.strategy_id == strategy_id
    assert parent.is_statutory and not child.is_statutory


@pytest.mark.parametrize(
    "changes, rule",
    [
        ({"plan_type": "masterplan"}, "plan.type_known"),
        ({"name": ""}, "plan.name_required"),
        ({"owning_unit": ""}, "plan.owning_unit_required"),
        ({"initiated_through_strategy": True}, "plan.initiating_strategy_named"),
        ({"strategy_id": uuid4()}, "plan.initiating_strategy_named"),
    ],
)
def test_a_plan_proposal_is_refused_when_incomplete(changes, rule):
    arguments = dict(
        name="Plan",
        plan_type="temaplan",
        legal_basis="",
        owning_unit="Enhet",
        initiated_through_strategy=False,
        meta=META,
    )
    arguments.update(changes)
    with pytest.raises(InvalidValue) as caught:
        Plan.propose(**arguments)
    assert caught.value.rule == rule


def test_a_lighter_plan_goes_from_preparation_straight_to_adoption_and_into_force():
    p = plan()
    p.start_preparation(on=date(2024, 1, 1), meta=META)
    p.adopt(decision=decision(body=Body.EXECUTIVE_COMMITTEE, meeting=date(2024, 6, 1)), meta=META)
    p.bring_into_force(on=date(2024, 6, 2), meta=META)
    assert p.status is PlanStatus.IN_FORCE and p.adopted_on == date(2024, 6, 1)


def test_a_statutory_plan_walks_the_whole_lifecycle():
    p = statutory_plan_ready_for_adoption()
    d = decision(meeting=date(2024, 9, 1))
    p.adopt(decision=d, meta=META)
    p.bring_into_force(on=date(2024, 9, 15), meta=META)
    p.start_revision(on=date(2025, 1, 1), meta=META)
    assert p.planprogram_adopted_on is None and p.consultations == []
    successor = plan(PlanType.KOMMUNEPLAN_SAMFUNNSDEL, name="Samfunnsdel 2026")
    p.replace_by(successor=successor, decision=decision(meeting=date(2026, 1, 1)), meta=META)
    assert p.status is PlanStatus.REPLACED and p.successor_id == successor.id
    assert [h["status"] for h in p.status_history] == [
        "notice_of_start",
        "planprogram_adopted",
        "in_preparation",
        "consultation_open",
        "consultation_closed",
        "adopted",
        "in_force",
        "under_revision",
        "replaced",
    ]


def test_a_statutory_plan_is_not_adopted_without_a_planprogram():
    p = plan(PlanType.KOMMUNEDELPLAN)
    p.start_preparation(on=date(2024, 1, 1), meta=META)
    with pytest.raises(StatutoryProcessIncomplete) as caught:
        p.adopt(decision=decision(), meta=META)
    assert (caught.value.rule, caught.value.paragraph) == ("plan.planprogram_before_adoption", "PBL §4-1")
    with pytest.raises(StatutoryProcessIncomplete) as caught:
        p.open_consultation(on=date(2024, 2, 1), meta=META)
    assert caught.value.rule == "plan.planprogram_before_consultation"
    assert p.status is PlanStatus.IN_PREPARATION and p.version == 2


def test_a_statutory_plan_is_not_adopted_after_a_consultation_shorter_than_six_weeks():
    p = statutory_plan_ready_for_adoption(consultation_days=41)
    with pytest.raises(StatutoryProcessIncomplete) as caught:
        p.adopt(decision=decision(meeting=date(2024, 9, 1)), meta=META)
    assert caught.value.rule == "plan.consultation_six_weeks" and caught.value.paragraph == "PBL §11-14"
    assert "2024-05-01 to 2024-06-11" in caught.value.message
    p.open_consultation(on=date(2024, 7, 1), meta=META)
    p.close_consultation(on=date(2024, 8, 12), meta=META)
    p.adopt(decision=decision(meeting=date(2024, 9, 1)), meta=META)
    assert p.status is PlanStatus.ADOPTED


def test_the_kommuneplan_is_adopted_by_the_council_itself():
    p = statutory_plan_ready_for_adoption()
    with pytest.raises(WrongBody) as caught:
        p.adopt(decision=decision(body=Body.PLANNING_COMMITTEE, meeting=date(2024, 9, 1)), meta=META)
    assert caught.value.paragraph == "PBL §11-15"


def test_an_adoption_needs_a_decision_that_adopts_this_plan():
    p = plan()
    p.start_preparation(on=date(2024, 1, 1), meta=META)
    with pytest.raises(DecisionDoesNotAdopt) as caught:
        p.adopt(decision=decision(outcome=DecisionOutcome.REJECTED), meta=META)
    assert caught.value.rule == "decision.outcome_adopts"
    with pytest.raises(DecisionDoesNotAdopt) as caught:
        p.adopt(decision=decision(plan_ids=[uuid4()]), meta=META)
    assert caught.value.rule == "decision.concerns_subject"
    p.adopt(decision=decision(plan_ids=[uuid4(), p.id]), meta=META)


def test_status_dates_go_forward():
    p = plan()
    p.start_preparation(on=date(2024, 5, 1), meta=META)
    with pytest.raises(InvalidValue) as caught:
        p.adopt(decision=decision(meeting=date(2024, 4, 1)), meta=META)
    assert caught.value.rule == "plan.dates_in_order"


PATHS = {
    PlanStatus.PROPOSED: [],
    PlanStatus.NOTICE_OF_START: [PlanStatus.NOTICE_OF_START],
    PlanStatus.PLANPROGRAM_ADOPTED: [PlanStatus.NOTICE_OF_START, PlanStatus.PLANPROGRAM_ADOPTED],
    PlanStatus.IN_PREPARATION: [PlanStatus.IN_PREPARATION],
    PlanStatus.FIRST_TREATMENT: [PlanStatus.IN_PREPARATION, PlanStatus.FIRST_TREATMENT],
    PlanStatus.CONSULTATION_OPEN: [PlanStatus.IN_PREPARATION, PlanStatus.CONSULTATION_OPEN],
    PlanStatus.CONSULTATION_CLOSED: [
        PlanStatus.IN_PREPARATION,
        PlanStatus.CONSULTATION_OPEN,
        PlanStatus.CONSULTATION_CLOSED,
    ],
    PlanStatus.ADOPTED: [PlanStatus.IN_PREPARATION, PlanStatus.ADOPTED],
    PlanStatus.ANNOUNCED: [PlanStatus.IN_PREPARATION, PlanStatus.ADOPTED, PlanStatus.ANNOUNCED],
    PlanStatus.IN_FORCE: [PlanStatus.IN_PREPARATION, PlanStatus.ADOPTED, PlanStatus.IN_FORCE],
    PlanStatus.UNDER_REVISION: [
        PlanStatus.IN_PREPARATION,
        PlanStatus.ADOPTED,
        PlanStatus.IN_FORCE,
        PlanStatus.UNDER_REVISION,
    ],
    PlanStatus.REPEALED: [PlanStatus.IN_PREPARATION, PlanStatus.ADOPTED, PlanStatus.IN_FORCE, PlanStatus.REPEALED],
    PlanStatus.REPLACED: [PlanStatus.IN_PREPARATION, PlanStatus.ADOPTED, PlanStatus.IN_FORCE, PlanStatus.REPLACED],
    PlanStatus.MERGED: [PlanStatus.IN_PREPARATION, PlanStatus.ADOPTED, PlanStatus.IN_FORCE, PlanStatus.MERGED],
}


def _attempt(p, to):
    """The command that moves a (lighter) plan to ``to``."""
    d = date(2024, 1, 1)
    other = plan(name="Annen plan")
    if to is PlanStatus.ADOPTED:
        p.adopt(decision=decision(meeting=d), meta=META)
    elif to is PlanStatus.REPEALED:
        p.repeal(decision=decision(meeting=d), meta=META)
    elif to is PlanStatus.REPLACED:
        p.replace_by(successor=other, decision=decision(meeting=d), meta=META)
    elif to is PlanStatus.MERGED:
        p.merge_into(target=other, decision=decision(meeting=d), meta=META)
    else:
        p.advance(to=to, on=d, meta=META)


def _drive_to(p, status):
    for step in PATHS[status]:
        _attempt(p, step)
    assert p.status is status


@pytest.mark.parametrize(
    "start, to", [(start, to) for start in PlanStatus for to in PlanStatus if to is not PlanStatus.PROPOSED]
)
def test_every_plan_transition_is_allowed_or_refused_as_the_lifecycle_says(start, to):
    p = plan()
    _drive_to(p, start)
    version = p.version
    if to in PLAN_TRANSITIONS[start]:
        _attempt(p, to)
        assert p.status is to and p.version == version + 1
    else:
        with pytest.raises(TransitionNotAllowed) as caught:
            _attempt(p, to)
        assert caught.value.rule == "plan.lifecycle_transition"
        assert p.status is start and p.version == version and len(p.pending_events) == version


def test_the_statutory_lifecycle_of_domain_md_is_a_path_of_allowed_steps():
    p = plan(PlanType.KOMMUNEDELPLAN)
    on = date(2024, 1, 1)
    for step in [
        PlanStatus.NOTICE_OF_START,
        PlanStatus.PLANPROGRAM_ADOPTED,
        PlanStatus.IN_PREPARATION,
        PlanStatus.FIRST_TREATMENT,
        PlanStatus.CONSULTATION_OPEN,
    ]:
        p.advance(to=step, on=on, meta=META)
    p.advance(to=PlanStatus.CONSULTATION_CLOSED, on=on + timedelta(days=42), meta=META)
    p.adopt(decision=decision(meeting=on + timedelta(days=60)), meta=META)
    p.advance(to=PlanStatus.ANNOUNCED, on=on + timedelta(days=61), meta=META)
    p.advance(to=PlanStatus.IN_FORCE, on=on + timedelta(days=61), meta=META)
    assert p.status is PlanStatus.IN_FORCE


@pytest.mark.parametrize("to, rule", [("adopted", "plan.step_needs_its_command"), ("closed", "plan.status_known")])
def test_advance_refuses_steps_that_need_their_own_command(to, rule):
    with pytest.raises(InvalidValue) as caught:
        plan().advance(to=to, on=date(2024, 1, 1), meta=META)
    assert caught.value.rule == rule


def test_a_plan_is_never_merged_into_itself_or_into_an_ended_plan():
    p = plan()
    _drive_to(p, PlanStatus.IN_FORCE)
    with pytest.raises(InvalidMergeTarget) as caught:
        p.merge_into(target=p, decision=decision(), meta=META)
    assert caught.value.rule == "plan.successor_not_itself"
    repealed = plan(name="Opphevet")
    _drive_to(repealed, PlanStatus.REPEALED)
    with pytest.raises(InvalidMergeTarget) as caught:
        p.merge_into(target=repealed, decision=decision(), meta=META)
    assert caught.value.rule == "plan.successor_not_ended"
    with pytest.raises(InvalidMergeTarget):
        p.replace_by(successor=repealed, decision=decision(), meta=META)
    target = plan(name="Samlet plan")
    p.merge_into(target=target, decision=decision(), meta=META)
    assert p.status is PlanStatus.MERGED and p.successor_id == target.id


def test_a_repeal_is_by_a_decision_that_adopts_it():
    p = plan()
    _drive_to(p, PlanStatus.IN_FORCE)
    with pytest.raises(DecisionDoesNotAdopt):
        p.repeal(decision=decision(outcome=DecisionOutcome.POSTPONED), meta=META)
    d = decision(meeting=date(2024, 2, 1))
    p.repeal(decision=d, meta=META)
    assert p.ended_by == d.id and p.ended_on == date(2024, 2, 1)


def test_a_plan_is_anchored_in_goals_once_each_and_not_after_it_ended():
    p = plan()
    goal = Goal.define(title="Mål", meta=META)
    p.anchor_in(goal, meta=META)
    with pytest.raises(AlreadyDone):
        p.anchor_in(goal, meta=META)
    p.anchor_in(Goal.define(title="Mål 2", meta=META), meta=META)
    assert len(p.goal_ids) == 2
    _drive_to(p, PlanStatus.REPEALED)
    with pytest.raises(TransitionNotAllowed):
        p.anchor_in(Goal.define(title="Mål 3", meta=META), meta=META)


def test_the_plan_hierarchy_has_no_cycles():
    top, middle, leaf = plan(name="top"), plan(name="middle"), plan(name="leaf")
    middle.move_under(top, meta=META)
    leaf.move_under(middle, ancestors_of_parent=[top.id], meta=META)
    with pytest.raises(HierarchyCycle) as caught:
        top.move_under(leaf, ancestors_of_parent=[middle.id, top.id], meta=META)
    assert caught.value.rule == "plan.hierarchy_without_cycles"
    with pytest.raises(HierarchyCycle):
        top.move_under(top, meta=META)
    with pytest.raises(HierarchyCycle):
        check_no_cycle(top.id, middle.id, [top.id])
    with pytest.raises(AlreadyDone):
        leaf.move_under(middle, ancestors_of_parent=[top.id], meta=META)
    leaf.move_under(None, meta=META)
    assert leaf.parent_id is None


def test_an_ended_plan_is_not_a_parent():
    ended = plan(name="ended")
    _drive_to(ended, PlanStatus.REPEALED)
    with pytest.raises(InvalidMergeTarget) as caught:
        plan(parent=ended)
    assert caught.value.rule == "plan.parent_not_ended"


def test_a_revision_is_scheduled_but_not_for_an_ended_plan():
    p = plan()
    p.schedule_revision(due=date(2028, 1, 1), reason="Etter ny planstrategi", meta=META)
    assert p.revision_due == date(2028, 1, 1)
    _drive_to(p, PlanStatus.REPEALED)
    with pytest.raises(TransitionNotAllowed):
        p.schedule_revision(due=date(2029, 1, 1), meta=META)


# ---------------------------------------------------------------- PlanStrategy


@pytest.mark.parametrize(
    "period, constituted, rule",
    [
        ("2023-2027", date(2023, 10, 1), "strategy.election_period_format"),
        ("24-27", date(2023, 10, 1), "strategy.election_period_format"),
        ("2024-2027", date(2025, 1, 10), "strategy.constituted_at_period_start"),
        ("2024-2027", date(2022, 10, 1), "strategy.constituted_at_period_start"),
    ],
)
def test_a_strategy_is_drafted_for_a_four_year_election_period(period, constituted, rule):
    with pytest.raises(InvalidValue) as caught:
        PlanStrategy.draft(election_period=period, council_constituted_on=constituted, meta=META)
    assert caught.value.rule == rule


def test_a_strategy_from_a_recommendation_has_an_id_derived_from_it():
    recommendation = uuid4()
    s = PlanStrategy.draft(
        election_period="2024-2027",
        council_constituted_on=date(2023, 10, 19),
        recommendation_id=recommendation,
        meta=META,
    )
    assert s.id == strategy_id_for(recommendation)
    assert strategy_item_id(s.id, recommendation) == strategy_item_id(s.id, recommendation)


def test_items_are_set_per_plan_with_action_timing_rationale_and_origin():
    s = strategy()
    need, existing = uuid4(), uuid4()
    new_item = strategy_item_id(s.id, need)
    s.set_item(
        item_id=new_item,
        action="new",
        plan_name="Plan for klima",
        timing="2025",
        rationale="Behov",
        origin="plan_need",
        plan_need_id=need,
        meta=META,
    )
    s.set_item(
        item_id=uuid4(),
        action="revise",
        plan_id=existing,
        timing="2026",
        rationale="Utdatert",
        origin="administration",
        meta=META,
    )
    merge = uuid4()
    s.set_item(
        item_id=merge,
        action="merge",
        plan_id=uuid4(),
        merge_into_plan_id=existing,
        timing="2025",
        rationale="Færre planer",
        origin="administration",
        meta=META,
    )
    assert len(s.items) == 3 and s.items[new_item]["plan_need_id"] == need
    s.remove_item(item_id=merge, origin="administration", meta=META)
    assert merge not in s.items
    with pytest.raises(AlreadyDone):
        s.set_item(
            item_id=new_item,
            action="new",
            plan_name="Plan for klima",
            timing="2025",
            rationale="Behov",
            origin="plan_need",
            plan_need_id=need,
            meta=META,
        )


@pytest.mark.parametrize(
    "changes, rule",
    [
        ({"action": "keep"}, "strategy.item_action_known"),
        ({"origin": "mayor"}, "strategy.item_origin_known"),
        ({"action": "revise", "plan_id": None}, "strategy.item_concerns_plan"),
        ({"action": "new", "plan_id": None, "plan_name": ""}, "strategy.new_item_named"),
        ({"origin": "plan_need"}, "strategy.item_need_named"),
        ({"origin": "council_amendment"}, "strategy.amendment_names_decision"),
        ({"action": "merge"}, "strategy.merge_names_target"),
        ({"merge_into_plan_id": "same"}, "strategy.merge_names_target"),
        ({"timing": " "}, "strategy.item_timing_required"),
        ({"rationale": ""}, "strategy.item_rationale_required"),
        ({"plan_type": "masterplan"}, "plan.type_known"),
    ],
)
def test_an_item_is_refused_when_incomplete(changes, rule):
    s = strategy()
    plan_id = uuid4()
    arguments = dict(
        item_id=uuid4(),
        action="continue",
        plan_id=plan_id,
        origin="administration",
        timing="2025",
        rationale="Fungerer",
        meta=META,
    )
    arguments.update(changes)
    if arguments.get("merge_into_plan_id") == "same":
        arguments["merge_into_plan_id"] = plan_id
    with pytest.raises(InvalidValue) as caught:
        s.set_item(**arguments)
    assert caught.value.rule == rule
    assert s.items == {} and s.version == 1


def test_a_merge_item_never_merges_a_plan_into_itself():
    s = strategy()
    p = uuid4()
    with pytest.raises(InvalidMergeTarget):
        s.set_item(
            item_id=uuid4(),
            action="merge",
            plan_id=p,
            merge_into_plan_id=p,
            origin="administration",
            timing="2025",
            rationale="r",
            meta=META,
        )


def test_removing_an_unknown_item_is_refused():
    with pytest.raises(NotFound) as caught:
        strategy().remove_item(item_id=uuid4(), origin="administration", meta=META)
    assert caught.value.rule == "strategy.item_exists"


def test_after_publication_only_the_council_changes_items():
    s = ready_strategy()
    with pytest.raises(ItemsFrozen) as caught:
        s.set_item(
            item_id=uuid4(), action="new", plan_name="x", timing="t", rationale="r", origin="administration", meta=META
        )
    assert caught.value.rule == "strategy.items_frozen_after_publication"
    s.set_item(
        item_id=uuid4(),
        action="new",
        plan_name="x",
        timing="t",
        rationale="r",
        origin="council_amendment",
        decision_id=uuid4(),
        meta=META,
    )


def test_a_strategy_records_assessment_inputs_and_evidence():
    s = strategy()
    s.assess_kommuneplan(samfunnsdel="continue", arealdel="revise", rationale="Arealdelen er utdatert", meta=META)
    s.receive_input(
        input_id=uuid4(),
        source="state",
        sender="Statsforvalteren i Oslo og Viken",
        received_on=date(2024, 3, 1),
        summary="Klima",
        meta=META,
    )
    s.receive_input(
        input_id=uuid4(),
        source="neighbour_municipality",
        sender="Asker kommune",
        received_on=date(2024, 3, 2),
        summary="Samferdsel",
        meta=META,
    )
    s.cite_evidence(
        evidence_id=uuid4(),
        kind="public_health_overview",
        title="Folkehelseoversikt 2023",
        dated=date(2023, 6, 1),
        meta=META,
    )
    assert (s.samfunnsdel, s.arealdel, s.assessment_rationale) == (
        KommuneplanAssessment.CONTINUE,
        KommuneplanAssessment.REVISE,
        "Arealdelen er utdatert",
    )
    assert [i["source"] for i in s.external_inputs] == ["state", "neighbour_municipality"]
    assert s.evidence[0]["dated"] == date(2023, 6, 1) and s.evidence[0]["kind"] == "public_health_overview"


@pytest.mark.parametrize(
    "call, rule",
    [
        (lambda s: s.assess_kommuneplan(samfunnsdel="drop", arealdel="revise", meta=META), "strategy.assessment_known"),
        (
            lambda s: s.receive_input(
                input_id=uuid4(), source="press", sender="x", received_on=date(2024, 1, 1), summary="s", meta=META
            ),
            "strategy.input_source_known",
        ),
        (
            lambda s: s.receive_input(
                input_id=uuid4(), source="state", sender="", received_on=date(2024, 1, 1), summary="s", meta=META
            ),
            "strategy.input_sender_required",
        ),
        (
            lambda s: s.receive_input(
                input_id=uuid4(), source="state", sender="x", received_on=date(2024, 1, 1), summary="", meta=META
            ),
            "strategy.input_summary_required",
        ),
        (
            lambda s: s.publish(on=date(2024, 9, 1), planned_meeting_on=date(2024, 8, 1), meta=META),
            "strategy.meeting_after_publication",
        ),
        (
            lambda s: s.cite_evidence(evidence_id=uuid4(), kind="blog", title="x", dated=date(2024, 1, 1), meta=META),
            "strategy.evidence_kind_known",
        ),
        (
            lambda s: s.cite_evidence(evidence_id=uuid4(), kind="other", title="", dated=date(2024, 1, 1), meta=META),
            "strategy.evidence_title_required",
        ),
        (lambda s: s.publish(on=date(2023, 1, 1), meta=META), "strategy.published_after_constitution"),
    ],
)
def test_strategy_facts_are_refused_when_malformed(call, rule):
    s = strategy()
    with pytest.raises(InvalidValue) as caught:
        call(s)
    assert caught.value.rule == rule and s.version == 1


def test_inputs_evidence_and_publication_are_recorded_once():
    s = strategy()
    i, e = uuid4(), uuid4()
    s.receive_input(input_id=i, source="regional", sender="Viken", received_on=date(2024, 1, 1), summary="s", meta=META)
    s.cite_evidence(evidence_id=e, kind="knowledge_base", title="KG", dated=date(2024, 1, 1), meta=META)
    s.publish(on=date(2024, 8, 1), meta=META)
    for call in (
        lambda: s.receive_input(
            input_id=i, source="regional", sender="Viken", received_on=date(2024, 1, 1), summary="s", meta=META
        ),
        lambda: s.cite_evidence(evidence_id=e, kind="knowledge_base", title="KG", dated=date(2024, 1, 1), meta=META),
        lambda: s.publish(on=date(2024, 8, 2), meta=META),
    ):
        with pytest.raises(AlreadyDone):
            call()


def test_the_council_adopts_a_strategy_published_thirty_days_before_the_meeting():
    s = ready_strategy(published=date(2024, 9, 1))
    d = decision(meeting=date(2024, 10, 1))
    s.adopt(decision=d, meta=META)
    assert s.status is StrategyStatus.ADOPTED and s.adopted_by == d.id and s.adopted_within_a_year is True


def test_a_strategy_published_too_late_is_not_adopted():
    s = ready_strategy(published=date(2024, 9, 20))
    with pytest.raises(PublicationTooLate) as caught:
        s.adopt(decision=decision(meeting=date(2024, 10, 1)), meta=META)
    assert caught.value.rule == "strategy.published_30_days_before_meeting"
    assert caught.value.paragraph == "PBL §10-1"
    assert caught.value.message == "PBL §10-1: published 2024-09-20, meeting 2024-10-01, 30 days required"
    assert s.status is StrategyStatus.PUBLISHED


def test_an_unpublished_strategy_is_not_adopted():
    s = strategy()
    s.assess_kommuneplan(samfunnsdel="continue", arealdel="continue", meta=META)
    with pytest.raises(PublicationTooLate, match="not published"):
        s.adopt(decision=decision(), meta=META)


def test_only_the_council_adopts_the_strategy():
    s = ready_strategy()
    with pytest.raises(WrongBody) as caught:
        s.adopt(decision=decision(body=Body.EXECUTIVE_COMMITTEE), meta=META)
    assert (caught.value.rule, caught.value.paragraph) == ("strategy.adopted_by_council", "PBL §10-1")


def test_the_kommuneplan_is_assessed_before_the_strategy_is_adopted():
    s = strategy()
    s.publish(on=date(2024, 8, 1), meta=META)
    with pytest.raises(KommuneplanNotAssessed) as caught:
        s.adopt(decision=decision(), meta=META)
    assert "samfunnsdel, arealdel" in caught.value.message


def test_a_rejecting_decision_adopts_nothing_and_an_adopted_strategy_is_final():
    s = ready_strategy()
    with pytest.raises(DecisionDoesNotAdopt):
        s.adopt(decision=decision(outcome=DecisionOutcome.REJECTED), meta=META)
    s.adopt(decision=decision(), meta=META)
    for call in (
        lambda: s.adopt(decision=decision(), meta=META),
        lambda: s.publish(on=date(2024, 12, 1), meta=META),
        lambda: s.assess_kommuneplan(samfunnsdel="revise", arealdel="revise", meta=META),
        lambda: s.set_item(
            item_id=uuid4(),
            action="new",
            plan_name="x",
            timing="t",
            rationale="r",
            origin="council_amendment",
            decision_id=uuid4(),
            meta=META,
        ),
    ):
        with pytest.raises(TransitionNotAllowed) as caught:
            call()
        assert caught.value.rule == "strategy.adopted_is_final"


def test_council_amendments_are_applied_as_their_own_events_caused_by_the_decision():
    s = PlanStrategy.draft(election_period="2020-2023", council_constituted_on=date(2019, 10, 17), meta=META)
    kept, dropped, plan_id = uuid4(), uuid4(), uuid4()
    s.set_item(
        item_id=kept,
        action="repeal",
        plan_id=plan_id,
        timing="2025",
        rationale="Utdatert",
        origin="administration",
        meta=META,
    )
    s.set_item(
        item_id=dropped,
        action="new",
        plan_name="Plan for X",
        timing="2026",
        rationale="Behov",
        origin="administration",
        meta=META,
    )
    s.assess_kommuneplan(samfunnsdel="continue", arealdel="continue", meta=META)
    s.publish(on=date(2020, 9, 1), meta=META)
    d = decision(
        meeting=date(2020, 10, 21),
        outcome=DecisionOutcome.ADOPTED_WITH_AMENDMENTS,
        strategy_id=s.id,
        amendments=[
            Amendment(
                text="Planen videreføres",
                change=AmendmentChange.SET_ITEM,
                item_id=kept,
                action=StrategyAction.CONTINUE,
                plan_id=plan_id,
            ),
            Amendment(text="Plan for X utgår", change=AmendmentChange.REMOVE_ITEM, item_id=dropped),
            Amendment(
                text="Ny plan for Y",
                change=AmendmentChange.SET_ITEM,
                action=StrategyAction.NEW,
                plan_name="Plan for Y",
                timing="2021",
            ),
            Amendment(text="Merknad"),
            Amendment(text="Nedstemt forslag", adopted=False, change=AmendmentChange.REMOVE_ITEM, item_id=kept),
        ],
    )
    s.collect_events()
    s.adopt(decision=d, meta=META)
    events = s.collect_events()
    assert [type(e).__name__ for e in events] == ["ItemSet", "ItemRemoved", "ItemSet", "Adopted"]
    assert all(e.meta.causation_id == str(d.id) for e in events)
    assert [getattr(e, "amendment_number", None) for e in events[:3]] == [None, 2, None]
    assert events[0].item["amendment_number"] == 1 and events[2].item["amendment_number"] == 3
    assert s.items[kept]["action"] == "continue" and s.items[kept]["timing"] == "2025"
    assert s.items[kept]["origin"] == "council_amendment" and s.items[kept]["decision_id"] == d.id
    assert dropped not in s.items
    added = s.items[amendment_item_id(d.id, 3)]
    assert added["plan_name"] == "Plan for Y" and added["origin"] == "council_amendment"


def test_an_amendment_removing_an_unknown_item_refuses_the_adoption():
    s = ready_strategy()
    d = decision(
        outcome=DecisionOutcome.ADOPTED_WITH_AMENDMENTS,
        strategy_id=s.id,
        amendments=[Amendment(text="x", change=AmendmentChange.REMOVE_ITEM, item_id=uuid4())],
    )
    with pytest.raises(NotFound):
        s.adopt(decision=d, meta=META)
    assert s.status is StrategyStatus.PUBLISHED


def test_missing_the_one_year_deadline_does_not_block_adoption():
    s = PlanStrategy.draft(election_period="2020-2023", council_constituted_on=date(2019, 10, 17), meta=META)
    s.assess_kommuneplan(samfunnsdel="continue", arealdel="continue", meta=META)
    s.publish(on=date(2020, 9, 1), meta=META)
    s.adopt(decision=decision(meeting=date(2020, 10, 21)), meta=META)
    assert s.adopted_within_a_year is False


def test_the_plan_s_view_tells_the_day_it_was_proposed():
    from plan_registry.application.views import plan_view

    assert plan_view(plan(proposed_on=date(2024, 9, 4)))["proposed_on"] == "2024-09-04"
    assert plan_view(plan())["proposed_on"] is None
