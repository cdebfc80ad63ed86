"""Canonical JSON and the envelope hash chain (design.md, "Principles" 6).

The hash of an event must be the same wherever it is computed: in the relay that
seals it, in the projector that receives it from the broker, in an auditor's
script that reads it from the feed years later. So the bytes that are hashed are
fixed by this module and nothing else:

- keys sorted, separators ``,`` and ``:`` with no whitespace, UTF-8 (not ASCII-escaped);
- datetimes must be aware and are written in UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``;
- dates as ``YYYY-MM-DD``; UUIDs lower-case; enums by value; tuples as lists;
- ``Decimal`` as an exact decimal string without exponent (``"1.50"`` stays ``"1.50"``);
- floats are refused (``TypeError``): a binary float has no exact decimal text, so
  two honest parties could hash it differently.

``hash = SHA-256(prev_hash as ASCII hex || canonical_json(envelope without "hash" and "signature"))``,
and the first event of a source chains from ``GENESIS_HASH``. The signature is made over the
hash (``planspor_verify.signature``), so it cannot be inside what the hash covers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from pydantic import BaseModel

GENESIS_HASH = "0" * 64


def canonical_json(obj: Any) -> bytes:
    """The one byte form of ``obj`` that is hashed and put on the wire."""
    return json.dumps(
        _plain(obj),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


def canonical_datetime(value: datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()} has no time zone; canonical times are UTC")
    utc = value.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds") + "Z"


def canonical_decimal(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"decimal {value} is not finite")
    return format(value, "f")


def _plain(obj: Any) -> Any:
    if obj is None or isinstance(obj, bool):
        return obj
    if isinstance(obj, float):
        raise TypeError(f"float {obj!r} refused in canonical JSON: use Decimal for exact numbers")
    if isinstance(obj, Enum):
        return _plain(obj.value)
    if isinstance(obj, (str, int)):
        return str(obj) if isinstance(obj, str) else int(obj)
    if isinstance(obj, Decimal):
        return canonical_decimal(obj)
    if isinstance(obj, datetime):
        return canonical_datetime(obj)
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, UUID):
        return str(obj).lower()
    if isinstance(obj, BaseModel):
        return _plain(obj.model_dump(mode="python"))
    if isinstance(obj, Mapping):
        plain: dict[str, Any] = {}
        for key, value in obj.items():
            if not isinstance(key, str):
                raise TypeError(f"key {key!r} refused in canonical JSON: keys must be strings")
            plain[str(key)] = _plain(value)
        return plain
    if isinstance(obj, (list, tuple)):
        return [_plain(item) for item in obj]
    raise TypeError(f"{type(obj).__name__} {obj!r} has no canonical JSON form")


UNHASHED_FIELDS = frozenset({"hash", "signature"})


def envelope_hash(prev_hash: str, envelope_without_hash: Mapping[str, Any]) -> str:
    """SHA-256 hex of the previous hash (ASCII hex) followed by the canonical envelope.

    ``hash`` and ``signature`` keys, if present, are left out: an envelope cannot hash
    itself, and its signature is made over the hash.
    """
    _check_hash(prev_hash, "prev_hash")
    body = {key: value for key, value in envelope_without_hash.items() if key not in UNHASHED_FIELDS}
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_json(body)).hexdigest()


def verify_chain(envelopes: Iterable[Any], prev_hash: str = GENESIS_HASH) -> int | None:
    """Index of the first envelope that breaks the chain, or None if all hold.

    ``envelopes`` are ``Envelope`` objects or their dicts, in position order;
    ``prev_hash`` is the hash the first one must chain from (``GENESIS_HASH`` for
    position 1, or the hash of the event before a slice). An envelope breaks the
    chain if its ``prev_hash`` is not the previous hash, if its ``hash`` is not the
    hash of its content, or if its position does not follow the previous one.
    """
    expected_prev = prev_hash
    previous_position: int | None = None
    for index, envelope in enumerate(envelopes):
        fields = _as_dict(envelope)
        try:
            position = fields.get("position")
            if previous_position is not None and position != previous_position + 1:
                return index
            if fields.get("prev_hash") != expected_prev:
                return index
            if envelope_hash(expected_prev, fields) != fields.get("hash"):
                return index
        except (TypeError, ValueError):
            return index
        expected_prev = fields["hash"]
        previous_position = position
    return None


def _as_dict(envelope: Any) -> dict[str, Any]:
    if isinstance(envelope, BaseModel):
        return envelope.model_dump(mode="python")
    if isinstance(envelope, Mapping):
        return dict(envelope)
    raise TypeError(f"{type(envelope).__name__} is not an envelope")


def _check_hash(value: str, name: str) -> None:
    if not (isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)):
        raise ValueError(f"{name} must be 64 lower-case hex characters, got {value!r}")
