"""Each source's Ed25519 signing key: where it lives, how it is made, and how an envelope is signed.

A key file holds one signer key in the form of golang.org/x/mod/sumdb/note,
``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>``, mode 0600. The key's name is
the source's log origin (``planspor.localhost/plan-registry`` in development; a
municipality names its own, e.g. ``baerum.kommune.no/planspor/plan-registry``); its
public half, the verifier key ``<name>+<hex key id>+<base64(0x01 || public key)>``, is what
an auditor is given.

In development a missing key file is generated on first start; in production a service
refuses to start without one (``signing_key``). An event store that lives only in memory
gets a key that lives as long: its history does not outlive the process either.

Operators::

    python -m planspor_runtime.signing generate --name baerum.kommune.no/planspor/plan-registry plan-registry.key
    python -m planspor_runtime.signing public plan-registry.key     # prints the verifier key

Rotation: generate a new key with the same name, point the service's ``..._SIGNING_KEY_FILE``
at it and ``..._PREVIOUS_SIGNING_KEY_FILE`` at the old one, restart. The relay announces the
new key with a ``key.rotated`` event signed by the old one; afterwards the old file may go.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

from planspor_shared.envelope import Envelope, EventSignature
from planspor_verify.note import NoteError, Signer
from planspor_verify.signature import sign_event

KEY_FILE_MODE = 0o600


class SigningKeyError(RuntimeError):
    """No usable signing key: the service must not start (or the relay must not publish)."""


def development_name(source: str) -> str:
    return f"planspor.localhost/{source}"


def load_key_file(path: str | Path) -> Signer:
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise SigningKeyError(f"no signing key at {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SigningKeyError(f"the signing key {path} cannot be read: {error}") from None
    try:
        return Signer.parse(text)
    except NoteError as error:
        raise SigningKeyError(f"{path} is not a signing key: {error}") from None


def generate_key_file(path: str | Path, name: str) -> Signer:
    """A new key written to ``path`` (0600, never over an existing file: ``FileExistsError``).

    The key is written whole to a file of its own and then linked into place, so a
    process that finds ``path`` never reads half a key.
    """
    path = Path(path)
    signer = Signer.generate(name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(signer.skey() + "\n")
            file.flush()
            os.fsync(file.fileno())
        os.link(draft, path)
    finally:
        draft.unlink(missing_ok=True)
    return signer


def ensure_development_key(path: str | Path, name: str) -> Signer:
    """The key at ``path``, generated first if there is none (two processes racing get the same key)."""
    try:
        return generate_key_file(path, name)
    except FileExistsError:
        return load_key_file(path)


def signing_key(path: str | Path, *, source: str, environment: str, ephemeral: bool = False) -> Signer:
    """The source's key by the service's settings: generated in development, required otherwise."""
    if ephemeral:
        return Signer.generate(development_name(source))
    if environment == "development":
        return ensure_development_key(path, development_name(source))
    return load_key_file(path)


def sign_envelope(envelope: Envelope, signer: Signer) -> Envelope:
    """The envelope with its ``signature`` (event signature v1 over its hash); the hash does not change."""
    field = sign_event(signer, envelope.source, envelope.position, envelope.hash)
    return envelope.model_copy(update={"signature": EventSignature.model_construct(**field)})


def verifier_key_of(path: str | Path) -> str:
    """The public verifier key of the key file at ``path`` (what ``make run`` prints)."""
    return str(load_key_file(path).verifier_key)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m planspor_runtime.signing",
        description="Make a source's signing key, or print its public verifier key.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    generate = commands.add_parser("generate", help="write a new key file (0600); prints its verifier key")
    generate.add_argument(
        "--name", required=True, help="the log's origin, e.g. baerum.kommune.no/planspor/plan-registry"
    )
    generate.add_argument("file")
    public = commands.add_parser("public", help="print the verifier key of a key file")
    public.add_argument("file")
    args = parser.parse_args(argv)
    try:
        if args.command == "generate":
            print(generate_key_file(args.file, args.name).verifier_key)
        else:
            print(verifier_key_of(args.file))
    except (SigningKeyError, NoteError, FileExistsError, OSError) as error:
        print(f"planspor_runtime.signing: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
