"""The stream definition every relay and consumer creates the same way."""

from __future__ import annotations

import pytest
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType

from planspor_runtime.stream import stream_config
from planspor_shared.subjects import stream_name

pytestmark = pytest.mark.unit


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


def test_on_a_cluster_the_stream_is_replicated_on_every_server():
    assert stream_config("planspor", replicas=3).num_replicas == 3
    assert stream_config().num_replicas == 1
    with pytest.raises(ValueError, match="1 to 5 replicas"):
        stream_config(replicas=7)
