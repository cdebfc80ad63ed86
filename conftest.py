"""Session fixtures for every tier: the test stack is started once, on first use.

Unit tests get no servers (and may not open sockets); integration and e2e tests
ask for ``nats_url``, ``neo4j_uri``/``neo4j_auth`` or ``postgres_dsn`` and the
``test`` profile of the local stack starts what they need (ports 1xxxx, data in
var/test). Servers configured from outside (NATS_URL, NEO4J_URI, POSTGRES_HOST)
are used as they are and nothing is started. What the session started, it stops,
unless PLANSPOR_KEEP_STACK=1 (faster reruns while developing).

NATS runs with an account per client: ``nats_url`` carries the operator's
credentials (it may do everything), ``nats_accounts`` gives each service's own.
"""

from __future__ import annotations

import os
import socket
import uuid
from urllib.parse import urlparse

import pytest

TIERS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(config, items):
    untiered = [item.nodeid for item in items if not any(item.get_closest_marker(t) for t in TIERS)]
    if untiered:
        raise pytest.UsageError("tests without a tier marker (unit, integration or e2e):\n  " + "\n  ".join(untiered))
    # fast feedback first: unit, then integration, then e2e (a stable sort keeps the order within a tier); a test
    # that restarts the stack's Neo4j comes last, so that no other test meets a cold JVM with no plans made
    items.sort(
        key=lambda item: (
            bool(item.get_closest_marker("restarts_stack")),
            next(i for i, t in enumerate(TIERS) if item.get_closest_marker(t)),
        )
    )


@pytest.fixture(autouse=True)
def _unit_tests_do_no_network_io(request, monkeypatch):
    if request.node.get_closest_marker("unit"):

        def refuse(self, address):
            raise RuntimeError(f"a unit test tried to connect to {address}: mark it integration")

        monkeypatch.setattr(socket.socket, "connect", refuse)
        monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    yield


@pytest.fixture(scope="session")
def stack():
    from planspor_stack.stack import Stack

    stack = Stack.from_env(os.environ.get("PLANSPOR_TEST_PROFILE", "test"))
    yield stack
    if os.environ.get("PLANSPOR_KEEP_STACK") != "1":
        stack.stop(say=lambda *_: None)


def _endpoint(stack, name):
    if name not in stack.endpoints:
        stack.start((name,), say=lambda *_: None)
    return stack.endpoints[name]


@pytest.fixture(scope="session")
def nats_url(stack) -> str:
    """The operator's URL, credentials embedded (``nats://operator:<password>@127.0.0.1:<port>``)."""
    return _endpoint(stack, "nats").url.split(",")[0]


@pytest.fixture(scope="session")
def nats_accounts(stack, nats_url):
    """``{"operator" | "plan-registry" | "cocreation" | "knowledge": NatsAccess}``: each client's own credentials.

    On a NATS from NATS_URL the stack knows no accounts: every name gets NATS_USER/NATS_PASSWORD (or the URL's).
    """
    from planspor_stack.bus import OPERATOR, SERVICES

    return {user: stack.nats_access(user) for user in (OPERATOR, *SERVICES)}


@pytest.fixture(scope="session")
def neo4j_uri(stack) -> str:
    return _endpoint(stack, "neo4j").url


@pytest.fixture(scope="session")
def neo4j_auth(stack) -> tuple[str, str]:
    return (stack.settings.neo4j_user, stack.settings.neo4j_password)


@pytest.fixture(scope="session")
def postgres_dsn(stack) -> dict:
    """host, port, user, password, dbname of a PostgreSQL the tests may write to."""
    url = urlparse(_endpoint(stack, "postgres").url)
    s = stack.settings
    return {
        "host": url.hostname,
        "port": url.port,
        "user": s.postgres_user,
        "password": s.postgres_password,
        "dbname": s.postgres_db,
    }


@pytest.fixture
def subject_prefix() -> str:
    """A subject prefix (and so a stream) of this test's own on a shared NATS."""
    return f"t{uuid.uuid4().hex[:12]}"
