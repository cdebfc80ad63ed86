"""The compose file and the Kubernetes manifests configure exactly what the services read.

A variable a manifest sets that no Settings field reads is a silent misconfiguration;
a manifest whose values the service refuses would fail at start in production.
"""

import re
from pathlib import Path

import pytest
import yaml

from cocreation.settings import Settings as CocreationSettings
from knowledge.settings import Settings as KnowledgeSettings
from plan_registry.settings import Settings as PlanRegistrySettings

pytestmark = pytest.mark.unit

DEPLOY = Path(__file__).resolve().parents[2]
SETTINGS = {"plan-registry": PlanRegistrySettings, "cocreation": CocreationSettings, "knowledge": KnowledgeSettings}
NOT_SETTINGS = {"SERVICE", "HEALTH_PORT"}  # read by the image and the health check, not by the service
SECRETS = {"PLANSPOR_TOKENS": '[{"sha256": "' + "ab" * 32 + '", "role": "planner", "name": "kari"}]',
           "PLANSPOR_FEED_TOKEN": "a-real-operator-token", "POSTGRES_PASSWORD": "s3cret-pg",
           "NEO4J_PASSWORD": "s3cret-neo4j"}


def fields(settings_class) -> set[str]:
    return {name.upper() for name in settings_class.model_fields}


def interpolate(value: str) -> str:
    return re.sub(r"\$\{(\w+):\?[^}]*\}", lambda m: SECRETS[m.group(1)], str(value))


def check_service(name: str, env: dict[str, str]) -> None:
    settings_class = SETTINGS[name]
    unknown = set(env) - fields(settings_class) - NOT_SETTINGS
    assert not unknown, f"{name}: variables no setting reads: {sorted(unknown)}"
    values = {k.lower(): v for k, v in env.items() if k not in NOT_SETTINGS}
    settings = settings_class(**values)
    if hasattr(settings, "check"):
        settings.check()
    assert settings.planspor_env == "production"


def test_compose_requires_every_secret_and_configures_what_the_services_read():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    text = (DEPLOY / "compose.yaml").read_text()
    for secret in SECRETS:
        assert re.search(r"\$\{" + secret + r":\?", text), f"{secret} must be required with ${{{secret}:?...}}"
    for name in SETTINGS:
        service = compose["services"][name]
        assert "healthcheck" in service, name
        env = {k: interpolate(v) for k, v in service["environment"].items()}
        check_service(name, env)


def test_compose_refuses_development_secrets():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    env = {k: interpolate(v) for k, v in compose["services"]["plan-registry"]["environment"].items()}
    env["PLANSPOR_TOKENS"] = ""  # empty means the development tokens
    with pytest.raises(ValueError, match="development tokens"):
        check_service("plan-registry", env)


def test_kubernetes_manifests_configure_what_the_services_read():
    base = DEPLOY / "k8s" / "base"
    config = yaml.safe_load((base / "config.yaml").read_text())["data"]
    kustomization = yaml.safe_load((base / "kustomization.yaml").read_text())
    for name in SETTINGS:
        assert f"{name}.yaml" in kustomization["resources"]
        deployment, service = yaml.safe_load_all((base / f"{name}.yaml").read_text())
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        own = {e["name"]: e["value"] for e in container["env"]}
        env = {**{k: v for k, v in config.items()}, **SECRETS, **own}
        readable = fields(SETTINGS[name]) | NOT_SETTINGS
        # the ConfigMap and Secret are shared: each service reads the part it needs
        check_service(name, {k: v for k, v in env.items() if k in readable})
        assert set(own) <= readable, f"{name}: {sorted(set(own) - readable)}"
        assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
        assert service["spec"]["ports"][0]["port"] == container["ports"][0]["containerPort"]
