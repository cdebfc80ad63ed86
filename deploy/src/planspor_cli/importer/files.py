"""Reading the import files: CSV with a header row (comma or semicolon separated, UTF-8 or Windows-1252,
as a spreadsheet saves it), every row with the line it starts on, and the cell formats the templates use.

A value is checked here for its form only (a date, a number, a word of the vocabulary); the register's
rules (the order of a plan's steps, PBL's six weeks) are judged by the register when the row is sent.
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from planspor_runtime.bodies import municipal_today

LIST_SEPARATOR = "|"
"""Between the keys of a list in one cell (anchoring goals, the plans a decision concerns, SDG targets)."""

KEY_MAX = 100
"""A row key goes into the row's Idempotency-Key (at most 200 characters): keys are at most 100."""

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def read_text(path: Path) -> str:
    """UTF-8 (with or without a byte-order mark), else Windows-1252, as Excel saves a CSV in Norway."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def delimiter_of(header: str) -> str:
    return ";" if header.count(";") > header.count(",") else ","


@dataclass
class Row:
    """One data row of a file: its cells by column name, where it is, and what is wrong with it."""

    file: str
    line: int
    cells: dict[str, str]
    problems: list[str] = field(default_factory=list)
    sent: int = 0
    """Requests for the row the register acted on."""
    repeated: int = 0
    """Requests for the row the register had already acted on (answered as before)."""

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def text(self, column: str) -> str:
        return (self.cells.get(column) or "").strip()

    def required(self, column: str) -> str:
        value = self.text(column)
        if not value:
            self.problems.append(f"{column} is empty: it is required")
        return value

    def key(self, column: str) -> str:
        value = self.required(column)
        if len(value) > KEY_MAX:
            self.problems.append(f"{column} is longer than {KEY_MAX} characters")
        return value

    def day(self, column: str, *, required: bool = False, past: bool = True) -> date | None:
        value = self.required(column) if required else self.text(column)
        if not value:
            return None
        if not _ISO_DAY.match(value):
            self.problems.append(f"{column} {value!r} is not a date: write YYYY-MM-DD, for example 2024-06-12")
            return None
        try:
            day = date.fromisoformat(value)
        except ValueError:
            self.problems.append(f"{column} {value!r} is no day in the calendar: write YYYY-MM-DD")
            return None
        today = municipal_today()
        if past and day > today:
            self.problems.append(
                f"{column} {value} is in the future (today is {today} in Norway): give the day it happened"
            )
            return None
        return day

    def number(self, column: str, *, required: bool = False) -> Decimal | None:
        value = self.required(column) if required else self.text(column)
        if not value:
            return None
        parsed = parse_decimal(value)
        if parsed is None:
            self.problems.append(f"{column} {value!r} is not a number (write 62.5 or 62,5)")
        return parsed

    def integer(self, column: str) -> int | None:
        value = self.text(column)
        if not value:
            return None
        if not re.fullmatch(r"\d{1,9}", value):
            self.problems.append(f"{column} {value!r} is not a whole number")
            return None
        return int(value)

    def flag(self, column: str) -> bool:
        value = self.text(column).lower()
        if value in ("", "false", "no", "nei", "0"):
            return False
        if value in ("true", "yes", "ja", "1"):
            return True
        self.problems.append(f"{column} {value!r} is not yes or no (write true or false)")
        return False

    def keys(self, column: str) -> list[str]:
        return [part.strip() for part in self.text(column).split(LIST_SEPARATOR) if part.strip()]


E = TypeVar("E", bound=StrEnum)


def word(row: Row, column: str, vocabulary: type[E], *, required: bool = True) -> E | None:
    """A word of one of the contracts' vocabularies; a wrong one is reported with the words there are."""
    value = row.required(column) if required else row.text(column)
    if not value:
        return None
    try:
        return vocabulary(value)
    except ValueError:
        words = ", ".join(v.value for v in vocabulary)
        row.problems.append(f"{column} {value!r} is not one of: {words}")
        return None


def period_end(period: str) -> date | None:
    """The last day of a register period (2023, 2023-05, 2023-Q2, 2023-H1, 2023-T3): the day it refers to."""
    match = re.fullmatch(r"(\d{4})(?:-(?:(\d{2})|Q([1-4])|H([12])|T([1-3])))?", period)
    if not match:
        return None
    year, month = int(match[1]), 12
    if match[2]:
        month = int(match[2])
    elif match[3]:
        month = int(match[3]) * 3
    elif match[4]:
        month = int(match[4]) * 6
    elif match[5]:
        month = int(match[5]) * 4
    if not 1 <= month <= 12:
        return None
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_decimal(value: str) -> Decimal | None:
    """62.5, 62,5, 128 000 or 1 234,5 (a space, a no-break space or a thin space between thousands)."""
    text = re.sub(r"[\s\u00a0\u202f]", "", value)
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    if not re.fullmatch(r"[+-]?\d+(\.\d+)?", text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


@dataclass
class Table:
    """A file of rows, or why it could not be read at all (then every row of it is refused)."""

    name: str
    rows: list[Row]
    problems: list[str] = field(default_factory=list)


def read_table(path: Path, columns: Iterable[str], required: Iterable[str]) -> Table:
    """The rows of a file with a header row; a column the template does not have is refused, so a typo in a
    header cannot drop a column without a word."""
    table = Table(path.name, [])
    records = _records(read_text(path))
    try:
        header_line, header = next(records)
    except StopIteration:
        table.problems.append("the file is empty: it needs the template's header row")
        return table
    names = [name.strip().lower() for name in header]
    known = list(columns)
    unknown = [n for n in names if n and n not in known]
    missing = [n for n in required if n not in names]
    if unknown:
        table.problems.append(
            f"line {header_line}: unknown column(s) {', '.join(unknown)}; the columns are: {', '.join(known)}"
        )
    if missing:
        table.problems.append(f"line {header_line}: the column(s) {', '.join(missing)} are missing")
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        row = Row(path.name, line, dict(zip(names, cells, strict=False)))
        if len(cells) > len(names):
            row.problems.append(f"{len(cells)} cells, but the header has {len(names)} columns")
        table.rows.append(row)
    return table


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """Each record with the line it starts on (a quoted cell may run over several lines)."""
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text), delimiter=delimiter_of(first))
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1
