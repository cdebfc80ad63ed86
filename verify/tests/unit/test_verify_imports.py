"""The verifier trusts none of planspor's code: it imports the standard library, cryptography and itself only."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

SOURCE = Path(__file__).resolve().parents[2] / "src" / "planspor_verify"


def test_planspor_verify_imports_only_the_standard_library_cryptography_and_itself():
    allowed = set(sys.stdlib_module_names) | {"cryptography", "planspor_verify", "__future__"}
    found = {}
    for path in sorted(SOURCE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(path.name)
    assert set(found) <= allowed, {name: files for name, files in found.items() if name not in allowed}
    assert "cryptography" in found
