"""Canonical JSON and the envelope hash, from the spec (shared/README.md, "Canonical encoding and the hash").

Written again here, from the text of the spec and not from planspor's code, so that an
auditor's verifier does not trust the software it checks. It works on JSON values as
they arrive on the wire: objects, arrays, strings, integers, true, false, null.

- canonical bytes: ``json.dumps(value, sort_keys=True, separators=(",", ":"),
  ensure_ascii=False)`` encoded as UTF-8: keys sorted by code point, no whitespace,
  non-ASCII characters as themselves, ``"`` and ``\\`` and control characters escaped
  (``\\n``, ``\\r``, ``\\t``, ``\\b``, ``\\f``, others ``\\u00XX``);
- no floats, NaN or infinities (planspor writes decimals as strings), no duplicate keys,
  no lone surrogates: a value with any of those has no canonical form and is refused;
- ``hash = SHA-256(prev_hash as ASCII hex || canonical(envelope without "hash" and "signature"))``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS_HASH = "0" * 64
UNHASHED_FIELDS = frozenset({"hash", "signature"})
"""What the envelope hash does not cover: the hash itself, and the signature made over it."""


class NotCanonical(ValueError):
    """A value with no canonical form (a float, a duplicate key, invalid UTF-8 ...)."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise NotCanonical(f"key {key!r} appears twice")
        result[key] = value
    return result


def _no_float(text: str) -> Any:
    raise NotCanonical(f"number {text} is not an integer: decimals travel as strings")


def _no_constant(text: str) -> Any:
    raise NotCanonical(f"{text} is not JSON")


def loads(data: bytes | str) -> Any:
    """Parse wire JSON, refusing what has no canonical form."""
    try:
        if isinstance(data, bytes):
            data = data.decode("utf-8")
        return json.loads(data, object_pairs_hook=_no_duplicates, parse_float=_no_float, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise NotCanonical("not UTF-8") from None
    except json.JSONDecodeError as error:
        raise NotCanonical(f"not JSON: {error.msg} at character {error.pos}") from None
    except RecursionError:
        raise NotCanonical("nested too deeply") from None


def canonical(value: Any) -> bytes:
    """The canonical bytes of a JSON value."""
    _check(value)
    return canonical_of_loaded(value)


def canonical_of_loaded(value: Any) -> bytes:
    """Canonical bytes of a value known to hold only JSON types (as ``loads`` returns)."""
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
            "utf-8"
        )
    except UnicodeEncodeError:
        raise NotCanonical("a string holds a lone surrogate") from None


def _check(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if item is None or isinstance(item, (bool, int, str)):
            continue
        if isinstance(item, dict):
            if not all(type(k) is str for k in item):
                raise NotCanonical("object keys are strings")
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        else:
            raise NotCanonical(f"{type(item).__name__} is not a JSON value of the wire")


def envelope_hash(envelope: dict[str, Any], *, loaded: bool = False) -> str:
    """The hash an envelope must carry: over its ``prev_hash`` and every field but ``hash`` and ``signature``.

    ``loaded``: the envelope came from ``loads``, so its types need no second check.
    """
    prev_hash = envelope.get("prev_hash")
    if not (isinstance(prev_hash, str) and len(prev_hash) == 64 and all(c in "0123456789abcdef" for c in prev_hash)):
        raise NotCanonical("prev_hash is not 64 lower-case hex characters")
    body = {key: value for key, value in envelope.items() if key not in UNHASHED_FIELDS}
    return hashlib.sha256(
        prev_hash.encode("ascii") + (canonical_of_loaded(body) if loaded else canonical(body))
    ).hexdigest()
