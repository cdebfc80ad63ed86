"""`planspor import` loads a municipality's history through plan-registry's API (issue 11, part 5).

1. The shipped templates, filled with 300 plans (a samfunnsdel with its statutory process, plans under it
   and under each other, anchored in goals and sub-goals, adopted, in force, under revision, repealed by
   their decisions), are checked with --dry-run (nothing is sent), then loaded: every plan is in the
   register at the status and on the dates of its row, never the day of loading, and in the graph; each
   goal is defined on its row's day, or the samfunnsdel's adoption, or its parent's.
2. A second run sends nothing: every row is already there and the register holds no new event.
3. A file with ten bad rows reports those ten with their lines (and the register's problem for the row it
   refused), loads the rest, and exits 1.
4. Measurements as Statistikkbanken exports them (semicolon, quoted header, decimal comma, `..` and `:`)
   load into their indicator, dated the last day of their period.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from planspor_runtime.access import DEVELOPMENT_TOKENS, Role

pytestmark = pytest.mark.e2e

TEMPLATES = Path(__file__).resolve().parents[2] / "deploy" / "templates" / "import"
PLANS = 300


def header(name: str) -> list[str]:
    with (TEMPLATES / name).open(encoding="utf-8") as file:
        return next(csv.reader(file))


def write(directory: Path, name: str, rows: list[dict[str, object]]) -> None:
    """A file with the template's header and the rows (a column a row does not fill stays empty)."""
    columns = header(name)
    with (directory / name).open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, columns, restval="")
        writer.writeheader()
        for row in rows:
            assert set(row) <= set(columns), set(row) - set(columns)
            writer.writerow(row)


def day(n: int) -> str:
    return (date(2010, 1, 4) + timedelta(days=n)).isoformat()


def history(directory: Path, prefix: str) -> dict[str, dict[str, object]]:
    """300 plans, 30 goals, the decisions that adopted and repealed them; the expected state of each plan."""
    goals = [
        {"goal_key": f"{prefix}G{i}", "title": f"Hovedmål {i}", "samfunnsdel_plan_key": f"{prefix}P0"}
        for i in range(10)
    ]
    goals += [
        {
            "goal_key": f"{prefix}G{i}",
            "title": f"Delmål {i}",
            "parent_goal_key": f"{prefix}G{i % 10}",
            "sdg_targets": "3.4|11.a",
            **({"defined_on": day(400 + i)} if i % 2 == 0 else {}),
        }
        for i in range(10, 30)
    ]
    plans: list[dict[str, object]] = [
        {
            "plan_key": f"{prefix}P0",
            "plan_type": "kommuneplan_samfunnsdel",
            "title": "Kommuneplanens samfunnsdel 2010-2030",
            "owning_unit": "Strategi og utvikling",
            "started_on": day(0),
            "notice_of_start_on": day(10),
            "planprogram_adopted_on": day(60),
            "consultation_opened_on": day(100),
            "consultation_closed_on": day(150),
            "adopted_by": f"{prefix}D-KPS",
            "status": "in_force",
            "status_on": day(200),
            "revision_due": "2025-12-31",
        }
    ]
    decisions = [
        {
            "decision_key": f"{prefix}D-KPS",
            "body": "municipal_council",
            "case_number": f"{prefix}09/1",
            "meeting_date": day(200),
            "subject": "Kommuneplanens samfunnsdel",
            "outcome": "adopted",
            "plans": f"{prefix}P0",
            "unanimous": "true",
        }
    ]
    expected: dict[str, dict[str, object]] = {plans[0]["title"]: {"status": "in_force", "adopted_on": day(200)}}
    statuses = ["proposed", "in_preparation", "adopted", "in_force", "under_revision", "repealed"]
    by_decision: dict[str, list[str]] = {}
    for i in range(1, PLANS):
        key, status = f"{prefix}P{i}", statuses[i % len(statuses)]
        started = 300 + i * 3
        row: dict[str, object] = {
            "plan_key": key,
            "plan_type": ("temaplan", "sektorplan", "strategi", "other")[i % 4],
            "title": f"{prefix}Plan {i}",
            "owning_unit": f"Enhet {i % 7}",
            "parent_plan_key": f"{prefix}P{0 if i <= 30 else (i % 30) + 1}",
            "started_on": day(started),
            "status": status,
            "anchoring_goals": f"{prefix}G{i % 30}" + (f"|{prefix}G{(i + 1) % 30}" if i % 5 == 0 else ""),
        }
        if i % 3 == 0:
            row["revision_due"] = "2024-12-31"
        want: dict[str, object] = {"status": status}
        if status == "in_preparation":
            row["status_on"] = day(started + 1)
        if status in ("adopted", "in_force", "under_revision", "repealed"):
            decision = f"{prefix}D{i % 12}"
            row["adopted_by"] = decision
            by_decision.setdefault(decision, []).append(key)
            want["adopted_on"] = day(1300 + i % 12)
        if status in ("in_force", "under_revision", "repealed"):
            row["in_force_from"] = day(1301 + i % 12)
        if status == "under_revision":
            row["status_on"] = day(1500 + i)
        if status == "repealed":
            row["ended_by"] = f"{prefix}R{i % 3}"
        plans.append(row)
        expected[str(row["title"])] = want
    for n in range(12):
        decisions.append(
            {
                "decision_key": f"{prefix}D{n}",
                "body": "municipal_council" if n % 4 == 0 else "sector_committee",
                "body_name": "Kommunestyret" if n % 4 == 0 else "Hovedutvalg for miljø",
                "case_number": f"{prefix}13/{n}",
                "meeting_date": day(1300 + n),
                "subject": f"Planer {n}",
                "outcome": "adopted",
                "plans": "|".join(by_decision.get(f"{prefix}D{n}", [])),
                "votes_for": 30,
                "votes_against": 5,
            }
        )
    for n in range(3):
        decisions.append(
            {
                "decision_key": f"{prefix}R{n}",
                "body": "municipal_council",
                "case_number": f"{prefix}20/{n}",
                "meeting_date": day(3000 + n),
                "subject": f"Oppheving av planer {n}",
                "outcome": "adopted",
            }
        )
    write(directory, "goals.csv", goals)
    write(directory, "plans.csv", plans)
    write(directory, "decisions.csv", decisions)
    return expected


def planspor(platform, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "planspor_cli.main", *args],
        env=platform.env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def imported(platform, directory: Path, *options: str) -> tuple[int, dict]:
    result = planspor(platform, "import", str(directory), "--json", *options)
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout)


def registry(platform) -> httpx.Client:
    token = DEVELOPMENT_TOKENS[Role.PLANNER]
    return httpx.Client(
        base_url=f"{platform.urls['plan-registry']}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def states(platform, kind: str) -> list[dict]:
    with registry(platform) as client:
        items, cursor = [], None
        while True:  # every page (the lists page: at most 1000 at a time)
            params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            body = client.get(f"/{kind}", params=params).raise_for_status().json()
            items += body["items"]
            cursor = body["next"]
            if not cursor:
                return items


def test_300_plans_from_the_templates_load_with_their_dates_and_a_second_run_sends_nothing(platform, tmp_path):
    expected = history(tmp_path, "A-")

    code, dry = imported(platform, tmp_path, "--dry-run")
    assert code == 0, dry["problems"]
    assert dry["files"]["plans.csv"] == {"valid": PLANS, "refused": 0}
    assert states(platform, "plans") == [], "--dry-run sent nothing"

    started = time.monotonic()
    code, first = imported(platform, tmp_path)
    took = time.monotonic() - started
    print(f"first run {took:.1f} s")
    assert code == 0, first["problems"]
    assert first["files"]["plans.csv"] == {"sent": PLANS, "already there": 0, "refused": 0}
    assert first["files"]["goals.csv"]["sent"] == 30 and first["files"]["decisions.csv"]["sent"] == 16

    plans = {p["name"]: p for p in states(platform, "plans")}
    assert set(plans) == set(expected)
    for title, want in expected.items():
        plan = plans[title]
        assert plan["status"] == want["status"], title
        assert plan.get("adopted_on") == want.get("adopted_on"), title
    samfunnsdel = plans["Kommuneplanens samfunnsdel 2010-2030"]
    assert samfunnsdel["planprogram_adopted_on"] == day(60)
    assert samfunnsdel["consultations"] == [{"opened_on": day(100), "closed_on": day(150)}]
    assert [h["on"] for h in samfunnsdel["status_history"]] == [
        day(10),
        day(60),
        day(60),
        day(100),
        day(150),
        day(200),
        day(200),
    ]
    plan_7 = plans["A-Plan 7"]  # in preparation since the day after it started, under the samfunnsdel
    assert plan_7["parent_id"] == samfunnsdel["id"] and plan_7["status_history"][0]["on"] == day(322)
    assert len(plans["A-Plan 5"]["goal_ids"]) == 2 and plans["A-Plan 3"]["revision_due"] == "2024-12-31"
    with registry(platform) as client:
        proposed = client.get(f"/plans/{plan_7['id']}/history").json()[0]["data"]
    assert proposed["proposed_on"] == day(321), "the plan was proposed the day its row says work started"
    today = date.today().isoformat()
    assert all(h["on"] != today for p in plans.values() for h in p["status_history"]), (
        "no step dated the day of loading"
    )
    with registry(platform) as client:
        defined = {
            g["title"]: client.get(f"/goals/{g['id']}/history").json()[0]["data"].get("defined_on")
            for g in states(platform, "goals")
            if g["title"].startswith(("Hovedmål", "Delmål"))
        }
        revisions = {
            title: [
                e["data"].get("on")
                for e in client.get(f"/plans/{plans[title]['id']}/history").json()
                if e["type"].endswith("RevisionScheduled")
            ]
            for title in ("Kommuneplanens samfunnsdel 2010-2030", "A-Plan 3", "A-Plan 6")
        }
    assert defined == {
        **{f"Hovedmål {i}": day(200) for i in range(10)},
        **{f"Delmål {i}": day(400 + i) if i % 2 == 0 else day(200) for i in range(10, 30)},
    }, "a goal is dated by its column, else the samfunnsdel's adoption or its parent's: never the day of loading"
    assert revisions == {
        "Kommuneplanens samfunnsdel 2010-2030": [day(200)],
        "A-Plan 3": [day(1303)],
        "A-Plan 6": [day(318)],
    }, "a revision date is set on the adoption, or for a plan only proposed on its proposal"

    before = {
        kind: [(s["id"], s["version"]) for s in states(platform, kind)] for kind in ("plans", "goals", "decisions")
    }
    started = time.monotonic()
    code, second = imported(platform, tmp_path)
    print(f"second run {time.monotonic() - started:.1f} s")
    assert code == 0, second["problems"]
    assert second["files"]["plans.csv"] == {"sent": 0, "already there": PLANS, "refused": 0}
    assert all(counts["sent"] == 0 for counts in second["files"].values()), second["files"]
    after = {
        kind: [(s["id"], s["version"]) for s in states(platform, kind)] for kind in ("plans", "goals", "decisions")
    }
    assert after == before, "the second run recorded nothing"

    analyst = {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[Role.ANALYST]}"}
    query = {"query": "MATCH (p:Plan) RETURN count(p) AS plans", "params": {}}
    deadline = time.monotonic() + 60
    while True:
        answer = httpx.post(f"{platform.urls['knowledge']}/api/v1/cypher", json=query, headers=analyst, timeout=30)
        rows = answer.raise_for_status().json()["rows"]
        count = rows[0]["plans"] if isinstance(rows[0], dict) else rows[0][0]
        if count == PLANS or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert count == PLANS, "every imported plan is in the graph"
    query = {
        "query": "MATCH (p:Plan) RETURN toString(min(p.proposed_on)) AS first, toString(max(p.proposed_on)) AS last",
        "params": {},
    }
    answer = httpx.post(f"{platform.urls['knowledge']}/api/v1/cypher", json=query, headers=analyst, timeout=30)
    row = answer.raise_for_status().json()["rows"][0]
    first_day, last_day = (row["first"], row["last"]) if isinstance(row, dict) else row
    assert (first_day, last_day) == (day(0), day(300 + (PLANS - 1) * 3)), "the graph has each plan's own start"
    print(f"300 plans loaded in {took:.1f} s")


def bad_history(directory: Path) -> tuple[dict[int, str], list[str]]:
    """30 good plans and 10 bad ones; the bad rows' lines (a row's line is its index + 2: the header is 1)
    with a word of what the report must say, and the good plans' titles."""
    next_year = (date.today() + timedelta(days=400)).isoformat()
    good = [
        {
            "plan_key": f"B-P{i}",
            "plan_type": "temaplan",
            "title": f"B-Plan {i}",
            "owning_unit": "Kultur",
            "started_on": day(i),
            "status": "in_preparation" if i % 2 else "in_force",
            "adopted_by": "" if i % 2 else "B-D1",
            "anchoring_goals": "B-G1",
        }
        for i in range(30)
    ]
    base = {"plan_type": "temaplan", "owning_unit": "Kultur", "started_on": day(5), "status": "proposed"}
    bad: list[tuple[dict[str, object], str]] = [
        ({"started_on": "03.09.2018"}, "YYYY-MM-DD"),
        ({"status": "in_preparation", "status_on": next_year}, "in the future"),
        ({"plan_type": "reguleringsplan"}, "plan_type 'reguleringsplan'"),
        ({"parent_plan_key": "B-NOPE"}, "parent_plan_key 'B-NOPE'"),
        ({"title": ""}, "title is empty"),
        ({"anchoring_goals": "B-G-NOPE"}, "anchoring_goals 'B-G-NOPE'"),
        ({"status": "in_force", "adopted_by": "B-D-NOPE"}, "adopted_by 'B-D-NOPE'"),
        ({"plan_key": "B-P1"}, "already on line 4"),
        ({"status": "in_preparation", "started_on": day(50), "status_on": day(40)}, "dates go forwards"),
        (
            {"plan_type": "kommunedelplan", "status": "adopted", "adopted_by": "B-D1", "started_on": day(1)},
            "PBL §4-1",
        ),
    ]
    rows: list[dict[str, object]] = []
    lines: dict[int, str] = {}
    for i, row in enumerate(good):
        rows.append(row)
        if i % 3 == 0 and bad:
            changes, says = bad.pop(0)
            rows.append({**base, "plan_key": f"B-X{i}", "title": f"B-Bad {i}", **changes})
            lines[len(rows) + 1] = says
    assert not bad and len(lines) == 10
    write(directory, "plans.csv", rows)
    write(directory, "goals.csv", [{"goal_key": "B-G1", "title": "Et aktivt liv"}])
    decision = {"body": "municipal_council", "meeting_date": day(100), "subject": "Planer", "outcome": "adopted"}
    write(directory, "decisions.csv", [{"decision_key": "B-D1", "case_number": "B-1/1", **decision}])
    return lines, [str(r["title"]) for r in good]


def test_ten_bad_rows_are_reported_with_their_lines_and_the_rest_load(platform, tmp_path):
    lines, titles = bad_history(tmp_path)

    code, dry = imported(platform, tmp_path, "--dry-run")
    assert code == 1 and dry["files"]["plans.csv"] == {"valid": 31, "refused": 9}, "the register judges PBL §4-1"

    code, report = imported(platform, tmp_path)
    assert code == 1
    assert report["files"]["plans.csv"] == {"sent": 30, "already there": 0, "refused": 10}
    reported = {p["line"]: " ".join(p["problems"]) for p in report["problems"] if p["file"] == "plans.csv"}
    assert sorted(reported) == sorted(lines)
    for line, says in lines.items():
        assert says in reported[line], (line, reported[line])
    plans = {p["name"]: p for p in states(platform, "plans")}
    assert all(plans[t]["status"] in ("in_preparation", "in_force") for t in titles), "the good rows are in"
    assert not {n for n in plans if n.startswith("B-Bad")} - {max(n for n in plans if n.startswith("B-Bad"))}, (
        "of the bad rows only the one the register refused at its adoption is (partly) in"
    )

    again = planspor(platform, "import", str(tmp_path))
    assert again.returncode == 1, again.stderr
    for line in lines:
        assert f"plans.csv:{line}" in again.stdout
    assert "fix these and run the same command again" in again.stdout
    assert "sent" in again.stdout and "already there" in again.stdout


SSB_LONG = """\
"12345: Andel fysisk aktive (prosent) (K) 2015 - 2024"

"region";"statistikkvariabel";"år";"12345: Andel fysisk aktive (prosent) (K) 2015 - 2024"
"3201 Bærum";"Andel fysisk aktive";"2019";"61,5"
"3201 Bærum";"Andel fysisk aktive";"2020";".."
"3201 Bærum";"Andel fysisk aktive";"2021";"62,9"
"3201 Bærum";"Andel fysisk aktive";"2022";":"
"3201 Bærum";"Andel fysisk aktive";"2023";"64"
"""
SSB_WIDE = """\
"region";"statistikkvariabel";"Registrert ledige 2023K1";"Registrert ledige 2023K2"
"3201 Bærum";"Prosent";"2,1";"1,9"
"""


def test_measurements_as_statistikkbanken_exports_them_load_dated_by_their_period(platform, tmp_path):
    write(tmp_path, "goals.csv", [{"goal_key": "S-G1", "title": "Helse"}])
    indicator = {"goal_key": "S-G1", "unit": "%", "source": "SSB"}
    write(
        tmp_path,
        "indicators.csv",
        [
            {"indicator_key": "S-AKTIV", "name": "S-Aktive", "ssb_file": "aktive.csv", **indicator},
            {"indicator_key": "S-LEDIG", "name": "S-Ledige", "ssb_file": "ledige.csv", **indicator},
        ],
    )
    write(tmp_path, "measurements.csv", [{"indicator_key": "S-AKTIV", "period": "2018", "value": "60.2"}])
    (tmp_path / "aktive.csv").write_bytes(SSB_LONG.replace("\n", "\r\n").encode("utf-8"))
    (tmp_path / "ledige.csv").write_bytes(SSB_WIDE.encode("cp1252"))

    refused = planspor(platform, "--token", "not-a-token", "import", str(tmp_path))
    assert refused.returncode == 1 and "planner's token" in refused.stderr, refused.stderr
    assert not [i for i in states(platform, "indicators") if i["name"].startswith("S-")], "a refused token stops all"

    code, report = imported(platform, tmp_path)
    assert code == 0, report["problems"]
    assert report["files"]["aktive.csv"] == {"sent": 3, "already there": 0, "refused": 0, "no value": 2}
    indicators = {i["name"]: i for i in states(platform, "indicators")}
    assert [(m["period"], m["value"], m["measured_on"]) for m in indicators["S-Aktive"]["measurements"]] == [
        ("2018", "60.2", "2018-12-31"),
        ("2019", "61.5", "2019-12-31"),
        ("2021", "62.9", "2021-12-31"),
        ("2023", "64", "2023-12-31"),
    ]
    assert [(m["period"], m["value"], m["measured_on"]) for m in indicators["S-Ledige"]["measurements"]] == [
        ("2023-Q1", "2.1", "2023-03-31"),
        ("2023-Q2", "1.9", "2023-06-30"),
    ]
    code, again = imported(platform, tmp_path)
    assert code == 0 and again["files"]["aktive.csv"]["sent"] == 0 and again["files"]["ledige.csv"]["sent"] == 0
