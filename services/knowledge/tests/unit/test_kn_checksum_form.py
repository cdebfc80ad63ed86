"""The canonical form of the graph: independent of read order, sensitive to every value."""

from datetime import UTC, date, datetime

import neo4j.time
import pytest

from knowledge.graph.checksum import canonical_value, digest, node_line, relationship_line

pytestmark = pytest.mark.unit


def test_the_digest_does_not_depend_on_the_order_lines_are_read():
    lines = [node_line(["Plan"], {"id": str(i), "title": f"p{i}"}) for i in range(20)]
    assert digest(lines) == digest(list(reversed(lines)))


def test_labels_and_property_order_do_not_matter_but_values_do():
    a = node_line(["B", "A"], {"x": 1, "y": "z"})
    b = node_line(["A", "B"], {"y": "z", "x": 1})
    assert a == b
    assert node_line(["A"], {"x": 1}) != node_line(["A"], {"x": 2})


def test_relationships_are_named_by_their_ends_keys():
    r1 = relationship_line(["Plan"], "p1", "ANCHORED_IN", {"since": "t"}, ["Goal"], "g1")
    r2 = relationship_line(["Plan"], "p1", "ANCHORED_IN", {"since": "t"}, ["Goal"], "g2")
    assert r1 != r2


def test_times_are_utc_text_and_neo4j_and_python_values_agree():
    when = datetime(2024, 3, 1, 12, 30, tzinfo=UTC)
    assert canonical_value(neo4j.time.DateTime.from_native(when)) == "2024-03-01T12:30:00.000000Z"
    assert canonical_value(when) == "2024-03-01T12:30:00.000000Z"
    assert canonical_value(neo4j.time.Date(2024, 3, 1)) == canonical_value(date(2024, 3, 1)) == "2024-03-01"
