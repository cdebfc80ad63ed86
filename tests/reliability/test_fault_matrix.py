"""The fault matrix, short (issue 14): one repetition of each fault under a steady load, on real
processes and servers; `make chaos` runs the full one (tests/reliability/fault_matrix.py), and the stream leader
of a NATS cluster killed too.

`make test` runs the rows no other test of its own makes (``IN_MAKE_TEST``); `make slow` runs every row but the
cluster's. The three left to `make slow` each have a test in `make test` on a real process or server:
knowledge killed (services/knowledge/tests/integration/test_kn_crash.py), PostgreSQL stopped
(tests/integration/test_commands_while_postgres_is_down.py) and the relay process killed
(tests/reliability/test_relay_kill.py); leaving them out spares `make test` the PostgreSQL platform, about 45 s.

Every row: nothing acknowledged is lost, nothing is in the graph twice, every stored event reaches the graph,
and the graph's checksum equals that of a rebuild from the sources' feeds.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.restarts_stack]  # NATS and Neo4j: it runs last

SHORT = ("relay", "projector", "nats", "poison", "neo4j", "disk", "postgres", "relay-process")
"""Every fault but the NATS cluster's (three more servers: `make chaos` and `make slow` run it). The poison row
(which starts knowledge again, and its warm-up runs every statement) comes before Neo4j's restart, which empties
Neo4j's plan cache: after it, the warm-up planned every statement again (the poison row took 113 s there, the
row that kills knowledge 15 s)."""

IN_MAKE_TEST = ("relay", "nats", "poison", "neo4j", "disk")

TITLES = {
    "relay": "SIGKILL plan-registry",
    "projector": "SIGKILL knowledge",
    "nats": "NATS stopped",
    "poison": "poison event",
    "neo4j": "Neo4j stopped",
    "disk": "disk full",
    "postgres": "PostgreSQL stopped",
    "relay-process": "SIGKILL relay",
}
"""How each fault's row begins."""


def _fault_matrix():
    spec = importlib.util.spec_from_file_location("planspor_fault_matrix", Path(__file__).with_name("fault_matrix.py"))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("faults", [IN_MAKE_TEST, pytest.param(SHORT, marks=pytest.mark.slow)], ids=["unique", "all"])
def test_under_each_fault_nothing_acknowledged_is_lost_or_doubled_and_the_graph_equals_a_rebuild(
    faults, request, stack, nats_url, nats_accounts, neo4j_uri, neo4j_auth, tmp_path
):
    matrix = _fault_matrix()
    if set(faults) & set(matrix.ON_POSTGRES):
        request.getfixturevalue("postgres_dsn")
    rows, untestable = matrix.run_all(
        stack, nats_url, nats_accounts, neo4j_uri, neo4j_auth, tmp_path, repetitions=1, budget=30, faults=faults
    )
    print(matrix.table(rows))
    print("seconds per row:", {row.fault: round(row.seconds) for row in rows})
    print(*untestable, sep="\n")
    expected = [TITLES[fault] for fault in faults]
    wanted = [row for row in expected if not any(reason.startswith(row) for reason in untestable)]
    assert len(rows) == len(wanted) and all(row.fault.startswith(w) for row, w in zip(rows, wanted)), untestable
    for row in rows:
        assert row.repetitions >= 1 and row.acknowledged > 0, row
        assert (row.lost, row.duplicated) == (0, 0), row
        assert row.stored == row.in_graph, row
        assert row.rebuild_equal, row
        assert not row.notes, row
