"""Measurements as Statistics Norway's Statistikkbanken exports a table ("CSV (semikolonseparert)").

What is accepted (README.md, "Loading your history"):
- cells separated by ``;``, quoted or not; UTF-8 or Windows-1252; a title line (the table's number and
  name, e.g. ``"07459: Befolkning ..."``) and empty lines before the header are skipped;
- long form: a time column (``år``, ``kvartal``, ``måned``, ``tid``, ``periode``, ``year`` or ``period``),
  any other dimensions (``region``, ``statistikkvariabel``, ``alder``, ...), and the value in the last
  column, whatever its header says (``value``, ``verdi``, or the table's title);
- wide form: a column per period, its header ending in the period (``Personer 2023``, ``2023K1``);
- periods ``2023``, ``2023K1``..``K4`` (quarter), ``2023M01``..``M12`` (month), ``2023H1``/``H2``,
  ``2023T1``..``T3``; a measurement is dated the last day of its period (the day it refers to);
- values with a decimal comma or point and spaces between thousands; SSB's symbols ``.`` (cannot occur),
  ``..`` (not available), ``...`` (not yet available) and ``:`` (confidential) are no value and the row is
  skipped, ``-`` (nil) is 0.

One file is one series: one indicator of indicators.csv (its ``ssb_file``). A file with more than one
region or variable is refused, so no value of another region is taken for the municipality's.
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from planspor_cli.importer.files import Row, parse_decimal, read_text
from planspor_cli.importer.rows import MeasurementRow

TIME_COLUMNS = ("år", "kvartal", "måned", "tid", "periode", "year", "period")
MISSING = frozenset({".", "..", "...", ":"})
NIL = "-"
_PERIOD = re.compile(r"(?P<year>\d{4})(?:(?P<kind>[KMHT])(?P<part>\d{1,2}))?$")
_PERIOD_AT_END = re.compile(r"(?:^|\s)(\d{4}(?:[KMHT]\d{1,2})?)$")


@dataclass
class SsbFile:
    """The measurements of one SSB file, the rows skipped for having no value, and what is wrong with it."""

    name: str
    measurements: list[MeasurementRow] = field(default_factory=list)
    skipped: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def period_of(text: str) -> tuple[str, date] | None:
    """SSB's period as the register writes it (``2023K1`` -> ``2023-Q1``), and its last day."""
    match = _PERIOD.match(text.strip())
    if not match:
        return None
    year, kind, part = int(match["year"]), match["kind"], int(match["part"] or 0)
    if kind is None:
        return str(year), date(year, 12, 31)
    months = {"K": (4, 3, "Q"), "H": (2, 6, "H"), "T": (3, 4, "T"), "M": (12, 1, "")}[kind]
    count, length, letter = months
    if not 1 <= part <= count:
        return None
    last_month = part * length
    last_day = date(year, last_month, calendar.monthrange(year, last_month)[1])
    return (f"{year}-{part:02d}" if kind == "M" else f"{year}-{letter}{part}"), last_day


def read_ssb(path: Path, indicator_key: str) -> SsbFile:
    result = SsbFile(path.name)
    lines = read_text(path).splitlines()
    records = list(enumerate(csv.reader(io.StringIO("\n".join(lines)), delimiter=";"), start=1))
    records = [(n, cells) for n, cells in records if any(c.strip() for c in cells)]
    header_at = next((i for i, (_, cells) in enumerate(records) if len(cells) >= 2), None)
    if header_at is None:
        result.problems.append("no header row: an SSB file has a row of column names separated by ';'")
        return result
    header_line, header = records[header_at]
    names = [h.strip().lower() for h in header]
    time_column = next((i for i, n in enumerate(names) if n in TIME_COLUMNS), None)
    values: list[tuple[int, str | None]]
    if time_column is not None:
        dimensions = [i for i in range(len(names) - 1) if i != time_column]
        values = [(len(names) - 1, None)]
    else:
        found = [(i, _PERIOD_AT_END.search(h.strip())) for i, h in enumerate(header)]
        values = [(i, m.group(1)) for i, m in found if m]
        dimensions = [i for i in range(len(names)) if i not in {v for v, _ in values}]
        if not values:
            result.problems.append(
                f"line {header_line}: no time column ({', '.join(TIME_COLUMNS)}) and no column named by a period"
            )
            return result
    series: set[tuple[str, ...]] = set()
    for line, cells in records[header_at + 1 :]:
        if len(cells) < len(names):
            result.problems.append(f"line {line}: {len(cells)} cells, the header has {len(names)}")
            continue
        series.add(tuple(cells[i].strip() for i in dimensions))
        for column, period_text in values:
            text = cells[time_column] if period_text is None and time_column is not None else period_text or ""
            row = Row(path.name, line, {"period": text, "value": cells[column]})
            measurement = _measurement(row, indicator_key, text, cells[column].strip())
            if measurement is None:
                result.skipped.append(row)
            else:
                result.measurements.append(measurement)
    if len(series) > 1:
        shown = "; ".join(" / ".join(s) for s in sorted(series)[:3])
        result.problems.append(
            f"the file holds {len(series)} series ({shown}, ...): export one region and one "
            "statistikkvariabel per file, one file per indicator"
        )
    return result


def _measurement(row: Row, indicator_key: str, period_text: str, value_text: str) -> MeasurementRow | None:
    """None when SSB has no value for the period (its symbols for missing)."""
    if value_text in MISSING:
        return None
    period = period_of(period_text)
    if period is None:
        row.problems.append(f"period {period_text!r} is not an SSB period (2023, 2023K1, 2023M01, 2023H1, 2023T1)")
    value = parse_decimal("0" if value_text == NIL else value_text)
    if value is None:
        row.problems.append(f"value {value_text!r} is not a number nor one of SSB's symbols (. .. ... : -)")
    measured_on = period[1] if period else None
    if measured_on is not None and measured_on > _today():
        row.problems.append(f"period {period_text} has not ended: it can be loaded from {measured_on}")
    return MeasurementRow(row, indicator_key, period[0] if period else period_text, value, measured_on)


def _today() -> date:
    from planspor_runtime.bodies import municipal_today

    return municipal_today()
