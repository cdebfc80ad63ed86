"""The words of the allow-list: the functions and procedures an analyst may call, and why the rest is refused.

Everything not named here is refused. The reasons for the usual refusals are kept so
an analyst who types ``DETACH DELETE`` or ``LOAD CSV`` learns why, not only that.
"""

from __future__ import annotations

FUNCTIONS: frozenset[str] = frozenset(
    name.lower()
    for name in (
        # aggregating (their memory is tracked by Neo4j's transaction memory limit)
        "avg", "collect", "count", "max", "min", "percentileCont", "percentileDisc", "stdev", "stdevp", "sum",
        # numeric, logarithmic, trigonometric
        "abs", "ceil", "floor", "isNaN", "rand", "round", "sign", "e", "exp", "log", "log10", "sqrt",
        "acos", "asin", "atan", "atan2", "cos", "cot", "degrees", "haversin", "pi", "radians", "sin", "tan",
        # strings (replace only in a form that cannot grow the text, see the parser)
        "btrim", "left", "lower", "ltrim", "replace", "reverse", "right", "rtrim", "split", "substring",
        "toLower", "toString", "toStringOrNull", "toUpper", "trim", "upper", "char_length", "character_length",
        # lists (range only with literal bounds, see the parser)
        "head", "keys", "labels", "last", "nodes", "range", "relationships", "size", "tail",
        "toBooleanList", "toFloatList", "toIntegerList", "toStringList", "isEmpty",
        # scalar
        "coalesce", "elementId", "endNode", "id", "length", "nullIf", "properties", "randomUUID", "startNode",
        "timestamp", "toBoolean", "toBooleanOrNull", "toFloat", "toFloatOrNull", "toInteger", "toIntegerOrNull",
        "type", "valueType",
        # temporal and spatial
        "date", "date.realtime", "date.statement", "date.transaction", "date.truncate",
        "datetime", "datetime.fromepoch", "datetime.fromepochmillis", "datetime.realtime", "datetime.statement",
        "datetime.transaction", "datetime.truncate",
        "duration", "duration.between", "duration.inDays", "duration.inMonths", "duration.inSeconds",
        "localdatetime", "localdatetime.realtime", "localdatetime.statement", "localdatetime.transaction",
        "localdatetime.truncate",
        "localtime", "localtime.realtime", "localtime.statement", "localtime.transaction", "localtime.truncate",
        "time", "time.realtime", "time.statement", "time.transaction", "time.truncate",
        "point", "point.distance", "point.withinBBox",
        "vector.similarity.cosine", "vector.similarity.euclidean",
    )
)
"""Built-in functions of Neo4j 5.26 an analyst may call (compared case-insensitively, as Neo4j does).

Left out: ``reduce`` (builds a value step by step where Neo4j's memory limit does not look),
``file``/``linenumber`` (LOAD CSV), ``graph.byName``/``graph.byElementId`` (other graphs),
and every user-defined function."""

PROCEDURES: frozenset[str] = frozenset({"db.labels", "db.relationshipTypes", "db.propertyKeys"})
"""Read-only schema procedures an analyst may CALL (names are case-sensitive in Neo4j)."""

WRITES = "writes to the graph; this endpoint only runs read-only queries"
ADMIN = "is an administration command; this endpoint only runs read-only queries"

REFUSED_WORDS: dict[str, str] = {
    "CREATE": f"CREATE {WRITES} (or creates an index, constraint or database)",
    "INSERT": f"INSERT {WRITES}",
    "MERGE": f"MERGE {WRITES}",
    "SET": f"SET {WRITES}",
    "REMOVE": f"REMOVE {WRITES}",
    "DELETE": f"DELETE {WRITES}",
    "DETACH": f"DETACH DELETE {WRITES}",
    "NODETACH": f"NODETACH DELETE {WRITES}",
    "FOREACH": f"FOREACH exists only to write; this endpoint only runs read-only queries",
    "DROP": f"DROP {ADMIN}",
    "ALTER": f"ALTER {ADMIN}",
    "RENAME": f"RENAME {ADMIN}",
    "GRANT": f"GRANT {ADMIN}",
    "DENY": f"DENY {ADMIN}",
    "REVOKE": f"REVOKE {ADMIN}",
    "START": f"START {ADMIN}",
    "STOP": f"STOP {ADMIN}",
    "ENABLE": f"ENABLE {ADMIN}",
    "DRYRUN": f"DRYRUN {ADMIN}",
    "DEALLOCATE": f"DEALLOCATE {ADMIN}",
    "REALLOCATE": f"REALLOCATE {ADMIN}",
    "TERMINATE": "TERMINATE ends other sessions' transactions; this endpoint only runs read-only queries",
    "SHOW": "SHOW commands expose users, settings and other sessions' queries; they are not offered here",
    "LOAD": "LOAD CSV reads files and URLs from the server's side; this endpoint only reads the graph",
    "USE": "USE switches database (e.g. to system); this endpoint only reads the graph",
    "FINISH": "FINISH returns nothing; end the query with RETURN",
    "EXPLAIN": "EXPLAIN/PROFILE are added by the endpoint itself; send the query alone",
    "PROFILE": "EXPLAIN/PROFILE are added by the endpoint itself; send the query alone",
    "CYPHER": "query options (CYPHER ...) are not offered here",
    "PERIODIC": "USING PERIODIC COMMIT is for writes",
    "TRANSACTIONS": "CALL {} IN TRANSACTIONS commits in batches; only one read transaction is allowed",
    "REDUCE": "reduce() builds a value step by step where Neo4j's memory limit does not look; "
              "use UNWIND with sum() or collect(), or a list comprehension",
}
"""Words that begin something refused, with the reason given back."""

RESERVED: frozenset[str] = frozenset(REFUSED_WORDS) | frozenset({
    "MATCH", "OPTIONAL", "WITH", "RETURN", "UNWIND", "CALL", "UNION", "WHERE", "ORDER", "SKIP", "OFFSET", "LIMIT",
    "AS", "AND", "OR", "XOR", "NOT", "IN", "IS", "CASE", "WHEN", "THEN", "ELSE", "END", "DISTINCT", "YIELD",
    "USING", "ASC", "ASCENDING", "DESC", "DESCENDING", "STARTS", "ENDS", "CONTAINS", "NULL", "TRUE", "FALSE", "BY",
    "EXISTS", "COUNT", "COLLECT", "ALL", "ANY", "NONE", "SINGLE", "SHORTESTPATH", "ALLSHORTESTPATHS",
})
"""Words that may not be a variable unless backticked, so that no name can stand where Neo4j reads a keyword."""
