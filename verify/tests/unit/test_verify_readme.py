"""Every `planspor-verify` command of verify/README.md, run on the record it describes, prints what the
README shows and exits as it says."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from readme_example import write_example

from planspor_verify.cli import main

pytestmark = pytest.mark.unit

README = Path(__file__).resolve().parents[2] / "README.md"


def examples() -> list[tuple[str, int, list[str]]]:
    """(arguments, exit code, output lines) of each command of the README's console blocks."""
    found: list[tuple[str, int, list[str]]] = []
    in_console = False
    for line in README.read_text().splitlines():
        if line.startswith("```"):
            in_console = line == "```console"
            continue
        if not in_console:
            continue
        if line.startswith("$ planspor-verify "):
            command, _, comment = line[len("$ planspor-verify ") :].partition("  #")
            code = re.search(r"exit (\d)", comment)
            found.append((command.strip(), int(code.group(1)) if code else 0, []))
        elif found:
            found[-1][2].append(line)
    return found


def test_the_readme_shows_commands_for_success_and_for_failure():
    assert {code for _, code, _ in examples()} == {0, 1}


@pytest.mark.parametrize(("command", "code", "output"), examples(), ids=[c for c, _, _ in examples()])
def test_each_readme_command_prints_what_the_readme_shows(tmp_path, monkeypatch, capsys, command, code, output):
    write_example(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(shlex.split(command)) == code
    assert capsys.readouterr().out.splitlines() == output
