"""Where a relay keeps its place, what it published, and the source's Merkle log, in the service's own database.

The relay state (last notification id, last position, last hash), the envelopes it
published and the Merkle log over them are written in ONE transaction after the broker
has acknowledged them, in the same database as the event store: after a crash the
relay resumes from what was recorded, the feed serves exactly what the stream holds,
and the log always covers exactly the recorded envelopes. The state row is updated
compare-and-set (``expected`` must still be the recorded state), so a second writer can
never record over the first; the writer lock (``acquire_writer_lock``) only spares the
loser the wasted work.

Tables (``<app>_`` prefixed on PostgreSQL): ``relay_state``, ``relay_envelopes``; the log:
``relay_log`` (its size and compact range, the right edge of the tree), ``relay_nodes``
(perfect subtree hashes from level ``NODE_LEVEL`` up, for proofs), ``relay_heads`` (signed
tree heads) and ``relay_keys`` (the source's signing keys and where each took over).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from planspor_runtime.checkpoints import NODE_LEVEL, Head, KeyChange, KeyRecord, LogState, advance_log, leaf_of
from planspor_shared.canonical import GENESIS_HASH

if TYPE_CHECKING:
    from planspor_runtime.application import ServiceApplication

__all__ = [
    "Head",
    "KeyChange",
    "KeyRecord",
    "LogState",
    "MemoryRelayStore",
    "PostgresRelayStore",
    "RelayConflict",
    "RelayState",
    "RelayStore",
    "SQLiteRelayStore",
    "StoredEnvelope",
]


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
    def for_application(cls, application: ServiceApplication) -> RelayStore:
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
    def record(
        self,
        expected: RelayState,
        new: RelayState,
        envelopes: Sequence[StoredEnvelope],
        key_change: KeyChange | None = None,
    ) -> None:
        """Record ``envelopes``, their leaves in the log, and move the state from ``expected`` to ``new``,
        in one transaction; with ``key_change``, the staged key takes over where it says.

        Raises ``RelayConflict`` (and records nothing) if the recorded state is not ``expected``.
        """

    @abstractmethod
    def read(self, after: int, limit: int) -> list[StoredEnvelope]:
        """Envelopes with position > ``after``, in position order, at most ``limit``."""

    # the log
    @abstractmethod
    def log_state(self) -> LogState:
        """The log's size and compact range (catching up first with envelopes recorded before the log existed)."""

    @abstractmethod
    def node(self, level: int, index: int) -> bytes:
        """A stored perfect subtree hash (``level >= NODE_LEVEL``); ``KeyError`` if the log has no such node."""

    @abstractmethod
    def add_head(self, head: Head) -> bool:
        """Keep a signed head; False (and nothing changed) if one of that size is kept already."""

    @abstractmethod
    def heads(self, after_size: int = -1, limit: int = 1000) -> list[Head]:
        """Heads with size > ``after_size``, smallest first."""

    @abstractmethod
    def latest_head(self) -> Head | None: ...

    # the keys
    @abstractmethod
    def keys(self) -> list[KeyRecord]:
        """The source's keys in the order they took over, then a staged one (``from_position`` None)."""

    @abstractmethod
    def add_key(self, key: KeyRecord) -> None:
        """The first key (with its ``from_position``) or a staged rotation (without); kept once per vkey."""

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
        self._log = LogState()
        self._nodes: dict[tuple[int, int], bytes] = {}
        self._heads: dict[int, Head] = {}
        self._keys: list[KeyRecord] = []
        self._mutex = threading.Lock()
        self._locked = False

    def load_state(self) -> RelayState:
        return self._state

    def record(
        self,
        expected: RelayState,
        new: RelayState,
        envelopes: Sequence[StoredEnvelope],
        key_change: KeyChange | None = None,
    ) -> None:
        with self._mutex:
            if self._state != expected:
                raise RelayConflict(f"state is {self._state}, not {expected}")
            _check_follows(expected, new, envelopes)
            log, nodes = advance_log(self._log, [leaf_of(e) for e in envelopes])
            self._envelopes.extend(envelopes)
            self._log = log
            self._nodes.update(((level, index), h) for level, index, h in nodes)
            if key_change is not None:
                self._keys = [key_change.applied_to(k) for k in self._keys]
            self._state = new

    def read(self, after: int, limit: int) -> list[StoredEnvelope]:
        start = max(after, 0)
        return list(self._envelopes[start : start + limit])

    def log_state(self) -> LogState:
        return self._log

    def node(self, level: int, index: int) -> bytes:
        return self._nodes[(level, index)]

    def add_head(self, head: Head) -> bool:
        with self._mutex:
            if head.size in self._heads:
                return False
            self._heads[head.size] = head
            return True

    def heads(self, after_size: int = -1, limit: int = 1000) -> list[Head]:
        return [self._heads[s] for s in sorted(self._heads) if s > after_size][:limit]

    def latest_head(self) -> Head | None:
        return self._heads[max(self._heads)] if self._heads else None

    def keys(self) -> list[KeyRecord]:
        return sorted(self._keys, key=KeyRecord.order)

    def add_key(self, key: KeyRecord) -> None:
        with self._mutex:
            if all(k.vkey != key.vkey for k in self._keys):
                self._keys.append(key)

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
    """The tables and the statements, written once; subclasses give the placeholder, rows and the lock."""

    placeholder = "?"

    def __init__(self, datastore: Any, table: Callable[[str], str]) -> None:
        self.datastore = datastore
        self.tables = t = {name: table(name) for name in ("state", "envelopes", "log", "nodes", "heads", "keys")}
        p = self.placeholder
        self._select_state = f"SELECT notification_id, position, hash FROM {t['state']} WHERE id = 1"
        self._update_state = (
            f"UPDATE {t['state']} SET notification_id = {p}, position = {p}, hash = {p} "
            f"WHERE id = 1 AND notification_id = {p} AND position = {p} AND hash = {p}"
        )
        self._insert_envelope = (
            f"INSERT INTO {t['envelopes']} (position, event_id, event_type, envelope) VALUES ({p}, {p}, {p}, {p})"
        )
        self._select_envelopes = (
            f"SELECT position, event_id, event_type, envelope FROM {t['envelopes']} "
            f"WHERE position > {p} ORDER BY position LIMIT {p}"
        )
        self._select_log = f"SELECT size, frontier FROM {t['log']} WHERE id = 1"
        self._update_log = f"UPDATE {t['log']} SET size = {p}, frontier = {p} WHERE id = 1 AND size = {p}"
        self._insert_node = f"INSERT INTO {t['nodes']} (level, idx, hash) VALUES ({p}, {p}, {p})"
        self._select_node = f"SELECT hash FROM {t['nodes']} WHERE level = {p} AND idx = {p}"
        self._insert_head = (
            f"INSERT INTO {t['heads']} (size, root, issued_at, checkpoint) VALUES ({p}, {p}, {p}, {p}) "
            "ON CONFLICT (size) DO NOTHING"
        )
        self._select_heads = (
            f"SELECT size, root, issued_at, checkpoint FROM {t['heads']} WHERE size > {p} ORDER BY size LIMIT {p}"
        )
        self._select_latest_head = (
            f"SELECT size, root, issued_at, checkpoint FROM {t['heads']} ORDER BY size DESC LIMIT 1"
        )
        self._select_keys = f"SELECT vkey, from_position, announced_at, staged_at FROM {t['keys']}"
        self._insert_key = (
            f"INSERT INTO {t['keys']} (vkey, from_position, announced_at, staged_at) "
            f"VALUES ({p}, {p}, {p}, {p}) ON CONFLICT (vkey) DO NOTHING"
        )
        self._start_key = (
            f"UPDATE {t['keys']} SET from_position = {p}, announced_at = {p} WHERE vkey = {p} AND from_position IS NULL"
        )

    def create_table_statements(self) -> list[str]:
        t = self.tables
        return [
            f"CREATE TABLE IF NOT EXISTS {t['state']} (id INTEGER PRIMARY KEY, "
            "notification_id BIGINT NOT NULL, position BIGINT NOT NULL, hash TEXT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {t['envelopes']} (position BIGINT PRIMARY KEY, "
            "event_id TEXT NOT NULL UNIQUE, event_type TEXT NOT NULL, envelope TEXT NOT NULL)",
            f"INSERT INTO {t['state']} (id, notification_id, position, hash) "
            f"VALUES (1, 0, 0, '{GENESIS_HASH}') ON CONFLICT (id) DO NOTHING",
            f"CREATE TABLE IF NOT EXISTS {t['log']} (id INTEGER PRIMARY KEY, size BIGINT NOT NULL, "
            "frontier TEXT NOT NULL)",
            f"INSERT INTO {t['log']} (id, size, frontier) VALUES (1, 0, '') ON CONFLICT (id) DO NOTHING",
            f"CREATE TABLE IF NOT EXISTS {t['nodes']} (level INTEGER NOT NULL, idx BIGINT NOT NULL, "
            "hash TEXT NOT NULL, PRIMARY KEY (level, idx))",
            f"CREATE TABLE IF NOT EXISTS {t['heads']} (size BIGINT PRIMARY KEY, root TEXT NOT NULL, "
            "issued_at TEXT NOT NULL, checkpoint TEXT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {t['keys']} (vkey TEXT PRIMARY KEY, from_position BIGINT UNIQUE, "
            "announced_at BIGINT, staged_at TEXT NOT NULL)",
        ]

    # subclasses: how a row reads and how many rows a statement changed
    @staticmethod
    def _row(row: Any) -> tuple[Any, ...]:
        return tuple(row.values()) if isinstance(row, dict) else tuple(row)

    @abstractmethod
    def _rowcount(self, cursor: Any) -> int: ...

    def _fetchone(self, c: Any) -> tuple[Any, ...] | None:
        row = c.fetchone()
        return None if row is None else self._row(row)

    def _fetchall(self, c: Any) -> list[tuple[Any, ...]]:
        return [self._row(row) for row in c.fetchall()]

    def _fetch_the_row(self, c: Any) -> tuple[Any, ...]:
        """The one row of the state or the log table: the tables are created with it, so it is always there."""
        row = self._fetchone(c)
        if row is None:
            raise RuntimeError(f"the relay's tables {sorted(self.tables.values())} lack their first row")
        return row

    # ------------------------------------------------------------------ state and envelopes

    def load_state(self) -> RelayState:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._select_state)
            row = self._fetch_the_row(c)
        return RelayState(notification_id=int(row[0]), position=int(row[1]), hash=str(row[2]))

    def record(
        self,
        expected: RelayState,
        new: RelayState,
        envelopes: Sequence[StoredEnvelope],
        key_change: KeyChange | None = None,
    ) -> None:
        _check_follows(expected, new, envelopes)
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                self._update_state,
                (
                    new.notification_id,
                    new.position,
                    new.hash,
                    expected.notification_id,
                    expected.position,
                    expected.hash,
                ),
            )
            if self._rowcount(c) != 1:
                raise RelayConflict(f"relay state is no longer {expected}")
            c.executemany(
                self._insert_envelope,
                [(e.position, e.event_id, e.event_type, e.canonical.decode("utf-8")) for e in envelopes],
            )
            log = self._catch_up(c, self._log_in(c), expected.position)
            self._append(c, log, [leaf_of(e) for e in envelopes])
            if key_change is not None:
                c.execute(self._start_key, (key_change.from_position, key_change.announced_at, key_change.vkey))
                if self._rowcount(c) != 1:
                    raise RelayConflict(f"key {key_change.vkey[:40]}... is not staged")

    def read(self, after: int, limit: int) -> list[StoredEnvelope]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._select_envelopes, (after, limit))
            rows = self._fetchall(c)
        return [StoredEnvelope(int(r[0]), str(r[1]), str(r[2]), str(r[3]).encode("utf-8")) for r in rows]

    # ------------------------------------------------------------------ the log

    def _log_in(self, c: Any) -> LogState:
        c.execute(self._select_log)
        row = self._fetch_the_row(c)
        return LogState.decode(int(row[0]), str(row[1]))

    def _append(self, c: Any, log: LogState, leaves: list[bytes]) -> LogState:
        if not leaves:
            return log
        new, nodes = advance_log(log, leaves)
        c.execute(self._update_log, (new.size, new.encode(), log.size))
        if self._rowcount(c) != 1:
            raise RelayConflict(f"the log is no longer of size {log.size}")
        c.executemany(self._insert_node, [(level, index, h.hex()) for level, index, h in nodes])
        return new

    def _catch_up(self, c: Any, log: LogState, size: int) -> LogState:
        """Append the leaves of envelopes recorded before the log existed (an older store), up to ``size``."""
        while log.size < size:
            c.execute(self._select_envelopes, (log.size, min(1000, size - log.size)))
            rows = self._fetchall(c)
            if not rows:
                raise RelayConflict(f"the log is at {log.size} but no envelope follows")
            log = self._append(c, log, [leaf_of(StoredEnvelope(int(r[0]), "", "", str(r[3]).encode())) for r in rows])
        return log

    def log_state(self) -> LogState:
        with self.datastore.transaction(commit=False) as c:
            log = self._log_in(c)
            c.execute(self._select_state)
            position = int(self._fetch_the_row(c)[1])
        if log.size >= position:
            return log
        with self.datastore.transaction(commit=True) as c:
            return self._catch_up(c, self._log_in(c), position)

    def node(self, level: int, index: int) -> bytes:
        if level < NODE_LEVEL:
            raise KeyError((level, index))
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._select_node, (level, index))
            row = self._fetchone(c)
        if row is None:
            raise KeyError((level, index))
        return bytes.fromhex(str(row[0]))

    def add_head(self, head: Head) -> bool:
        with self.datastore.transaction(commit=True) as c:
            c.execute(self._insert_head, (head.size, head.root.hex(), head.time, head.checkpoint))
            return self._rowcount(c) == 1

    def heads(self, after_size: int = -1, limit: int = 1000) -> list[Head]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._select_heads, (after_size, limit))
            return [Head(int(r[0]), bytes.fromhex(str(r[1])), str(r[2]), str(r[3])) for r in self._fetchall(c)]

    def latest_head(self) -> Head | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._select_latest_head)
            row = self._fetchone(c)
        return None if row is None else Head(int(row[0]), bytes.fromhex(str(row[1])), str(row[2]), str(row[3]))

    # ------------------------------------------------------------------ the keys

    def keys(self) -> list[KeyRecord]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._select_keys)
            rows = self._fetchall(c)
        records = [
            KeyRecord(str(r[0]), None if r[1] is None else int(r[1]), None if r[2] is None else int(r[2]), str(r[3]))
            for r in rows
        ]
        return sorted(records, key=KeyRecord.order)

    def add_key(self, key: KeyRecord) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(self._insert_key, (key.vkey, key.from_position, key.announced_at, key.staged_at))


class SQLiteRelayStore(_SQLRelayStore):
    """Tables ``relay_*`` in the application's SQLite file."""

    def __init__(self, datastore: Any) -> None:
        super().__init__(datastore, lambda name: f"relay_{name}")
        self._lock_fd: int | None = None
        self._memory_lock: threading.Lock | None = None
        for statement in self.create_table_statements():
            # one statement per transaction: in WAL mode a read that becomes a write fails at once
            # (SQLITE_BUSY_SNAPSHOT) when another process wrote in between, instead of waiting its turn
            with self.datastore.transaction(commit=True) as c:
                c.execute(statement)

    def _rowcount(self, cursor: Any) -> int:
        return cursor.sqlite_cursor.rowcount

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
    """Tables ``<app>_relay_*`` beside ``<app>_events``.

    The writer lock is a session advisory lock on a connection of its own: the
    server releases it when that session ends, however the relay died.
    """

    placeholder = "%s"

    def __init__(self, datastore: Any, table_prefix: str) -> None:
        schema = datastore.schema
        super().__init__(datastore, lambda name: f'"{schema}"."{table_prefix}_relay_{name}"')
        digest = hashlib.sha256(f"planspor-relay:{schema}.{table_prefix}".encode()).digest()
        self._lock_key = int.from_bytes(digest[:8], "big", signed=True)
        self._lock_conn: Any = None
        with self.datastore.transaction(commit=True) as c:
            for statement in self.create_table_statements():
                c.execute(statement)

    def _rowcount(self, cursor: Any) -> int:
        return cursor.rowcount

    def acquire_writer_lock(self) -> bool:
        import psycopg

        if self._lock_conn is not None and not self._lock_conn.closed:
            return True
        kwargs = {k: v for k, v in self.datastore.pool.kwargs.items() if k != "row_factory"}
        conn = psycopg.connect(autocommit=True, connect_timeout=5, **kwargs)
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (self._lock_key,)).fetchone()
        if row is None or not row[0]:
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
