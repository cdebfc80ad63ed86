"""Every label of the portal comes from one message catalogue per language (``messages/<lang>.json``).

Bokmål (``nb``) is the default, English (``en``) the choice. A template asks ``t("key")`` or
``t("key", n=3)`` (``str.format`` placeholders); a vocabulary value (a plan type, a status, a
body) is ``vocab("plan_type", value)``, which shows the raw value when the catalogue has no
label for it, so a new value from a service is visible rather than an error. A missing key is
an error: the catalogue test finds every key the templates ask for.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("nb", "en")
HTML_LANG = {"nb": "nb", "en": "en"}
MESSAGES = Path(__file__).parent / "messages"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Catalogue:
    language: str
    messages: dict[str, str]

    def t(self, key: str, **values: Any) -> str:
        text = self.messages[key]
        return text.format(**values) if values else text

    def count(self, key: str, n: int, **values: Any) -> str:
        """``key.one`` for one thing where the language says it otherwise ("1 hendelse"), else ``key``."""
        return self.t(f"{key}.one" if n == 1 and f"{key}.one" in self.messages else key, n=n, **values)

    def has(self, key: str) -> bool:
        return key in self.messages

    def vocab(self, kind: str, value: Any) -> str:
        if value is None or value == "":
            return ""
        key = f"{kind}.{value}"
        return self.messages.get(key, str(value))

    def date(self, value: Any) -> str:
        """A calendar date in words: ``29. april 2022`` / ``29 April 2022``; a datetime keeps its day."""
        day = as_date(value)
        if day is None:
            return "" if value is None else str(value)
        return self.t("format.date", day=day.day, month=self.t(f"month.{day.month}"), year=day.year)

    def datetime(self, value: Any) -> str:
        moment = as_datetime(value)
        if moment is None:
            return "" if value is None else str(value)
        return self.t("format.datetime", date=self.date(moment), time=moment.strftime("%H:%M"))

    def number(self, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "" if value is None else str(value)
        text = f"{value:,}"
        return text.replace(",", "\u00a0") if self.language == "nb" else text


@cache
def catalogue(language: str) -> Catalogue:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}: one of {', '.join(LANGUAGES)}")
    messages = json.loads((MESSAGES / f"{language}.json").read_text(encoding="utf-8"))
    return Catalogue(language, {k: v for k, v in messages.items() if not k.startswith("_")})


def as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None
