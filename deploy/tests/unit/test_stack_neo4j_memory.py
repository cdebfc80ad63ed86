"""Neo4j's heap and page cache: sized per profile, and by the two variables for a larger graph (issue #16)."""

from __future__ import annotations

import pytest

from planspor_stack.servers import heap_options, jit_options, transaction_memory
from planspor_stack.settings import StackSettings

pytestmark = pytest.mark.unit


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
