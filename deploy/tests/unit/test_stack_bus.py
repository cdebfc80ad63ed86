"""The stack's NATS: credentials made per installation, the permissions of each account, one server or a cluster."""

from __future__ import annotations

import dataclasses
import stat

import bcrypt
import pytest

from planspor_stack.__main__ import SERVICES as SERVICE_PROCESSES
from planspor_stack.__main__ import nats_env, service_env
from planspor_stack.bus import DENIED, Nats, permissions
from planspor_stack.secrets import secret
from planspor_stack.servers import Endpoint
from planspor_stack.settings import StackSettings
from planspor_stack.stack import Stack

pytestmark = pytest.mark.unit


def settings_in(tmp_path, **changes) -> StackSettings:
    return dataclasses.replace(StackSettings.from_env("test", env={}), var=tmp_path / "var", **changes)


def test_each_installation_makes_its_own_secrets_readable_by_its_owner_only(tmp_path):
    first, other = tmp_path / "a" / "secrets", tmp_path / "b" / "secrets"
    password = secret(first, "nats-operator")
    assert len(password) >= 40 and secret(first, "nats-operator") == password, "made once, then read"
    assert secret(other, "nats-operator") != password, "no fixed fallback: every installation its own"
    assert stat.S_IMODE(first.stat().st_mode) == 0o700
    assert stat.S_IMODE((first / "nats-operator").stat().st_mode) == 0o600
    with pytest.raises(ValueError):
        secret(first, "../escape")


def test_a_source_publishes_on_its_own_subjects_under_any_prefix_and_knowledge_publishes_nothing():
    registry, cocreation, knowledge = (permissions(user) for user in ("plan-registry", "cocreation", "knowledge"))

    def events(rules):
        return [s for s in rules["publish"]["allow"] if not s.startswith("$JS.")]

    assert events(registry) == ["*.plan-registry.>"]
    assert events(cocreation) == ["*.cocreation.>"]
    assert events(knowledge) == []
    for rules, user in ((registry, "plan-registry"), (cocreation, "cocreation"), (knowledge, "knowledge")):
        assert set(DENIED) <= set(rules["publish"]["deny"])
        assert {"$JS.API.STREAM.DELETE.>", "$JS.API.STREAM.PURGE.>"} <= set(rules["publish"]["deny"])
        assert rules["subscribe"] == {"allow": [f"_INBOX.{user}.>"]}, "replies on its own inbox, nothing else"
    assert "$JS.API.CONSUMER.MSG.NEXT.*.plan-registry-reactions" in knowledge["publish"]["deny"]
    assert permissions("operator") is None
    with pytest.raises(ValueError, match="no NATS account"):
        permissions("mallory")


def test_the_servers_configuration_holds_bcrypt_hashes_never_the_passwords(tmp_path):
    nats = Nats(settings_in(tmp_path))
    config = nats.config(nats.nodes[0])
    for user in ("operator", "plan-registry", "cocreation", "knowledge"):
        password = nats.accounts.password(user)
        assert password not in config
        [hashed] = [u["password"] for u in nats.accounts.server_users() if u["user"] == user]
        assert bcrypt.checkpw(password.encode(), hashed.encode())
    assert "listen: 127.0.0.1:" in config and "sync_interval: always" in config and "cluster" not in config


def test_a_cluster_of_three_on_loopback_authenticates_its_own_routes(tmp_path):
    settings = settings_in(tmp_path, nats_cluster=3)
    nats = Nats(settings)
    assert [n.name for n in nats.nodes] == ["nats-1", "nats-2", "nats-3"]
    route_ports = [16001, 16002, 16003]
    configs = [nats.config(node, route_ports) for node in nats.nodes]
    route_password = nats.accounts.password("route")
    for node, config in zip(nats.nodes, configs):
        assert f"server_name: {node.name}" in config and f"listen: 127.0.0.1:{route_ports[node.index]}" in config
        others = [p for i, p in enumerate(route_ports) if i != node.index]
        assert all(f"route:{route_password}@127.0.0.1:{p}" in config for p in others)
        assert 'authorization { user: route, password: "$2' in config, "routes authenticate, by a hash"
        assert str(node.directory / "jetstream") in config
    access = nats.access("knowledge")
    assert access.stream_replicas == 3 and len(access.servers) == 3
    assert StackSettings.from_env("test", env={"PLANSPOR_NATS_CLUSTER": "3"}).nats_cluster == 3
    for wrong in ("2", "seven"):
        with pytest.raises(ValueError, match="PLANSPOR_NATS_CLUSTER"):
            StackSettings.from_env("test", env={"PLANSPOR_NATS_CLUSTER": wrong})


def test_make_run_starts_each_service_on_its_own_credentials(tmp_path):
    stack = Stack(settings_in(tmp_path))
    stack.endpoints.update(
        nats=Endpoint("nats", stack.servers()["nats"].url, True, False),
        neo4j=Endpoint("neo4j", "bolt://127.0.0.1:17687", True, False),
    )
    for service in SERVICE_PROCESSES:
        env = service_env(stack, service)
        assert env["NATS_USER"] == service.name
        assert env["NATS_PASSWORD"] == stack.servers()["nats"].accounts.password(service.name)
        assert "@" not in env["NATS_URL"], "the URL carries no credentials"
        assert env["NATS_STREAM_REPLICAS"] == "1"
    operator = stack.nats_access()
    assert nats_env(operator)["NATS_USER"] == "operator"


def test_no_printed_endpoint_shows_a_password():
    endpoint = Endpoint("nats", "nats://operator:hunter2@127.0.0.1:1,nats://operator:hunter2@127.0.0.1:2", True, False)
    assert endpoint.shown == "nats://operator@127.0.0.1:1,nats://operator@127.0.0.1:2"
    assert (
        Endpoint("postgres", "postgresql://planspor@127.0.0.1:5432/planspor", True, False).shown
        == "postgresql://planspor@127.0.0.1:5432/planspor"
    )


def test_make_run_gives_knowledge_the_public_keys_the_sources_sign_with(tmp_path):
    from planspor_runtime.signing import load_key_file

    stack = Stack(settings_in(tmp_path))
    stack.endpoints.update(
        nats=Endpoint("nats", stack.servers()["nats"].url, True, False),
        neo4j=Endpoint("neo4j", "bolt://127.0.0.1:17687", True, False),
    )
    envs = {service.name: service_env(stack, service) for service in SERVICE_PROCESSES}
    for source, setting in (("plan-registry", "PLAN_REGISTRY"), ("cocreation", "COCREATION")):
        key_file = envs[source][f"{setting}_SIGNING_KEY_FILE"]
        signer = load_key_file(key_file)  # made before the source starts, so knowledge can trust it
        assert envs["knowledge"][f"KNOWLEDGE_{setting}_KEYS"] == str(signer.verifier_key)
        assert signer.name == f"planspor.localhost/{source}"
