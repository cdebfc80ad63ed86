"""Which events of a batch may share a statement: dependent events keep their order, the rest group by shape."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kn_story import interleaved, story

from knowledge.graph.batch import CompiledEvent, EventToWrite, compile_event, schedule
from knowledge.pipeline.ordering import decode

pytestmark = pytest.mark.unit


def ev(name: str, shape: str, touches=(), links_to=()) -> CompiledEvent:
    return CompiledEvent((shape,), {"eid": name}, frozenset(touches), frozenset(links_to))


def order(groups) -> list[str]:
    return [row["eid"] for _, rows in groups for row in rows]


def test_independent_events_of_one_shape_share_a_statement():
    events = [ev("a1", "A", [("Plan", "1")]), ev("b1", "B", [("Goal", "1")]), ev("a2", "A", [("Plan", "2")])]
    groups = schedule(events)
    assert [(shape, [r["eid"] for r in rows]) for shape, rows in groups] == [(("A",), ["a1", "a2"]), (("B",), ["b1"])]


def test_an_event_does_not_move_before_one_touching_the_same_node():
    events = [ev("a1", "A", [("Plan", "1")]), ev("b1", "B", [("Plan", "2")]), ev("a2", "A", [("Plan", "2")])]
    assert order(schedule(events)) == ["a1", "b1", "a2"]


def test_links_to_a_shared_node_commute_but_a_write_of_it_does_not():
    body = ("Body", "municipal_council")
    events = [
        ev("d1", "D", [("Decision", "1")], [body]),
        ev("p1", "P", [("Participant", "1")], [body]),
        ev("d2", "D", [("Decision", "2")], [body]),
    ]
    assert order(schedule(events)) == ["d1", "d2", "p1"]
    events = [
        ev("d1", "D", [("Decision", "1")], [body]),
        ev("w", "W", [body]),
        ev("d2", "D", [("Decision", "2")], [body]),
    ]
    assert order(schedule(events)) == ["d1", "w", "d2"]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from("ABC"), st.sets(st.integers(0, 5), max_size=2), st.sets(st.integers(0, 5), max_size=2)
        ),
        max_size=25,
    )
)
def test_every_dependent_pair_keeps_its_order(spec):
    events = [
        ev(str(i), shape, [("N", str(k)) for k in touches], [("N", str(k)) for k in links])
        for i, (shape, touches, links) in enumerate(spec)
    ]
    position = {name: i for i, name in enumerate(order(schedule(events)))}
    assert sorted(position) == sorted(e.row["eid"] for e in events)
    for i, x in enumerate(events):
        for y in events[i + 1 :]:
            dependent = (x.touches & (y.touches | y.links_to)) or (x.links_to & y.touches)
            if dependent:
                assert position[x.row["eid"]] < position[y.row["eid"]], (x, y)


def test_the_ballots_of_two_prioritisations_share_statements_and_those_of_one_keep_their_order():
    """A ballot ends only ballots of its own prioritisation, so two prioritisations' ballots are independent."""
    casts = []
    for envelope in interleaved(*story(2)):
        if envelope.event_type == "ballot.cast":
            item = decode(envelope.to_canonical(), msg_id=envelope.nats_msg_id)
            casts.append((item.payload.prioritisation_id, compile_event(EventToWrite(item.envelope, item.payload))))
    first, second = sorted({prio for prio, _ in casts})
    by_prio = {p: [c for prio, c in casts if prio == p] for p in (first, second)}
    assert len(by_prio[first]) == len(by_prio[second]) == 3
    # the first round's three ballots (a new one, one replacing it, another participant's), then the second's
    groups = schedule(by_prio[first] + by_prio[second])
    assert len(groups) == 3, "each of the second round's ballots joins the statement of the first round's"
    assert [row["eid"] for row in groups[0][1]] == [by_prio[first][0].row["eid"], by_prio[second][0].row["eid"]]
    position = {row["eid"]: i for i, row in enumerate(r for _, rows in groups for r in rows)}
    for prio in (first, second):
        ids = [c.row["eid"] for c in by_prio[prio]]
        assert [position[i] for i in ids] == sorted(position[i] for i in ids), "one prioritisation's stay in order"
