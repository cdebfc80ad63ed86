"""The command an auditor runs: its output and its exit codes (0 verified, 1 a check failed, 2 usage)."""

from __future__ import annotations

import zipfile

import pytest
from verify_records import build_history, bundle_of

from planspor_verify.bundle import read_bundle, write_bundle
from planspor_verify.cli import main

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def histories():
    return build_history(120, rotate_at=60, head_every=25, seed=3), build_history(30, source="cocreation", seed=4)


@pytest.fixture
def bundle_file(tmp_path, histories):
    return write_bundle(tmp_path / "record.zip", bundle_of(*histories))


def keys(histories) -> list[str]:
    return [arg for h in histories for arg in ("--key", str(h.signers[0].verifier_key))]


def test_a_whole_record_verifies_and_says_what_it_covered(bundle_file, histories, capsys):
    assert main([str(bundle_file), *keys(histories)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("verified: 120 events of plan-registry up to head 120/")
    assert ", 30 of cocreation up to head 30/" in out


def test_the_bundle_reads_back_as_it_was_written(bundle_file, histories):
    bundle = read_bundle(bundle_file)
    assert [r.source for r in bundle.sources] == ["plan-registry", "cocreation"]
    assert bundle.sources[0].lines == histories[0].lines()
    assert bundle.sources[0].checkpoints == sorted(histories[0].heads, key=lambda h: int(h.split("\n")[1]))


def test_an_edited_event_fails_with_its_position(tmp_path, bundle_file, histories, capsys):
    mutated = tmp_path / "mutated.zip"
    with zipfile.ZipFile(bundle_file) as source, zipfile.ZipFile(mutated, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "plan-registry/events.jsonl":
                lines = data.split(b"\n")
                lines[41] = lines[41].replace(b'"title":"', b'"title":"X', 1)
                data = b"\n".join(lines)
            target.writestr(item, data)
    assert main([str(mutated), *keys(histories)]) == 1
    assert (
        capsys.readouterr().out.strip()
        == "failed: plan-registry position 42: edited: its content does not match its hash"
    )


def test_keys_may_come_from_a_file_and_a_saved_head_from_earlier(tmp_path, bundle_file, histories, capsys):
    key_file = tmp_path / "keys.txt"
    key_file.write_text("\n".join(str(h.signers[0].verifier_key) for h in histories) + "\n")
    saved = tmp_path / "saved.txt"
    saved.write_text(histories[0].heads[1])
    assert main([str(bundle_file), "--key", str(key_file), "--saved-head", str(saved)]) == 0
    assert capsys.readouterr().out.startswith("verified: ")


def test_a_record_signed_by_a_key_you_do_not_hold_fails(bundle_file, histories, capsys):
    stranger = build_history(1, label="stranger").signers[0].verifier_key
    assert main([str(bundle_file), "--key", str(stranger), "--key", str(histories[1].signers[0].verifier_key)]) == 1
    assert "plan-registry position 1: signed by an unknown key" in capsys.readouterr().out


@pytest.mark.parametrize(
    "problem", ["not a zip", "bad key", "no key", "missing saved head", "saved head of another log"]
)
def test_usage_and_unreadable_input_exit_2(tmp_path, bundle_file, histories, problem, capsys):
    args = [str(bundle_file), *keys(histories)]
    if problem == "not a zip":
        (tmp_path / "x.zip").write_text("hello")
        args[0] = str(tmp_path / "x.zip")
    elif problem == "bad key":
        args += ["--key", "nobody+00000000+AAAA"]
    elif problem == "no key":
        args = [str(bundle_file)]
    elif problem == "missing saved head":
        args += ["--saved-head", str(tmp_path / "nowhere.txt")]
    else:
        other = build_history(3, source="elsewhere")
        (tmp_path / "saved.txt").write_text(other.heads[-1])
        args += ["--saved-head", str(tmp_path / "saved.txt")]
    if problem == "no key":  # argparse's own usage error
        with pytest.raises(SystemExit) as exited:
            main(args)
        assert exited.value.code == 2
        return
    assert main(args) == 2
    assert capsys.readouterr().err.startswith("planspor-verify: ")
