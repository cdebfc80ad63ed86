"""The relay from a service's event store to JetStream, and the store the feed and the log serve from."""

from planspor_runtime.relay.core import Backoff, Relay
from planspor_runtime.relay.sealing import Keys, Mapper, Outgoing, Rotation, seal_batch
from planspor_runtime.relay.store import (
    Head,
    KeyRecord,
    LogState,
    MemoryRelayStore,
    PostgresRelayStore,
    RelayConflict,
    RelayState,
    RelayStore,
    SQLiteRelayStore,
    StoredEnvelope,
)

__all__ = [
    "Backoff",
    "Head",
    "KeyRecord",
    "Keys",
    "LogState",
    "Mapper",
    "MemoryRelayStore",
    "Outgoing",
    "PostgresRelayStore",
    "Relay",
    "RelayConflict",
    "RelayState",
    "RelayStore",
    "Rotation",
    "SQLiteRelayStore",
    "StoredEnvelope",
    "seal_batch",
]
