"""What an import did, by file and by row: sent, already there, refused, and which rows to fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from planspor_cli.importer.files import Row
from planspor_cli.importer.rows import History

SENT, THERE, REFUSED, NO_VALUE, VALID = "sent", "already there", "refused", "no value", "valid"


def outcome(row: Row, *, dry_run: bool) -> str:
    if row.problems:
        return REFUSED
    if dry_run:
        return VALID
    return SENT if row.sent else THERE


@dataclass
class Report:
    dry_run: bool
    files: dict[str, dict[str, int]] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def refused(self) -> int:
        return sum(counts.get(REFUSED, 0) for counts in self.files.values())

    def as_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "files": self.files, "refused": self.refused, "problems": self.problems}


def report_of(history: History, skipped: list[Row], *, dry_run: bool) -> Report:
    report = Report(dry_run)
    columns = (VALID,) if dry_run else (SENT, THERE)
    for name in history.tables:
        report.files[name] = dict.fromkeys((*columns, REFUSED), 0)
    for row in sorted(history.rows(), key=lambda r: (r.file, r.line)):
        counts = report.files.setdefault(row.file, dict.fromkeys((*columns, REFUSED), 0))
        state = outcome(row, dry_run=dry_run)
        counts[state] = counts.get(state, 0) + 1
        if row.problems:
            report.problems.append({"file": row.file, "line": row.line, "problems": list(row.problems)})
    for row in skipped:
        counts = report.files.setdefault(row.file, {})
        counts[NO_VALUE] = counts.get(NO_VALUE, 0) + 1
    for name, table in history.tables.items():
        if table.problems and not table.rows:
            report.problems.append({"file": name, "line": 1, "problems": list(table.problems)})
            report.files[name][REFUSED] = report.files[name].get(REFUSED, 0) + 1
    return report
