"""Properties of the three counting methods (issue 5, "Done when")."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cocreation.domain import Ballot, Prioritisation, PrioritisationMethod, Process, ProcessPhase, check_ballot, count
from planspor_shared.meta import Meta

pytestmark = pytest.mark.unit

SETTINGS = settings(max_examples=75, deadline=None)
META = Meta.of({"id": "u", "name": "u", "role": "facilitator"})
DOTS = 5


@st.composite
def candidates(draw, min_size=2):
    n = draw(st.integers(min_value=min_size, max_value=6))
    return [f"need-{i}" for i in range(n)]


def ballot_for(method: PrioritisationMethod, cands: list[str]):
    if method is PrioritisationMethod.BORDA:
        return st.permutations(cands).map(lambda r: Ballot(ranking=tuple(r)))
    if method is PrioritisationMethod.APPROVAL:
        return st.lists(st.sampled_from(cands), min_size=1, unique=True).map(lambda a: Ballot(approvals=tuple(a)))
    return (
        st.dictionaries(st.sampled_from(cands), st.integers(1, DOTS), min_size=1)
        .filter(lambda dots: sum(dots.values()) <= DOTS)
        .map(lambda dots: Ballot(dots=dots))
    )


@st.composite
def elections(draw, method=None):
    method = draw(st.sampled_from(list(PrioritisationMethod))) if method is None else method
    cands = draw(candidates())
    ballots = draw(st.lists(ballot_for(method, cands), min_size=1, max_size=12))
    for ballot in ballots:
        check_ballot(method, cands, ballot, DOTS)
    return method, cands, ballots


def first_choice(method: PrioritisationMethod, cands: list[str], winner: str):
    """A ballot whose clear first choice is ``winner``."""
    if method is PrioritisationMethod.BORDA:
        rest = st.permutations([c for c in cands if c != winner])
        return rest.map(lambda r: Ballot(ranking=(winner, *r)))
    if method is PrioritisationMethod.APPROVAL:
        return st.just(Ballot(approvals=(winner,)))
    return st.just(Ballot(dots={winner: DOTS}))


@SETTINGS
@given(data=st.data(), method=st.sampled_from(list(PrioritisationMethod)))
def test_a_unanimous_first_choice_wins(data, method):
    cands = data.draw(candidates())
    winner = data.draw(st.sampled_from(cands))
    ballots = data.draw(st.lists(first_choice(method, cands, winner), min_size=1, max_size=10))
    result = count(method, cands, ballots)
    assert result[0].need_id == winner
    assert result[0].score > result[1].score


@SETTINGS
@given(election=elections(), data=st.data())
def test_the_result_does_not_depend_on_arrival_order(election, data):
    method, cands, ballots = election
    shuffled = data.draw(st.permutations(ballots))
    assert count(method, cands, shuffled) == count(method, cands, ballots)


@SETTINGS
@given(election=elections())
def test_ties_follow_the_documented_rule(election):
    """Score descending, then support descending, then the order candidates were listed."""
    method, cands, ballots = election
    result = count(method, cands, ballots)
    assert [r.rank for r in result] == list(range(1, len(cands) + 1))
    assert sorted(r.need_id for r in result) == sorted(cands)
    for upper, lower in zip(result, result[1:]):
        assert (upper.score, upper.support) >= (lower.score, lower.support)
        if (upper.score, upper.support) == (lower.score, lower.support):
            assert cands.index(upper.need_id) < cands.index(lower.need_id)


@SETTINGS
@given(election=elections())
def test_candidate_order_decides_only_exact_ties(election):
    """Reversing the listed order changes the result only among candidates equal in score and support."""
    method, cands, ballots = election
    forward = count(method, cands, ballots)
    backward = count(method, list(reversed(cands)), ballots)
    assert [(r.score, r.support) for r in forward] == [(r.score, r.support) for r in backward]


@SETTINGS
@given(data=st.data(), method=st.sampled_from(list(PrioritisationMethod)))
def test_a_replaced_ballot_counts_once(data, method):
    """Voters who change their minds count with their last ballot only."""
    cands = data.draw(candidates())
    voters = [f"p{i}" for i in range(data.draw(st.integers(1, 6)))]
    process = _process_in_prioritisation(cands, voters)
    vote = Prioritisation.open(
        process=process,
        title="",
        method=method,
        candidate_ids=cands,
        eligible_ids=voters,
        quorum=1,
        dots_per_participant=DOTS if method is PrioritisationMethod.DOT else None,
        meta=META,
    )
    last: dict[str, Ballot] = {}
    casts = data.draw(st.lists(st.tuples(st.sampled_from(voters), ballot_for(method, cands)), min_size=1, max_size=15))
    for voter, ballot in casts:
        vote.cast_ballot(participant_id=voter, ballot=ballot, meta=META)
        last[voter] = ballot
    result = vote.close(process=process, meta=META)
    assert result == count(method, cands, last.values())
    assert len(vote.ballots) == len(last)


def _process_in_prioritisation(cands, voters):
    process = Process.start(
        title="t",
        purpose="p",
        election_period="2024-2027",
        roles_and_limits="r",
        all_officials_invited=True,
        follow_up_days=7,
        meta=META,
    )
    for v in voters:
        process.enroll(
            participant_id=v,
            name=v,
            kind="elected_official",
            role="member",
            party="H",
            body="municipal_council",
            substitute=False,
            meta=META,
        )
    process.plan_need_ids.extend(cands)
    process.advance(to=ProcessPhase.WORKSHOPS, held_workshops=0, plan_needs=0, made_prioritisations=0, meta=META)
    process.advance(to=ProcessPhase.PRIORITISATION, held_workshops=1, plan_needs=1, made_prioritisations=0, meta=META)
    return process
