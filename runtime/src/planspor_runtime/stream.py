"""The one JetStream stream that holds every integration event (its subjects are in ``planspor_shared.subjects``)."""

from __future__ import annotations

from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig

from planspor_shared.subjects import DEFAULT_PREFIX, DUPLICATE_WINDOW_SECONDS, all_subjects, stream_name


def stream_config(prefix: str = DEFAULT_PREFIX, replicas: int = 1) -> StreamConfig:
    """The stream: file storage, 20 minutes of deduplication, nothing ever discarded by limits.

    No limits are set (messages, bytes, age), and should anyone set one, ``discard=NEW``
    makes the broker refuse new messages instead of silently dropping old ones:
    the stream is a copy of the record, and a gap in it must be visible.

    ``replicas`` (``NATS_STREAM_REPLICAS``) is 1 on a single server and 3 on a cluster of
    three: a message is acknowledged only once a majority of the replicas has it on disk,
    so the stream survives the loss of any one server, its leader included.
    """
    if not 1 <= replicas <= 5:
        raise ValueError(f"a JetStream stream has 1 to 5 replicas, not {replicas}")
    return StreamConfig(
        name=stream_name(prefix),
        description=f"planspor integration events ({prefix}.<source>.<event_type>)",
        subjects=[all_subjects(prefix)],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.NEW,
        max_msgs=-1,
        max_bytes=-1,
        max_age=0,
        max_msgs_per_subject=-1,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        num_replicas=replicas,
    )
