"""planspor-verify installs alone in a fresh virtual environment (pip may fetch cryptography from PyPI)
and checks a bundle the runtime made: it verifies (exit 0), and a mutated copy fails (exit 1)."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]


def runtime_bundle(path: Path) -> str:
    """A record of 300 signed events with heads, made by the runtime's relay store and bundle export."""
    from planspor_runtime.checkpoints import KeyRecord, bundle_record, export_bundle, make_head
    from planspor_runtime.relay import MemoryRelayStore, RelayState, seal_batch
    from planspor_runtime.relay.sealing import stored
    from planspor_runtime.signing import ensure_development_key

    sys.path.insert(0, str(REPO / "runtime" / "tests"))
    from log_support import batch

    key = ensure_development_key(path.parent / "plan-registry.key", "planspor.localhost/plan-registry")
    store = MemoryRelayStore()
    store.add_key(KeyRecord(str(key.verifier_key), 1, None, "2024-06-19T12:00:00.000000Z"))
    state = RelayState()
    for start in range(1, 301, 100):
        sealed, new = seal_batch("plan-registry", state, batch(start, 100), key)
        store.record(state, new, [stored(e) for e in sealed])
        store.add_head(make_head(key, store.log_state()))
        state = new
    export_bundle(path, [bundle_record(store, "plan-registry", key.name)])
    return str(key.verifier_key)


def test_the_verifier_alone_in_a_fresh_environment_checks_a_bundle_of_the_runtime(tmp_path):
    bundle = tmp_path / "record.zip"
    vkey = runtime_bundle(bundle)
    env_dir = tmp_path / "auditor"
    venv.create(env_dir, with_pip=True)
    python, verifier = env_dir / "bin" / "python", env_dir / "bin" / "planspor-verify"
    subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "-c",
            REPO / "constraints.txt",
            REPO / "verify",
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    installed = subprocess.run(
        [python, "-m", "pip", "list", "--format=freeze"], check=True, capture_output=True, text=True
    ).stdout
    assert not [line for line in installed.splitlines() if line.startswith("planspor") and "verify" not in line]
    assert subprocess.run([python, "-c", "import planspor_shared"], capture_output=True).returncode != 0

    verified = subprocess.run([verifier, bundle, "--key", vkey], capture_output=True, text=True, timeout=120)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith("verified: 300 events of plan-registry up to head 300/")

    mutated = tmp_path / "mutated.zip"
    with zipfile.ZipFile(bundle) as source, zipfile.ZipFile(mutated, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "plan-registry/events.jsonl":
                lines = data.split(b"\n")
                lines[149] = lines[149].replace(b"goal a150", b"goal a15O")
                data = b"\n".join(lines)
            target.writestr(item, data)
    failed = subprocess.run([verifier, mutated, "--key", vkey], capture_output=True, text=True, timeout=120)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert failed.stdout.strip() == "failed: plan-registry position 150: edited: its content does not match its hash"
