"""The record behind verify/README.md's examples: the files it names, built the same way every time."""

from __future__ import annotations

import zipfile
from pathlib import Path

from verify_records import build_history, bundle_of, evidence_pack_of, rewritten

from planspor_verify.bundle import write_bundle
from planspor_verify.evidence import write_pack


def write_example(folder: Path) -> None:
    """record.zip, tampered.zip, rewritten.zip, evidence.zip, the verifier keys and a head saved after 50 events."""
    main = build_history(120, rotate_at=60, head_every=50, seed=11)
    other = build_history(30, source="cocreation", head_every=50, seed=12)
    write_bundle(folder / "record.zip", bundle_of(main, other))
    (folder / "plan-registry.vkey").write_text(f"{main.signers[0].verifier_key}\n")
    (folder / "cocreation.vkey").write_text(f"{other.signers[0].verifier_key}\n")
    (folder / "saved-head.txt").write_text(main.heads[0])
    with zipfile.ZipFile(folder / "record.zip") as source, zipfile.ZipFile(folder / "tampered.zip", "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "plan-registry/events.jsonl":
                lines = data.split(b"\n")
                lines[41] = lines[41].replace(b'"title":"', b'"title":"Ikke ', 1)
                data = b"\n".join(lines)
            target.writestr(item, data)
    picks = {"plan-registry": [5, 42, 60, 61, 100], "cocreation": [2, 30]}
    write_pack(folder / "evidence.zip", evidence_pack_of(picks, main, other))
    forged, fresh = rewritten(main, 42, "the forger's own key")
    write_bundle(folder / "rewritten.zip", bundle_of(forged, other))
    (folder / "rewritten.vkey").write_text(f"{fresh.verifier_key}\n")
