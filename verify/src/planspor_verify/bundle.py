"""The bundle: a zip an auditor checks offline, version 1.

Layout::

    manifest.json                              what is in the bundle (below)
    <source>/events.jsonl                      the source's envelopes in position order, one canonical JSON per line
    <source>/checkpoints/<size, 20 digits>.txt every signed tree head of the source, one signed note per file
    <source>/keys.json                         the source's public keys and where each is in force

``manifest.json``::

    {"format": "planspor-bundle", "version": 1, "created_at": "2024-10-16T08:00:00.000000Z",
     "sources": [{"source": "plan-registry", "origin": "planspor.localhost/plan-registry",
                  "events": "plan-registry/events.jsonl", "checkpoints": "plan-registry/checkpoints/",
                  "keys": "plan-registry/keys.json"}]}

``keys.json``: ``{"origin": ..., "keys": [{"vkey": ..., "from_position": 1, "announced_at": null}, ...]}``;
a rotated key has ``announced_at``, the position of the ``key.rotated`` event (signed by the
key before it) that announced it. Nothing in a bundle is trusted: the verifier trusts only
the keys it is given, and every claim of the manifest and the key list is checked against
the signed record.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

FORMAT = "planspor-bundle"
VERSION = 1
MAX_MEMBER_BYTES = 2 << 30
"""A member larger than this is refused rather than read into memory (a zip bomb, or not a bundle)."""


class BundleError(ValueError):
    """The file is not a readable bundle (usage, not tampering: exit code 2)."""


@dataclass
class SourceRecord:
    """One source's part of a bundle, as read: nothing here has been checked yet."""

    source: str
    origin: str
    lines: list[bytes] = field(default_factory=list)
    """One envelope per line, the bytes as they are in the bundle."""
    checkpoints: list[str] = field(default_factory=list)
    keys: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Bundle:
    sources: list[SourceRecord]
    created_at: str | None = None

    def source(self, name: str) -> SourceRecord:
        for record in self.sources:
            if record.source == name:
                return record
        raise KeyError(name)


def checkpoint_member(source: str, size: int) -> str:
    return f"{source}/checkpoints/{size:020d}.txt"


def write_bundle(path: str | Path, bundle: Bundle) -> Path:
    """Write ``bundle`` as a zip at ``path``; the same bundle gives the same member contents."""
    path = Path(path)
    sources: list[dict[str, str]] = []
    manifest = {"format": FORMAT, "version": VERSION, "created_at": bundle.created_at, "sources": sources}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for record in bundle.sources:
            sources.append(
                {
                    "source": record.source,
                    "origin": record.origin,
                    "events": f"{record.source}/events.jsonl",
                    "checkpoints": f"{record.source}/checkpoints/",
                    "keys": f"{record.source}/keys.json",
                }
            )
            archive.writestr(f"{record.source}/events.jsonl", b"".join(line + b"\n" for line in record.lines))
            for note in record.checkpoints:
                size = int(note.split("\n", 2)[1])
                archive.writestr(checkpoint_member(record.source, size), note)
            keys = {"origin": record.origin, "keys": record.keys}
            archive.writestr(f"{record.source}/keys.json", json.dumps(keys, indent=1, sort_keys=True) + "\n")
        archive.writestr("manifest.json", json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return path


def read_bundle(path: str | Path | IO[bytes]) -> Bundle:
    """The bundle's parts; ``BundleError`` if it is not a bundle at all."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise BundleError(f"{path}: not a readable zip ({error})") from None
    with archive:
        manifest = read_json_member(archive, "manifest.json")
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise BundleError(f"{path}: manifest.json does not describe a {FORMAT}")
        if manifest.get("version") != VERSION:
            raise BundleError(f"{path}: bundle version {manifest.get('version')!r}; this verifier reads {VERSION}")
        sources = manifest.get("sources")
        if not isinstance(sources, list) or not sources:
            raise BundleError(f"{path}: the manifest lists no sources")
        records = []
        names = archive.namelist()
        for entry in sources:
            try:
                source, origin = str(entry["source"]), str(entry["origin"])
                events, checkpoints, keys = str(entry["events"]), str(entry["checkpoints"]), str(entry["keys"])
            except (KeyError, TypeError):
                raise BundleError(
                    f"{path}: a manifest entry lacks source, origin, events, checkpoints or keys"
                ) from None
            data = read_member(archive, events)
            lines = data.split(b"\n")
            if lines and lines[-1] == b"":
                lines.pop()
            notes = []
            for name in sorted(n for n in names if n.startswith(checkpoints) and n.endswith(".txt")):
                notes.append(read_member(archive, name).decode("utf-8", errors="replace"))  # a bad byte fails its check
            key_doc = read_json_member(archive, keys)
            key_list = key_doc.get("keys") if isinstance(key_doc, dict) else None
            if not isinstance(key_list, list):
                raise BundleError(f"{path}: {keys} has no list of keys")
            records.append(
                SourceRecord(
                    source=source,
                    origin=origin,
                    lines=lines,
                    checkpoints=notes,
                    keys=[k for k in key_list if isinstance(k, dict)],
                )
            )
        return Bundle(sources=records, created_at=manifest.get("created_at"))


def read_member(
    archive: zipfile.ZipFile, name: str, error: type[BundleError] = BundleError, kind: str = "bundle"
) -> bytes:
    """One member of a bundle or a pack, bounded in size; what is wrong with it raised as ``error``."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise error(f"the {kind} has no {name}") from None
    if info.file_size > MAX_MEMBER_BYTES:
        raise error(f"{name} is larger than {MAX_MEMBER_BYTES} bytes")
    try:
        return archive.read(info)
    except (OSError, zipfile.BadZipFile, EOFError) as failure:
        raise error(f"{name} cannot be read: {failure}") from None


def read_json_member(
    archive: zipfile.ZipFile, name: str, error: type[BundleError] = BundleError, kind: str = "bundle"
) -> Any:
    try:
        return json.loads(read_member(archive, name, error, kind))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise error(f"{name} is not JSON") from None
