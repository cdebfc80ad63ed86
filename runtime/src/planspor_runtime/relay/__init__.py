"""The relay from a service's event store to JetStream, and the store the feed serves from."""

from planspor_runtime.relay.core import Backoff, Mapper, Outgoing, Relay, seal_batch
from planspor_runtime.relay.store import (
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
    "Mapper",
    "MemoryRelayStore",
    "Outgoing",
    "PostgresRelayStore",
    "Relay",
    "RelayConflict",
    "RelayState",
    "RelayStore",
    "SQLiteRelayStore",
    "StoredEnvelope",
    "seal_batch",
]
