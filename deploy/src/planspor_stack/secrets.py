"""The installation's secrets: made at first use, random, kept in ``var/<profile>/secrets/``.

There is no fixed fallback anywhere: a checkout that has never run has no secret, and
each installation gets its own. The directory is 0700 and every file 0600, so only the
user who runs the stack can read them. To rotate a secret, stop the stack, delete its
file and start again (README.md, "Security").
"""

from __future__ import annotations

import os
import re
import secrets as random_source
from pathlib import Path

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,80}$")


def secrets_dir(directory: Path) -> Path:
    """The directory, created 0700 (and made 0700 again if someone opened it)."""
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    return directory


def secret(directory: Path, name: str) -> str:
    """The secret ``name``: read from its file, or made now (256 random bits, URL-safe) and written 0600."""
    if not _NAME.match(name):
        raise ValueError(f"secret name {name!r}: lower-case letters, digits, '_', '.' or '-'")
    path = secrets_dir(directory) / name
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        pass
    else:
        if mode & 0o077:
            raise ValueError(f"{path} may be read by other users (mode {mode & 0o777:o}): chmod 600 it")
        value = path.read_text().strip()
        if value:
            return value
    value = random_source.token_urlsafe(32)
    write_private(path, value + "\n")
    return value


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, without a moment where it is readable by others."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        os.write(descriptor, text.encode())
    finally:
        os.close(descriptor)
