import socket

import pytest

from planspor_stack.processes import StackError, require_free_port
from planspor_stack.settings import StackSettings

pytestmark = pytest.mark.unit


def test_profiles_keep_the_running_platform_and_the_tests_apart():
    dev = StackSettings.from_env("dev", env={})
    test = StackSettings.from_env("test", env={})
    assert (dev.nats_port, dev.neo4j_port, dev.postgres_port) == (4222, 7687, 5432)
    assert {test.nats_port, test.neo4j_port, test.postgres_port}.isdisjoint({4222, 7687, 5432})
    assert dev.data_dir != test.data_dir


def test_servers_from_settings_are_used_and_none_started():
    s = StackSettings.from_env(
        "test",
        env={
            "NATS_URL": "nats://10.0.0.1:4222",
            "NEO4J_URI": "bolt://db:7687",
            "POSTGRES_HOST": "pg",
            "POSTGRES_PORT": "6543",
        },
    )
    assert s.nats_url == "nats://10.0.0.1:4222" and s.neo4j_uri == "bolt://db:7687"
    assert (s.postgres_host, s.postgres_port) == ("pg", 6543)


def test_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="unknown profile"):
        StackSettings.from_env("prod", env={})


def test_a_taken_port_says_what_to_do():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(StackError, match=r"already taken.*NATS_URL"):
            require_free_port(port, "NATS", "PLANSPOR_NATS_PORT", "NATS_URL")


def test_the_private_test_stack_moves_off_a_taken_port_but_the_platform_does_not():
    from planspor_stack.servers import choose_port

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        taken = sock.getsockname()[1]
        moved = choose_port(StackSettings.from_env("test", env={}), taken, "NATS", "PLANSPOR_NATS_PORT", "NATS_URL")
        assert moved != taken
        with pytest.raises(StackError, match="already taken"):
            choose_port(StackSettings.from_env("dev", env={}), taken, "NATS", "PLANSPOR_NATS_PORT", "NATS_URL")
        pinned = StackSettings.from_env("test", env={"PLANSPOR_NATS_PORT": str(taken)})
        with pytest.raises(StackError, match="already taken"):
            choose_port(pinned, taken, "NATS", "PLANSPOR_NATS_PORT", "NATS_URL")
