"""Signed tree heads in the C2SP checkpoint format (c2sp.org/tlog-checkpoint).

The note text is three lines and planspor's one extension line::

    planspor.localhost/plan-registry          origin: the log's identity (= its key's name)
    1042                                      tree size, decimal, no leading zeroes
    7u3n0mY2Jw1tXjFJ0P3F8c6b0mI9kq0Yx1fOeS1bS0U=   root hash, base64 of 32 bytes
    time 2024-10-16T08:00:00.000000Z          when the source issued it (UTC)

The time is an extension line, so it is signed with the rest; readers that do not know
it ignore it, as the spec asks.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

from planspor_verify.merkle import HASH_SIZE
from planspor_verify.note import Note, NoteError, Signer, VerifierKey, open_note, parse_note, sign_note

TIME_PREFIX = "time "
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    time: str | None = None
    """UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, as planspor writes every instant."""
    extensions: tuple[str, ...] = field(default=())
    """Extension lines other than ``time``, kept as they were."""

    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        if self.time is not None:
            lines.append(TIME_PREFIX + self.time)
        lines.extend(self.extensions)
        return "\n".join(lines) + "\n"

    @property
    def root_b64(self) -> str:
        return base64.b64encode(self.root).decode()

    def sign(self, *signers: Signer) -> str:
        return sign_note(self.text(), *signers)

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "" or any(line == "" for line in lines[:-1]):
            raise NoteError("a checkpoint is at least three non-empty lines, each ending in a newline")
        origin, size_text, root_text, *rest = lines[:-1]
        if not size_text.isdigit() or not size_text.isascii() or (size_text != "0" and size_text.startswith("0")):
            raise NoteError(f"tree size {size_text!r} is not a decimal without leading zeroes")
        try:
            root = base64.b64decode(root_text.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise NoteError(f"root hash {root_text!r} is not base64") from None
        if len(root) != HASH_SIZE:
            raise NoteError("the root hash has 32 bytes")
        time = None
        extensions = []
        for line in rest:
            if line.startswith(TIME_PREFIX) and time is None:
                time = line[len(TIME_PREFIX) :]
                if not _TIME.match(time):
                    raise NoteError(f"time {time!r} is not YYYY-MM-DDTHH:MM:SS.ffffffZ")
            else:
                extensions.append(line)
        return cls(origin=origin, size=int(size_text), root=root, time=time, extensions=tuple(extensions))


@dataclass(frozen=True)
class SignedCheckpoint:
    checkpoint: Checkpoint
    note: Note
    signed_by: tuple[VerifierKey, ...] = ()
    """The known keys whose signatures verified (empty when only parsed)."""

    def __str__(self) -> str:
        return str(self.note)


def parse_checkpoint(data: str | bytes) -> SignedCheckpoint:
    """Syntax only: the signatures are not checked."""
    note = parse_note(data)
    return SignedCheckpoint(Checkpoint.from_text(note.text), note)


def open_checkpoint(data: str | bytes, known: list[VerifierKey] | tuple[VerifierKey, ...]) -> SignedCheckpoint:
    """The checkpoint, signed by at least one of ``known`` (``NoteError`` otherwise)."""
    note, verified = open_note(data, known)
    return SignedCheckpoint(Checkpoint.from_text(note.text), note, tuple(verified))
