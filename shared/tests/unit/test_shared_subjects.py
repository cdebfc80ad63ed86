"""Subject names every relay and consumer builds the same way."""

from __future__ import annotations

import pytest

from planspor_shared.subjects import msg_id, source_subjects, subject

pytestmark = pytest.mark.unit


def test_subject_is_prefix_source_event_type():
    assert subject("plan-registry", "plan.proposed") == "planspor.plan-registry.plan.proposed"
    assert subject("cocreation", "plan_need.proposed", prefix="t_42") == "t_42.cocreation.plan_need.proposed"
    assert source_subjects("cocreation", prefix="t_42") == "t_42.cocreation.>"
    assert msg_id("plan-registry", 17) == "plan-registry:17"


@pytest.mark.parametrize("prefix", ["", "a.b", "a>", "a*", "a b", "x" * 65])
def test_a_prefix_is_one_plain_token(prefix):
    with pytest.raises(ValueError, match="prefix"):
        subject("plan-registry", "plan.proposed", prefix=prefix)


@pytest.mark.parametrize(
    ("source", "event_type"),
    [
        ("plan.registry", "plan.proposed"),
        ("cocreation", "proposed"),
        ("cocreation", "plan.*"),
        ("Cocreation", "plan.proposed"),
    ],
)
def test_sources_and_event_types_are_checked(source, event_type):
    with pytest.raises(ValueError):
        subject(source, event_type)
