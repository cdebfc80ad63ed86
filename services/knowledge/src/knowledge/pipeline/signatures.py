"""Whose signature an event must carry: the sources' keys from settings, and the hand-overs the sources announced.

Every envelope is signed by its source (event signature v1, ``planspor_verify.signature``). knowledge
trusts the keys its settings give per source (``SourceKeys``: the first key of the source, and any
later one the operator adds) and follows each ``key.rotated`` event, signed by the key in force, to
the key it announces: from its ``from_position`` on, only the announced key signs (``KeyChain``). The
hand-overs are kept in the graph's bookkeeping (``SourceKey`` nodes), so a restart follows them, and
a rebuild finds them again in the events.

Pure: no I/O. The reasons it gives are the dead letters' reasons; each starts with its kind
(``unsigned``, ``unknown key``, ``bad signature``, ``bad key announcement``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from planspor_shared.envelope import Envelope
from planspor_shared.events import SOURCES
from planspor_shared.events.log import KeyRotated
from planspor_verify.note import NoteError, VerifierKey
from planspor_verify.signature import event_message

UNSIGNED = "unsigned"
UNKNOWN_KEY = "unknown key"
BAD_SIGNATURE = "bad signature"
BAD_ANNOUNCEMENT = "bad key announcement"


def parse_keys(text: str | None, what: str) -> tuple[VerifierKey, ...]:
    """Verifier keys separated by commas or white space; ``ValueError`` names the one that is not a key."""
    keys = []
    for word in (text or "").replace(",", " ").split():
        try:
            keys.append(VerifierKey.parse(word))
        except NoteError as error:
            raise ValueError(f"{what}: {error}") from None
    names = {key.name for key in keys}
    if len(names) > 1:
        raise ValueError(f"{what}: the keys of one source share its log's name, not {sorted(names)}")
    return tuple(keys)


@dataclass(frozen=True)
class SourceKeys:
    """The keys knowledge trusts, per source: what ``KNOWLEDGE_<SOURCE>_KEYS`` lists."""

    trusted: Mapping[str, tuple[VerifierKey, ...]] = field(default_factory=dict)

    def of(self, source: str) -> tuple[VerifierKey, ...]:
        return tuple(self.trusted.get(source, ()))

    def missing(self) -> list[str]:
        return [source for source in SOURCES if not self.trusted.get(source)]

    @classmethod
    def of_keys(cls, keys: Mapping[str, Iterable[VerifierKey | str]]) -> SourceKeys:
        return cls(
            {
                source: tuple(k if isinstance(k, VerifierKey) else VerifierKey.parse(k) for k in listed)
                for source, listed in keys.items()
            }
        )


@dataclass(frozen=True)
class KeyEntry:
    """A hand-over: ``key`` signs from ``from_position`` on, as announced by the event at ``announced_at``."""

    source: str
    key: VerifierKey
    from_position: int
    announced_at: int


@dataclass
class KeyChain:
    """One source's keys: the trusted ones until the first hand-over, then each announced key in turn."""

    source: str
    trusted: Sequence[VerifierKey]
    entries: list[KeyEntry] = field(default_factory=list)

    def in_force(self, position: int) -> VerifierKey | None:
        """The announced key that signs ``position``; None before any hand-over (then any trusted key signs)."""
        key = None
        for entry in self.entries:
            if entry.from_position <= position:
                key = entry.key
        return key

    def keys_at(self, position: int) -> list[VerifierKey]:
        key = self.in_force(position)
        return [key] if key is not None else list(self.trusted)

    def head_keys(self, size: int) -> list[VerifierKey]:
        """Who signs a head of ``size``: the key that signs position ``size + 1`` (a head after a hand-over is
        signed by the new key, as the relay does and ``planspor-verify`` expects)."""
        return self.keys_at(size + 1)

    @property
    def origin(self) -> str | None:
        """The log's name (its keys' name): a head's origin must be it."""
        keys = [entry.key for entry in self.entries] or list(self.trusted)
        return keys[0].name if keys else None

    def signature_problem(self, envelope: Envelope) -> str | None:
        """Why ``envelope`` is not signed by the key in force at its position, or None when it is."""
        where = f"{envelope.source}:{envelope.position}"
        signature = envelope.signature
        if signature is None:
            return f"{UNSIGNED}: {where} carries no signature"
        candidates = self.keys_at(envelope.position)
        key = next((k for k in candidates if k.ident == signature.key), None)
        if key is None:
            if not candidates:
                return f"{UNKNOWN_KEY}: {where} is signed by {signature.key}, and no key of {self.source} is configured"
            if self.in_force(envelope.position) is not None:
                return (
                    f"{UNKNOWN_KEY}: {where} is signed by {signature.key}, not by the key in force there "
                    f"{candidates[0].ident} (announced by the source)"
                )
            return (
                f"{UNKNOWN_KEY}: {where} is signed by {signature.key}, not by a key of {self.source} knowledge trusts "
                f"({', '.join(k.ident for k in candidates)})"
            )
        try:
            raw = base64.b64decode(signature.sig.encode("ascii"), validate=True)
            message = event_message(envelope.source, envelope.position, envelope.hash)
        except (binascii.Error, ValueError):
            return f"{BAD_SIGNATURE}: the signature of {where} is malformed"
        if not key.verify(message, raw):
            return f"{BAD_SIGNATURE}: the signature of {where} does not verify with {key.ident}"
        return None

    def announcement_problem(self, envelope: Envelope, rotated: KeyRotated) -> str | None:
        """Why a (validly signed) ``key.rotated`` cannot hand over, or None."""
        where = f"{envelope.source}:{envelope.position}"
        assert envelope.signature is not None
        signer = next(k for k in self.keys_at(envelope.position) if k.ident == envelope.signature.key)
        if rotated.previous_key != str(signer):
            return f"{BAD_ANNOUNCEMENT}: {where} names {rotated.previous_key} as the previous key, not its signer"
        if rotated.from_position != envelope.position + 1:
            return f"{BAD_ANNOUNCEMENT}: {where} hands over at {rotated.from_position}, not at {envelope.position + 1}"
        try:
            announced = VerifierKey.parse(rotated.key)
        except NoteError as error:
            return f"{BAD_ANNOUNCEMENT}: {where} announces a malformed key: {error}"
        if announced.name != signer.name:
            return f"{BAD_ANNOUNCEMENT}: {where} announces a key of {announced.name!r}, not of the log {signer.name!r}"
        return None

    def follow(self, envelope: Envelope, rotated: KeyRotated) -> KeyEntry:
        entry = KeyEntry(self.source, VerifierKey.parse(rotated.key), rotated.from_position, envelope.position)
        self.entries.append(entry)
        return entry
