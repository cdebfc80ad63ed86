"""The guard reads a query as Neo4j 5.26 does: checked against the server itself, with no guard in between.

For each tricky input (line terminators in comments, unicode escapes in comments, strings and names, backticks,
whitespace Neo4j knows), either the guard refuses it, or Neo4j answers the original text and the guard's text (the
checked tokens it would run) with the same values. Where the guard relies on a reading of Neo4j's (a carriage return
ends a comment, U+2028 does not), the server is asked to confirm it.
"""

from __future__ import annotations

import neo4j
import pytest

from knowledge.graph.cypher_guard import CypherRefused, check

pytestmark = pytest.mark.integration

INPUTS = [
    "RETURN 1 AS x // c\n, 2 AS y",
    "RETURN 1 AS x // c\r, 2 AS y",
    "RETURN 1 AS x // c\r\n, 2 AS y",
    "RETURN 1 AS x // c\\u000a, 2 AS y",
    "RETURN 1 AS x // c\\u000d, 2 AS y",
    "RETURN 1 AS x /* \\u002a/ , 2 AS y /* */",
    "RETURN 1 AS x \\u002f\\u002f , 2 AS y",
    "RETURN 'a\\u0027, 2 AS y //' AS x",
    "RETURN '\\u0027 AS x",
    "RETURN 'a\\\\u0027' AS x",
    "RETURN 1 AS \\u0078, 2 AS y",
    "WITH 1 AS x \\u0052ETURN x",
    "RETURN 1 AS x\\u002c 2 AS y",
    "RETURN 1 AS x\u00a0, 2 AS y",
    "RETURN 1 AS x\u3000, 2 AS y",
    "RETURN 1 AS `x``y`, 'v' AS `a b`",
    "RETURN 'it\\'s', \"say \\\"hi\\\"\", '\\(' AS s",
    "RETURN 0x1F AS a, 1_000 AS d, .5 AS e, 1e3 AS f, 1.5e-3 AS g, [1, 2, 3][0..2] AS h",
    "RETURN 1 AS x; ",
    "// only a note\nRETURN 1 AS x",
    "RETURN 1 AS x // c\u2028, 2 AS y",
    "RETURN 1 AS x // c\u0085, 2 AS y",
    "RETURN 1 AS x\u200b, 2 AS y",
]


@pytest.fixture(scope="module")
def run(neo4j_uri, neo4j_auth):
    driver = neo4j.GraphDatabase.driver(neo4j_uri, auth=neo4j_auth)

    def values(query: str) -> list[list]:
        with driver.session(default_access_mode=neo4j.READ_ACCESS) as session:
            return [list(record.values()) for record in session.run(query)]

    yield values
    driver.close()


@pytest.mark.parametrize("query", INPUTS)
def test_what_the_guard_would_run_answers_as_the_original_does(run, query):
    try:
        guarded = check(query)
    except CypherRefused:
        return  # refused: nothing reaches Neo4j
    assert run(guarded.text) == run(query), guarded.text


def test_neo4j_ends_a_line_comment_at_a_carriage_return_and_at_an_escaped_line_feed(run):
    assert run("RETURN 1 AS x // c\r, 2 AS y") == [[1, 2]]
    assert run("RETURN 1 AS x // c\\u000a, 2 AS y") == [[1, 2]]


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085", "\u000b", "\u000c"])
def test_neo4j_does_not_end_a_line_comment_at_other_line_separators_so_the_guard_refuses_them_there(run, separator):
    assert run(f"RETURN 1 AS x // c{separator}, 2 AS y") == [[1]]
    with pytest.raises(CypherRefused, match="runs on past"):
        check(f"RETURN 1 AS x // c{separator}, 2 AS y")


def test_neo4j_reads_an_escaped_quote_as_the_end_of_the_string_as_the_guard_does(run):
    assert run("RETURN 'a\\u0027, 2 AS y //' AS x") == [["a", 2]]
    assert check("RETURN 'a\\u0027, 2 AS y //' AS x").text == "RETURN 'a', 2 AS y"
