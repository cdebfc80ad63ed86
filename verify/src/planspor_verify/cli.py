"""``planspor-verify FILE --key VKEY... [--saved-head FILE]``: check a record or an evidence pack offline.

FILE is a bundle (the whole record, ``planspor export record``) or an evidence pack (one decision,
strategy or input and the events behind it, ``planspor export evidence``); the manifest says which.

Exit codes: 0 verified, 1 a check failed (the line printed names the first bad position
and what is wrong with it), 2 usage or unreadable input (the bundle, a key, the saved head).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from planspor_verify.bundle import BundleError, read_bundle
from planspor_verify.evidence import is_pack, read_pack, verify_pack
from planspor_verify.note import NoteError, VerifierKey
from planspor_verify.verifier import SavedHeadError, verify_bundle

VERIFIED, FAILED, USAGE = 0, 1, 2


def _keys(values: list[str]) -> list[VerifierKey]:
    """Each value is a verifier key, or a file with one verifier key per line."""
    keys: list[VerifierKey] = []
    for value in values:
        texts = [value] if "+" in value else Path(value).read_text(encoding="utf-8").split()
        keys.extend(VerifierKey.parse(text) for text in texts)
    return keys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="planspor-verify", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("bundle", help="the bundle or evidence pack (a zip) to check")
    parser.add_argument(
        "--key",
        action="append",
        required=True,
        metavar="VKEY",
        help="a verifier key you trust, <name>+<hex key id>+<base64 key>, or a file of them; repeatable",
    )
    parser.add_argument(
        "--saved-head",
        action="append",
        default=[],
        metavar="FILE",
        help="a signed head (checkpoint) you saved earlier; repeatable, one per source",
    )
    args = parser.parse_args(argv)
    try:
        keys = _keys(args.key)
        saved = [Path(path).read_text(encoding="utf-8") for path in args.saved_head]
        if is_pack(args.bundle):
            return _check_pack(args.bundle, keys, saved)
        bundle = read_bundle(args.bundle)
    except (OSError, UnicodeDecodeError, NoteError, BundleError) as error:
        print(f"planspor-verify: {error}", file=sys.stderr)
        return USAGE
    origins = {record.origin for record in bundle.sources}
    for key in keys:
        if key.name not in origins:
            print(f"planspor-verify: key {key.ident} is of no source in this bundle; ignored", file=sys.stderr)
    try:
        report = verify_bundle(bundle, keys, saved)
    except SavedHeadError as error:
        print(f"planspor-verify: {error}", file=sys.stderr)
        return USAGE
    print(report)
    return VERIFIED if report.ok else FAILED


def _check_pack(path: str, keys: list[VerifierKey], saved: list[str]) -> int:
    if saved:
        print(
            "planspor-verify: --saved-head checks a whole record; an evidence pack holds only the events "
            "behind its subject (check the record with `planspor export record`)",
            file=sys.stderr,
        )
        return USAGE
    pack = read_pack(path)
    origins = {part.origin for part in pack.sources}
    for key in keys:
        if key.name not in origins:
            print(f"planspor-verify: key {key.ident} is of no source in this pack; ignored", file=sys.stderr)
    report = verify_pack(pack, keys)
    print(report)
    return VERIFIED if report.ok else FAILED


if __name__ == "__main__":
    sys.exit(main())
