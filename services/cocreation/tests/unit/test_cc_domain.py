"""The co-creation rules, one story per rule, refusals included."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest

from cocreation import domain as d
from cocreation.domain import (
    Ballot,
    Input,
    PlanNeed,
    Prioritisation,
    Process,
    ProcessPhase,
    Recommendation,
    RecommendedNeed,
    StrategyAction,
    Workshop,
)
from planspor_shared.meta import Meta

pytestmark = pytest.mark.unit

NEEDS: dict[str, PlanNeed] = {}
META = Meta.of({"id": "u1", "name": "Facilitator", "role": "facilitator"}, correlation_id="c1")
TODAY = date(2024, 3, 1)
KNOWN_PLANS = {"plan-a", "plan-b", "plan-c"}


def unknown(ids):
    return set(ids) - KNOWN_PLANS


def start(**overrides) -> Process:
    args = dict(
        title="Plan strategy 2024-2027: co-creation",
        purpose="Prioritise the planning work of the period",
        election_period="2024-2027",
        roles_and_limits="Officials set priorities; the administration advises",
        all_officials_invited=True,
        follow_up_days=14,
        meta=META,
    )
    args.update(overrides)
    return Process.start(**args)


def enroll_official(process: Process, pid: str | None = None, party="H", body="municipal_council", name=None) -> str:
    pid = pid or str(uuid4())
    process.enroll(
        participant_id=pid,
        name=name or f"Official {pid[:4]}",
        kind="elected_official",
        role="member",
        party=party,
        body=body,
        substitute=False,
        meta=META,
    )
    return pid


def advance(process: Process, to: ProcessPhase, held=1, needs=1, made=1) -> None:
    process.advance(to=to, held_workshops=held, plan_needs=needs, made_prioritisations=made, meta=META)


def held_workshop(process: Process, attendees, held_on=TODAY) -> Workshop:
    workshop = Workshop.schedule(
        process=process, title="Seminar", on=held_on, format="in_person", agenda=["Plan system"], meta=META
    )
    workshop.hold(process=process, held_on=held_on, attendees=attendees, today=TODAY, meta=META)
    return workshop


def record(process, workshop, author, plan_ids=(), today=TODAY, kind="need", recorded_on=None) -> Input:
    return Input.record(
        process=process,
        workshop=workshop,
        author_id=author,
        kind=kind,
        text="We need X",
        plan_ids=list(plan_ids),
        goal_ids=[],
        unknown_plans=unknown,
        today=today,
        meta=META,
        recorded_on=recorded_on,
    )


def propose(process, input_ids, kind="new", plan_id=None, merge_into=None, title="Need", plan_type=None) -> PlanNeed:
    return PlanNeed.propose(
        process=process,
        input_ids=list(input_ids),
        kind=kind,
        title=title,
        rationale="why",
        plan_id=plan_id,
        merge_into_plan_id=merge_into,
        plan_type=plan_type,
        unknown_plans=unknown,
        meta=META,
    )


@pytest.fixture
def in_workshops():
    process = start()
    officials = [enroll_official(process, party=p) for p in ("H", "Ap", "V")]
    advance(process, ProcessPhase.WORKSHOPS)
    workshop = held_workshop(process, officials[:2])
    return process, officials, workshop


@pytest.fixture
def in_prioritisation(in_workshops):
    process, officials, workshop = in_workshops
    item = record(process, workshop, officials[0])
    needs = [propose(process, [str(item.id)], title=f"Need {i}") for i in range(3)]
    NEEDS.update({str(n.id): n for n in needs})
    advance(process, ProcessPhase.PRIORITISATION)
    return process, officials, [str(n.id) for n in needs]


def open_vote(process, officials, needs, method="borda", quorum=1, dots=None) -> Prioritisation:
    return Prioritisation.open(
        process=process,
        title="Round 1",
        method=method,
        candidate_ids=needs,
        eligible_ids=officials,
        quorum=quorum,
        dots_per_participant=dots,
        meta=META,
    )


# ----------------------------------------------------------------- process


def test_process_starts_in_preparation_with_its_prerequisites():
    process = start()
    assert process.phase is ProcessPhase.PREPARATION
    assert process.period_years == (2024, 2027)
    assert process.follow_up_days == 14


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        ({"purpose": "  "}, "purpose"),
        ({"roles_and_limits": ""}, "roles_and_limits"),
        ({"all_officials_invited": False}, "every elected official"),
    ],
)
def test_process_refused_without_a_prerequisite(overrides, fragment):
    with pytest.raises(d.PrerequisiteMissing, match=fragment) as error:
        start(**overrides)
    assert error.value.rule == "process.prerequisites"
    assert error.value.kind == "invalid"


@pytest.mark.parametrize("period", ["2024", "2023-2027", "24-27", "2024/2027", ""])
def test_process_refuses_an_election_period_that_is_not_four_years(period):
    with pytest.raises(d.InvalidElectionPeriod):
        start(election_period=period)


@pytest.mark.parametrize("days", [-1, 91])
def test_process_refuses_a_follow_up_window_out_of_range(days):
    with pytest.raises(d.InvalidValue, match="follow_up_days") as error:
        start(follow_up_days=days)
    assert error.value.rule == "process.follow_up_window"


def test_phases_run_in_order_only():
    process = start()
    enroll_official(process)
    with pytest.raises(d.PhaseNotReady) as error:
        advance(process, ProcessPhase.PRIORITISATION)
    assert error.value.rule == "process.phase_order"
    advance(process, ProcessPhase.WORKSHOPS)
    with pytest.raises(d.PhaseNotReady):
        advance(process, ProcessPhase.PREPARATION)
    advance(process, ProcessPhase.PRIORITISATION)
    advance(process, ProcessPhase.RECOMMENDATION)
    assert process.phase is ProcessPhase.RECOMMENDATION


def test_hand_over_only_by_the_recommendation():
    process = start()
    with pytest.raises(d.PhaseNotReady) as error:
        advance(process, ProcessPhase.HANDED_OVER)
    assert error.value.rule == "process.hand_over_by_recommendation"


def test_workshops_need_an_elected_official():
    process = start()
    process.enroll(
        participant_id="adm",
        name="Planner",
        kind="administration",
        role="planner",
        party=None,
        body="administration",
        substitute=False,
        meta=META,
    )
    with pytest.raises(d.PhaseNotReady, match="elected official"):
        advance(process, ProcessPhase.WORKSHOPS)


@pytest.mark.parametrize("held, needs", [(0, 1), (1, 0)])
def test_prioritisation_needs_a_held_workshop_and_a_plan_need(held, needs):
    process = start()
    enroll_official(process)
    advance(process, ProcessPhase.WORKSHOPS)
    with pytest.raises(d.PhaseNotReady, match="workshop"):
        advance(process, ProcessPhase.PRIORITISATION, held=held, needs=needs)


def test_recommendation_phase_needs_a_made_prioritisation():
    process = start()
    enroll_official(process)
    advance(process, ProcessPhase.WORKSHOPS)
    advance(process, ProcessPhase.PRIORITISATION)
    with pytest.raises(d.PhaseNotReady, match="prioritisation"):
        advance(process, ProcessPhase.RECOMMENDATION, made=0)


# ----------------------------------------------------------------- participants


def test_participants_enroll_with_party_body_role_and_substitute_flag():
    process = start()
    process.enroll(
        participant_id="p1",
        name="Kari",
        kind="elected_official",
        role="deputy member",
        party="Ap",
        body="planning_committee",
        substitute=True,
        meta=META,
    )
    process.enroll(
        participant_id="p2",
        name="Per",
        kind="administration",
        role="planner",
        party=None,
        body=None,
        unit="Plan unit",
        substitute=False,
        meta=META,
    )
    assert process.participants["p1"].substitute is True
    assert process.participants["p1"].party == "Ap"
    assert [p.id for p in process.elected_officials] == ["p1"]


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(kind="elected_official", party=None, body="municipal_council"), "party"),
        (dict(kind="elected_official", party="H", body=None), "party and a body"),
        (dict(kind="administration", party="H", body=None), "no party"),
        (dict(kind="administration", party=None, body=None, substitute=True), "substitutes"),
        (dict(kind="elected_official", party="H", body="municipal_council", name=" "), "name"),
    ],
)
def test_enrolment_refuses_incomplete_details(kwargs, fragment):
    process = start()
    args = dict(participant_id="p", name="Kari", role="member", substitute=False, meta=META)
    args.update(kwargs)
    with pytest.raises(d.InvalidParticipant, match=fragment):
        process.enroll(**args)


@pytest.mark.parametrize("kind, body", [("mayor", None), ("elected_official", "parliament")])
def test_enrolment_refuses_an_unknown_kind_or_body(kind, body):
    with pytest.raises(ValueError):
        start().enroll(
            participant_id="p", name="K", kind=kind, role="r", party="H", body=body, substitute=False, meta=META
        )


def test_a_participant_enrolls_once():
    process = start()
    enroll_official(process, "p1", name="Kari")
    with pytest.raises(d.AlreadyEnrolled):
        enroll_official(process, "p1", name="Other")
    with pytest.raises(d.AlreadyEnrolled, match="Kari"):
        enroll_official(process, "p2", name="Kari")


def test_enrolment_closes_when_prioritisation_starts(in_prioritisation):
    process, _, _ = in_prioritisation
    with pytest.raises(d.WrongPhase) as error:
        enroll_official(process)
    assert error.value.rule == "process.phase"


# ----------------------------------------------------------------- workshops


def test_workshop_is_scheduled_then_held_by_enrolled_participants(in_workshops):
    process, officials, workshop = in_workshops
    assert workshop.is_held and workshop.attendees == officials[:2]
    assert str(workshop.id) in process.workshop_ids


def test_workshop_refuses_bad_details():
    process = start()
    with pytest.raises(d.InvalidWorkshop, match="agenda"):
        Workshop.schedule(process=process, title="S", on=TODAY, format="digital", agenda=[], meta=META)
    with pytest.raises(d.InvalidWorkshop, match="title"):
        Workshop.schedule(process=process, title="", on=TODAY, format="digital", agenda=["a"], meta=META)
    with pytest.raises(ValueError):
        Workshop.schedule(process=process, title="S", on=TODAY, format="carrier pigeon", agenda=["a"], meta=META)


def test_workshop_is_held_only_in_the_workshop_phase():
    process = start()
    pid = enroll_official(process)
    workshop = Workshop.schedule(process=process, title="S", on=TODAY, format="hybrid", agenda=["a"], meta=META)
    with pytest.raises(d.WrongPhase):
        workshop.hold(process=process, held_on=TODAY, attendees=[pid], today=TODAY, meta=META)


def test_only_enrolled_participants_attend(in_workshops):
    process, officials, _ = in_workshops
    workshop = Workshop.schedule(process=process, title="S", on=TODAY, format="digital", agenda=["a"], meta=META)
    with pytest.raises(d.NotEnrolled, match="stranger") as error:
        workshop.hold(process=process, held_on=TODAY, attendees=[officials[0], "stranger"], today=TODAY, meta=META)
    assert error.value.rule == "workshop.attendees_enrolled"


@pytest.mark.parametrize(
    "attendees, held_on, rule",
    [
        ([], TODAY, "workshop.attendees"),
        (["x", "x"], TODAY, "workshop.attendees"),
        (None, TODAY + timedelta(days=1), "workshop.held_in_past"),
    ],
)
def test_holding_refuses_bad_attendance_or_a_future_date(in_workshops, attendees, held_on, rule):
    process, officials, _ = in_workshops
    attendees = [officials[0]] if attendees is None else [officials[0] if a == "x" else a for a in attendees]
    workshop = Workshop.schedule(process=process, title="S", on=TODAY, format="digital", agenda=["a"], meta=META)
    with pytest.raises(d.InvalidWorkshop) as error:
        workshop.hold(process=process, held_on=held_on, attendees=attendees, today=TODAY, meta=META)
    assert error.value.rule == rule


def test_a_workshop_is_held_once(in_workshops):
    process, officials, workshop = in_workshops
    with pytest.raises(d.WorkshopAlreadyHeld):
        workshop.hold(process=process, held_on=TODAY, attendees=officials, today=TODAY, meta=META)


def test_a_workshop_of_another_process_is_refused(in_workshops):
    process, officials, _ = in_workshops
    other = start()
    enroll_official(other)
    advance(other, ProcessPhase.WORKSHOPS)
    foreign = Workshop.schedule(process=other, title="S", on=TODAY, format="digital", agenda=["a"], meta=META)
    with pytest.raises(d.NotInProcess):
        foreign.hold(process=process, held_on=TODAY, attendees=officials, today=TODAY, meta=META)


# ----------------------------------------------------------------- inputs


def test_input_records_author_kind_and_what_it_concerns(in_workshops):
    process, officials, workshop = in_workshops
    item = record(process, workshop, officials[2], plan_ids=["plan-a"], kind="concern")
    assert item.kind is d.InputKind.CONCERN
    assert item.plan_ids == ["plan-a"] and item.recorded_on == TODAY
    assert str(item.id) in process.input_ids


def test_input_about_an_unknown_plan_is_refused_naming_it(in_workshops):
    process, officials, workshop = in_workshops
    with pytest.raises(d.UnknownPlan, match="plan-zzz") as error:
        record(process, workshop, officials[0], plan_ids=["plan-a", "plan-zzz"])
    assert error.value.plan_ids == ["plan-zzz"]
    assert error.value.rule == "input.plan_known"


def test_input_only_within_the_follow_up_window(in_workshops):
    process, officials, workshop = in_workshops
    record(process, workshop, officials[0], today=TODAY + timedelta(days=14))
    with pytest.raises(d.InputWindowClosed):
        record(process, workshop, officials[0], today=TODAY + timedelta(days=15))
    with pytest.raises(d.InputWindowClosed):
        record(process, workshop, officials[0], today=TODAY - timedelta(days=1))


def test_input_entered_afterwards_keeps_the_day_it_was_raised(in_workshops):
    """Minutes of a past seminar are entered later: the window is checked against the day raised."""
    process, officials, workshop = in_workshops
    later = TODAY + timedelta(days=400)
    item = record(process, workshop, officials[0], today=later, recorded_on=TODAY + timedelta(days=3))
    assert item.recorded_on == TODAY + timedelta(days=3)
    with pytest.raises(d.InputWindowClosed):
        record(process, workshop, officials[0], today=later, recorded_on=TODAY + timedelta(days=15))
    with pytest.raises(d.InvalidInput, match="future") as error:
        record(process, workshop, officials[0], today=TODAY, recorded_on=TODAY + timedelta(days=1))
    assert error.value.rule == "input.recorded_in_past"


def test_input_needs_a_held_workshop(in_workshops):
    process, officials, _ = in_workshops
    scheduled = Workshop.schedule(process=process, title="S", on=TODAY, format="digital", agenda=["a"], meta=META)
    with pytest.raises(d.WorkshopNotHeld):
        record(process, scheduled, officials[0])


def test_input_author_must_be_enrolled(in_workshops):
    process, _, workshop = in_workshops
    with pytest.raises(d.NotEnrolled) as error:
        record(process, workshop, "stranger")
    assert error.value.rule == "input.author_enrolled"


def test_input_needs_text_and_no_duplicates(in_workshops):
    process, officials, workshop = in_workshops
    with pytest.raises(d.InvalidInput, match="text"):
        Input.record(
            process=process,
            workshop=workshop,
            author_id=officials[0],
            kind="idea",
            text=" ",
            plan_ids=[],
            goal_ids=[],
            unknown_plans=unknown,
            today=TODAY,
            meta=META,
        )
    with pytest.raises(d.InvalidInput, match="twice"):
        record(process, workshop, officials[0], plan_ids=["plan-a", "plan-a"])


def test_inputs_only_in_the_workshop_phase(in_workshops):
    process, officials, workshop = in_workshops
    item = record(process, workshop, officials[0])
    propose(process, [str(item.id)])
    advance(process, ProcessPhase.PRIORITISATION)
    with pytest.raises(d.WrongPhase):
        record(process, workshop, officials[0])


# ----------------------------------------------------------------- plan needs


def test_plan_need_derives_from_inputs(in_workshops):
    process, officials, workshop = in_workshops
    item = record(process, workshop, officials[0])
    need = propose(process, [str(item.id)], kind="merge", plan_id="plan-a", merge_into="plan-b")
    assert need.kind is d.PlanNeedKind.MERGE and need.input_ids == [str(item.id)]
    assert (need.plan_id, need.merge_into_plan_id) == ("plan-a", "plan-b")
    assert str(need.id) in process.plan_need_ids
    new = propose(process, [str(item.id)], kind="new", plan_type="temaplan")
    assert new.plan_id is None and new.plan_type == "temaplan"


@pytest.mark.parametrize(
    "kind, plan_id, merge_into, plan_type",
    [
        ("new", "plan-a", None, None),
        ("new", None, "plan-a", None),
        ("revise", None, None, None),
        ("repeal", None, None, None),
        ("revise", "plan-a", None, "temaplan"),
        ("revise", "plan-a", "plan-b", None),
        ("merge", "plan-a", None, None),
        ("merge", "plan-a", "plan-a", None),
    ],
)
def test_plan_need_names_the_plans_its_kind_requires(in_workshops, kind, plan_id, merge_into, plan_type):
    process, officials, workshop = in_workshops
    item = record(process, workshop, officials[0])
    with pytest.raises(d.InvalidPlanNeed) as error:
        propose(process, [str(item.id)], kind=kind, plan_id=plan_id, merge_into=merge_into, plan_type=plan_type)
    assert error.value.rule == "plan_need.plans_match_kind"


def test_plan_need_refuses_unknown_plans_and_foreign_or_missing_inputs(in_workshops):
    process, officials, workshop = in_workshops
    item = record(process, workshop, officials[0])
    with pytest.raises(d.UnknownPlan, match="plan-x") as error:
        propose(process, [str(item.id)], kind="revise", plan_id="plan-x")
    assert error.value.rule == "plan_need.plan_known"
    with pytest.raises(d.UnknownPlan, match="plan-y"):
        propose(process, [str(item.id)], kind="merge", plan_id="plan-a", merge_into="plan-y")
    with pytest.raises(d.NotInProcess):
        propose(process, [str(uuid4())])
    with pytest.raises(d.InvalidPlanNeed) as error:
        propose(process, [])
    assert error.value.rule == "plan_need.derived_from_inputs"
    with pytest.raises(d.InvalidPlanNeed):
        propose(process, [str(item.id)], title="")
    with pytest.raises(d.InvalidPlanNeed):
        propose(process, [str(item.id), str(item.id)])


# ----------------------------------------------------------------- prioritisation


def test_borda_ranks_by_points(in_prioritisation):
    process, officials, (a, b, c) = in_prioritisation
    vote = open_vote(process, officials, [a, b, c])
    vote.cast_ballot(participant_id=officials[0], ballot=Ballot(ranking=(b, a, c)), meta=META)
    vote.cast_ballot(participant_id=officials[1], ballot=Ballot(ranking=(b, c, a)), meta=META)
    result = vote.close(process=process, meta=META)
    assert [(r.need_id, r.score, r.rank) for r in result] == [(b, 4, 1), (a, 1, 2), (c, 1, 3)]
    assert vote.is_made


def test_borda_tie_broken_by_first_places_then_candidate_order(in_prioritisation):
    process, officials, (a, b, c) = in_prioritisation
    vote = open_vote(process, officials, [a, b, c], quorum=3)
    vote.cast_ballot(participant_id=officials[0], ballot=Ballot(ranking=(a, b, c)), meta=META)  # a2 b1 c0
    vote.cast_ballot(participant_id=officials[1], ballot=Ballot(ranking=(b, c, a)), meta=META)  # b2 c1 a0
    vote.cast_ballot(participant_id=officials[2], ballot=Ballot(ranking=(c, a, b)), meta=META)  # c2 a1 b0
    result = vote.close(process=process, meta=META)
    assert [r.score for r in result] == [3, 3, 3]
    assert [r.need_id for r in result] == [a, b, c]


def test_approval_counts_approvals(in_prioritisation):
    process, officials, (a, b, c) = in_prioritisation
    vote = open_vote(process, officials, [a, b, c], method="approval")
    vote.cast_ballot(participant_id=officials[0], ballot=Ballot(approvals=(c, b)), meta=META)
    vote.cast_ballot(participant_id=officials[1], ballot=Ballot(approvals=(c,)), meta=META)
    assert [(r.need_id, r.score) for r in vote.close(process=process, meta=META)] == [(c, 2), (b, 1), (a, 0)]


def test_dots_tie_broken_by_breadth_of_support(in_prioritisation):
    process, officials, (a, b, c) = in_prioritisation
    vote = open_vote(process, officials, [a, b, c], method="dot", dots=4)
    vote.cast_ballot(participant_id=officials[0], ballot=Ballot(dots={a: 4}), meta=META)
    vote.cast_ballot(participant_id=officials[1], ballot=Ballot(dots={b: 2, c: 1}), meta=META)
    vote.cast_ballot(participant_id=officials[2], ballot=Ballot(dots={b: 2, c: 1}), meta=META)
    result = vote.close(process=process, meta=META)
    assert [(r.need_id, r.score, r.support) for r in result] == [(b, 4, 2), (a, 4, 1), (c, 2, 2)]


def test_a_replaced_ballot_counts_once(in_prioritisation):
    process, officials, (a, b, c) = in_prioritisation
    vote = open_vote(process, officials, [a, b, c], method="approval", quorum=1)
    first = vote.cast_ballot(participant_id=officials[0], ballot=Ballot(approvals=(a,)), meta=META)
    second = vote.cast_ballot(participant_id=officials[0], ballot=Ballot(approvals=(b,)), meta=META)
    assert first != second
    assert vote.pending_events[-1].replaces_ballot_id == first
    result = {r.need_id: r.score for r in vote.close(process=process, meta=META)}
    assert result == {a: 0, b: 1, c: 0}
    assert vote.counted_ballot_ids == [second]


@pytest.mark.parametrize(
    "method, ballot, fragment",
    [
        ("borda", lambda a, b, c: Ballot(ranking=(a, b)), "missing"),
        ("borda", lambda a, b, c: Ballot(ranking=(a, b, b)), "twice"),
        ("borda", lambda a, b, c: Ballot(ranking=(a, b, c, "x")), "not candidates"),
        ("borda", lambda a, b, c: Ballot(ranking=(a, b, c), approvals=(a,)), "only a ranking"),
        ("approval", lambda a, b, c: Ballot(), "at least one"),
        ("approval", lambda a, b, c: Ballot(approvals=("x",)), "not candidates"),
        ("approval", lambda a, b, c: Ballot(approvals=(a, a)), "twice"),
        ("approval", lambda a, b, c: Ballot(ranking=(a, b, c)), "only approvals"),
        ("dot", lambda a, b, c: Ballot(dots={a: 3, b: 1}), "between 1 and 3"),
        ("dot", lambda a, b, c: Ballot(dots={a: 0}), "between 1 and 3"),
        ("dot", lambda a, b, c: Ballot(dots={a: -1, b: 2}), "negative"),
        ("dot", lambda a, b, c: Ballot(dots={"x": 1}), "not candidates"),
        ("dot", lambda a, b, c: Ballot(approvals=(a,)), "only dots"),
    ],
)
def test_ballot_must_fit_the_method(in_prioritisation, method, ballot, fragment):
    process, officials, needs = in_prioritisation
    vote = open_vote(process, officials, needs, method=method, dots=3 if method == "dot" else None)
    with pytest.raises(d.InvalidBallot, match=fragment):
        vote.cast_ballot(participant_id=officials[0], ballot=ballot(*needs), meta=META)
    assert vote.ballots == {}


def test_only_eligible_participants_vote(in_prioritisation):
    process, officials, needs = in_prioritisation
    vote = open_vote(process, officials[:1], needs)
    with pytest.raises(d.NotEligible):
        vote.cast_ballot(participant_id=officials[1], ballot=Ballot(ranking=tuple(needs)), meta=META)


def test_closing_needs_the_quorum_and_then_refuses_ballots(in_prioritisation):
    process, officials, needs = in_prioritisation
    vote = open_vote(process, officials, needs, quorum=2)
    vote.cast_ballot(participant_id=officials[0], ballot=Ballot(ranking=tuple(needs)), meta=META)
    with pytest.raises(d.QuorumNotMet, match="quorum is 2"):
        vote.close(process=process, meta=META)
    vote.cast_ballot(participant_id=officials[1], ballot=Ballot(ranking=tuple(needs)), meta=META)
    vote.close(process=process, meta=META)
    with pytest.raises(d.PrioritisationClosed):
        vote.cast_ballot(participant_id=officials[2], ballot=Ballot(ranking=tuple(needs)), meta=META)
    with pytest.raises(d.PrioritisationClosed):
        vote.close(process=process, meta=META)


@pytest.mark.parametrize(
    "kwargs, rule",
    [
        (dict(candidates=1), "prioritisation.candidates"),
        (dict(eligible=[]), "prioritisation.eligible"),
        (dict(eligible=["stranger"]), "prioritisation.eligible"),
        (dict(quorum=0), "prioritisation.quorum"),
        (dict(quorum=4), "prioritisation.quorum"),
        (dict(method="dot", dots=None), "prioritisation.dots"),
        (dict(method="dot", dots=0), "prioritisation.dots"),
        (dict(method="borda", dots=3), "prioritisation.dots"),
        (dict(candidates="foreign"), "cocreation.same_process"),
        (dict(candidates="dup"), "prioritisation.setup"),
    ],
)
def test_opening_refuses_a_bad_setup(in_prioritisation, kwargs, rule):
    process, officials, needs = in_prioritisation
    candidates = {1: needs[:1], "foreign": needs + [str(uuid4())], "dup": [needs[0], needs[0]]}.get(
        kwargs.get("candidates"), needs
    )
    with pytest.raises(d.InvalidValue) as error:
        Prioritisation.open(
            process=process,
            title="t",
            method=kwargs.get("method", "borda"),
            candidate_ids=candidates,
            eligible_ids=kwargs.get("eligible", officials),
            quorum=kwargs.get("quorum", 1),
            dots_per_participant=kwargs.get("dots"),
            meta=META,
        )
    assert error.value.rule == rule


def test_opening_only_in_the_prioritisation_phase(in_workshops):
    process, officials, _ = in_workshops
    with pytest.raises(d.WrongPhase):
        open_vote(process, officials, ["a", "b"])


# ----------------------------------------------------------------- recommendation


@pytest.fixture
def made(in_prioritisation):
    process, officials, needs = in_prioritisation
    vote = open_vote(process, officials, needs, method="approval", quorum=1)
    vote.cast_ballot(participant_id=officials[0], ballot=Ballot(approvals=(needs[1],)), meta=META)
    vote.close(process=process, meta=META)
    advance(process, ProcessPhase.RECOMMENDATION)
    return process, vote, needs


def issue(process, vote, items, summary="Put forward"):
    needs = {need_id: NEEDS[need_id] for need_id in vote.candidate_ids}
    return Recommendation.issue(
        process=process,
        prioritisation=vote,
        needs=needs,
        items=items,
        summary=summary,
        plan_titles={"plan-a": "Transport plan"},
        today=TODAY,
        meta=META,
    )


def test_issuing_the_recommendation_hands_the_process_over(made):
    process, vote, needs = made
    rec = issue(process, vote, [RecommendedNeed(needs[1], StrategyAction.NEW, 2025, "early")])
    assert rec.id == d.recommendation_id_for(process.id)
    assert rec.items == [
        {
            "need_id": needs[1],
            "action": "new",
            "start_year": 2025,
            "note": "early",
            "rank": 1,
            "plan_id": None,
            "plan_title": "Need 1",
            "plan_type": None,
            "merge_into_plan_id": None,
        }
    ]
    assert rec.issued_on == TODAY and rec.election_period == "2024-2027"
    assert process.phase is ProcessPhase.HANDED_OVER and process.recommendation_id == str(rec.id)


def test_recommendation_is_issued_once_and_nothing_is_added_after(made):
    process, vote, needs = made
    issue(process, vote, [RecommendedNeed(needs[1], StrategyAction.NEW, 2025)])
    with pytest.raises(d.ProcessHandedOver):
        issue(process, vote, [RecommendedNeed(needs[0], StrategyAction.NEW, 2025)])
    with pytest.raises(d.ProcessHandedOver):
        enroll_official(process)
    with pytest.raises(d.ProcessHandedOver):
        advance(process, ProcessPhase.RECOMMENDATION)
    with pytest.raises(d.ProcessHandedOver):
        Workshop.schedule(process=process, title="S", on=TODAY, format="digital", agenda=["a"], meta=META)


def test_hand_over_twice_is_refused_even_without_the_phase_check(made):
    process, _, _ = made
    process.recommendation_id = "already"
    with pytest.raises(d.RecommendationAlreadyIssued):
        process.hand_over(recommendation_id="again", meta=META)


@pytest.mark.parametrize(
    "items, rule",
    [
        (lambda n: [], "recommendation.items"),
        (lambda n: [RecommendedNeed(n[0], StrategyAction.NEW, 2025)] * 2, "recommendation.items"),
        (lambda n: [RecommendedNeed("other", StrategyAction.NEW, 2025)], "recommendation.from_prioritisation"),
        (lambda n: [RecommendedNeed(n[0], StrategyAction.NEW, 2028)], "recommendation.timing_in_period"),
        (lambda n: [RecommendedNeed(n[0], StrategyAction.REVISE, 2025)], "recommendation.action_fits_need"),
    ],
)
def test_recommendation_refuses_bad_items(made, items, rule):
    process, vote, needs = made
    with pytest.raises(d.InvalidRecommendation) as error:
        issue(process, vote, items(needs))
    assert error.value.rule == rule
    assert process.phase is ProcessPhase.RECOMMENDATION


def test_recommendation_needs_a_made_prioritisation(in_prioritisation):
    process, officials, needs = in_prioritisation
    vote = open_vote(process, officials, needs)
    advance(process, ProcessPhase.RECOMMENDATION)
    with pytest.raises(d.PrioritisationNotMade):
        issue(process, vote, [RecommendedNeed(needs[0], StrategyAction.NEW, 2025)])


def test_recommendation_only_in_its_phase(in_prioritisation):
    process, officials, needs = in_prioritisation
    vote = open_vote(process, officials, needs)
    with pytest.raises(d.WrongPhase):
        issue(process, vote, [RecommendedNeed(needs[0], StrategyAction.NEW, 2025)])


def test_a_refusal_carries_its_rule_message_and_kind():
    error = d.QuorumNotMet("prioritisation.quorum", "needs 2")
    assert (error.rule, error.message, error.paragraph, error.kind) == (
        "prioritisation.quorum",
        "needs 2",
        None,
        "conflict",
    )
    assert d.InvalidBallot("ballot.valid", "x").kind == "invalid"
    assert d.NotFound("x.exists", "x").kind == "not_found"


def test_process_needs_a_title():
    with pytest.raises(d.InvalidValue) as error:
        start(title=" ")
    assert error.value.rule == "process.title"


def test_tie_break_is_documented_short_enough_for_the_event():
    assert 0 < len(d.TIE_BREAK) <= 500


def test_plan_need_refuses_an_unknown_plan_type(in_workshops):
    process, officials, workshop = in_workshops
    item = record(process, workshop, officials[0])
    with pytest.raises(d.InvalidPlanNeed) as error:
        propose(process, [str(item.id)], kind="new", plan_type="masterplan")
    assert error.value.rule == "plan_need.plan_type"
