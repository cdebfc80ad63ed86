"""The graph adapter: all Cypher of the knowledge service lives here, parameterised, labels and types from fixed lists.

``schema`` (constraints, labels), ``writes`` (one event's writes as fragments), ``handlers`` (which
event writes what), ``batch`` (a batch as a few statements), ``bookkeeping`` (checkpoints, dead
letters, idempotency records), ``queries`` (the questions), ``checksum``, ``export`` (PROV),
``cypher_guard`` (an analyst's read-only Cypher).
"""
