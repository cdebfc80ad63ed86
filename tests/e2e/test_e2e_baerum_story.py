"""The Bærum story end to end: the scenario loaded through the loader into three real processes, NATS and
Neo4j; then the graph answers the auditor's questions, and every command of the README walkthrough runs."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from planspor_cli.client import Platform as Client
from planspor_cli.demo import Loader
from planspor_cli.tour import strategy_status_on
from planspor_runtime.access import DEVELOPMENT_TOKENS, Role
from planspor_runtime.bodies import municipal_today

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
    outside = {p["id"] for p in analyst.every("/api/v1/plans/outside-strategy", "plans")["plans"]}
    assert ids["plan:P41"] in outside and ids["plan:P24"] in outside and ids["plan:P40"] not in outside
    unanchored = {p["id"] for p in analyst.every("/api/v1/plans/not-anchored", "plans")["plans"]}
    assert ids["plan:P11"] in unanchored and ids["plan:P04"] not in unanchored
    overdue = {p["id"] for p in analyst.every("/api/v1/plans/overdue-revision", "plans")["plans"]}
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


def test_11_every_event_was_signed_by_its_source_and_the_witness_found_every_head_fits(story):
    client, _ = story
    health = client.operator().get("/health")
    assert health["status"] == "ok" and health["alarms"] == [], health["alarms"]
    for source in ("plan-registry", "cocreation"):
        assert health["witness"][source]["head_size"], f"no head of {source} checked: {health['witness']}"
    letters = client.operator().every("/api/v1/dead-letters", "dead_letters")["dead_letters"]
    assert not [d for d in letters if d["reason"].startswith(("unsigned", "unknown key", "bad signature"))], letters


# --------------------------------------------------------------------------- the auditor's exports (issue 13)


def cli(platform, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*PLANSPOR, *args], env=platform.env, capture_output=True, text=True, timeout=300, cwd=cwd or platform.logs
    )


def test_8_the_whole_record_verifies_and_rebuilds_the_same_graph(story, platform, tmp_path):
    from planspor_verify import read_bundle

    client, _ = story
    record = tmp_path / "record.zip"
    done = cli(platform, "export", "record", str(record), "--json")
    assert done.returncode == 0, done.stderr
    written = json.loads(done.stdout)["sources"]
    assert set(written) == {"plan-registry", "cocreation"} and all(n["events"] and n["heads"] for n in written.values())
    keys = cli(platform, "keys").stdout.split()
    assert len(keys) == 2 and all(k.startswith("planspor.") for k in keys)
    verified = subprocess.run(
        [sys.executable, "-m", "planspor_verify", str(record), *(a for k in keys for a in ("--key", k))],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith(f"verified: {written['plan-registry']['events']} events of plan-registry")
    assert all(line.startswith(b"{") for r in read_bundle(record).sources for line in r.lines)

    live = client.auditor().get("/api/v1/checksum")
    rebuilt = cli(platform, "rebuild", "--from-bundle", str(record), "--json")
    assert rebuilt.returncode == 0, rebuilt.stderr
    result = json.loads(rebuilt.stdout)
    assert result["origin"] == "bundle"
    assert result["events_read"] == sum(n["events"] for n in written.values())
    assert result["checksum"] == live["checksum"], (result, live)
    assert client.auditor().get("/api/v1/checksum")["checksum"] == live["checksum"]

    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(record) as source, zipfile.ZipFile(tampered, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "cocreation/events.jsonl":
                lines = data.split(b"\n")
                lines[9] = lines[9].replace(b'"occurred_at":"20', b'"occurred_at":"19', 1)
                data = b"\n".join(lines)
            target.writestr(item, data)
    refused = cli(platform, "rebuild", "--from-bundle", str(tampered))
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "422" in refused.stderr and "cocreation position 10: edited" in refused.stderr
    assert client.auditor().get("/api/v1/checksum")["checksum"] == live["checksum"], (
        "a refused bundle changed the graph"
    )
    url = f"{platform.urls['knowledge']}/api/v1/rebuild/bundle"
    for token, body, status in (
        (DEVELOPMENT_TOKENS[Role.OPERATOR], b"not a zip", 422),
        (DEVELOPMENT_TOKENS[Role.OPERATOR], b"", 422),
        (DEVELOPMENT_TOKENS[Role.AUDITOR], record.read_bytes(), 403),
    ):
        answer = httpx.post(url, content=body, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert client.auditor().get("/api/v1/checksum")["checksum"] == live["checksum"]


def test_9_the_evidence_pack_of_the_adoption_verifies_with_the_verifier_installed_alone(
    story, platform, tmp_path, auditor_environment
):
    _, report = story
    pack = tmp_path / "evidence.zip"
    started = time.monotonic()
    done = cli(platform, "export", "evidence", "decision", "adoption", str(pack), "--json")
    assert done.returncode == 0, done.stderr
    print(f"the evidence pack of the adoption: written in {time.monotonic() - started:.1f} s")
    written = json.loads(done.stdout)
    assert written["id"] == report.ids["decision:adoption"] and written["steps"] > 20
    keys = tmp_path / "keys.vkey"
    keys.write_text(cli(platform, "keys").stdout)

    started = time.monotonic()
    verifier = auditor_environment(tmp_path / "auditor")
    print(f"planspor-verify installed alone in {time.monotonic() - started:.1f} s")
    checked = subprocess.run([verifier, pack, "--key", keys], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith(f"verified: evidence pack of decision {report.ids['decision:adoption']}: ")

    with zipfile.ZipFile(pack) as archive:
        names = set(archive.namelist())
        page = archive.read("trace.html").decode()
        trace = json.loads(archive.read("trace.json"))
        readme = archive.read("README.md").decode()
    assert {"manifest.json", "README.md", "trace.json", "trace.html", "plan-registry/events.jsonl"} <= names
    assert "Kommunestyreseminar om planstrategi og plansystem" in page and "2022-04-29" in page
    assert "<script" not in page and "http://" not in page.split("<h2>The events</h2>")[0]
    assert trace["start"]["id"] == report.ids["decision:adoption"]
    assert "planspor-verify evidence.zip --key" in readme

    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(pack) as source, zipfile.ZipFile(tampered, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "cocreation/events.jsonl":
                data = data.replace(b"Kommunestyreseminar", "Formannskapsmøte".encode(), 1)
            target.writestr(item, data)
    failed = subprocess.run([verifier, tampered, "--key", keys], capture_output=True, text=True, timeout=120)
    assert failed.returncode == 1 and failed.stdout.startswith("failed: cocreation position "), failed.stdout
    assert ": edited: its content does not match its hash" in failed.stdout


def checking_the_record() -> list[tuple[str, int, str]]:
    """Every `$` line of the README's "Checking the record", its exit code, and the first line shown after it."""
    text = README.read_text(encoding="utf-8")
    section = (
        text.split("## Checking the record", 1)[1].split("\n## ", 1)[0] if "## Checking the record" in text else ""
    )
    found: list[tuple[str, int, str]] = []
    block = False
    for line in section.splitlines():
        if line.startswith("```"):
            block = not block
            continue
        match = re.match(r"^\$ (.*?)(?:\s+# exit (\d))?$", line.strip()) if block else None
        if match:
            found.append((match.group(1), int(match.group(2) or 0), ""))
        elif block and found and line.strip() and not found[-1][2]:
            found[-1] = (*found[-1][:2], line.strip())
    return found


# The README's install, made the same way but without ensurepip and from wheels built beforehand, so that the
# test is offline and quick: a venv without pip, and this pip installing into it.
INSTALL_SUBSTITUTES = {
    "python -m venv auditor": "python -m venv --without-pip auditor",
    "auditor/bin/pip install ./verify": "python -m pip --disable-pip-version-check -q --python auditor/bin/python "
    "install --no-index --find-links {wheelhouse} planspor-verify",
}


def test_10_every_command_of_checking_the_record_runs(story, platform, tmp_path, verifier_wheelhouse):
    commands = checking_the_record()
    assert len(commands) >= 10, commands
    env = {**platform.env, "PATH": f"{Path(PLANSPOR[0]).parent}:{platform.env.get('PATH', '')}"}
    for command, expected, shown in commands:
        actual = INSTALL_SUBSTITUTES.get(command, command).format(wheelhouse=verifier_wheelhouse)
        if actual.startswith("python "):
            actual = f"{sys.executable} {actual[len('python ') :]}"
        done = subprocess.run(
            ["bash", "-c", actual], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
        )
        print(f"$ {command}\n{done.stdout[:600]}{done.stderr[-600:]}")
        assert done.returncode == expected, f"{command}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
        if shown:
            prefix = re.split(r"\d|\.\.\.", shown, maxsplit=1)[0]
            assert done.stdout.startswith(prefix), f"{command}: shown {shown!r}, printed {done.stdout[:300]!r}"
    assert (tmp_path / "auditor" / "bin" / "planspor-verify").exists()
    assert not (tmp_path / "auditor" / "bin" / "planspor").exists(), "the auditor's environment holds the CLI"


def test_12_no_calendar_fact_carries_the_day_of_loading(story):
    """The scenario happened 2016-2024: no day in the graph (valid time or a payload's date) is the day it was
    loaded. Recorded times (``since``, ``until``, ``occurred_at``) are instants, not days, and are not compared."""
    client, _ = story
    analyst = client.analyst()
    today = {"today": municipal_today().isoformat()}

    def ask(query: str) -> list[dict]:
        return analyst.post("/api/v1/cypher", {"query": query, "params": today})["rows"]

    dated = ask(
        "MATCH ()-[r]->() WHERE r.valid_from IS NOT NULL RETURN count(r) AS links, "
        "count(DISTINCT toString(r.valid_from)) AS days"
    )
    assert dated[0]["links"] > 500 and dated[0]["days"] > 50, dated  # the check below has dates to look at
    leaked = ask(
        "MATCH (n) WHERE NOT n:Event UNWIND keys(n) AS k WITH n, k WHERE n[k] = date($today) "
        "RETURN head(labels(n)) AS what, k AS name, count(*) AS facts"
    ) + ask(
        "MATCH ()-[r]->() UNWIND keys(r) AS k WITH r, k WHERE r[k] = date($today) "
        "RETURN type(r) AS what, k AS name, count(*) AS facts"
    )
    assert not leaked, f"dated {today['today']}, the day of loading: {leaked}"


def test_13_as_of_a_day_the_graph_answers_in_effective_time_not_by_the_day_of_loading(story):
    client, report = story
    strategy = report.ids["strategy"]
    assert strategy_status_on(client, strategy, "2024-06-01") == "published"
    assert strategy_status_on(client, strategy, "2024-06-20") == "adopted"
    overdue = {
        p["id"] for p in client.analyst().every("/api/v1/plans/overdue-revision", "plans", as_of="2024-01-01")["plans"]
    }
    assert report.ids["plan:P04"] in overdue  # its revision was due 2023-12-31
    years = client.analyst().get("/api/v1/plans/count-over-time", interval="year")["periods"]
    proposed = {row["period"]: row["proposed"] for row in years if row["proposed"]}
    assert sum(proposed.values()) == 41 and max(proposed) <= "2024", proposed  # the years work started
    assert len(proposed) >= 5, proposed
