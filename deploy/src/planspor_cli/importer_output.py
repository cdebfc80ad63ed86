"""How `planspor import` shows itself: a progress bar on stderr while it sends, then the summary by file
and every refused row with its file, line and what to fix."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from planspor_cli.importer import Report
from planspor_cli.importer.report import REFUSED


@contextmanager
def progress(*, disable: bool) -> Iterator[Callable[[int], Callable[[], None]]]:
    """``start(total)`` shows the bar and returns what advances it by one row."""
    with Progress(
        TextColumn("import"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=disable,
    ) as bar:

        def start(total: int) -> Callable[[], None]:
            task = bar.add_task("rows", total=total)
            return lambda: bar.advance(task)

        yield start


def print_import_report(console: Console, report: Report) -> None:
    columns = sorted({c for counts in report.files.values() for c in counts}, key=_column_order)
    table = Table(title="planspor import")
    table.add_column("file")
    for column in columns:
        table.add_column(column, justify="right")
    for name, counts in report.files.items():
        table.add_row(name, *(str(counts.get(c, 0)) for c in columns))
    console.print(table)
    if report.dry_run:
        console.print("dry run: every row checked, nothing sent")
    for problem in report.problems:
        for text in problem["problems"]:
            console.print(f"[red]{problem['file']}:{problem['line']}[/]: {text}", highlight=False, soft_wrap=True)
    if report.refused:
        lines = ", ".join(f"{p['file']}:{p['line']}" for p in report.problems)
        if report.dry_run:
            text = f"{report.refused} row(s) would be refused; fix these and check again: {lines}"
        else:
            text = (
                f"{report.refused} row(s) refused; fix these and run the same command again "
                f"(the rows already in are not sent twice): {lines}"
            )
        console.print(text, soft_wrap=True)


def _column_order(column: str) -> int:
    order = ["valid", "sent", "already there", "no value", REFUSED]
    return order.index(column) if column in order else len(order)
