"""A service's signing key by its settings: generated in development, required in production."""

from __future__ import annotations

import json
from typing import ClassVar

import pytest

from planspor_runtime.access import hash_token
from planspor_runtime.service import ServiceSettings
from planspor_runtime.signing import SigningKeyError

pytestmark = pytest.mark.unit


class DemoSettings(ServiceSettings):
    """A service's own settings are its fields named with its source (``demo_store``: ``DEMO_STORE``)."""

    source: ClassVar[str] = "demo"
    demo_store: str = "sqlite"
    demo_signing_key_file: str = "var/secrets/demo.key"
    demo_previous_signing_key_file: str | None = None


PRODUCTION_TOKENS = json.dumps([{"sha256": hash_token("a-real-secret-token"), "role": "operator", "name": "it"}])


def test_in_production_a_service_without_its_key_file_does_not_start(tmp_path):
    settings = DemoSettings(
        planspor_env="production", planspor_tokens=PRODUCTION_TOKENS, demo_signing_key_file=str(tmp_path / "absent.key")
    )
    with pytest.raises(SigningKeyError, match="no signing key at .*absent.key .*set DEMO_SIGNING_KEY_FILE"):
        settings.signer("plan-registry")
    assert not (tmp_path / "absent.key").exists(), "production never generates a key"


def test_in_development_the_key_is_generated_once_where_the_settings_say(tmp_path):
    settings = DemoSettings(demo_signing_key_file=str(tmp_path / "secrets" / "demo.key"))
    first = settings.signer("plan-registry")
    assert first.name == "planspor.localhost/plan-registry"
    assert settings.signer("plan-registry").verifier_key == first.verifier_key
    assert settings.previous_signer() is None


def test_a_store_in_memory_gets_a_key_that_lives_as_long_as_it(tmp_path):
    settings = DemoSettings(demo_store="memory", demo_signing_key_file=str(tmp_path / "never.key"))
    assert settings.signer("cocreation").name == "planspor.localhost/cocreation"
    assert not (tmp_path / "never.key").exists()


def test_heads_follow_the_formal_decisions_unless_the_settings_name_others():
    assert "decision.recorded" in DemoSettings().head_policy().after
    policy = DemoSettings(
        planspor_checkpoint_after="goal.defined, plan.proposed", planspor_checkpoint_interval=5
    ).head_policy()
    assert policy.after == {"goal.defined", "plan.proposed"} and policy.interval == 5
