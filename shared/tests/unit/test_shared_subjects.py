"""Subjects and the stream definition every relay and consumer creates the same way."""

from __future__ import annotations

import pytest
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType

from planspor_shared.subjects import msg_id, source_subjects, stream_config, stream_name, subject

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


@pytest.mark.parametrize(("source", "event_type"), [("plan.registry", "plan.proposed"), ("cocreation", "proposed"),
                                                    ("cocreation", "plan.*"), ("Cocreation", "plan.proposed")])
def test_sources_and_event_types_are_checked(source, event_type):
    with pytest.raises(ValueError):
        subject(source, event_type)


def test_one_file_stream_per_prefix_deduplicating_for_twenty_minutes_and_never_discarding_old_messages():
    config = stream_config()
    assert config.name == "PLANSPOR" == stream_name()
    assert config.subjects == ["planspor.>"]
    assert config.storage is StorageType.FILE
    assert config.retention is RetentionPolicy.LIMITS
    assert config.duplicate_window == 20 * 60
    assert config.discard is DiscardPolicy.NEW
    assert (config.max_msgs, config.max_bytes, config.max_age, config.max_msgs_per_subject) == (-1, -1, 0, -1)
    wire = config.as_dict()
    assert wire["duplicate_window"] == 20 * 60 * 10**9
    assert wire["max_age"] == 0


def test_a_test_prefix_gets_its_own_stream():
    config = stream_config("t_ab12-cd")
    assert config.name == "T_AB12_CD"
    assert config.subjects == ["t_ab12-cd.>"]
