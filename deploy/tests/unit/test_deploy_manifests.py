"""The compose file and the Kubernetes manifests configure exactly what the services read.

A variable a manifest sets that no Settings field reads is a silent misconfiguration;
a manifest whose values the service refuses would fail at start in production; a health
check that asks the wrong port or path would restart a healthy service; a manifest the
Kubernetes API would reject fails only on the day of the deployment. The schemas come from
the pinned ``kubernetes-validate`` package: nothing is fetched.
"""

import copy
import functools
import importlib
import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from fastapi.testclient import TestClient

from cocreation.settings import Settings as CocreationSettings
from knowledge.settings import Settings as KnowledgeSettings
from plan_registry.settings import Settings as PlanRegistrySettings
from planspor_runtime.bus import split_servers
from planspor_stack.bus import DURABLES, OPERATOR, SERVICES, deploy_config, password_variable
from planspor_verify.note import Signer

pytestmark = pytest.mark.unit

DEPLOY = Path(__file__).resolve().parents[2]
K8S = DEPLOY / "k8s" / "base"
KUBERNETES_VERSION = "1.33.0"
"""The Kubernetes API the manifests are checked against (any cluster of this version or newer takes them)."""
SETTINGS = {"plan-registry": PlanRegistrySettings, "cocreation": CocreationSettings, "knowledge": KnowledgeSettings}
PORT_SETTING = {"plan-registry": "plan_registry_port", "cocreation": "cocreation_port", "knowledge": "knowledge_port"}
NOT_SETTINGS = {"SERVICE", "HEALTH_PORT"}  # read by the image and the health check, not by the service
NATS_PASSWORDS = {user: f"s3cret-nats-{user}" for user in (OPERATOR, "route", *SERVICES)}
"""The Secret `planspor-nats`: one key per account (and the servers' route credential)."""
SOURCE_KEYS = {
    source: str(Signer.generate(f"baerum.kommune.no/planspor/{source}").verifier_key)
    for source in ("plan-registry", "cocreation")
}
"""The ConfigMap `planspor-source-keys`: the sources' public keys, which knowledge requires in production."""
SECRETS = {
    "KNOWLEDGE_PLAN_REGISTRY_KEYS": SOURCE_KEYS["plan-registry"],
    "KNOWLEDGE_COCREATION_KEYS": SOURCE_KEYS["cocreation"],
    "PLANSPOR_TOKENS": '[{"sha256": "' + "ab" * 32 + '", "role": "planner", "name": "kari"}]',
    "PLANSPOR_FEED_TOKEN": "a-real-operator-token",
    "POSTGRES_PASSWORD": "s3cret-pg",
    "NEO4J_PASSWORD": "s3cret-neo4j",
    "PLAN_REGISTRY_SIGNING_KEY_PATH": "/etc/planspor/plan-registry.key",
    "COCREATION_SIGNING_KEY_PATH": "/etc/planspor/cocreation.key",
    **{password_variable(user): password for user, password in NATS_PASSWORDS.items()},
}


def fields(settings_class) -> set[str]:
    return {name.upper() for name in settings_class.model_fields}


def interpolate(value: str) -> str:
    return re.sub(r"\$\{(\w+):\?[^}]*\}", lambda m: SECRETS[m.group(1)], str(value))


def check_service(name: str, env: dict[str, str]):
    settings_class = SETTINGS[name]
    unknown = set(env) - fields(settings_class) - NOT_SETTINGS
    assert not unknown, f"{name}: variables no setting reads: {sorted(unknown)}"
    values = {k.lower(): v for k, v in env.items() if k not in NOT_SETTINGS}
    settings = settings_class(**values)
    if hasattr(settings, "check"):
        settings.check()
    assert settings.planspor_env == "production"
    return settings


def check_own_nats_account(name: str, settings) -> None:
    """Each service on its own credentials: its own user, its own password, never another's."""
    access = settings.nats_access()
    assert access.user == name, f"{name} connects as {access.user!r}"
    assert access.password == NATS_PASSWORDS[name], f"{name} must use its own NATS password"


@functools.cache
def application(name: str):
    """The service's own HTTP application, built in development on an in-memory store (no server, no lifespan)."""
    if name == "knowledge":
        from knowledge.api import create_app
        from knowledge.bootstrap import bootstrap

        return create_app(bootstrap(KnowledgeSettings(neo4j_password="a-password-for-a-graph-nobody-connects-to")))
    package = name.replace("-", "_")
    build = importlib.import_module(f"{package}.bootstrap").build
    return build(SETTINGS[name](**{f"{package}_store": "memory"})).api


def served(name: str, path: str) -> int:
    """The status the service answers ``path`` with."""
    return TestClient(application(name)).get(path).status_code


def ready_route(name: str, path: str) -> bool:
    """``path`` is the service's readiness route: 200 ready, or 503 with the reasons (here knowledge has no
    Neo4j, so it says not ready), never a 404 or a login."""
    answer = TestClient(application(name)).get(path)
    body = answer.json()
    if answer.status_code == 200:
        return body["status"] == "ready" and all(v == "ok" for v in body["checks"].values())
    return answer.status_code == 503 and body["detail"].startswith("not ready") and bool(body["checks"])


# --------------------------------------------------------------------------- compose


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_compose_requires_every_secret_and_configures_what_the_services_read():
    text = (DEPLOY / "compose.yaml").read_text()
    for secret in SECRETS:
        assert re.search(r"\$\{" + secret + r":\?", text), f"{secret} must be required with ${{{secret}:?...}}"
    for name in SETTINGS:
        service = compose()["services"][name]
        env = {k: interpolate(v) for k, v in service["environment"].items()}
        settings = check_service(name, env)
        check_own_nats_account(name, settings)


def test_compose_health_checks_ask_each_service_on_its_own_port_for_a_route_it_serves():
    for name in SETTINGS:
        service = compose()["services"][name]
        env = {k: interpolate(v) for k, v in service["environment"].items()}
        settings = check_service(name, env)
        test = " ".join(service["healthcheck"]["test"])
        assert "os.environ['HEALTH_PORT']" in test and "/readyz" in test, test  # healthy = ready for traffic
        assert int(env["HEALTH_PORT"]) == getattr(settings, PORT_SETTING[name]), f"{name} listens elsewhere"
        published = service["ports"][0].rsplit(":", 1)[1]
        assert int(published) == getattr(settings, PORT_SETTING[name])
        assert served(name, "/healthz") == 200
        assert ready_route(name, "/readyz")


def test_compose_refuses_development_secrets():
    env = {k: interpolate(v) for k, v in compose()["services"]["plan-registry"]["environment"].items()}
    env["PLANSPOR_TOKENS"] = ""  # empty means the development tokens
    with pytest.raises(ValueError, match="development tokens"):
        check_service("plan-registry", env)
    env = {k: interpolate(v) for k, v in compose()["services"]["plan-registry"]["environment"].items()}
    del env["NATS_PASSWORD"]
    with pytest.raises(ValueError, match="NATS_USER and NATS_PASSWORD are required"):
        check_service("plan-registry", env)


def test_compose_runs_nats_as_a_three_server_cluster_with_the_accounts_the_stack_makes():
    services = compose()["services"]
    nodes = sorted(name for name in services if name.startswith("nats-"))
    assert nodes == ["nats-1", "nats-2", "nats-3"]
    assert (DEPLOY / "nats" / "nats.conf").read_text() == deploy_config(), (
        "regenerate with: .venv/bin/python -m planspor_stack nats-conf > deploy/nats/nats.conf"
    )
    referenced = set(re.findall(r"\$(NATS_[A-Z_]+)", deploy_config()))
    for node in nodes:
        server = services[node]
        env = {k: interpolate(v) for k, v in server["environment"].items()}
        assert env["NATS_SERVER_NAME"] == node
        assert referenced <= set(env), f"{node}: {sorted(referenced - set(env))} unset"
        assert "./nats/nats.conf:/etc/nats/nats.conf:ro" in server["volumes"]
        assert f"{node}-data:/data" in server["volumes"], "each server keeps its own copy of the stream"
        assert "healthz" in " ".join(server["healthcheck"]["test"])
        command = " ".join(server["command"])
        assert all(f"@{other}:6222" in command for other in nodes), "every server routes to every other"
    for name in SETTINGS:
        env = {k: interpolate(v) for k, v in services[name]["environment"].items()}
        assert split_servers(env["NATS_URL"]) == [f"nats://{node}:4222" for node in nodes]
        assert env["NATS_STREAM_REPLICAS"] == str(len(nodes))
        depends = services[name]["depends_on"]
        assert all(depends[node]["condition"] == "service_healthy" for node in nodes), name


# --------------------------------------------------------------------------- Kubernetes


def manifests() -> dict[str, list[dict]]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    return {resource: list(yaml.safe_load_all((K8S / resource).read_text())) for resource in kustomization["resources"]}


def resolve(container_env: list[dict], secrets: dict[str, dict[str, str]]) -> dict[str, str]:
    """A container's ``env``: plain values, secretKeyRefs (the Secrets a municipality creates) and
    configMapKeyRefs (the ConfigMap of the sources' public keys it creates)."""
    resolved = {}
    for entry in container_env:
        if "value" in entry:
            resolved[entry["name"]] = entry["value"]
        elif "secretKeyRef" in entry.get("valueFrom", {}):
            ref = entry["valueFrom"]["secretKeyRef"]
            resolved[entry["name"]] = secrets[ref["name"]][ref["key"]]
        elif "configMapKeyRef" in entry.get("valueFrom", {}):
            ref = entry["valueFrom"]["configMapKeyRef"]
            resolved[entry["name"]] = CONFIG_OBJECTS[ref["name"]][ref["key"]]
    return resolved


CONFIG_OBJECTS = {"planspor-source-keys": SOURCE_KEYS}


SECRET_OBJECTS = {
    "planspor-secrets": {
        k: v for k, v in SECRETS.items() if not k.startswith(("NATS_", "KNOWLEDGE_")) and not k.endswith("_KEY_PATH")
    },
    "planspor-nats": NATS_PASSWORDS,
}


def test_every_file_of_the_base_is_in_the_kustomization():
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk


def test_kubernetes_manifests_are_valid_against_the_kubernetes_schemas():
    for documents in manifests().values():
        for document in documents:
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    # the check can fail: a field the API does not know, a count that is not a number
    deployment = copy.deepcopy(manifests()["plan-registry.yaml"][0])
    deployment["spec"]["replica"] = 1
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    deployment = copy.deepcopy(manifests()["nats.yaml"][2])
    deployment["spec"]["replicas"] = "three"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_kubernetes_manifests_configure_what_the_services_read():
    config = manifests()["config.yaml"][0]["data"]
    for name in SETTINGS:
        deployment, service = manifests()[f"{name}.yaml"]
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert [ref for source in container["envFrom"] for ref in source.values()] == [
            {"name": "planspor-config"},
            {"name": "planspor-secrets"},
        ]
        own = resolve(container["env"], SECRET_OBJECTS)
        env = {**config, **SECRET_OBJECTS["planspor-secrets"], **own}
        readable = fields(SETTINGS[name]) | NOT_SETTINGS
        # the ConfigMap and Secret are shared: each service reads the part it needs
        settings = check_service(name, {k: v for k, v in env.items() if k in readable})
        check_own_nats_account(name, settings)
        assert set(own) <= readable, f"{name}: {sorted(set(own) - readable)}"
        port = container["ports"][0]
        assert port["containerPort"] == getattr(settings, PORT_SETTING[name])
        liveness, readiness = container["livenessProbe"]["httpGet"], container["readinessProbe"]["httpGet"]
        assert liveness["port"] == readiness["port"] == port["name"], name
        assert liveness["path"] == "/healthz" and served(name, liveness["path"]) == 200, name
        assert readiness["path"] == "/readyz" and ready_route(name, readiness["path"]), name
        assert service["spec"]["ports"][0]["port"] == port["containerPort"]


def test_kubernetes_runs_nats_as_a_stateful_set_of_three_behind_a_headless_service():
    config_map, headless, stateful_set = manifests()["nats.yaml"]
    assert (
        headless["spec"]["clusterIP"] == "None" and stateful_set["spec"]["serviceName"] == headless["metadata"]["name"]
    )
    replicas = stateful_set["spec"]["replicas"]
    assert replicas == 3
    pods = [f"{stateful_set['metadata']['name']}-{i}.{headless['metadata']['name']}" for i in range(replicas)]
    assert config_map["data"]["nats.conf"] == (DEPLOY / "nats" / "nats.conf").read_text(), (
        "deploy/k8s/base/nats.yaml holds a copy of deploy/nats/nats.conf: keep them equal"
    )
    container = stateful_set["spec"]["template"]["spec"]["containers"][0]
    args = " ".join(container["args"])
    assert all(f"@{pod}:6222" in args for pod in pods), "every server routes to every other"
    env = resolve(container["env"], SECRET_OBJECTS)
    assert set(re.findall(r"\$(NATS_[A-Z_]+)", deploy_config())) - {"NATS_SERVER_NAME"} <= set(env)
    assert {e["name"]: e for e in container["env"]}["NATS_SERVER_NAME"]["valueFrom"]["fieldRef"][
        "fieldPath"
    ] == "metadata.name"
    assert stateful_set["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"
    config = manifests()["config.yaml"][0]["data"]
    assert split_servers(config["NATS_URL"]) == [f"nats://{pod}:4222" for pod in pods]
    assert config["NATS_STREAM_REPLICAS"] == str(replicas)


def test_the_stacks_accounts_name_the_durable_consumers_the_services_use():
    from cocreation.messaging import DURABLE as COCREATION_DURABLE
    from plan_registry.messaging import DURABLE as PLAN_REGISTRY_DURABLE

    assert {
        "plan-registry": PLAN_REGISTRY_DURABLE,
        "cocreation": COCREATION_DURABLE,
        "knowledge": KnowledgeSettings.model_fields["knowledge_durable"].default,
    } == DURABLES


SOURCES = {"plan-registry": "PLAN_REGISTRY", "cocreation": "COCREATION"}


def test_each_source_signs_with_a_key_of_its_own_from_a_secret():
    """In production a source refuses to start without its signing key: the deployments must give it one."""
    document = compose()
    for name, prefix in SOURCES.items():
        service = document["services"][name]
        secret = f"{name}-signing-key"
        assert service["secrets"] == [secret], name
        assert service["environment"][f"{prefix}_SIGNING_KEY_FILE"] == f"/run/secrets/{secret}"
        assert document["secrets"][secret]["file"].startswith("${" + f"{prefix}_SIGNING_KEY_PATH:?"), name
    for name, prefix in SOURCES.items():
        pod = manifests()[f"{name}.yaml"][0]["spec"]["template"]["spec"]
        container = pod["containers"][0]
        path = resolve(container["env"], SECRET_OBJECTS)[f"{prefix}_SIGNING_KEY_FILE"]
        (mount,) = container["volumeMounts"]
        (volume,) = pod["volumes"]
        assert mount == {"name": volume["name"], "mountPath": str(Path(path).parent), "readOnly": True}
        assert volume["secret"]["secretName"] == "planspor-signing"
        assert volume["secret"]["items"] == [{"key": Path(path).name, "path": Path(path).name}]
        # the service runs as a user of its own: the file reaches it through the pod's group, not the world
        assert volume["secret"]["defaultMode"] & 0o007 == 0 and pod["securityContext"]["fsGroup"]
