"""The one JetStream stream that holds every integration event (its subjects are in ``planspor_shared.subjects``)."""

from __future__ import annotations

from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig

from planspor_shared.subjects import DUPLICATE_WINDOW_SECONDS, DEFAULT_PREFIX, all_subjects, stream_name


def stream_config(prefix: str = DEFAULT_PREFIX) -> StreamConfig:
    """The stream: file storage, 20 minutes of deduplication, nothing ever discarded by limits.

    No limits are set (messages, bytes, age), and should anyone set one, ``discard=NEW``
    makes the broker refuse new messages instead of silently dropping old ones:
    the stream is a copy of the record, and a gap in it must be visible.
    """
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
        num_replicas=1,
    )
