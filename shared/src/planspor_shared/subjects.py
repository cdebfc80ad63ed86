"""Subject names and the one JetStream stream that holds every integration event.

Subjects are ``<prefix>.<source>.<event_type>``, e.g. ``planspor.plan-registry.plan.proposed``.
All of them go to one stream per prefix, so a consumer can read every source in
one place and the broker deduplicates on ``Nats-Msg-Id: <source>:<position>``
within the duplicate window. A test uses its own prefix (and so its own stream)
to stay apart from other tests on the same server.
"""

from __future__ import annotations

import hashlib
import re

DEFAULT_PREFIX = "planspor"
DUPLICATE_WINDOW_SECONDS = 20 * 60
"""Longer than any relay restart: a re-publish after a crash inside this window is dropped by the broker."""

_PREFIX = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SOURCE = re.compile(r"^[a-z][a-z0-9-]*$")
_EVENT_TYPE = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$")


def check_prefix(prefix: str) -> str:
    """A prefix is one subject token (no dots), so two prefixes never overlap on one server."""
    if not _PREFIX.match(prefix):
        raise ValueError(f"subject prefix {prefix!r} must be 1-64 characters of letters, digits, '_' or '-'")
    return prefix


def subject(source: str, event_type: str, *, prefix: str = DEFAULT_PREFIX) -> str:
    """``<prefix>.<source>.<event_type>``."""
    if not _SOURCE.match(source):
        raise ValueError(f"source {source!r} is not a valid subject token")
    if not _EVENT_TYPE.match(event_type):
        raise ValueError(f"event type {event_type!r} must look like 'plan.proposed'")
    return f"{check_prefix(prefix)}.{source}.{event_type}"


def source_subjects(source: str, *, prefix: str = DEFAULT_PREFIX) -> str:
    """The filter for every event of one source: ``<prefix>.<source>.>``."""
    if not _SOURCE.match(source):
        raise ValueError(f"source {source!r} is not a valid subject token")
    return f"{check_prefix(prefix)}.{source}.>"


def all_subjects(prefix: str = DEFAULT_PREFIX) -> str:
    """``<prefix>.>``: every event of every source."""
    return f"{check_prefix(prefix)}.>"


def stream_name(prefix: str = DEFAULT_PREFIX) -> str:
    """The stream's name: the prefix in upper case, '-' as '_' (``planspor`` -> ``PLANSPOR``)."""
    return check_prefix(prefix).upper().replace("-", "_")


HEAD_TOKEN = "checkpoint"
"""The last token of a source's head subject. One token, so no event type (always two or more) can be it."""


def head_subject(source: str, *, prefix: str = DEFAULT_PREFIX) -> str:
    """``<prefix>.<source>.checkpoint``: where a source publishes each signed tree head it issues.

    Inside the source's own subjects (``<prefix>.<source>.>``), so its NATS account may publish it and
    nobody else's may; on the one stream, after the events it covers, so a witness reads both in order.
    """
    if not _SOURCE.match(source):
        raise ValueError(f"source {source!r} is not a valid subject token")
    return f"{check_prefix(prefix)}.{source}.{HEAD_TOKEN}"


def head_source(subject_: str) -> str | None:
    """The source whose head subject this is (``<prefix>.<source>.checkpoint``), or None for any other subject."""
    parts = subject_.split(".")
    if len(parts) != 3 or parts[2] != HEAD_TOKEN or not _SOURCE.match(parts[1]):
        return None
    return parts[1]


def head_msg_id(source: str, size: int, note: str | bytes) -> str:
    """A head's ``Nats-Msg-Id``: the same head published twice is dropped by the broker, two different heads
    of one size both reach the witness (which must see them to raise its alarm)."""
    data = note.encode("utf-8") if isinstance(note, str) else note
    return f"{source}:head:{size}:{hashlib.sha256(data).hexdigest()[:16]}"


def msg_id(source: str, position: int) -> str:
    """The ``Nats-Msg-Id`` header value: ``<source>:<position>``."""
    return f"{source}:{position}"
