"""`planspor import`: a municipality's existing records (plan overview, goals, decisions, indicators and
measurements, SSB exports) loaded from files through plan-registry's API, each fact with the day it
happened. README.md, "Loading your history", lists the files and their columns."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from planspor_cli.client import EXIT_USAGE, Api, CliError
from planspor_cli.importer.check import check_history
from planspor_cli.importer.files import Row, Table
from planspor_cli.importer.report import Report, report_of
from planspor_cli.importer.rows import FILES, History, read_history
from planspor_cli.importer.sender import Sender
from planspor_cli.importer.ssb import read_ssb

TEMPLATES = Path(__file__).resolve().parents[3] / "templates" / "import"
"""The templates shipped with the project: deploy/templates/import/."""


def read_directory(directory: Path) -> tuple[History, list[Row]]:
    """Every file of the directory read and checked; the SSB rows without a value, which are not loaded."""
    if not directory.is_dir():
        raise CliError(f"{directory} is not a directory: give the folder with the filled-in templates", EXIT_USAGE)
    history = read_history(directory)
    skipped: list[Row] = []
    for indicator in history.indicators:
        if not indicator.ssb_file or indicator.row.problems:
            continue
        path = directory / Path(indicator.ssb_file).name
        if not path.exists():
            continue
        ssb = read_ssb(path, indicator.key)
        table = history.tables.setdefault(ssb.name, Table(ssb.name, []))
        table.problems.extend(ssb.problems)
        table.rows.extend(m.row for m in ssb.measurements)
        history.measurements.extend(ssb.measurements)
        skipped.extend(ssb.skipped)
    if not history.tables:
        raise CliError(f"{directory} holds none of {', '.join(FILES)}: copy the templates from {TEMPLATES}", EXIT_USAGE)
    check_history(history)
    return history, skipped


def units_of(history: History) -> int:
    """How many steps the progress bar has: plans are visited twice (proposed, then completed)."""
    return (
        2 * len(history.plans)
        + len(history.goals)
        + len(history.decisions)
        + len(history.indicators)
        + len(history.measurements)
    )


def run_import(
    api: Api | None, directory: Path, *, dry_run: bool, start: Callable[[int], Callable[[], None]] | None = None
) -> Report:
    """Read and check every row; unless ``dry_run``, send the rows that have no problem. ``start`` is given
    the number of steps and returns what to call after each (the progress bar)."""
    history, skipped = read_directory(directory)
    if not dry_run:
        assert api is not None
        advance = start(units_of(history)) if start else (lambda: None)
        Sender(api, history, advance).run()
    return report_of(history, skipped, dry_run=dry_run)


__all__ = ["Report", "TEMPLATES", "read_directory", "run_import"]
