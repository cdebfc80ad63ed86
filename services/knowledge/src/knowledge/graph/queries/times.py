"""The two times a question is asked in: ``as_of`` (effective: a day in the municipality) and ``known_at`` (recorded).

"What was in force on 2024-01-01, as the register knew it on 2024-03-01" is
``TimeFrame(as_of=date(2024, 1, 1), known_at=2024-03-01T00:00Z)``. ``as_of`` is a calendar day
in Norway (``municipal_day``), because effective time is a date (a meeting, a seminar, the day
work started); ``known_at`` is an instant, because recorded time is the envelope's
``occurred_at``. Pure: no Neo4j here, so the parsing is unit-tested without a server.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from planspor_shared.events.base import municipal_day

AS_OF_FORMAT = "YYYY-MM-DD"
KNOWN_AT_FORMAT = "an ISO datetime or a day (YYYY-MM-DD), e.g. 2024-03-01T12:00:00Z or 2024-03-01 (no zone = UTC)"


When = date | datetime | None
"""How a caller names a time: a date, a datetime, or None (the default)."""


@dataclass(frozen=True)
class TimeFrame:
    """The day asked about (effective) and the instant of the record it is read from (recorded)."""

    as_of: date
    known_at: datetime

    @property
    def params(self) -> dict[str, Any]:
        """The Cypher parameters of the predicates in ``reads``: ``$as_of`` (Date), ``$known_at`` (DateTime)."""
        return {"as_of": self.as_of, "known_at": self.known_at}

    def echo(self) -> dict[str, str]:
        """What every answer says it used."""
        return {"as_of": self.as_of.isoformat(), "known_at": self.known_at.isoformat()}


def as_instant(value: datetime) -> datetime:
    """An aware instant in UTC (naive means UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def as_day(value: date | datetime) -> date:
    """The effective day of ``value``: a date as it is, an instant as its day in Norway (naive means UTC)."""
    if isinstance(value, datetime):
        return municipal_day(as_instant(value))
    return value


def resolve_frame(as_of: When | TimeFrame = None, known_at: When = None) -> TimeFrame:
    """The frame a query answers in: ``as_of`` defaults to today in Norway, ``known_at`` to now.

    A datetime ``as_of`` (what callers sent before there were two times) is taken as its day
    in Norway; a date ``known_at`` is its midnight UTC. A ``TimeFrame`` (what the API parsed) is
    used as it is.
    """
    if isinstance(as_of, TimeFrame):
        return as_of
    now = datetime.now(UTC)
    if known_at is None:
        instant = now
    elif isinstance(known_at, datetime):
        instant = as_instant(known_at)
    else:
        instant = datetime(known_at.year, known_at.month, known_at.day, tzinfo=UTC)
    return TimeFrame(as_of=municipal_day(now) if as_of is None else as_day(as_of), known_at=instant)


def parse_as_of(text: str | None, today: date | None = None) -> date | None:
    """``as_of`` as sent: ``YYYY-MM-DD`` (or an ISO datetime, taken as its day in Norway); blank is today.

    Raises ``ValueError`` for anything else, and for a day after ``today`` (Norway): the record
    says nothing of what has not happened yet.
    """
    if text is None or not text.strip():
        return None
    text = text.strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = as_day(datetime.fromisoformat(text))
    if day > (today or municipal_day(datetime.now(UTC))):
        raise ValueError(f"{day} is in the future")
    return day


def parse_known_at(text: str | None) -> datetime | None:
    """``known_at`` as sent: an ISO datetime (no zone = UTC) or an ISO date (its midnight UTC); blank is now."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    try:
        return as_instant(datetime.fromisoformat(text))
    except ValueError:
        pass
    day = date.fromisoformat(text)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
