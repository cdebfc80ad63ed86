"""The Cypher guard on its own: it reads a query as Neo4j 5.26 does, lets analysts' reads through, and refuses the rest
saying why and where. (That Neo4j reads the tricky inputs the same way is checked against the server in
tests/integration/test_kq_cypher_lexer_agrees.py.)"""

from __future__ import annotations

from datetime import UTC

import pytest

from knowledge.graph.cypher_guard import CypherRefused, Limits, check, tokenize
from knowledge.graph.cypher_guard.regex import UnsafeRegex, check_regex
from knowledge.graph.values import to_json

pytestmark = pytest.mark.unit


def refusal(query: str, params: dict | None = None, limits: Limits = Limits()) -> str:
    with pytest.raises(CypherRefused) as refused:
        check(query, params, limits)
    return refused.value.reason


# ---------------------------------------------------------------------------------- reading as Neo4j reads


def test_a_carriage_return_ends_a_line_comment_as_it_does_for_neo4j():
    assert "refused DETACH" in refusal("MATCH (n) // harmless\rDETACH DELETE n")
    assert "refused LOAD" in refusal("RETURN 1 AS x // x\r\nLOAD CSV FROM 'file:///etc/passwd' AS l RETURN l")


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085", "\u000b", "\u000c", "\u001e"])
def test_a_line_separator_that_neo4j_does_not_end_a_comment_at_is_refused_inside_one(separator):
    reason = refusal(f"MATCH (n) RETURN n // note{separator}LIMIT 1")
    assert "runs on past" in reason and "line 1, column 27" in reason


def test_unicode_escapes_are_read_before_the_tokens_as_neo4j_reads_them():
    assert "refused DETACH" in refusal("MATCH (n) // note\\u000a DETACH DELETE n")
    assert "refused DETACH" in refusal("MATCH (n) /* \\u002a/ DETACH DELETE n /* */ RETURN n")
    assert "refused LOAD" in refusal("\\u004cOAD CSV FROM 'file:///etc/passwd' AS l RETURN l")
    assert "refused SET" in refusal("MATCH (n) \\u0053ET n.x = 1")


def test_an_escaped_quote_written_as_unicode_ends_the_string_and_what_follows_is_read_as_code():
    guarded = check("RETURN 'a\\u0027, 2 AS y // ' AS x")
    assert guarded.text == "RETURN 'a', 2 AS y"  # the comment is gone: Neo4j runs exactly this


def test_an_escape_that_would_be_read_a_second_time_is_refused():
    assert "read twice" in refusal("RETURN 'a\\u005cu0027' AS x")


def test_a_malformed_unicode_escape_is_refused_where_it_stands():
    assert "four hexadecimal digits" in refusal("RETURN 1 AS x \\uu0041")
    assert "line 1, column 8" in refusal("RETURN \\u12G4 AS x")


def test_an_escaped_backslash_keeps_the_u_as_text():
    assert check("RETURN 'a\\\\u0027' AS x").text == "RETURN 'a\\\\u0027' AS x"


def test_backticked_names_take_doubled_backticks_and_any_character():
    [_, name, _, alias] = tokenize("RETURN `a``b` AS `CREATE (n)`")
    assert (name.kind, name.value) == ("name", "a`b")
    assert (alias.kind, alias.value) == ("name", "CREATE (n)")


def test_strings_keep_keywords_and_escapes_as_text():
    check("MATCH (p:Plan) WHERE p.title CONTAINS 'CREATE' OR p.note = \"DETACH DELETE\" RETURN p")
    [_, text, *_] = tokenize(r"RETURN 'it\'s \t \( DELETE' AS s")
    assert text.value == "it's \t \\( DELETE"


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("RETURN 1 AS x\u200b, 2 AS y", "U+200B"),
        ("RETURN 1 AS x\u0000", "U+0000"),
        ("MATCH (a)\u2014[:R]\u2192(b) RETURN a", "U+2014"),
        ("RETURN a$b", "$ inside a name"),
        ("RETURN 017 AS x", "malformed number"),
        ("RETURN 1.2.3 AS x", "malformed number"),
    ],
)
def test_characters_neo4j_might_read_otherwise_are_refused(query, reason):
    assert reason in refusal(query)


def test_numbers_are_read_whole():
    assert [t.text for t in tokenize("RETURN 0x1F, 0o17, 1_000, .5, 1e3, 1.5e-3, [1..3]") if t.kind == "number"] == [
        "0x1F",
        "0o17",
        "1_000",
        ".5",
        "1e3",
        "1.5e-3",
        "1",
        "3",
    ]


def test_neo4j_runs_the_checked_tokens_without_comments_and_with_their_spacing():
    guarded = check("MATCH (p:Plan) // plans\n  RETURN p.title, count(*) /* n */ AS n, \\u0070.id")
    assert guarded.text == "MATCH (p:Plan) RETURN p.title, count(*) AS n, p.id"
    assert guarded.origin(guarded.text.index("count")) == (2, 19)


# ---------------------------------------------------------------------------------- what analysts may write


ALLOWED = [
    "MATCH (p:Plan) RETURN p.id, p.title ORDER BY p.id LIMIT 10",
    "MATCH (p:Plan)-[:ANCHORED_IN]->(g:Goal {title: 'Klimanøytralt og bærekraftig Bærum'}) RETURN p.title AS plan "
    "ORDER BY plan",
    "MATCH (n) UNWIND labels(n) AS label WITH label WHERE label IN $labels RETURN label, count(*) AS n",
    "MATCH (p:Plan {id: $plan})-[:INITIATED_THROUGH]->(i:StrategyItem) RETURN i.origin AS origin",
    "MATCH (p:Plan) RETURN p.set, p.created, p.delete AS `delete`",
    "MATCH (s:Set) RETURN s",
    "MATCH ()-[r:REMOVE]->() RETURN count(r)",
    "RETURN {set: 1, merge: 2} AS m",
    "MATCH (p:Plan) WHERE p.id = $create RETURN p",
    "CALL db.labels() YIELD label RETURN label",
    "CALL db.relationshipTypes()",
    "CALL db.propertyKeys",
    "MATCH (p:Plan) CALL (p) { MATCH (p)-[:ANCHORED_IN]->(g:Goal) RETURN count(g) AS goals } RETURN p.id, goals",
    "CALL { MATCH (n:Plan) RETURN n } RETURN count(n)",
    "MATCH (n) RETURN n;",
    "// why: count the plans\nMATCH (n:Plan) RETURN count(n)",
    "MATCH (p:Plan)-[:PART_OF*1..3]->(q:Plan) USING INDEX q:Plan(id) WHERE q.id = 'x' RETURN p",
    "MATCH (p:Plan) WHERE EXISTS { MATCH (p)-[:ANCHORED_IN]->(:Goal) } RETURN p",
    "MATCH (p:Plan) RETURN COUNT { (p)-[:ANCHORED_IN]->() } AS n, COLLECT { MATCH (p)-->(g:Goal) RETURN g.title } AS g",
    "MATCH (p:Plan) WHERE NOT (p)-[:ANCHORED_IN]->(:Goal) RETURN p.title",
    "MATCH (p:Plan) RETURN [(p)-[:ANCHORED_IN]->(g) | g.title] AS goals, [x IN range(1, 10) WHERE x % 2 = 0 | x] AS e",
    "MATCH (p:Plan) RETURN p {.title, .id, kind: toLower(p.kind)} AS plan",
    "MATCH (p:Plan) RETURN CASE WHEN p.status = 'adopted' THEN 1 ELSE 0 END AS a, "
    "CASE p.kind WHEN 'x', 'y' THEN 1 WHEN IS NULL THEN 2 END AS b",
    "MATCH path = shortestPath((a:Plan {id: 'a'})-[*]-(b:Plan {id: 'b'})) RETURN length(path)",
    "MATCH (a:Plan) WHERE a.title =~ '(?i)klima.*' RETURN a",
    "UNWIND range(1, 2000000000) AS i WITH i WHERE i < 0 RETURN count(i)",
    "MATCH (p:Plan) RETURN p.title + ' (' + p.kind + ')' AS t, date(p.proposed_on).year AS y",
    "MATCH (p:Plan) WITH p ORDER BY p.since DESC SKIP 1 LIMIT 5 RETURN collect(DISTINCT p.kind) AS kinds",
    "MATCH (a:Plan) RETURN a.id AS id UNION ALL MATCH (b:Goal) RETURN b.id AS id",
    "RETURN trim(BOTH 'x' FROM 'xax') AS t, normalize('a', NFKC) AS n, 1 IS :: INTEGER AS i, any(x IN [1, 2] WHERE x > 1)",
    "MATCH ((a:Plan)-[:PART_OF]->(b:Plan)){1,3} RETURN count(*)",
    "MATCH (n:Plan WHERE n.x > 1)-[r:A|B WHERE r.y = 2]->(m IS Plan) RETURN n, r, m",
    "RETURN replace('a-b', '-', ' ') AS r, split('a,b', ',') AS s, [1, 2, 3][0..2] AS l, -1 AS neg, 0x1F AS h",
    "MATCH path = (a:Plan)-[:PART_OF*]->(b:Plan) RETURN [n IN nodes(path) | n {.title, .id}] AS chain",
    "MATCH (n:Plan) WITH collect(n) AS c RETURN [x IN c[0..1000] | x.title] AS t, size(c) AS n",
    "MATCH (p:Plan) RETURN p.title ORDER BY p.title SKIP $skip LIMIT $limit",
]


@pytest.mark.parametrize("query", ALLOWED)
def test_an_analysts_read_passes(query):
    check(query, {"labels": ["Plan"], "plan": "x", "create": "y", "skip": 0, "limit": 5})


# ---------------------------------------------------------------------------------- what is refused, and why


REFUSED = [
    ("CREATE (n:Plan {id: 'x'})", "refused CREATE", "line 1, column 1"),
    ("MATCH (n:Plan) SET n.title = 'x'", "refused SET", "column 16"),
    ("MATCH (n) DETACH DELETE n", "refused DETACH", "column 11"),
    ("MATCH (n) WITH n MERGE (m:X) RETURN m", "refused MERGE", "column 18"),
    ("MATCH (n) FOREACH (x IN [1] | SET n.y = x)", "refused FOREACH", "column 11"),
    ("MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS", "refused DELETE", "column 22"),
    ("MATCH (n) CALL { WITH n RETURN n AS m } IN TRANSACTIONS RETURN m", "IN TRANSACTIONS", "column 41"),
    ("LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l", "refused LOAD", "column 1"),
    ("USE system SHOW USERS", "refused USE", "column 1"),
    ("SHOW TRANSACTIONS", "refused SHOW", "column 1"),
    ("TERMINATE TRANSACTIONS 'neo4j-transaction-1'", "refused TERMINATE", "column 1"),
    ("CALL dbms.killConnections([])", "refused CALL dbms.killConnections", "column 6"),
    ("CALL `dbms`.`listConfig`()", "refused CALL dbms.listConfig", "column 6"),
    ("MATCH (n) RETURN file()", "refused function file()", "column 18"),
    ("RETURN apoc.create.node(['X'], {}) AS n", "refused function apoc.create.node()", "column 8"),
    ("EXPLAIN MATCH (n) RETURN n", "refused EXPLAIN", "column 1"),
    ("CYPHER runtime=slotted MATCH (n) RETURN n", "refused CYPHER", "column 1"),
    ("MATCH (n) RETURN n; MATCH (m) DETACH DELETE m", "one statement per request", "column 21"),
    ("MATCH (set) RETURN set", "write it in `backticks`", "column 8"),
    ("MATCH (n:$('Plan')) RETURN n", "dynamic labels", "column 10"),
    ("RETURN reduce(s = '', x IN range(1, 9) | s + s) AS s", "refused REDUCE", "column 8"),
    ("MATCH (n) RETURN n.title =~ n.pattern", "pattern of =~", "column 26"),
    ("RETURN 'x' =~ '(a+)+$' AS m", "repeated group", "column 12"),
    ("", "empty", None),
    ("   // only a comment", "nothing but comments", None),
    ("MATCH (n) WHERE n.title = 'unterminated RETURN n", "unterminated string", "column 27"),
    ("MATCH (n) /* open comment RETURN n", "unterminated /*", "column 11"),
    ("MATCH (`n) RETURN 1", "unterminated `name`", "column 8"),
    ("MATCH (n RETURN n", "'(' is never closed", "column 7"),
]


@pytest.mark.parametrize(("query", "reason", "where"), REFUSED)
def test_refused_with_the_reason_and_the_place(query, reason, where):
    said = refusal(query)
    assert reason in said
    if where:
        assert where in said


def test_the_place_counts_lines_as_neo4j_does():
    assert "line 3, column 3" in refusal("MATCH (n)\nWITH n\n  SET n.x = 1")
    assert "line 3, column 1" in refusal("MATCH (n)\r\nWITH n\rSET n.x = 1")


# ---------------------------------------------------------------------------------- bounds before Neo4j


def test_length_tokens_parameters_and_nesting_are_bounded_before_neo4j_parses_anything():
    assert "longer than 100" in refusal("RETURN 1 " + " " * 100, limits=Limits(max_length=100))
    assert "more than 10 words" in refusal("RETURN " + ", ".join(["1"] * 10), limits=Limits(max_tokens=10))
    assert "parameters take more than" in refusal("RETURN $p", {"p": "x" * 70_000})
    assert "deeper than 48 brackets" in refusal("RETURN " + "(" * 1500 + "1" + ")" * 1500)
    assert "deeper than 48 levels" in refusal("RETURN " + "NOT " * 500 + "true")
    assert "deeper than 48 levels" in refusal("RETURN " + "- " * 100 + "1")
    assert "deeper than 48 levels" in refusal("RETURN n" + ".p" * 60)
    assert "more than 64 terms joined by OR" in refusal("RETURN " + " OR ".join(["true"] * 65))


def test_values_that_could_outgrow_the_memory_of_the_server_are_refused():
    doubling = "WITH 'a' AS s " + " ".join(["WITH s + s AS s"] * 5) + " RETURN s"
    assert "at most 4 operations that can double" in refusal(doubling)
    copies = "UNWIND range(1, 9) AS x WITH collect(x) AS c RETURN reverse(c), tail(c), tail(c), tail(c), tail(c)"
    assert "refused tail()" in refusal(copies)
    assert "at most 1000 here" in refusal("RETURN range(1, 100000000) AS r")
    assert "literals" in refusal("MATCH (n) RETURN range(1, n.size) AS r")
    assert "may not make a text longer" in refusal("RETURN replace('a', 'a', 'aaaa') AS s")
    assert "inside the projection" in refusal("RETURN [x IN range(1, 100) | range(1, 100)] AS l")
    assert "inside the projection of another" in refusal("RETURN [x IN range(1, 9) | [y IN range(1, 9) | y]] AS l")
    assert "its list must be bounded" in refusal("MATCH (n) WITH collect(n) AS c RETURN [x IN c | x.title] AS t")
    assert "only its own variables" in refusal("WITH 'x' AS s RETURN [x IN range(1, 999) | toUpper(s)] AS l")
    assert "double every element" in refusal("MATCH (n) RETURN [x IN range(1, 3) | x.a + x.b] AS l")
    assert "bound otherwise too" in refusal("MATCH (n) WITH {l: collect(n)} AS m RETURN [y IN m.l | y.id] AS t")
    assert "upper bound of at most 5" in refusal("MATCH (a) RETURN [p = (a)-[*..6]-() | p] AS l")


# ---------------------------------------------------------------------------------- regular expressions


@pytest.mark.parametrize(
    "pattern",
    ["(?i)klima.*", "colou?r", r"\d{4}-\d{2}-\d{2}", "[A-Z][a-z]+", "a*?b", "(ab)?c", r"\p{L}+", "(?i:abc).*", "x{2,}"],
)
def test_patterns_that_match_in_linear_time_are_accepted(pattern):
    check_regex(pattern)


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("(a+)+$", "repeated group"),
        ("(.*a){12}", "repeated group"),
        ("(a|aa)*", "repeated group"),
        (".*b.*c", "unbounded repetition"),
        ("(?i).*klima.*", "CONTAINS"),
        ("a**", "repetition of a repetition"),
        ("(?=x)", "lookaround"),
        (r"(a)\1", "backreferences"),
        ("x" * 501, "longer than 500"),
        ("a?" * 11, "more than 1000 ways"),
    ],
)
def test_patterns_that_can_backtrack_without_end_are_refused(pattern, reason):
    with pytest.raises(UnsafeRegex, match=reason):
        check_regex(pattern)


def test_a_regex_from_a_parameter_is_checked_too():
    check("MATCH (p:Plan) WHERE p.title =~ $pattern RETURN p", {"pattern": "(?i)klima.*"})
    assert "repeated group" in refusal("MATCH (p:Plan) WHERE p.title =~ $pattern RETURN p", {"pattern": "(a+)+"})


# ---------------------------------------------------------------------------------- answers


def test_values_come_back_as_json():
    from datetime import date, datetime
    from decimal import Decimal

    assert to_json([1, "a", None, Decimal("1.50"), date(2024, 1, 2)]) == [1, "a", None, "1.50", "2024-01-02"]
    assert to_json({"t": datetime(2024, 1, 2, 3, 4, tzinfo=UTC)}) == {"t": "2024-01-02T03:04:00+00:00"}
    assert to_json(float("nan")) == "nan"
