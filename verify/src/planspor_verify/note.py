"""C2SP signed notes with Ed25519 (c2sp.org/signed-note), the envelope of every checkpoint.

A note is a text ending in a newline, a blank line, and signature lines
``— <key name> <base64(4-byte key id || signature)>``. A key is named by its name and
its key id, ``SHA-256(name || 0x0A || 0x01 || public key)[:4]``; a verifier key is
written ``<name>+<hex key id>+<base64(0x01 || public key)>`` and a signer key (as in
golang.org/x/mod/sumdb/note) ``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>``.

Opening a note follows the spec: signatures of unknown keys are ignored (a witness may
cosign), a known key whose signature fails rejects the whole note, and a note with no
verified signature is rejected.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = 0x01
MAX_SIGNATURES = 100
DASH = "\u2014"


class NoteError(ValueError):
    """A malformed note or key, or a note no known key has signed."""


def valid_name(name: str) -> bool:
    """Key names are non-empty and hold no Unicode space and no ``+``."""
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def key_id(name: str, typed_key: bytes) -> int:
    """The 32-bit key id: the first four bytes of SHA-256(name || newline || type || key), big-endian."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8") + b"\n" + typed_key).digest()[:4], "big")


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise NoteError(f"{text[:40]!r} is not standard base64") from None


@lru_cache(maxsize=16384)
def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """RFC 8032 verification; memoised, so a process that checks many related records checks each signature once."""
    if len(signature) != 64:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class VerifierKey:
    """A public key with its name: what an auditor is given to check a source's record."""

    name: str
    key_id: int
    public_key: bytes

    @classmethod
    def parse(cls, vkey: str) -> VerifierKey:
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3:
            raise NoteError(f"{vkey!r} is not a verifier key <name>+<hex key id>+<base64 key>")
        name, hex_id, b64 = parts
        if not valid_name(name) or len(hex_id) != 8 or any(c not in "0123456789abcdef" for c in hex_id):
            raise NoteError(f"{vkey!r}: bad key name or key id")
        typed = _b64decode(b64)
        if len(typed) != 33 or typed[0] != ED25519:
            raise NoteError(f"{vkey!r}: not an Ed25519 key (type 0x01 and 32 bytes)")
        if key_id(name, typed) != int(hex_id, 16):
            raise NoteError(f"{vkey!r}: the key id does not match the name and key")
        return cls(name=name, key_id=int(hex_id, 16), public_key=typed[1:])

    @classmethod
    def of(cls, name: str, public_key: bytes) -> VerifierKey:
        if not valid_name(name):
            raise NoteError(f"key name {name!r} must be non-empty, without spaces or '+'")
        if len(public_key) != 32:
            raise NoteError("an Ed25519 public key has 32 bytes")
        return cls(name=name, key_id=key_id(name, bytes([ED25519]) + public_key), public_key=public_key)

    @property
    def ident(self) -> str:
        """``<name>+<hex key id>``: how a signature names its key."""
        return f"{self.name}+{self.key_id:08x}"

    def __str__(self) -> str:
        return f"{self.ident}+{base64.b64encode(bytes([ED25519]) + self.public_key).decode()}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        return ed25519_verify(self.public_key, message, signature)


class Signer:
    """An Ed25519 private key with its name; written as a signer key ``PRIVATE+KEY+...``."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self._private = private_key
        public = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.verifier_key = VerifierKey.of(name, public)

    @classmethod
    def generate(cls, name: str) -> Signer:
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> Signer:
        if len(seed) != 32:
            raise NoteError("an Ed25519 seed has 32 bytes")
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def parse(cls, skey: str) -> Signer:
        parts = skey.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("not a signer key PRIVATE+KEY+<name>+<hex key id>+<base64 seed>")
        _, _, name, hex_id, b64 = parts
        typed = _b64decode(b64)
        if len(typed) != 33 or typed[0] != ED25519:
            raise NoteError("the signer key is not an Ed25519 key (type 0x01 and a 32-byte seed)")
        signer = cls.from_seed(name, typed[1:])
        if f"{signer.verifier_key.key_id:08x}" != hex_id:
            raise NoteError("the signer key's id does not match its name and key")
        return signer

    @property
    def name(self) -> str:
        return self.verifier_key.name

    def seed(self) -> bytes:
        return self._private.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )

    def skey(self) -> str:
        """The signer key string; keep it secret."""
        typed = base64.b64encode(bytes([ED25519]) + self.seed()).decode()
        return f"PRIVATE+KEY+{self.verifier_key.ident}+{typed}"

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)

    def __repr__(self) -> str:  # never the key itself
        return f"Signer({self.verifier_key.ident})"


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: int
    signature: bytes

    def line(self) -> str:
        encoded = base64.b64encode(self.key_id.to_bytes(4, "big") + self.signature).decode()
        return f"{DASH} {self.name} {encoded}\n"


@dataclass(frozen=True)
class Note:
    text: str
    """The signed text, final newline included."""
    signatures: tuple[NoteSignature, ...]

    def __str__(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)


def sign_note(text: str, *signers: Signer) -> str:
    """The note ``text`` signed by each signer."""
    _check_text(text)
    if not text.endswith("\n"):
        raise NoteError("a note's text ends with a newline")
    message = text.encode("utf-8")
    signatures = tuple(NoteSignature(s.name, s.verifier_key.key_id, s.sign(message)) for s in signers)
    return str(Note(text, signatures))


def _check_text(data: str) -> None:
    if any(ord(c) < 0x20 and c != "\n" for c in data):
        raise NoteError("a note holds no control characters but newlines")


def parse_note(data: str | bytes) -> Note:
    """The note's text and signature lines, verified for syntax only."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise NoteError("a note is UTF-8") from None
    _check_text(data)
    split = data.rfind("\n\n")
    if split < 0:
        raise NoteError("a note has a blank line before its signatures")
    text, lines = data[: split + 1], data[split + 2 :]
    if not lines or not lines.endswith("\n"):
        raise NoteError("a note ends with signature lines, each ending in a newline")
    signatures = []
    for line in lines[:-1].split("\n"):
        if not line.startswith(DASH + " "):
            raise NoteError(f"{line[:40]!r} is not a signature line")
        name, _, encoded = line[2:].partition(" ")
        raw = _b64decode(encoded) if encoded else b""
        if not valid_name(name) or len(raw) < 5:
            raise NoteError(f"{line[:40]!r} is not a signature line")
        signatures.append(NoteSignature(name, int.from_bytes(raw[:4], "big"), raw[4:]))
        if len(signatures) > MAX_SIGNATURES:
            raise NoteError(f"more than {MAX_SIGNATURES} signatures")
    return Note(text, tuple(signatures))


def open_note(data: str | bytes, known: list[VerifierKey] | tuple[VerifierKey, ...]) -> tuple[Note, list[VerifierKey]]:
    """The note and the known keys whose signatures verified; ``NoteError`` if none did or one failed."""
    note = parse_note(data)
    by_ident: dict[tuple[str, int], list[VerifierKey]] = {}
    for key in known:
        by_ident.setdefault((key.name, key.key_id), []).append(key)
    message = note.text.encode("utf-8")
    verified: list[VerifierKey] = []
    for signature in note.signatures:
        keys = by_ident.get((signature.name, signature.key_id))
        if not keys:
            continue
        if len({k.public_key for k in keys}) > 1:
            raise NoteError(f"ambiguous key {signature.name}+{signature.key_id:08x}")
        key = keys[0]
        if key in verified:
            continue
        if not key.verify(message, signature.signature):
            raise NoteError(f"invalid signature for key {key.ident}")
        verified.append(key)
    if not verified:
        raise NoteError("the note has no signature of a known key")
    return note, verified
