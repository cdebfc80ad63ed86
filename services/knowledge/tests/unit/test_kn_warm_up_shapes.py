"""The warm-up's shapes (``knowledge/graph/shapes.json``) hold every shape the handlers give the tests' story (the file
also holds those of the Bærum scenario, read from a `make run`'s stream: ``kn_shapes.py --stream``)."""

import pytest
from kn_shapes import story_samples

from knowledge.graph.warmup import known_samples, read_samples, samples_document

pytestmark = pytest.mark.unit


def test_every_shape_the_story_gives_is_warmed_up():
    missing = {s.shape for s in story_samples()} - {s.shape for s in known_samples()}
    assert not missing, (
        f"{len(missing)} statement shapes are not in knowledge/graph/shapes.json (a handler changed): "
        "write it again with `python services/knowledge/tests/kn_shapes.py`"
    )


def test_the_file_form_gives_back_the_shapes_and_rows():
    samples = story_samples()
    again = read_samples(samples_document(samples))
    assert sorted(s.shape for s in again) == sorted(s.shape for s in samples)
    assert all(s.row["eid"] for s in again)
