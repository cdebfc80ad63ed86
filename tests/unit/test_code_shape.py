"""The code's shape (README.md, "The code's shape"): modules one reader can hold, typed libraries, and the
architecture's rules written where a newcomer reads them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
SOURCE_TREES = sorted(p for p in [*REPO.glob("*/src"), *REPO.glob("services/*/src")] if p.is_dir())
MAX_LINES = 600

TYPED_LIBRARIES = {
    "shared": "planspor_shared",
    "runtime": "planspor_runtime",
    "verify": "planspor_verify",
}
"""The packages other distributions import (the services, the runtime, an auditor's scripts): they ship py.typed."""


def lines_of(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def shipped_modules() -> dict[str, int]:
    return {str(p.relative_to(REPO)): lines_of(p) for tree in SOURCE_TREES for p in sorted(tree.rglob("*.py"))}


def test_no_module_of_the_shipped_packages_is_over_600_lines():
    modules = shipped_modules()
    assert len(modules) > 150, "the source trees were not found"
    too_long = {path: n for path, n in modules.items() if n > MAX_LINES}
    assert not too_long, f"over {MAX_LINES} lines: make each a package of the same name: {too_long}"


@pytest.mark.parametrize("folder,package", sorted(TYPED_LIBRARIES.items()))
def test_a_library_other_packages_import_ships_its_types(folder, package):
    assert (REPO / folder / "src" / package / "py.typed").is_file()
    package_data = tomllib.loads((REPO / folder / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert any("py.typed" in patterns for patterns in package_data.values()), "py.typed must be installed too"


def code_shape_section() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"^## The code's shape\n(.*?)(?=^## )", text, re.S | re.M)
    assert found, 'README.md has no "## The code\'s shape" section'
    return found.group(1)


def test_the_readme_lists_every_import_linter_contract_by_its_name():
    contracts = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    section = " ".join(code_shape_section().split())
    missing = [c["name"] for c in contracts if c["name"] not in section]
    assert len(contracts) >= 9 and not missing, f"README.md, The code's shape, does not list: {missing}"
