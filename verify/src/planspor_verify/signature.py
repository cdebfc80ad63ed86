"""The event signature, version 1: what a source's key signs for each envelope.

The message is fixed byte for byte::

    "planspor-event-signature-v1" 0x00 source 0x00 position 0x00 hash

- ``source``: the envelope's ``source`` in UTF-8 (``plan-registry``);
- ``position``: the envelope's ``position`` in ASCII decimal, no leading zeroes;
- ``hash``: the envelope's ``hash`` as its 32 raw bytes (not the hex text).

The hash covers every other field of the envelope and chains to the one before
(see ``planspor_verify.canonical``), so one Ed25519 signature over this message signs the
event and its place in the source's history. The domain prefix and the NUL bytes keep
the message from ever being a valid signed note (which has no control characters), so a
source's key can sign both events and checkpoints without one passing for the other.

In the envelope the signature travels as::

    "signature": {"version": 1, "key": "<key name>+<hex key id>", "sig": "<base64 of 64 bytes>"}

``version`` names this message format; ``key`` names the signing key as a signed note does.
The field is outside what the hash covers, so signing does not change an event's hash.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from planspor_verify.note import Signer, VerifierKey

VERSION = 1
DOMAIN = b"planspor-event-signature-v1\x00"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def event_message(source: str, position: int, hash_hex: str) -> bytes:
    if not _HEX64.match(hash_hex) or position < 1 or not source:
        raise ValueError("an event signature covers a source, a position >= 1 and a 64-hex hash")
    return DOMAIN + source.encode("utf-8") + b"\x00" + str(position).encode("ascii") + b"\x00" + bytes.fromhex(hash_hex)


def sign_event(signer: Signer, source: str, position: int, hash_hex: str) -> dict[str, Any]:
    """The ``signature`` field for an envelope of ``source`` at ``position`` with this ``hash``."""
    signature = signer.sign(event_message(source, position, hash_hex))
    return {"version": VERSION, "key": signer.verifier_key.ident, "sig": base64.b64encode(signature).decode()}


def signature_problem(envelope: dict[str, Any], key: VerifierKey) -> str | None:
    """Why ``envelope`` is not signed by ``key`` (a sentence), or None when it is."""
    field = envelope.get("signature")
    if field is None:
        return "it is not signed"
    if not isinstance(field, dict) or set(field) != {"version", "key", "sig"}:
        return "its signature field is malformed"
    if field["version"] != VERSION:
        return f"its signature has version {field['version']!r}, not {VERSION}"
    if field["key"] != key.ident:
        return f"it is signed by {field['key']}, not by the key in force {key.ident}"
    try:
        raw = base64.b64decode(str(field["sig"]).encode("ascii"), validate=True)
        message = event_message(str(envelope.get("source")), int(envelope["position"]), str(envelope.get("hash")))
    except (binascii.Error, UnicodeEncodeError, KeyError, ValueError, TypeError):
        return "its signature field is malformed"
    if not key.verify(message, raw):
        return f"its signature does not verify with {key.ident}"
    return None
