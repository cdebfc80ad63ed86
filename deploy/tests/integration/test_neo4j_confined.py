"""The stack's Neo4j cannot leave the graph, even for a query that no guard has seen, and cannot be locked out.

Asked straight over Bolt with the service's credentials (no Cypher guard in between):
LOAD CSV can read neither a file nor any address on any network; no plugin procedure is loaded; transactions have
a time and a memory limit; and wrong passwords from anyone never lock the account the services log in with.
"""

from __future__ import annotations

import pytest
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, ClientError, Neo4jError

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def driver(neo4j_uri, neo4j_auth, stack):
    if stack.settings.neo4j_uri:
        pytest.skip("NEO4J_URI points at a server the stack did not configure")
    with GraphDatabase.driver(neo4j_uri, auth=neo4j_auth) as driver:
        yield driver


def refused(driver, query: str) -> str:
    with pytest.raises(Neo4jError) as error, driver.session() as session:
        session.run(query).consume()  # one attempt: a managed transaction would retry a transient error
    return error.value.message or ""


@pytest.mark.parametrize("url", ["file:///etc/passwd", "file:///../../../../../../etc/passwd", "file:///import-me.csv"])
def test_load_csv_cannot_read_a_file(driver, url):
    assert "allow_csv_import_from_file_urls" in refused(driver, f"LOAD CSV FROM '{url}' AS line RETURN line")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8003/healthz",
        "http://localhost:4222/",
        "http://[::1]:7687/",
        "ftp://127.0.0.1/x.csv",
        "http://2130706433:9/x",
        "http://10.0.0.1/x.csv",
    ],
)
def test_load_csv_cannot_reach_any_address(driver, url):
    assert "blocked" in refused(driver, f"LOAD CSV FROM '{url}' AS line RETURN line")


def test_the_settings_that_confine_it_are_in_force(driver):
    records, _, _ = driver.execute_query("SHOW SETTINGS YIELD name, value RETURN name, value")
    settings = {r["name"]: r["value"] for r in records}
    assert settings["dbms.security.allow_csv_import_from_file_urls"] == "false"
    assert settings["dbms.security.procedures.allowlist"] == (
        "db.labels,db.relationshipTypes,db.propertyKeys,db.awaitIndexes,dbms.components"
    )
    assert settings["dbms.security.auth_max_failed_attempts"] == "0"
    assert settings["dbms.usage_report.enabled"] == "false"
    assert settings["server.directories.import"].endswith("import-disabled")
    assert settings["db.memory.transaction.max"] not in ("0", "0B")  # e.g. 256.00MiB: a quarter of the heap
    assert settings["db.transaction.timeout"] not in ("0s", "PT0S")


def test_a_transaction_over_the_memory_limit_fails_alone(driver):
    assert "db.memory.transaction.max" in refused(
        driver, "UNWIND range(1, 40000000) AS x WITH collect(x) AS c RETURN size(c) AS n"
    )
    assert driver.execute_query("RETURN 1 AS one").records[0]["one"] == 1


def test_wrong_passwords_from_anyone_never_lock_the_services_out(neo4j_uri, neo4j_auth, driver):
    user, _ = neo4j_auth
    for attempt in range(6):
        with GraphDatabase.driver(neo4j_uri, auth=(user, f"wrong-{attempt}")) as intruder:
            with pytest.raises(AuthError):
                intruder.verify_connectivity()
    with GraphDatabase.driver(neo4j_uri, auth=neo4j_auth) as service:
        service.verify_connectivity()


def test_its_password_is_long_and_random_not_a_default(neo4j_uri, neo4j_auth):
    _, password = neo4j_auth
    assert len(password) >= 32 and password not in ("planspor-dev", "neo4j", "password")
    for default in ("planspor-dev", "neo4j"):
        with GraphDatabase.driver(neo4j_uri, auth=("neo4j", default)) as guess:
            with pytest.raises((AuthError, ClientError)):
                guess.verify_connectivity()


@pytest.mark.parametrize("password", ["short"])
def test_the_launcher_refuses_to_start_without_a_long_password(stack, tmp_path, password):
    import os
    import subprocess

    from planspor_stack.servers import Neo4j

    server = Neo4j(stack.settings)
    classpath = server.ensure_installed()
    env = {k: v for k, v in os.environ.items() if k != "NEO4J_PASSWORD"}
    env.update(
        NEO4J_HOME=str(tmp_path / "neo4j"), NEO4J_BOLT_PORT="1", **({"NEO4J_PASSWORD": password} if password else {})
    )
    result = subprocess.run(
        ["java", f"@{server._argfile(classpath)}", "no.planspor.neo4j.Launcher"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "NEO4J_PASSWORD must be set to at least 32 characters" in result.stderr
    assert not (tmp_path / "neo4j").exists()


@pytest.mark.slow
def test_a_new_password_file_rotates_the_password_at_the_next_start(tmp_path):
    """Stop, replace var/<profile>/secrets/neo4j-password, start: the old password is refused, the new one works."""
    from planspor_stack.settings import StackSettings
    from planspor_stack.stack import Stack

    def start() -> Stack:
        stack = Stack(StackSettings.from_env("test", env={"PLANSPOR_VAR": str(tmp_path)}))
        stack.start(("neo4j",), say=lambda *_: None)
        return stack

    stack = start()
    old = stack.settings.neo4j_password
    try:
        with GraphDatabase.driver(stack.endpoints["neo4j"].url, auth=("neo4j", old)) as driver:
            driver.verify_connectivity()
    finally:
        stack.stop(say=lambda *_: None)
    stack.settings.neo4j_password_file.unlink()
    stack = start()
    try:
        new = stack.settings.neo4j_password
        assert new != old
        with GraphDatabase.driver(stack.endpoints["neo4j"].url, auth=("neo4j", new)) as driver:
            driver.verify_connectivity()
        with GraphDatabase.driver(stack.endpoints["neo4j"].url, auth=("neo4j", old)) as driver:
            with pytest.raises(AuthError):
                driver.verify_connectivity()
    finally:
        stack.stop(say=lambda *_: None)
