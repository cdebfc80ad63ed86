"""Where a relay keeps its place and what it published, in the service's own database.

The relay state (last notification id, last position, last hash) and the
envelopes it published are written in ONE transaction after the broker has
acknowledged them, in the same database as the event store: after a crash the
relay resumes from what was recorded, and the feed serves exactly what the
stream holds. The state row is updated compare-and-set (``expected`` must still
be the recorded state), so a second writer can never record over the first;
the writer lock (``acquire_writer_lock``) only spares the loser the wasted work.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from planspor_shared.canonical import GENESIS_HASH


@dataclass(frozen=True)
class RelayState:
    """How far a source has been published: the notification id read, the position and hash reached."""

    notification_id: int = 0
    position: int = 0
    hash: str = GENESIS_HASH


@dataclass(frozen=True)
class StoredEnvelope:
    """One published envelope as the feed serves it: its canonical bytes, exactly as on the stream."""

    position: int
    event_id: str
    event_type: str
    canonical: bytes


class RelayConflict(RuntimeError):
    """Another relay recorded progress since this one read the state: reload and go on from there."""


class RelayStore(ABC):
    """The relay's tables beside an application's event store."""

    @classmethod
    def for_application(cls, application: Any) -> RelayStore:
        """The store in the same database as ``application``'s event store (SQLite, PostgreSQL or in memory)."""
        recorder = application.recorder
        datastore = getattr(recorder, "datastore", None)
        module = type(recorder).__module__
        if module.startswith("eventsourcing.sqlite"):
            return SQLiteRelayStore(datastore)
        if module.startswith("eventsourcing.postgres"):
            return PostgresRelayStore(datastore, table_prefix=application.name.lower())
        if module.startswith("eventsourcing.popo"):
            return MemoryRelayStore()
        raise TypeError(f"no relay store for recorder {type(recorder).__qualname__}")

    @abstractmethod
    def load_state(self) -> RelayState: ...

    @abstractmethod
    def record(self, expected: RelayState, new: RelayState, envelopes: Sequence[StoredEnvelope]) -> None:
        """Record ``envelopes`` and move the state from ``expected`` to ``new`` in one transaction.

        Raises ``RelayConflict`` (and records nothing) if the recorded state is not ``expected``.
        """

    @abstractmethod
    def read(self, after: int, limit: int) -> list[StoredEnvelope]:
        """Envelopes with position > ``after``, in position order, at most ``limit``."""

    @abstractmethod
    def acquire_writer_lock(self) -> bool:
        """Try to become the one relay of this store; False if another holds it. Released by the OS on death."""

    @abstractmethod
    def release_writer_lock(self) -> None: ...

    def close(self) -> None:
        self.release_writer_lock()


# --------------------------------------------------------------------------- in memory


class MemoryRelayStore(RelayStore):
    """For applications on the in-memory (POPO) event store: unit tests and development."""

    def __init__(self) -> None:
        self._state = RelayState()
        self._envelopes: list[StoredEnvelope] = []
        self._mutex = threading.Lock()
        self._locked = False

    def load_state(self) -> RelayState:
        return self._state

    def record(self, expected: RelayState, new: RelayState, envelopes: Sequence[StoredEnvelope]) -> None:
        with self._mutex:
            if self._state != expected:
                raise RelayConflict(f"state is {self._state}, not {expected}")
            _check_follows(expected, new, envelopes)
            self._envelopes.extend(envelopes)
            self._state = new

    def read(self, after: int, limit: int) -> list[StoredEnvelope]:
        start = max(after, 0)
        return list(self._envelopes[start : start + limit])

    def acquire_writer_lock(self) -> bool:
        with self._mutex:
            if self._locked:
                return False
            self._locked = True
            return True

    def release_writer_lock(self) -> None:
        with self._mutex:
            self._locked = False


def _check_follows(expected: RelayState, new: RelayState, envelopes: Sequence[StoredEnvelope]) -> None:
    """Positions gap-free from the recorded one: a bug here must fail loudly, not leave a gap."""
    positions = [e.position for e in envelopes]
    if positions != list(range(expected.position + 1, expected.position + 1 + len(positions))):
        raise ValueError(f"positions {positions[:3]}... do not follow {expected.position}")
    if new.position != expected.position + len(positions) or new.notification_id < expected.notification_id:
        raise ValueError(f"new state {new} does not follow {expected} with {len(positions)} envelopes")


# --------------------------------------------------------------------------- SQL


class _SQLRelayStore(RelayStore):
    """The two tables and the statements; subclasses give the placeholder style and the transaction."""

    placeholder = "?"

    def __init__(self, state_table: str, envelopes_table: str) -> None:
        self.state_table = state_table
        self.envelopes_table = envelopes_table
        p = self.placeholder
        self._select_state = f"SELECT notification_id, position, hash FROM {state_table} WHERE id = 1"
        self._update_state = (
            f"UPDATE {state_table} SET notification_id = {p}, position = {p}, hash = {p} "
            f"WHERE id = 1 AND notification_id = {p} AND position = {p} AND hash = {p}"
        )
        self._insert_envelope = (
            f"INSERT INTO {envelopes_table} (position, event_id, event_type, envelope) VALUES ({p}, {p}, {p}, {p})"
        )
        self._select_envelopes = (
            f"SELECT position, event_id, event_type, envelope FROM {envelopes_table} "
            f"WHERE position > {p} ORDER BY position LIMIT {p}"
        )

    def create_table_statements(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.state_table} (id INTEGER PRIMARY KEY, "
            "notification_id BIGINT NOT NULL, position BIGINT NOT NULL, hash TEXT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.envelopes_table} (position BIGINT PRIMARY KEY, "
            "event_id TEXT NOT NULL UNIQUE, event_type TEXT NOT NULL, envelope TEXT NOT NULL)",
            f"INSERT INTO {self.state_table} (id, notification_id, position, hash) "
            f"VALUES (1, 0, 0, '{GENESIS_HASH}') ON CONFLICT (id) DO NOTHING",
        ]

    @staticmethod
    def _state_of(row: Sequence[Any]) -> RelayState:
        return RelayState(notification_id=int(row[0]), position=int(row[1]), hash=str(row[2]))

    @staticmethod
    def _envelope_of(row: Sequence[Any]) -> StoredEnvelope:
        return StoredEnvelope(position=int(row[0]), event_id=str(row[1]), event_type=str(row[2]),
                              canonical=str(row[3]).encode("utf-8"))

    def _update_params(self, expected: RelayState, new: RelayState) -> tuple[Any, ...]:
        return (new.notification_id, new.position, new.hash,
                expected.notification_id, expected.position, expected.hash)

    def _envelope_params(self, envelopes: Sequence[StoredEnvelope]) -> list[tuple[Any, ...]]:
        return [(e.position, e.event_id, e.event_type, e.canonical.decode("utf-8")) for e in envelopes]


class SQLiteRelayStore(_SQLRelayStore):
    """Tables ``relay_state`` and ``relay_envelopes`` in the application's SQLite file."""

    def __init__(self, datastore: Any) -> None:
        super().__init__("relay_state", "relay_envelopes")
        self.datastore = datastore
        self._lock_fd: int | None = None
        self._memory_lock: threading.Lock | None = None
        for statement in self.create_table_statements():
            # one statement per transaction: in WAL mode a read that becomes a write fails at once
            # (SQLITE_BUSY_SNAPSHOT) when another process wrote in between, instead of waiting its turn
            with self.datastore.transaction(commit=True) as c:
                c.execute(statement)

    def load_state(self) -> RelayState:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._select_state)
            return self._state_of(c.fetchone())

    def record(self, expected: RelayState, new: RelayState, envelopes: Sequence[StoredEnvelope]) -> None:
        _check_follows(expected, new, envelopes)
        with self.datastore.transaction(commit=True) as c:
            c.execute(self._update_state, self._update_params(expected, new))
            if c.sqlite_cursor.rowcount != 1:
                raise RelayConflict(f"relay state is no longer {expected}")
            c.executemany(self._insert_envelope, self._envelope_params(envelopes))

    def read(self, after: int, limit: int) -> list[StoredEnvelope]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._select_envelopes, (after, limit))
            return [self._envelope_of(row) for row in c.fetchall()]

    def lock_path(self) -> str | None:
        pool = self.datastore.pool
        if pool.is_sqlite_memory_mode:
            return None
        name = pool.db_name
        if name.startswith("file:"):
            name = name[5:].split("?", 1)[0]
        return os.path.abspath(name) + ".relay-lock"

    def acquire_writer_lock(self) -> bool:
        if self._lock_fd is not None:
            return True
        path = self.lock_path()
        if path is None:
            key = id(self.datastore)
            self._memory_lock = _MEMORY_LOCKS.setdefault(key, threading.Lock())
            return self._memory_lock.acquire(blocking=False)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._lock_fd = fd
        return True

    def release_writer_lock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None
        if self._memory_lock is not None:
            if self._memory_lock.locked():
                self._memory_lock.release()
            self._memory_lock = None


_MEMORY_LOCKS: dict[int, threading.Lock] = {}


class PostgresRelayStore(_SQLRelayStore):
    """Tables ``<app>_relay_state`` and ``<app>_relay_envelopes`` beside ``<app>_events``.

    The writer lock is a session advisory lock on a connection of its own: the
    server releases it when that session ends, however the relay died.
    """

    placeholder = "%s"

    def __init__(self, datastore: Any, table_prefix: str) -> None:
        schema = datastore.schema
        super().__init__(f'"{schema}"."{table_prefix}_relay_state"', f'"{schema}"."{table_prefix}_relay_envelopes"')
        self.datastore = datastore
        digest = hashlib.sha256(f"planspor-relay:{schema}.{table_prefix}".encode()).digest()
        self._lock_key = int.from_bytes(digest[:8], "big", signed=True)
        self._lock_conn: Any = None
        with self.datastore.transaction(commit=True) as c:
            for statement in self.create_table_statements():
                c.execute(statement)

    def load_state(self) -> RelayState:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._select_state)
            row = c.fetchone()
            return self._state_of([row["notification_id"], row["position"], row["hash"]])

    def record(self, expected: RelayState, new: RelayState, envelopes: Sequence[StoredEnvelope]) -> None:
        _check_follows(expected, new, envelopes)
        with self.datastore.transaction(commit=True) as c:
            c.execute(self._update_state, self._update_params(expected, new))
            if c.rowcount != 1:
                raise RelayConflict(f"relay state is no longer {expected}")
            c.executemany(self._insert_envelope, self._envelope_params(envelopes))

    def read(self, after: int, limit: int) -> list[StoredEnvelope]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._select_envelopes, (after, limit))
            return [self._envelope_of([r["position"], r["event_id"], r["event_type"], r["envelope"]])
                    for r in c.fetchall()]

    def acquire_writer_lock(self) -> bool:
        import psycopg

        if self._lock_conn is not None and not self._lock_conn.closed:
            return True
        kwargs = {k: v for k, v in self.datastore.pool.kwargs.items() if k != "row_factory"}
        conn = psycopg.connect(autocommit=True, connect_timeout=5, **kwargs)
        (got,) = conn.execute("SELECT pg_try_advisory_lock(%s)", (self._lock_key,)).fetchone()
        if not got:
            conn.close()
            return False
        self._lock_conn = conn
        return True

    def release_writer_lock(self) -> None:
        if self._lock_conn is not None:
            try:
                self._lock_conn.close()  # ends the session, which releases the lock
            finally:
                self._lock_conn = None
