"""The services' logs, the same way in every service: the standard library's logging, one line per record.

- **JSON in production** (``PLANSPOR_ENV=production``, or ``PLANSPOR_LOG_FORMAT=json`` anywhere): one object a
  line with ``time``, ``level``, ``service``, ``logger``, ``message``, ``event`` (a short dotted name, where the
  code gives one) and, where they apply, ``correlation_id``, ``causation_id``, ``aggregate``, ``source``,
  ``position`` and the record's other fields (``extra=``); ``exception`` holds a traceback.
- **Readable in development** (``PLANSPOR_LOG_FORMAT=text`` forces it): ``time level service logger: message
  key=value ...``.
- uvicorn's access log goes through the same handler (``method``, ``path``, ``status``, ``client`` as fields).
- **Nothing secret is written**: a filter on the handler replaces the values of the secrets the service was
  configured with (its settings' passwords and tokens), bearer tokens, credentials in URLs and the values of
  ``token``/``password``/``secret`` parameters with ``[redacted]``, in the message, the fields and tracebacks.

Fields that belong to what a request or a batch is doing (the correlation id of a command, the source and
position of a relay batch) are bound for its duration with ``bound(...)`` and appear on every record logged
inside it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, TextIO

CONTEXT_FIELDS = ("correlation_id", "causation_id", "aggregate", "source", "position")
"""The fields an operator follows a command or an event by, in the order they are written."""
REDACTED = "[redacted]"
_NOTHING_BOUND: Mapping[str, Any] = MappingProxyType({})
_context: ContextVar[Mapping[str, Any]] = ContextVar("planspor_log_context", default=_NOTHING_BOUND)
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "taskName"}
_SECRET_WORDS = "token|password|passwd|secret|api[_-]?key|authorization"
_PATTERNS = (
    # a bearer token, in a header written out or a message
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + REDACTED),
    # credentials in a URL: nats://user:password@host, postgresql://user:password@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]*):[^\s@/]+@"), r"\1:" + REDACTED + "@"),
    # token=..., password: ..., "secret": "..." (query strings, key=value messages, JSON)
    (
        re.compile(r"(?i)([\"']?[\w-]*(?:" + _SECRET_WORDS + r")[\w-]*[\"']?\s*[=:]\s*[\"']?)([^\s&\"',;}]+)"),
        r"\1" + REDACTED,
    ),
)


_secrets: set[str] = set()


def add_secrets(values: Iterable[str | None]) -> None:
    """Values that must never be written (a service's passwords and tokens); short ones are ignored."""
    _secrets.update(v for v in values if v and len(v) >= 6)


def secret_values(settings: Any) -> list[str]:
    """The values of a settings object's fields whose name says password, token or secret."""
    fields = getattr(type(settings), "model_fields", {})
    found = []
    for name in fields:
        if re.search(_SECRET_WORDS, name, re.IGNORECASE):
            value = getattr(settings, name, None)
            if isinstance(value, str):
                found.append(value)
    return found


def redact(text: str) -> str:
    """``text`` with every known secret and every secret-looking value replaced by ``[redacted]``."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


@contextlib.contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """Every record logged inside carries these fields (None values are left out)."""
    token = _context.set({**_context.get(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def bind(**fields: Any) -> None:
    """Bind fields for the rest of the current context (an HTTP request's task, for instance)."""
    _context.set({**_context.get(), **{k: v for k, v in fields.items() if v is not None}})


def context_fields() -> Mapping[str, Any]:
    return _context.get()


class ContextFilter(logging.Filter):
    """Adds the bound fields to each record (a field given with ``extra=`` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class RedactFilter(logging.Filter):
    """Takes secrets out of the record before any formatter sees it: message, fields and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, _version, status = record.args
            record.client, record.method, record.path, record.status = client, method, redact(str(path)), status
            record.event = "http.request"
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the record
            message = f"{record.msg} {record.args}"
        record.msg, record.args = redact(message), None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, redact(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    """The record's own fields (``extra=`` and the bound context), context fields first."""
    extra = {k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")}
    ordered = {k: extra.pop(k) for k in CONTEXT_FIELDS if k in extra}
    extra.pop("service", None)
    return {**ordered, **extra}


class JsonFormatter(logging.Formatter):
    """One JSON object a line (production)."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in _fields(record).items():
            line.setdefault(key, value)
        if record.exc_text:
            line["exception"] = record.exc_text
        elif record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``time level service logger: message key=value ...`` (development)."""

    def __init__(self, service: str) -> None:
        super().__init__(datefmt="%H:%M:%S")
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={v}" for k, v in _fields(record).items() if k not in ("event", "client"))
        text = (
            f"{self.formatTime(record, self.datefmt)} {record.levelname:<7} {self.service} {record.name}: "
            f"{record.getMessage()}"
        )
        if fields and record.name != "uvicorn.access":
            text += f"  {fields}"
        if record.exc_text:
            text += "\n" + record.exc_text
        return text


def json_wanted(environ: Mapping[str, str] | None = None) -> bool:
    """JSON when ``PLANSPOR_LOG_FORMAT=json``, or in production unless ``PLANSPOR_LOG_FORMAT=text``."""
    environ = os.environ if environ is None else environ
    chosen = environ.get("PLANSPOR_LOG_FORMAT", "").strip().lower()
    if chosen in ("json", "text"):
        return chosen == "json"
    return environ.get("PLANSPOR_ENV", "development").strip().lower() not in ("", "development")


def configure_logging(
    service: str,
    *,
    secrets: Iterable[str | None] = (),
    json_lines: bool | None = None,
    level: int | str | None = None,
    stream: TextIO | None = None,
) -> logging.Handler:
    """Send every record of the process (uvicorn's included) to one handler on stderr, in the service's format.

    Call it once at the start of the process, before uvicorn runs (with ``log_config=None``, so uvicorn keeps
    it). ``PLANSPOR_LOG_LEVEL`` sets the level (default INFO).
    """
    add_secrets(secrets)
    handler = logging.StreamHandler(stream or sys.stderr)
    wanted = json_wanted() if json_lines is None else json_lines
    handler.setFormatter(JsonFormatter(service) if wanted else TextFormatter(service))
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level or os.environ.get("PLANSPOR_LOG_LEVEL", "INFO").upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    for noisy in ("neo4j", "httpx", "httpcore", "nats", "faststream"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler
