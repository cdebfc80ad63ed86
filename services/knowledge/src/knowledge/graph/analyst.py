"""Analysts' own Cypher: guarded, on a connection pool of its own, bounded in time, rows, bytes and concurrency.

design.md ("Access") gives analysts read-only Cypher with limits; the graph is rebuilt
only from events, so nothing may write to it from the side, and no query may starve the
projector. The fences, each catching what the one before cannot:

1. ``cypher_guard.check``: an allow-list of read clauses on Neo4j's own tokens, with
   bounds on length, nesting and value growth; Neo4j runs the tokens the guard checked;
2. ``EXPLAIN`` in the same transaction: the planner must call the query a read (``r``);
3. a READ transaction with a server-side timeout; the server (deploy/neo4j's launcher)
   also has a memory limit per transaction, no file or network access for LOAD CSV and
   no plugin procedures;
4. here: at most ``row_limit`` rows and ``max_bytes`` of JSON come back; the analysts'
   driver has its own small pool (``pool_size``), so the projector's driver is never
   waited for; each token may run ``per_token`` queries at once; a query that gets no
   answer within the timeout plus a grace is abandoned and its connection closed.

Every failure is an ``AnalystError`` with an HTTP status: 400 when the query is at fault
(refused, syntax, over a limit), 429 when the token already runs its share, 503 when the
server is (unreachable, busy, failing). Never a 500.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import neo4j
from neo4j import exceptions as neo4j_errors

from knowledge.graph.cypher_guard import CypherRefused, GuardedQuery, Limits, check
from knowledge.graph.values import to_json

log = logging.getLogger("knowledge.analyst")

GRACE_SECONDS = 5.0
"""How long past the transaction timeout the service waits for Neo4j before it gives up on the connection."""

YIELD_EVERY = 20
"""Rows converted to JSON between two turns of the event loop, so that a large answer starves nobody."""

EXPLAIN = "EXPLAIN "
QUERY_TYPES = {
    "rw": "reads and writes",
    "w": "writes",
    "s": "changes the schema or the system",
    "s/w": "writes the schema",
}


@dataclass(frozen=True)
class AnalystLimits:
    timeout_seconds: float = 10.0
    row_limit: int = 1000
    max_bytes: int = 2_000_000
    per_token: int = 2
    guard: Limits = field(default_factory=Limits)


LimitedBy = Literal["rows", "bytes"]
"""The limit that cut an answer: the row limit or the byte limit."""


@dataclass(frozen=True)
class CypherAnswer:
    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool
    row_limit: int
    byte_limit: int
    limited_by: LimitedBy | None
    """What cut the answer, or None when it is whole."""


class AnalystError(Exception):
    def __init__(self, status: int, detail: str, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.retry_after = retry_after


class AnalystQueries:
    """Runs analysts' queries on ``driver`` (its own, see ``connect``), within ``limits``."""

    def __init__(
        self, driver: neo4j.AsyncDriver, *, database: str | None = None, limits: AnalystLimits = AnalystLimits()
    ) -> None:
        self.driver = driver
        self.database = database
        self.limits = limits
        self._running: Counter[str] = Counter()

    @classmethod
    def connect(
        cls,
        uri: str,
        auth: tuple[str, str],
        *,
        database: str | None = None,
        pool_size: int = 4,
        acquire_seconds: float = 2.0,
        limits: AnalystLimits = AnalystLimits(),
    ) -> AnalystQueries:
        """A driver for analysts only: ``pool_size`` connections, waiting ``acquire_seconds`` at most for one."""
        driver = neo4j.AsyncGraphDatabase.driver(
            uri,
            auth=auth,
            max_connection_pool_size=pool_size,
            connection_acquisition_timeout=acquire_seconds,
            connection_timeout=5.0,
            max_transaction_retry_time=0.0,
            fetch_size=200,
            user_agent="planspor-knowledge-analyst",
            notifications_min_severity="OFF",
        )
        return cls(driver, database=database, limits=limits)

    async def aclose(self) -> None:
        await self.driver.close()

    async def run(self, who: str, query: str, params: dict[str, Any] | None = None) -> CypherAnswer:
        """The answer to ``who``'s query, or ``AnalystError``: 400 the query's fault, 429 too many, 503 the server's."""
        params = dict(params or {})
        try:
            guarded = check(query, params, self.limits.guard)
        except CypherRefused as refused:
            raise AnalystError(400, refused.reason) from None
        with self._slot(who):
            try:
                async with asyncio.timeout(self.limits.timeout_seconds + GRACE_SECONDS):
                    return await self._read(who, guarded, params)
            except TimeoutError:
                raise AnalystError(
                    503,
                    f"the graph did not answer within {self.limits.timeout_seconds:g} s "
                    "and the connection was given up; try again later",
                    retry_after=5,
                ) from None
            except neo4j_errors.Neo4jError as error:
                raise translate(error, guarded, self.limits) from None
            except neo4j_errors.DriverError as error:
                raise AnalystError(503, f"the graph is not reachable or busy: {error}", retry_after=2) from None

    @contextmanager
    def _slot(self, who: str) -> Iterator[None]:
        if self._running[who] >= self.limits.per_token:
            raise AnalystError(
                429, f"this token already runs {self.limits.per_token} queries; wait for one to finish", retry_after=1
            )
        self._running[who] += 1
        try:
            yield
        finally:
            self._running[who] -= 1
            if not self._running[who]:
                del self._running[who]

    async def _read(self, who: str, guarded: GuardedQuery, params: dict[str, Any]) -> CypherAnswer:
        limits = self.limits
        async with self.driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as session:
            tx = await session.begin_transaction(
                timeout=limits.timeout_seconds, metadata={"app": "planspor-analyst", "by": who}
            )
            try:
                try:
                    plan = await (await tx.run(EXPLAIN + guarded.text, params)).consume()
                except neo4j_errors.Neo4jError as error:
                    raise translate(error, guarded, limits, shift=len(EXPLAIN)) from None
                if (plan.query_type or "") != "r":
                    kind = QUERY_TYPES.get(plan.query_type or "", f"is of type {plan.query_type!r}")
                    raise AnalystError(
                        400, f"refused: the planner says this query {kind}; this endpoint only runs read-only queries"
                    )
                result = await tx.run(guarded.text, params)
                columns = list(result.keys())
                rows: list[dict[str, Any]] = []
                size = 2
                limited_by: LimitedBy | None = None
                async for record in result:
                    if len(rows) >= limits.row_limit:
                        limited_by = "rows"
                        break
                    row = {key: to_json(record[key]) for key in columns}
                    size += len(json.dumps(row, ensure_ascii=False, default=str).encode()) + 1
                    if size > limits.max_bytes:
                        limited_by = "bytes"
                        break
                    rows.append(row)
                    if len(rows) % YIELD_EVERY == 0:
                        await asyncio.sleep(0)  # let the service's other requests and the projector run between rows
            finally:
                await _close_quietly(tx)
        return CypherAnswer(columns, rows, limited_by is not None, limits.row_limit, limits.max_bytes, limited_by)


async def _close_quietly(tx: neo4j.AsyncTransaction) -> None:
    """Roll the read back; a transaction the server already ended (timeout, error) has nothing left to close."""
    try:
        await tx.close()
    except (neo4j_errors.Neo4jError, neo4j_errors.DriverError):
        pass


def translate(
    error: neo4j_errors.Neo4jError, guarded: GuardedQuery, limits: AnalystLimits, shift: int = 0
) -> AnalystError:
    """Neo4j's error as the analyst's (400) or the server's (503), in the analyst's terms.

    ``shift``: how many characters stood before the guarded text in what Neo4j ran (``EXPLAIN ``).
    """
    code = error.code or ""
    message = _without_excerpt(error.message or code, guarded, shift)
    if "TransactionTimedOut" in code or code.endswith("Transaction.Terminated") or "TransactionMarkedAsFailed" in code:
        return AnalystError(
            400,
            f"the query ran longer than the time limit of {limits.timeout_seconds:g} s and was "
            "stopped; narrow it (a label, a WHERE, a LIMIT)",
        )
    if "MemoryPoolOutOfMemoryError" in code:
        return AnalystError(
            400, "the query needed more memory than one query may use and was stopped; narrow it or aggregate earlier"
        )
    if isinstance(error, neo4j_errors.CypherSyntaxError):
        return AnalystError(400, f"syntax error: {message}")
    if "AccessMode" in code or code.startswith("Neo.ClientError.Security"):
        return AnalystError(400, "refused: the query tried to write; this endpoint only runs read-only queries")
    if isinstance(error, neo4j_errors.ClientError) or code.startswith("Neo.DatabaseError.Statement"):
        return AnalystError(400, f"the query failed: {message}")
    log.warning("analyst query failed on the server: %s %s", code, error.message)
    return AnalystError(503, f"the graph could not run the query ({code or 'no code'}); try again later", retry_after=2)


_POSITION = re.compile(r"\s*\(line (\d+), column (\d+) \(offset: (\d+)\)\)")


def _without_excerpt(message: str, guarded: GuardedQuery, shift: int) -> str:
    """Neo4j's message without its copy of the query, with positions given in the query as the analyst sent it."""
    first = message.split('\n"', 1)[0].strip()

    def where(match: re.Match[str]) -> str:
        origin = guarded.origin(int(match.group(3)) - shift)
        return f" (line {origin[0]}, column {origin[1]})" if origin else ""

    return _POSITION.sub(where, first)[:500]
