"""Settings in, nats-py connect options out: the one way every client reaches the bus."""

from __future__ import annotations

import pytest

from planspor_runtime.bus import NatsAccess, check_credentials, split_servers, without_credentials

pytestmark = pytest.mark.unit


def test_a_cluster_is_named_by_its_servers_separated_by_commas():
    access = NatsAccess(url="nats://n1:4222, nats://n2:4222,nats://n3:4222")
    assert access.servers == ["nats://n1:4222", "nats://n2:4222", "nats://n3:4222"]
    assert split_servers(["nats://a:1,nats://b:2", "nats://c:3"]) == ["nats://a:1", "nats://b:2", "nats://c:3"]
    with pytest.raises(ValueError, match="names no server"):
        NatsAccess(url=" , ")


def test_a_service_connects_with_its_own_user_and_takes_replies_on_its_own_inbox():
    access = NatsAccess(url="nats://nats:4222", user="plan-registry", password="s3cret")
    options = access.connect_options(name="planspor-relay")
    assert options == {
        "servers": ["nats://nats:4222"],
        "user": "plan-registry",
        "password": "s3cret",
        "inbox_prefix": "_INBOX.plan-registry",
        "name": "planspor-relay",
    }
    assert access.subscriber_inbox_prefix == b"_INBOX.plan-registry."
    broker = access.broker_options()
    assert broker["security"].username == "plan-registry" and broker["inbox_prefix"] == "_INBOX.plan-registry"


def test_credentials_in_the_url_are_used_as_they_are_and_name_the_inbox():
    access = NatsAccess.of("nats://operator:pw@127.0.0.1:14222")
    assert access.connect_options() == {
        "servers": ["nats://operator:pw@127.0.0.1:14222"],
        "inbox_prefix": "_INBOX.operator",
    }
    assert NatsAccess.of("nats://127.0.0.1:4222").inbox_prefix == "_INBOX"
    own = NatsAccess(url="nats://operator:pw@127.0.0.1:14222", user="knowledge", password="k")
    assert own.servers == ["nats://127.0.0.1:14222"], "a user of its own replaces the URL's credentials"


def test_no_password_ever_reaches_a_log_line():
    access = NatsAccess(url="nats://operator:hunter2@a:4222,nats://b:4222", user="cocreation", password="hunter3")
    for text in (access.display(), str(access), repr(access)):
        assert "hunter" not in text, text
    assert access.display() == "nats://a:4222,nats://b:4222 as cocreation"
    assert without_credentials("nats://u:p@h:1") == "nats://h:1"


def test_outside_development_a_service_refuses_to_start_without_its_own_credentials():
    check_credentials("development", None, None)
    for user, password in ((None, None), ("plan-registry", None), ("plan-registry", "planspor-dev"), ("x", " ")):
        with pytest.raises(ValueError, match="NATS_USER and NATS_PASSWORD are required"):
            check_credentials("production", user, password, "nats://nats:4222")
    check_credentials("production", "plan-registry", "a-long-random-password", "nats://nats:4222")
    check_credentials("production", None, None, "nats://plan-registry:a-long-random-password@nats:4222")


def test_the_services_settings_require_nats_credentials_in_production():
    from cocreation.settings import Settings as Cocreation
    from knowledge.settings import Settings as Knowledge
    from plan_registry.settings import Settings as PlanRegistry

    tokens = '[{"sha256": "' + "ab" * 32 + '", "role": "operator", "name": "it"}]'
    common = {"planspor_env": "production", "planspor_tokens": tokens, "nats_url": "nats://nats:4222"}
    for settings_class in (PlanRegistry, Cocreation):
        with pytest.raises(ValueError, match="NATS_USER and NATS_PASSWORD"):
            settings_class(**common, plan_registry_store="memory", cocreation_store="memory").check()
        settings = settings_class(
            **common,
            nats_user="svc",
            nats_password="random-enough",
            plan_registry_store="memory",
            cocreation_store="memory",
            nats_stream_replicas=3,
        )
        settings.check()
        assert settings.nats_access().stream_replicas == 3
    from planspor_verify.note import Signer

    keys = {
        f"knowledge_{source.replace('-', '_')}_keys": str(Signer.generate(f"example.org/{source}").verifier_key)
        for source in ("plan-registry", "cocreation")
    }
    with pytest.raises(ValueError, match="NATS_USER and NATS_PASSWORD"):
        Knowledge(**common, **keys, neo4j_password="a-real-one", planspor_feed_token="t")
    knowledge = Knowledge(
        **common, **keys, neo4j_password="a-real-one", nats_user="knowledge", nats_password="random-enough"
    )
    assert knowledge.nats_access().connect_options()["user"] == "knowledge"
