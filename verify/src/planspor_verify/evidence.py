"""The evidence pack: one decision (strategy, input) with the events behind it, each provable on its own.

A zip, version 1::

    manifest.json              what is in the pack (below)
    README.md                  how to check it, for the auditor who received it
    trace.json                 the trace as knowledge answered it (``/api/v1/trace/...``)
    trace.html                 the same trace as a page to read (a rendering: what is checked is trace.json)
    <source>/events.jsonl      every event of the source the trace names (and its key.rotated events), canonical JSON
    <source>/proofs.json       an inclusion proof of each against the head: {"size": N, "proofs": [...]}
    <source>/head.txt          the source's latest signed head (C2SP checkpoint) when the pack was made
    <source>/keys.json         the source's public keys, as in a bundle

``manifest.json``::

    {"format": "planspor-evidence-pack", "version": 1, "created_at": ...,
     "subject": {"kind": "decision", "id": ...}, "trace": "trace.json", "page": "trace.html",
     "sources": [{"source": ..., "origin": ..., "events": ..., "proofs": ..., "head": ..., "keys": ...}]}

Each proof is ``{"position": p, "proof": [base64 hash, ...]}`` (RFC 9162 audit path of leaf
``p - 1`` in the tree of the head's size), as a source's ``GET /proofs/inclusion`` serves it.

Checking a pack (``verify_pack``) trusts only the verifier keys the auditor gives:

1. each head is signed by a key you trust, for its source's log; a key you trust vouches for the
   key it handed over to by a ``key.rotated`` event (the pack holds every one of its source's);
2. each event is canonical JSON, its ``hash`` is the hash of its content, and it is signed by a
   key you trust, in force at its position (event signature v1);
3. each event's inclusion proof leads from its leaf (the hash of the line itself) to the root of
   its source's head, so the event is the one at that position of the signed history;
4. every event the trace names (each step's events, and the event that made each link) is in
   the pack, with the id, source and position the trace gives, and every step names one (its own
   events, or for a node that only a link made, such as a council, the event that made the link).
"""

from __future__ import annotations

import base64
import binascii
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from planspor_verify.bundle import BundleError, read_json_member, read_member
from planspor_verify.canonical import NotCanonical, envelope_hash, loads
from planspor_verify.checkpoint import Checkpoint, open_checkpoint, parse_checkpoint
from planspor_verify.merkle import ProofError, leaf_hash, verify_inclusion
from planspor_verify.note import NoteError, VerifierKey
from planspor_verify.signature import signature_problem

FORMAT = "planspor-evidence-pack"
VERSION = 1
KINDS = ("decision", "strategy", "strategy-item", "input")
KEY_ROTATED = "key.rotated"

EDITED = "edited"
MISSING = "missing"
WRONG_PROOF = "wrong proof"
BAD_HEAD = "bad head"
UNKNOWN_KEY = "signed by an unknown key"
UNSIGNED = "not signed"
UNREADABLE = "unreadable"
NOT_COVERED = "not covered by the head"
INSERTED = "inserted"


class PackError(BundleError):
    """The file is not a readable evidence pack (usage, not tampering: exit code 2)."""


@dataclass
class PackSource:
    """One source's part of a pack: the events the trace names, their proofs, the head, the keys."""

    source: str
    origin: str
    lines: list[bytes] = field(default_factory=list)
    proofs: list[dict[str, Any]] = field(default_factory=list)
    head: str = ""
    keys: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class EvidencePack:
    kind: str
    subject_id: str
    trace: dict[str, Any]
    sources: list[PackSource]
    page: str = ""
    readme: str = ""
    created_at: str | None = None


# --------------------------------------------------------------------------- what a trace names


@dataclass(frozen=True)
class EventRef:
    """An event a trace names: always its id; its source and position where the trace gives them."""

    id: str
    source: str | None = None
    position: int | None = None
    where: str = ""
    """Which step names it, for the report."""


def _step_name(step: dict[str, Any]) -> str:
    return f"{step.get('label', 'step')} {step.get('id', '?')}"


def event_refs(trace: dict[str, Any]) -> list[EventRef]:
    """Every event the trace names: the ``events`` of each step (and of a forward trace and its needs),
    and the event that created (or ended) each link a step was reached by."""
    refs: list[EventRef] = []

    def from_events(events: Any, where: str) -> None:
        for event in events if isinstance(events, list) else []:
            if isinstance(event, dict) and isinstance(event.get("id"), str):
                position = event.get("position")
                refs.append(
                    EventRef(
                        event["id"],
                        event.get("source") if isinstance(event.get("source"), str) else None,
                        position if isinstance(position, int) and not isinstance(position, bool) else None,
                        where,
                    )
                )

    for step in trace.get("steps") or []:
        if not isinstance(step, dict):
            continue
        where = _step_name(step)
        from_events(step.get("events"), where)
        for via in step.get("via") or []:
            if isinstance(via, dict):
                for name in ("created_by", "ended_by"):
                    if isinstance(via.get(name), str):
                        refs.append(EventRef(via[name], where=f"{where} ({via.get('relationship')} {name})"))
    from_events(trace.get("events"), "the input")
    for need in trace.get("plan_needs") or []:
        if isinstance(need, dict):
            named = need.get("plan_need")
            need_id = named.get("id", "?") if isinstance(named, dict) else "?"
            from_events(need.get("events"), f"PlanNeed {need_id}")
    return refs


# --------------------------------------------------------------------------- the zip


def write_pack(path: str | Path | IO[bytes], pack: EvidencePack) -> str | Path | IO[bytes]:
    """Write ``pack`` as a zip at ``path`` (or into a binary file object)."""
    path = Path(path) if isinstance(path, str) else path
    sources: list[dict[str, str]] = []
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": pack.created_at,
        "subject": {"kind": pack.kind, "id": pack.subject_id},
        "trace": "trace.json",
        "page": "trace.html",
        "readme": "README.md",
        "sources": sources,
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.md", pack.readme)
        archive.writestr("trace.json", json.dumps(pack.trace, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
        archive.writestr("trace.html", pack.page)
        for part in pack.sources:
            names = {n: f"{part.source}/{n}" for n in ("events.jsonl", "proofs.json", "head.txt", "keys.json")}
            sources.append(
                {
                    "source": part.source,
                    "origin": part.origin,
                    "events": names["events.jsonl"],
                    "proofs": names["proofs.json"],
                    "head": names["head.txt"],
                    "keys": names["keys.json"],
                }
            )
            archive.writestr(names["events.jsonl"], b"".join(line + b"\n" for line in part.lines))
            size = _head_size(part.head)
            archive.writestr(names["proofs.json"], json.dumps({"size": size, "proofs": part.proofs}, indent=1) + "\n")
            archive.writestr(names["head.txt"], part.head)
            keys = {"origin": part.origin, "keys": part.keys}
            archive.writestr(names["keys.json"], json.dumps(keys, indent=1, sort_keys=True) + "\n")
        archive.writestr("manifest.json", json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return path


def _head_size(note: str) -> int | None:
    try:
        return parse_checkpoint(note).checkpoint.size
    except NoteError:
        return None


def is_pack(path: str | Path) -> bool:
    """Whether ``path`` is a zip whose manifest says it is an evidence pack (a bundle is not)."""
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(_read(archive, "manifest.json"))
    except (OSError, zipfile.BadZipFile, BundleError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("format") == FORMAT


def read_pack(path: str | Path) -> EvidencePack:
    """The pack's parts; ``PackError`` if it is not a pack at all. Nothing is checked here."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise PackError(f"{path}: not a readable zip ({error})") from None
    with archive:
        manifest = _json(archive, "manifest.json")
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise PackError(f"{path}: manifest.json does not describe a {FORMAT}")
        if manifest.get("version") != VERSION:
            raise PackError(f"{path}: pack version {manifest.get('version')!r}; this verifier reads {VERSION}")
        subject = manifest.get("subject")
        if not isinstance(subject, dict) or subject.get("kind") not in KINDS or not isinstance(subject.get("id"), str):
            raise PackError(f"{path}: the manifest names no subject (kind and id)")
        trace = _json(archive, str(manifest.get("trace", "trace.json")))
        if not isinstance(trace, dict):
            raise PackError(f"{path}: the trace is not a JSON object")
        parts = []
        for entry in manifest.get("sources") or []:
            try:
                names = {k: str(entry[k]) for k in ("source", "origin", "events", "proofs", "head", "keys")}
            except (KeyError, TypeError):
                raise PackError(
                    f"{path}: a manifest entry lacks source, origin, events, proofs, head or keys"
                ) from None
            lines = _read(archive, names["events"]).split(b"\n")
            if lines and lines[-1] == b"":
                lines.pop()
            proofs = _json(archive, names["proofs"])
            keys = _json(archive, names["keys"])
            parts.append(
                PackSource(
                    source=names["source"],
                    origin=names["origin"],
                    lines=lines,
                    proofs=[p for p in proofs.get("proofs", []) if isinstance(p, dict)]
                    if isinstance(proofs, dict)
                    else [],
                    head=_read(archive, names["head"]).decode("utf-8", errors="replace"),
                    keys=[k for k in keys.get("keys", []) if isinstance(k, dict)] if isinstance(keys, dict) else [],
                )
            )
        if not parts:
            raise PackError(f"{path}: the manifest lists no sources")
        page = _read(archive, str(manifest.get("page", "trace.html"))).decode("utf-8", errors="replace")
        return EvidencePack(
            kind=subject["kind"],
            subject_id=subject["id"],
            trace=trace,
            sources=parts,
            page=page,
            created_at=manifest.get("created_at"),
        )


def _read(archive: zipfile.ZipFile, name: str) -> bytes:
    return read_member(archive, name, PackError, "pack")


def _json(archive: zipfile.ZipFile, name: str) -> Any:
    return read_json_member(archive, name, PackError, "pack")


# --------------------------------------------------------------------------- checking


@dataclass(frozen=True)
class PackFailure:
    where: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.where}: {self.kind}: {self.detail}"


@dataclass
class PackReport:
    kind: str
    subject_id: str
    failure: PackFailure | None = None
    events: dict[str, int] = field(default_factory=dict)
    heads: dict[str, Checkpoint] = field(default_factory=dict)
    steps: int = 0

    @property
    def ok(self) -> bool:
        return self.failure is None

    def __str__(self) -> str:
        if self.failure is not None:
            return f"failed: {self.failure}"
        total = sum(self.events.values())
        per_source = ", ".join(
            f"{count} of {source} in head {self.heads[source].size}/{self.heads[source].root_b64}"
            for source, count in self.events.items()
        )
        return (
            f"verified: evidence pack of {self.kind} {self.subject_id}: {total} events, each signed by a key you "
            f"trust and included in its source's signed head ({per_source}); every event the trace "
            f"names is in the pack ({self.steps} steps)"
        )


class _Failed(Exception):
    def __init__(self, where: str, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.failure = PackFailure(where, kind, detail)


def verify_pack(pack: EvidencePack, trusted: list[VerifierKey]) -> PackReport:
    """Check every head, event, proof and trace reference of ``pack``; the report names the first problem."""
    report = PackReport(pack.kind, pack.subject_id)
    try:
        held: dict[tuple[str, int], dict[str, Any]] = {}
        for part in pack.sources:
            keys, retired = _handed_over(part, [k for k in trusted if k.name == part.origin])
            head = _check_head(part, keys)
            report.heads[part.source] = head
            report.events[part.source] = _check_events(part, keys, retired, head, held)
        report.steps = _check_trace(pack.trace, held)
    except _Failed as failed:
        report.failure = failed.failure
    return report


def _handed_over(part: PackSource, trusted: list[VerifierKey]) -> tuple[list[VerifierKey], dict[str, int]]:
    """The keys you gave, and the keys they handed over to: a ``key.rotated`` event of the pack, signed by a
    key already trusted, announces the next one (its inclusion in the signed head is checked with the other
    events). Also, per key handed over, the last position it signs."""
    keys = {k.ident: k for k in trusted}
    retired: dict[str, int] = {}
    envelopes: list[tuple[int, dict[str, Any]]] = []
    for line in part.lines:
        try:
            envelope = loads(line)
        except NotCanonical:
            continue
        if isinstance(envelope, dict) and envelope.get("event_type") == KEY_ROTATED:
            position = envelope.get("position")
            envelopes.append((position if isinstance(position, int) else 0, envelope))
    for _, envelope in sorted(envelopes, key=lambda item: item[0]):
        signature = envelope.get("signature")
        signer = keys.get(str(signature.get("key"))) if isinstance(signature, dict) else None
        payload = envelope.get("payload")
        position = envelope.get("position")
        if signer is None or not isinstance(payload, dict) or not isinstance(position, int):
            continue
        try:
            matches = envelope_hash(envelope, loaded=True) == envelope.get("hash")
            announced = VerifierKey.parse(str(payload.get("key")))
        except (NotCanonical, NoteError):
            continue
        handover = payload.get("previous_key") == str(signer) and payload.get("from_position") == position + 1
        if matches and handover and announced.name == part.origin and signature_problem(envelope, signer) is None:
            keys.setdefault(announced.ident, announced)
            retired.setdefault(signer.ident, position)
    return list(keys.values()), retired


def _check_head(part: PackSource, keys: list[VerifierKey]) -> Checkpoint:
    where = f"{part.source} head"
    try:
        checkpoint = parse_checkpoint(part.head).checkpoint
    except NoteError as error:
        raise _Failed(where, BAD_HEAD, f"it is not a signed checkpoint: {error}") from None
    if checkpoint.origin != part.origin:
        raise _Failed(where, BAD_HEAD, f"it is of the log {checkpoint.origin!r}, not {part.origin!r}")
    if not keys:
        raise _Failed(where, UNKNOWN_KEY, f"you gave no key of {part.origin}, so its head cannot be checked")
    try:
        open_checkpoint(part.head, keys)
    except NoteError as error:
        raise _Failed(
            where, BAD_HEAD, f"head {checkpoint.size}/{checkpoint.root_b64} is not signed by a key you trust: {error}"
        ) from None
    return checkpoint


def _check_events(
    part: PackSource,
    keys: list[VerifierKey],
    retired: dict[str, int],
    head: Checkpoint,
    held: dict[tuple[str, int], dict[str, Any]],
) -> int:
    by_ident = {k.ident: k for k in keys}
    proofs: dict[int, Any] = {}
    for entry in part.proofs:
        position = entry.get("position")
        if isinstance(position, int) and not isinstance(position, bool):
            proofs[position] = entry.get("proof")
    for index, line in enumerate(part.lines, start=1):
        try:
            envelope = loads(line)
        except NotCanonical as error:
            raise _Failed(f"{part.source} event {index}", UNREADABLE, f"it is not canonical JSON: {error}") from None
        position = envelope.get("position") if isinstance(envelope, dict) else None
        if not isinstance(envelope, dict) or not isinstance(position, int) or isinstance(position, bool):
            raise _Failed(f"{part.source} event {index}", UNREADABLE, "it is not an envelope with a position")
        where = f"{part.source} position {position}"
        if envelope.get("source") != part.source:
            raise _Failed(where, INSERTED, f"the envelope belongs to {envelope.get('source')!r}")
        if (part.source, position) in held:
            raise _Failed(where, INSERTED, "a second envelope claims this position")
        try:
            matches = envelope_hash(envelope, loaded=True) == envelope.get("hash")
        except (NotCanonical, TypeError, KeyError):
            matches = False
        if not matches:
            raise _Failed(where, EDITED, "its content does not match its hash")
        signature = envelope.get("signature")
        if signature is None:
            raise _Failed(where, UNSIGNED, "it is not signed")
        named = signature.get("key") if isinstance(signature, dict) else None
        key = by_ident.get(str(named))
        if key is None:
            raise _Failed(where, UNKNOWN_KEY, f"it is signed by {named}, which is not a key you trust")
        problem = signature_problem(envelope, key)
        if problem is not None:
            raise _Failed(where, EDITED, problem)
        if key.ident in retired and position > retired[key.ident]:
            raise _Failed(
                where,
                UNKNOWN_KEY,
                f"it is signed by {key.ident}, which handed over to the next key at position {retired[key.ident] + 1}",
            )
        if position > head.size:
            raise _Failed(where, NOT_COVERED, f"the head covers {head.size} events, not position {position}")
        proof = proofs.get(position)
        if not isinstance(proof, list):
            raise _Failed(where, WRONG_PROOF, "the pack has no inclusion proof of it")
        try:
            path = [base64.b64decode(str(h).encode("ascii"), validate=True) for h in proof]
            verify_inclusion(position - 1, head.size, leaf_hash(line), path, head.root)
        except (binascii.Error, UnicodeEncodeError, ValueError, ProofError) as error:
            raise _Failed(
                where,
                WRONG_PROOF,
                f"its inclusion proof does not lead to the root of head {head.size}/{head.root_b64}: {error}",
            ) from None
        held[(part.source, position)] = envelope
    return len(part.lines)


def _check_trace(trace: dict[str, Any], held: dict[tuple[str, int], dict[str, Any]]) -> int:
    by_id: dict[str, dict[str, Any]] = {str(e.get("event_id")): e for e in held.values()}
    refs = event_refs(trace)
    for ref in sorted(refs, key=lambda r: r.position is None):  # the steps' own events first, then the links'
        where = f"trace, {ref.where}"
        if ref.source is not None and ref.position is not None:
            envelope = held.get((ref.source, ref.position))
            if envelope is None:
                raise _Failed(
                    where,
                    MISSING,
                    f"it names event {ref.id} at {ref.source} position {ref.position}, which the pack does not hold",
                )
            if envelope.get("event_id") != ref.id:
                raise _Failed(
                    where,
                    EDITED,
                    f"it names event {ref.id} at {ref.source} position {ref.position}, "
                    f"but the event there is {envelope.get('event_id')}",
                )
        elif ref.id not in by_id:
            raise _Failed(where, MISSING, f"it names event {ref.id}, which the pack does not hold")
    steps = [s for s in trace.get("steps") or [] if isinstance(s, dict)]
    for step in steps:
        links = [v for v in step.get("via") or [] if isinstance(v, dict) and v.get("created_by")]
        if not step.get("events") and not links:  # a node made by a link alone (a body) names the link's event
            raise _Failed(f"trace, {_step_name(step)}", MISSING, "the step names no event")
    needs = [n for n in trace.get("plan_needs") or [] if isinstance(n, dict)]
    if not steps and not trace.get("events"):
        raise _Failed("trace", MISSING, "the trace has no steps")
    return len(steps) or 1 + len(needs)
