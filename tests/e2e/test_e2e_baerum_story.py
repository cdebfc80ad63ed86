"""The Bærum story end to end: the scenario loaded through the loader into three real processes, NATS and
Neo4j; then the graph answers the auditor's questions, and every command of the README walkthrough runs."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from planspor_cli.client import Platform as Client
from planspor_cli.demo import Loader

pytestmark = pytest.mark.e2e

README = Path(__file__).resolve().parents[2] / "README.md"
_SCRIPT = Path(sys.executable).with_name("planspor")
PLANSPOR = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-c", "from planspor_cli.main import main; main()"]


@pytest.fixture(scope="module")
def story(platform):
    client = Client(
        plan_registry_url=platform.urls["plan-registry"],
        cocreation_url=platform.urls["cocreation"],
        knowledge_url=platform.urls["knowledge"],
    )
    started = time.monotonic()
    try:
        report = Loader(client, ids_file=platform.ids_file, say=print, wait_timeout=120).run()
    except Exception:
        for name in platform.urls:
            print(f"--- {name} log ---\n{platform.log(name)}")
        raise
    print(
        f"loaded in {report.load_seconds:.1f} s ({report.requests} requests), graph caught up "
        f"{report.graph_seconds:.1f} s later; total {time.monotonic() - started:.1f} s"
    )
    return client, report


def test_1_the_trace_from_the_adoption_reaches_the_29_april_2022_inputs(story, platform):
    client, report = story
    ids = report.ids
    trace = client.auditor().get(f"/api/v1/trace/back/decision/{ids['decision:adoption']}")
    seminar_inputs = {ids[k] for k in ids if k.startswith("input:IN0") and int(k[-2:]) <= 8}
    reached = {s["id"] for s in trace["steps"] if s["label"] == "Input"}
    assert reached & seminar_inputs, "no input of the 29 April 2022 seminar behind the adoption"
    workshop = next(s for s in trace["steps"] if s["label"] == "Workshop" and s["id"] == ids["workshop:W1"])
    assert str(workshop["properties"]["held_on"]).startswith("2022-04-29")
    labels = {s["label"] for s in trace["steps"]}
    assert {
        "Strategy",
        "StrategyItem",
        "PlanNeed",
        "Prioritisation",
        "Recommendation",
        "Input",
        "Workshop",
        "Participant",
    } <= labels


def test_2_the_amendments_plan_shows_the_council_amendment_as_its_origin(story):
    client, report = story
    ids = report.ids
    rows = client.analyst().post(
        "/api/v1/cypher",
        {
            "query": "MATCH (p:Plan {id: $plan})-[:INITIATED_THROUGH]->(i:StrategyItem) "
            "RETURN i.origin AS origin, i.amendment_number AS number, i.decision_id AS decision",
            "params": {"plan": ids["plan:P40"]},
        },
    )["rows"]
    assert rows, "the amendment's plan is not linked to a strategy item"
    row = rows[0] if isinstance(rows[0], dict) else dict(zip(("origin", "number", "decision"), rows[0]))
    assert row["origin"] == "council_amendment"
    assert row["decision"] == ids["decision:adoption"]
    cocreated = client.analyst().post(
        "/api/v1/cypher",
        {
            "query": "MATCH (p:Plan {id: $plan})-[:INITIATED_THROUGH]->(:StrategyItem)-[:FROM_NEED]->(n) RETURN n.id",
            "params": {"plan": ids["plan:P40"]},
        },
    )["rows"]
    assert cocreated == []


def test_3_the_compliance_report_passes_every_check_it_has_evidence_for(story):
    client, report = story
    result = client.auditor().get(f"/api/v1/strategies/{report.ids['strategy']}/compliance")
    statuses = {c["id"]: c["status"] for c in result["checks"]}
    assert "fail" not in statuses.values(), result["checks"]
    assert statuses and all(s == "pass" for s in statuses.values() if s != "unknown")
    assert result["summary"]["pass"] >= 5, statuses


def test_4_portfolio_questions(story):
    client, report = story
    ids = report.ids
    analyst = client.analyst()
    outside = {p["id"] for p in analyst.get("/api/v1/plans/outside-strategy")["plans"]}
    assert ids["plan:P41"] in outside and ids["plan:P24"] in outside and ids["plan:P40"] not in outside
    unanchored = {p["id"] for p in analyst.get("/api/v1/plans/not-anchored")["plans"]}
    assert ids["plan:P11"] in unanchored and ids["plan:P04"] not in unanchored
    overdue = {p["id"] for p in analyst.get("/api/v1/plans/overdue-revision")["plans"]}
    assert ids["plan:P07"] in overdue and ids["plan:P02"] not in overdue


def test_5_a_second_load_sends_nothing(story, platform):
    client, report = story
    again = Loader(client, ids_file=platform.ids_file).run()
    assert again.loaded is False and again.requests == 0
    assert again.ids == report.ids


def walkthrough_commands() -> list[tuple[str, int]]:
    """Every `$ planspor ...` line of the README's Walkthrough, with the exit code it shows (default 0)."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Walkthrough", 1)[1].split("\n## ", 1)[0] if "## Walkthrough" in text else ""
    commands = []
    for line in section.splitlines():
        match = re.match(r"^\$ (planspor .*?)(?:\s+# exit (\d))?$", line.strip())
        if match:
            commands.append((match.group(1), int(match.group(2) or 0)))
    return commands


def test_6_every_command_of_the_readme_walkthrough_runs(story, platform):
    commands = walkthrough_commands()
    assert commands, "the README has no Walkthrough with `$ planspor ...` lines"
    for command, expected in commands:
        args = shlex.split(command)[1:]
        done = subprocess.run(
            [*PLANSPOR, *args], env=platform.env, capture_output=True, text=True, timeout=300, cwd=platform.logs.parent
        )
        assert done.returncode == expected, f"{command}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
        if "--json" in args:
            json.loads(done.stdout)


def test_7_cli_exit_codes(story, platform):
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*PLANSPOR, *args], env=platform.env, capture_output=True, text=True, timeout=60)

    missing = run("trace", "decision", "00000000-0000-0000-0000-000000000000")
    assert missing.returncode == 3 and missing.stderr.count("\n") == 1
    refused = run("cypher", "MATCH (n) DETACH DELETE n")
    assert refused.returncode == 1 and "DETACH" in refused.stderr
    assert run("plans").returncode == 2
    assert run("plans", "--outside-strategy", "--overdue").returncode == 2


def test_8_every_event_was_signed_by_its_source_and_the_witness_found_every_head_fits(story):
    client, _ = story
    health = client.operator().get("/health")
    assert health["status"] == "ok" and health["alarms"] == [], health["alarms"]
    for source in ("plan-registry", "cocreation"):
        assert health["witness"][source]["head_size"], f"no head of {source} checked: {health['witness']}"
    letters = client.operator().get("/api/v1/dead-letters")["dead_letters"]
    assert not [d for d in letters if d["reason"].startswith(("unsigned", "unknown key", "bad signature"))], letters
