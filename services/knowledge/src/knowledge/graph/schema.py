"""Uniqueness constraints on every MERGE key, and an index for every other lookup of the graph writer,
created at start (design.md, "Principles" 2).

MERGE without a constraint can create two nodes for one key when two transactions
race; with it, the second one fails and is retried. They also serve as the indexes
the projector's lookups need.
"""

from __future__ import annotations

import neo4j

FACT_LABELS: tuple[str, ...] = (
    "Plan",
    "PlanStatus",
    "RevisionSchedule",
    "Goal",
    "Indicator",
    "Measurement",
    "Strategy",
    "StrategyStatus",
    "KommuneplanAssessment",
    "StrategyItem",
    "StrategyItemVersion",
    "Decision",
    "Body",
    "ExternalInput",
    "ViewRequest",
    "Evidence",
    "Process",
    "ProcessPhase",
    "Participant",
    "Workshop",
    "Input",
    "PlanNeed",
    "Prioritisation",
    "Ballot",
    "Recommendation",
)
"""Every label a fact node may have: the projector and the checksum take labels only from here."""

OPERATIONS_LABELS: tuple[str, ...] = (
    "Event",
    "Checkpoint",
    "DeadLetter",
    "IdempotencyRecord",
    "SourceKey",
    "WitnessLog",
    "WitnessHead",
)
"""Provenance and the projector's own records (``knowledge.graph.bookkeeping``)."""

CONSTRAINTS: tuple[str, ...] = tuple(
    f"CREATE CONSTRAINT {label.lower()}_id IF NOT EXISTS FOR (n:{label}) REQUIRE n.id IS UNIQUE"
    for label in (*FACT_LABELS, "Event", "DeadLetter", "SourceKey", "WitnessHead")
) + (
    "CREATE CONSTRAINT event_source_position IF NOT EXISTS FOR (n:Event) REQUIRE (n.source, n.position) IS UNIQUE",
    "CREATE CONSTRAINT checkpoint_source IF NOT EXISTS FOR (n:Checkpoint) REQUIRE n.source IS UNIQUE",
    "CREATE CONSTRAINT witnesslog_source IF NOT EXISTS FOR (n:WitnessLog) REQUIRE n.source IS UNIQUE",
    "CREATE CONSTRAINT idempotencyrecord_key IF NOT EXISTS FOR (n:IdempotencyRecord) REQUIRE n.key IS UNIQUE",
    # not MERGE keys: the lists' order (queries.reads.seek_from), a page read from the index, not every node
    "CREATE INDEX plan_began IF NOT EXISTS FOR (n:Plan) ON (n.valid_from, n.since, n.id)",
    "CREATE INDEX goal_began IF NOT EXISTS FOR (n:Goal) ON (n.valid_from, n.since, n.id)",
    "CREATE INDEX revisionschedule_due IF NOT EXISTS FOR (n:RevisionSchedule) ON (n.revision_due, n.plan_id)",
    "DROP INDEX revisionschedule_revision_due IF EXISTS",  # the first try, on revision_due alone
    # not MERGE keys: a trace forward's look at what its input's process did after it (queries.trace_forward)
    "CREATE INDEX planneed_process IF NOT EXISTS FOR (n:PlanNeed) ON (n.process_id)",
    "CREATE INDEX prioritisation_process IF NOT EXISTS FOR (n:Prioritisation) ON (n.process_id)",
    # not a MERGE key: the graph writer's lookup of each batch's waiting heads (bookkeeping.read_witness_heads)
    "CREATE INDEX witnesshead_source_status IF NOT EXISTS FOR (n:WitnessHead) ON (n.source, n.status)",
)


async def ensure_constraints(driver: neo4j.AsyncDriver, database: str | None = None) -> None:
    async with driver.session(database=database) as session:
        for statement in CONSTRAINTS:
            await (await session.run(statement)).consume()
        await (await session.run("CALL db.awaitIndexes(60)")).consume()


async def empty_graph(driver: neo4j.AsyncDriver, database: str | None = None) -> None:
    """Delete every node and relationship, in chunks so a large graph does not need one huge transaction."""
    async with driver.session(database=database) as session:
        await (await session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS")).consume()
