"""The shared README cannot drift: its code sample runs and its catalogue is the one the models give."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from planspor_shared.schemas import README_PATH, catalogue_markdown, readme_with_catalogue

pytestmark = pytest.mark.unit

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_python_samples_run():
    samples = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert samples
    for sample in samples:
        exec(compile(sample, str(README), "exec"), {})


def test_the_catalogue_table_is_generated_from_the_models():
    text = README.read_text(encoding="utf-8")
    table = text.split("<!-- catalogue:start -->\n", 1)[1].split("<!-- catalogue:end -->", 1)[0]
    assert table == catalogue_markdown(), "regenerate: python -m planspor_shared.schemas"


def test_the_generator_refreshes_only_the_table():
    assert README_PATH == README
    text = "intro\n<!-- catalogue:start -->\nold table\n<!-- catalogue:end -->\noutro\n"
    assert readme_with_catalogue(text) == (
        "intro\n<!-- catalogue:start -->\n" + catalogue_markdown() + "<!-- catalogue:end -->\noutro\n"
    )
