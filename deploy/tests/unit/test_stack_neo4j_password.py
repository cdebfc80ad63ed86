"""The stack's Neo4j password: random per installation, kept in var/<profile>/secrets/ for its owner only, never a
default in code."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from planspor_stack.secrets import secret
from planspor_stack.servers import transaction_memory
from planspor_stack.settings import StackSettings

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]


def settings(tmp_path, **env) -> StackSettings:
    return StackSettings.from_env("test", env={"PLANSPOR_VAR": str(tmp_path), **env})


def test_the_first_use_generates_a_long_random_password_only_its_owner_may_read(tmp_path):
    s = settings(tmp_path)
    assert not s.neo4j_password_file.exists(), "reading the settings alone writes nothing"
    password = s.neo4j_password
    assert len(password) >= 40 and password == s.neo4j_password == settings(tmp_path).neo4j_password
    assert stat.S_IMODE(s.neo4j_password_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(s.neo4j_password_file.parent.stat().st_mode) == 0o700
    assert s.neo4j_password_file == tmp_path / "test" / "secrets" / "neo4j-password"


def test_each_installation_and_profile_gets_its_own(tmp_path):
    first = settings(tmp_path / "one").neo4j_password
    assert first != settings(tmp_path / "two").neo4j_password
    assert first != StackSettings.from_env("dev", env={"PLANSPOR_VAR": str(tmp_path / "one")}).neo4j_password


def test_a_password_set_in_the_environment_is_used_and_nothing_is_written(tmp_path):
    s = settings(tmp_path, NEO4J_PASSWORD="from-the-environment-" + "x" * 20)
    assert s.neo4j_password.startswith("from-the-environment-")
    assert not s.neo4j_password_file.exists()


def test_a_server_of_ones_own_without_a_password_gets_none_not_a_default(tmp_path):
    s = settings(tmp_path, NEO4J_URI="bolt://db.internal:7687")
    assert s.neo4j_password == "" and not s.neo4j_password_file.exists()


def test_a_secret_file_others_may_read_is_refused(tmp_path):
    directory = tmp_path / "secrets"
    secret(directory, "neo4j-password")
    os.chmod(directory / "neo4j-password", 0o644)
    with pytest.raises(ValueError, match="chmod 600"):
        secret(directory, "neo4j-password")


def test_replacing_the_file_is_how_the_password_is_rotated(tmp_path):
    s = settings(tmp_path)
    old = s.neo4j_password
    s.neo4j_password_file.unlink()
    assert settings(tmp_path).neo4j_password != old


def test_no_default_password_is_left_in_the_code_that_connects_to_neo4j():
    from knowledge.settings import Settings

    assert Settings.model_fields["neo4j_password"].is_required()
    for path in (
        "deploy/neo4j/src/main/java/no/planspor/neo4j/Launcher.java",
        "services/knowledge/bench/bench_projection.py",
    ):
        assert "planspor-dev" not in (REPO / path).read_text(), path
    stack_settings = (REPO / "deploy/src/planspor_stack/settings.py").read_text()
    assert 'env.get("NEO4J_PASSWORD") or None' in stack_settings and 'env.get("NEO4J_PASSWORD", ' not in stack_settings


def test_transactions_may_take_a_quarter_of_the_heap_each_and_half_together():
    assert transaction_memory("1g") == {
        "NEO4J_TRANSACTION_MEMORY": str(256 << 20),
        "NEO4J_TRANSACTION_MEMORY_TOTAL": str(512 << 20),
    }
    assert transaction_memory("512m")["NEO4J_TRANSACTION_MEMORY"] == str(128 << 20)
