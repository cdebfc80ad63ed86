"""Neo4j's heap, page cache, JIT and plan lifetime: set per profile, and by variables for a larger graph (issue #16)."""

from __future__ import annotations

from pathlib import Path

import pytest

from planspor_stack.servers import heap_options, jit_options, transaction_memory
from planspor_stack.settings import StackSettings

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]


def test_make_run_sizes_neo4j_to_the_baerum_graph():
    settings = StackSettings.from_env("dev", env={})
    assert (settings.neo4j_heap, settings.neo4j_pagecache) == ("512m", "64m")
    assert transaction_memory(settings.neo4j_heap)["NEO4J_TRANSACTION_MEMORY"] == str(128 << 20)


def test_the_test_profile_keeps_the_room_of_the_benchmarks():
    settings = StackSettings.from_env("test", env={})
    assert (settings.neo4j_heap, settings.neo4j_pagecache) == ("1g", "512m")


def test_a_larger_municipality_sets_both():
    env = {"PLANSPOR_NEO4J_HEAP": "2g", "PLANSPOR_NEO4J_PAGECACHE": "1g"}
    settings = StackSettings.from_env("dev", env=env)
    assert (settings.neo4j_heap, settings.neo4j_pagecache) == ("2g", "1g")


def test_make_runs_heap_starts_small_and_is_given_back_when_idle():
    assert heap_options("512m", "dev") == ["-Xms64m", "-Xmx512m", "-XX:G1PeriodicGCInterval=15000"]
    assert heap_options("1g", "test") == ["-Xms1g", "-Xmx1g"]


def test_make_runs_neo4j_compiles_with_the_first_tier_only_and_the_test_profile_with_both():
    assert jit_options("dev") == ["-XX:TieredStopAtLevel=1"]
    assert jit_options("test") == []


def test_the_test_profile_keeps_neo4js_plans_a_day_and_make_run_and_the_benchmarks_replan_as_neo4j_does():
    assert StackSettings.from_env("dev", env={}).neo4j_min_replan_seconds == 10
    assert StackSettings.from_env("test", env={}).neo4j_min_replan_seconds == 86_400
    given = {"PLANSPOR_NEO4J_MIN_REPLAN_SECONDS": "10"}
    assert StackSettings.from_env("test", env=given).neo4j_min_replan_seconds == 10
    bench_env = next(line for line in (REPO / "Makefile").read_text().splitlines() if line.startswith("BENCH_ENV :="))
    assert "PLANSPOR_NEO4J_MIN_REPLAN_SECONDS=10 " in bench_env, (
        "make bench measures the graph as a deployment plans it"
    )
