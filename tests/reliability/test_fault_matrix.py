"""The fault matrix, short (issue 14): one or two repetitions of each fault under a steady load, on real
processes and servers; `make chaos` runs the full one (tests/reliability/fault_matrix.py).

Every row: nothing acknowledged is lost, nothing is in the graph twice, every stored event reaches the graph,
and the graph's checksum equals that of a rebuild from the sources' feeds.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def _fault_matrix():
    spec = importlib.util.spec_from_file_location("planspor_fault_matrix", Path(__file__).with_name("fault_matrix.py"))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_under_each_fault_nothing_acknowledged_is_lost_or_doubled_and_the_graph_equals_a_rebuild(
    stack, nats_url, nats_accounts, neo4j_uri, neo4j_auth, tmp_path
):
    matrix = _fault_matrix()
    with matrix._platform_module().running_platform(
        tmp_path, nats_url, nats_accounts, neo4j_uri, neo4j_auth, {}
    ) as platform:
        rows = matrix.run_matrix(platform, stack, neo4j_uri, neo4j_auth, repetitions=2, budget=30)
    print(matrix.table(rows))
    assert [row.fault.split()[0] for row in rows] == ["SIGKILL", "SIGKILL", "NATS", "Neo4j"]
    for row in rows:
        assert row.repetitions >= 1 and row.acknowledged > 0, row
        assert (row.lost, row.duplicated) == (0, 0), row
        assert row.stored == row.in_graph, row
        assert row.rebuild_equal, row
        assert not row.notes, row
