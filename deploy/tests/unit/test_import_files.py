"""`planspor import` reads and checks its files before it sends anything: the shipped templates are valid,
each problem names its file and line, a plan's steps get the dates of its row, SSB's export is understood."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from planspor_cli.importer import TEMPLATES, read_directory, run_import
from planspor_cli.importer.ssb import period_of, read_ssb

pytestmark = pytest.mark.unit


def copy_templates(directory: Path) -> None:
    for template in TEMPLATES.iterdir():
        (directory / template.name).write_bytes(template.read_bytes())


def test_each_shipped_template_has_a_header_and_one_example_row_and_they_are_valid(tmp_path):
    for name in ("plans.csv", "goals.csv", "decisions.csv", "indicators.csv", "measurements.csv"):
        with (TEMPLATES / name).open(encoding="utf-8") as file:
            assert len(list(csv.reader(file))) == 2, name
    report = run_import(None, TEMPLATES, dry_run=True)
    assert report.refused == 0, report.problems
    assert set(report.files) >= {"plans.csv", "goals.csv", "decisions.csv", "ssb-07459.csv"}


def test_the_statutory_steps_of_a_plan_in_force_carry_the_dates_of_its_row():
    history, _ = read_directory(TEMPLATES)
    (plan,) = history.plans
    assert plan.started_on == date(2018, 9, 3)
    assert [(s.status.value, s.on) for s in plan.steps] == [
        ("notice_of_start", date(2018, 10, 15)),
        ("planprogram_adopted", date(2019, 1, 30)),
        ("in_preparation", date(2019, 1, 30)),
        ("consultation_open", date(2019, 9, 2)),
        ("consultation_closed", date(2019, 10, 31)),
        ("adopted", date(2020, 6, 17)),
        ("in_force", date(2020, 6, 17)),
    ]


def test_every_bad_row_is_reported_with_its_file_and_line_and_the_good_ones_are_valid(tmp_path):
    copy_templates(tmp_path)
    with (tmp_path / "plans.csv").open("a", encoding="utf-8") as file:
        file.write("P2,temaplan,Temaplan for idrett,Kultur,,KPS-2020,2021-02-30,,,,,,,proposed,,,,,,,\n")
        file.write("P3,temaplan,Temaplan for kultur,Kultur,,,2021-03-01,,,,,,,in_force,,,G9,,,,\n")
        file.write("P4,temaplan,,Kultur,,P4,2099-01-01,,,,,,,in_preparation,2020-01-01,,,,,,\n")
        file.write("P5,temaplan,Plan fem,Kultur,,,2021-03-01,,,,,,,in_preparation,2021-01-01,,,,,,\n")
    report = run_import(None, tmp_path, dry_run=True)
    problems = {(p["file"], p["line"]): " ".join(p["problems"]) for p in report.problems}
    assert set(problems) == {("plans.csv", 3), ("plans.csv", 4), ("plans.csv", 5), ("plans.csv", 6)}
    assert "no day in the calendar" in problems["plans.csv", 3]
    assert (
        "adopted_by is empty: a plan that is in_force" in problems["plans.csv", 4]
        and "anchoring_goals 'G9'" in problems["plans.csv", 4]
    )
    assert "title is empty" in problems["plans.csv", 5] and "in the future" in problems["plans.csv", 5]
    assert "parent_plan_key is the plan itself" in problems["plans.csv", 5]
    assert "dates go forwards" in problems["plans.csv", 6]
    assert report.files["plans.csv"] == {"valid": 1, "refused": 4}


def test_a_header_the_template_does_not_have_refuses_the_file_rather_than_drop_a_column(tmp_path):
    (tmp_path / "goals.csv").write_text("goal_key;title;parent_goal\nG1;Gode liv;\n", encoding="utf-8")
    report = run_import(None, tmp_path, dry_run=True)
    assert report.refused == 1 and "unknown column(s) parent_goal" in report.problems[0]["problems"][0]


def test_ssb_periods_are_the_registers_and_dated_by_their_last_day():
    assert period_of("2023") == ("2023", date(2023, 12, 31))
    assert period_of("2023K2") == ("2023-Q2", date(2023, 6, 30))
    assert period_of("2024M02") == ("2024-02", date(2024, 2, 29))
    assert period_of("2023H1") == ("2023-H1", date(2023, 6, 30))
    assert period_of("2023T3") == ("2023-T3", date(2023, 12, 31))
    assert period_of("2023K5") is None and period_of("2022-2023") is None


def test_an_ssb_export_with_a_title_decimal_commas_and_missing_values_is_read(tmp_path):
    path = tmp_path / "ssb.csv"
    path.write_text(
        '"07459: Befolkning"\n\n"region";"statistikkvariabel";"år";"07459: Befolkning"\n'
        '"3201 Bærum";"Personer";"2021";"127 731"\n"3201 Bærum";"Personer";"2022";".."\n'
        '"3201 Bærum";"Personer";"2023";"1,5"\n"3201 Bærum";"Personer";"2024";"-"\n',
        encoding="cp1252",
    )
    ssb = read_ssb(path, "IND")
    assert not ssb.problems and len(ssb.skipped) == 1
    assert [(m.period, m.value, m.measured_on, m.row.line) for m in ssb.measurements] == [
        ("2021", Decimal("127731"), date(2021, 12, 31), 4),
        ("2023", Decimal("1.5"), date(2023, 12, 31), 6),
        ("2024", Decimal("0"), date(2024, 12, 31), 7),
    ]


def test_an_ssb_export_of_two_regions_is_refused_so_no_other_regions_figure_is_taken(tmp_path):
    path = tmp_path / "ssb.csv"
    path.write_text('"region";"år";"value"\n"3201 Bærum";"2021";"1"\n"3203 Asker";"2021";"2"\n', encoding="utf-8")
    assert "2 series" in read_ssb(path, "IND").problems[0]


def test_a_row_that_needs_a_bad_row_is_reported_as_the_import_would_refuse_it(tmp_path):
    copy_templates(tmp_path)
    plans = (tmp_path / "plans.csv").read_text(encoding="utf-8").replace("2018-10-15", "15.10.2018")
    (tmp_path / "plans.csv").write_text(plans, encoding="utf-8")
    report = run_import(None, tmp_path, dry_run=True)
    problems = {p["file"]: " ".join(p["problems"]) for p in report.problems}
    assert "YYYY-MM-DD" in problems["plans.csv"]
    assert "needs the plan 'KPS-2020' (plans.csv:2)" in problems["goals.csv"]
    assert "needs the plan 'KPS-2020'" in problems["decisions.csv"]
    assert "needs the goal 'G1' (goals.csv:2)" in problems["indicators.csv"]
    assert "needs the indicator 'IND-BEF'" in problems["measurements.csv"]


def test_a_period_given_both_in_measurements_csv_and_an_ssb_file_is_refused_naming_the_first(tmp_path):
    copy_templates(tmp_path)
    (tmp_path / "measurements.csv").write_text("indicator_key,period,value\nIND-BEF,2022,128000\n", encoding="utf-8")
    report = run_import(None, tmp_path, dry_run=True)
    assert report.problems == [
        {
            "file": "ssb-07459.csv",
            "line": 4,
            "problems": ["the measurement (indicator_key:period) 'IND-BEF:2022' is already in measurements.csv:2"],
        }
    ]


def test_a_date_of_a_step_after_the_rows_status_is_refused_and_read_even_so():
    from planspor_cli.importer.files import Row
    from planspor_cli.importer.rows import read_plan

    cells = {"plan_key": "P", "plan_type": "temaplan", "title": "T", "owning_unit": "U", "status": "in_preparation"}
    row = Row("plans.csv", 2, {**cells, "status_on": "2020-01-01", "consultation_opened_on": "2020-13-01"})
    read_plan(row)
    assert row.problems == ["consultation_opened_on '2020-13-01' is no day in the calendar: write YYYY-MM-DD"]
    row = Row("plans.csv", 3, {**cells, "status_on": "2020-01-01", "in_force_from": "2020-02-01"})
    read_plan(row)
    assert row.problems == ["in_force_from is given, but a plan that is in_preparation has not been in_force"]


def test_goals_and_indicators_are_dated_by_their_column_else_by_the_samfunnsdel_or_goal_they_belong_to():
    history, _ = read_directory(TEMPLATES)
    (goal,), (indicator,), (plan,) = history.goals, history.indicators, history.plans
    assert goal.defined_on == date(2020, 6, 17), "the template's column"
    assert indicator.defined_on == date(2020, 6, 17), "left out: its goal's day"
    assert plan.revision_set_on == date(2020, 6, 17), "left out: the day the plan was adopted"


def test_a_goal_without_defined_on_takes_its_samfunnsdels_adoption_or_its_parents_day_and_never_today(tmp_path):
    copy_templates(tmp_path)
    (tmp_path / "goals.csv").write_text(
        "goal_key,title,parent_goal_key,samfunnsdel_plan_key,defined_on\n"
        "G1,Gode liv,,KPS-2020,\n"
        "G2,Delmål,G1,,\n"
        "G3,Delmål med dato,G1,,2021-05-04\n"
        "G4,Under et mål i registeret,6f1c8d1e-0000-4000-8000-000000000001,,\n",
        encoding="utf-8",
    )
    (tmp_path / "indicators.csv").write_text(
        "indicator_key,goal_key,name,unit,source,defined_on\n"
        "I3,G3,Andel aktive,%,local,\n"
        "I4,G4,Andel ledige,%,local,\n"
        "I5,G1,Andel syklende,%,local,2022-01-10\n",
        encoding="utf-8",
    )
    (tmp_path / "measurements.csv").unlink()
    history, _ = read_directory(tmp_path)
    assert [(g.key, g.defined_on) for g in history.goals] == [
        ("G1", date(2020, 6, 17)),
        ("G2", date(2020, 6, 17)),
        ("G3", date(2021, 5, 4)),
        ("G4", None),
    ], "a goal under one known only by its id is left to the register"
    assert [(i.key, i.defined_on) for i in history.indicators] == [
        ("I3", date(2021, 5, 4)),
        ("I4", None),
        ("I5", date(2022, 1, 10)),
    ]


def test_a_defined_on_not_written_yyyy_mm_dd_or_in_the_future_is_reported_with_its_file_and_line(tmp_path):
    copy_templates(tmp_path)
    with (tmp_path / "goals.csv").open("a", encoding="utf-8") as file:
        file.write("G2,Delmål,G1,,,,17.06.2020\n")
        file.write("G3,Delmål,G1,,,,2099-01-01\n")
    with (tmp_path / "indicators.csv").open("a", encoding="utf-8") as file:
        file.write("IND-2,G1,Andel,%,local,,,,,,,,2020-02-30\n")
    with (tmp_path / "plans.csv").open("a", encoding="utf-8") as file:
        file.write("P2,temaplan,Temaplan,Kultur,,,2021-03-01,,,,,,,proposed,,,,,,,2021-03-02,\n")
    report = run_import(None, tmp_path, dry_run=True)
    problems = {(p["file"], p["line"]): " ".join(p["problems"]) for p in report.problems}
    assert set(problems) == {("goals.csv", 3), ("goals.csv", 4), ("indicators.csv", 3), ("plans.csv", 3)}
    assert "defined_on '17.06.2020' is not a date: write YYYY-MM-DD" in problems["goals.csv", 3]
    assert "defined_on 2099-01-01 is in the future" in problems["goals.csv", 4]
    assert "defined_on '2020-02-30' is no day in the calendar" in problems["indicators.csv", 3]
    assert "revision_set_on is given without revision_due" in problems["plans.csv", 3]
